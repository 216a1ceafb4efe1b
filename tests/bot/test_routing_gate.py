"""Router gates only prune: for every kind of message, the handler chosen with the gates is the
one aiogram picks when it visits every router; and aiogram still routes the way the gates'
override of ``Router.propagate_event`` assumes."""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiogram
import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.state import State
from aiogram.types import Message, TelegramObject, Update

from bot.app import App
from handlers.accounts_states import ConnectForm
from handlers.commands import (
    COMMANDS,
    NOT_A_COMMAND,
    GatedRouter,
    RouterGate,
    _message_commands,
    command_name,
)
from handlers.signals_states import EditSignalForm
from tests.bot.conftest import ADMIN_ID, AppFactory, feed

_ids = itertools.count(500_000)
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "Signals"}


def message(
    text: str | None = None, *, chat_type: str = "private", **extra: Any
) -> dict[str, Any]:
    user = {"id": ADMIN_ID, "is_bot": False, "first_name": "Ada"}
    chat = (
        {"id": ADMIN_ID, "type": "private", "first_name": "Ada"}
        if chat_type == "private"
        else {"id": -100777, "type": chat_type, "title": "Group"}
    )
    body: dict[str, Any] = {"message_id": next(_ids), "date": 1_790_000_000, "chat": chat}
    body["from"] = user
    if text is not None:
        body["text"] = text
    body.update(extra)
    return {"update_id": next(_ids), "message": body}


def forwarded(text: str) -> dict[str, Any]:
    origin = {"type": "channel", "chat": CHANNEL, "message_id": 77, "date": 1_789_999_000}
    return message(text, forward_origin=origin)


def samples() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name in sorted(COMMANDS):
        out.append((f"/{name}", message(f"/{name}")))
        out.append((f"/{name} 12 btc", message(f"/{name} 12 btc")))
        out.append((f"/{name}@tsbot", message(f"/{name}@tsbot")))
    out += [
        ("unknown command", message("/nosuch")),
        ("bare slash", message("/")),
        ("upper case", message("/START")),
        ("plain text", message("hello there")),
        ("plain-language order", message("buy 0.1 btc at market")),
        ("pasted signal", message("BTCUSDT LONG\nEntry 60000\nTP 61000 62000\nSL 59000")),
        ("forwarded post", forwarded("ETH long 3000 tp 3100 sl 2900")),
        ("forwarded slash text", forwarded("/start")),
        ("caption command", message(caption="/help", photo=[_photo()])),
        ("photo without caption", message(photo=[_photo()])),
        ("group command", message("/start", chat_type="group")),
        ("group text", message("hi all", chat_type="supergroup")),
    ]
    return out


def _photo() -> dict[str, Any]:
    return {"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}


async def chosen_handlers(app: App, raw: dict[str, Any]) -> list[str]:
    """Run the update, recording the handler picked, without letting it run."""
    picked: list[str] = []

    async def record(
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        picked.append(data["handler"].callback.__qualname__)
        return None

    observer = app.dispatcher.message
    observer.middleware(record)
    try:
        await feed(app, raw)
    finally:
        observer.middleware._middlewares.remove(record)
    return picked or ["(unhandled)"]


def gated_routers(app: App) -> list[GatedRouter]:
    """Every gated router, groups and their members alike."""
    found: list[GatedRouter] = []
    pending = list(app.dispatcher.sub_routers)
    while pending:
        router = pending.pop(0)
        if isinstance(router, GatedRouter):
            found.append(router)
        pending.extend(router.sub_routers)
    return found


def visit_always(gate: RouterGate | None) -> RouterGate | None:
    """A gate that only keeps the router's own filter (private chats): every event is
    offered to every handler, as aiogram does without gates."""
    if gate is None:
        return None
    everything = frozenset(Update.model_fields) | {"error"}
    return replace(gate, observers=everything, any_command=True, plain=True)


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    """Dozens of messages in a row from one user: no rate limit in the way."""
    return await make_app(limits={"rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000})


@pytest.mark.parametrize("state", [None, ConnectForm.api_key, EditSignalForm.targets])
async def test_gates_pick_the_same_handler_as_visiting_every_router(
    app: App, state: State | None
) -> None:
    routers = gated_routers(app)
    assert len(routers) >= 8  # every feature router is gated
    context = app.dispatcher.fsm.get_context(app.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    gates = {r: r.gate for r in routers}
    mismatches = []
    for label, raw in samples():
        await context.set_state(state)
        with_gates = await chosen_handlers(app, raw)
        for router, gate in gates.items():
            router.gate = visit_always(gate)
        try:
            await context.set_state(state)
            raw = {**raw, "update_id": next(_ids)}  # a new delivery, not a duplicate
            everywhere = await chosen_handlers(app, raw)
        finally:
            for router, gate in gates.items():
                router.gate = gate
        if with_gates != everywhere:
            mismatches.append((label, with_gates, everywhere))
    assert mismatches == []


async def test_commands_reach_their_handlers_and_others_skip_the_router(app: App) -> None:
    start_router = next(r for r in gated_routers(app) if r.name == "handlers.start")
    assert await chosen_handlers(app, message("/help")) == ["show_help"]
    assert start_router.gate is not None
    start = Message.model_validate(message("/start")["message"])
    plain = Message.model_validate(message("hello")["message"])
    assert start_router.gate.admits("message", start)
    assert not start_router.gate.admits("message", plain)
    assert not start_router.gate.admits("callback_query", start)


def test_command_name_reads_what_aiogram_reads() -> None:
    def name(raw: dict[str, Any]) -> str | None:
        return command_name(Message.model_validate(raw["message"]))

    assert name(message("/start")) == "start"
    assert name(message("/start@tsbot deep-link")) == "start"
    assert name(message("/buy\nbtc 100usdt")) == "buy"
    assert name(message("/")) == ""
    assert name(message(caption="/help", photo=[_photo()])) == "help"
    assert name(message("hello /start")) is None
    assert name(message(photo=[_photo()])) is None
    assert name(forwarded("/start")) is None


def test_a_gate_admits_what_its_handlers_declared() -> None:
    gate = RouterGate(
        observers=frozenset({"message"}),
        commands=frozenset({"buy"}),
        any_command=False,
        plain=False,
    )
    buy = Message.model_validate(message("/buy btc")["message"])
    sell = Message.model_validate(message("/sell btc")["message"])
    text = Message.model_validate(message("buy btc")["message"])
    assert gate.admits("message", buy)
    assert not gate.admits("message", sell)
    assert not gate.admits("message", text)
    assert not gate.admits("edited_message", buy)
    assert RouterGate(gate.observers, gate.commands, True, False).admits("message", sell)
    assert RouterGate(gate.observers, gate.commands, False, True).admits("message", text)
    assert NOT_A_COMMAND.__name__ == "not_a_command"


async def test_group_messages_reach_no_private_chat_handler(app: App) -> None:
    for text in ("/start", "/help", "/buy btc 100usdt", "hello", "/nosuch"):
        for chat_type in ("group", "supergroup"):
            assert await chosen_handlers(app, message(text, chat_type=chat_type)) == [
                "(unhandled)"
            ], (text, chat_type)


def test_only_exact_command_filters_narrow_a_router() -> None:
    assert _message_commands((Command("buy"),)) == ({"buy"}, False, False)
    assert _message_commands((Command("buy", ignore_case=True),)) == ({"buy"}, False, False)
    assert _message_commands((Command("buy", prefix="!/"),)) == (set(), True, False)
    assert _message_commands((Command(re.compile("b.y")),)) == (set(), True, False)
    assert _message_commands((NOT_A_COMMAND,)) == (set(), False, True)
    assert _message_commands(()) == (set(), True, True)


AIOGRAM_ROUTING = (
    f"aiogram {aiogram.__version__} no longer routes as handlers.commands.GatedRouter assumes: "
    "a router offers an event to each sub-router by calling its "
    "propagate_event(update_type, event, **kwargs), and an UNHANDLED answer passes the event "
    "on to the next router. GatedRouter overrides that method to skip routers (its gain is in "
    "docs/PERFORMANCE.md): re-check it against aiogram's Router before moving the aiogram pin "
    "in pyproject.toml."
)


def test_aiogram_router_propagate_event_keeps_the_overridden_signature() -> None:
    expected = [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("update_type", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("event", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("kwargs", inspect.Parameter.VAR_KEYWORD),
    ]
    for method in (Router.propagate_event, GatedRouter.propagate_event):
        parameters = inspect.signature(method).parameters.values()
        assert [(p.name, p.kind) for p in parameters] == expected, AIOGRAM_ROUTING
    assert inspect.iscoroutinefunction(Router.propagate_event), AIOGRAM_ROUTING


@pytest.mark.parametrize("admitted", [False, True], ids=["closed", "open"])
async def test_aiogram_offers_sub_routers_events_through_the_gate(admitted: bool) -> None:
    """A closed gate hands the event to the next router; an open one lets its handler take it."""
    taken: list[str] = []
    gated = GatedRouter(name="gated")
    after = Router(name="after")

    @gated.message()
    async def in_gated(message: Message) -> None:
        taken.append("gated")

    @after.message()
    async def in_after(message: Message) -> None:
        taken.append("after")

    gated.gate = RouterGate(
        observers=frozenset({"message"}), commands=frozenset(), any_command=False, plain=admitted
    )
    root = Router(name="root")
    root.include_routers(gated, after)
    await root.propagate_event("message", Message.model_validate(message("hello")["message"]))
    assert taken == (["gated"] if admitted else ["after"]), AIOGRAM_ROUTING
