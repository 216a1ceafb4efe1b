"""The update chain end to end: polling, webhook, inbox, auth, rate limit, RBAC, bad input."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest
from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.runners import SECRET_HEADER, poll, webhook_app
from core.db.models import InboxUpdate, User
from core.domain import InboxStatus, Role
from handlers.commands import COMMANDS
from tests.bot.conftest import (
    ADMIN_ID,
    API_USER_ID,
    TRADER_ID,
    VIEWER_ID,
    AppFactory,
    feed,
)
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET = "s" * 40


async def inbox_rows(app: App) -> list[InboxUpdate]:
    async with app.db.session() as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


async def texts_to(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c["text"] for c in telegram_api.calls_of("sendMessage") if c["chat_id"] == chat_id]


async def test_polling_handles_start_and_help(app: App, telegram_api: FakeTelegramAPI) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(poll(app, stop))
    telegram_api.feed(telegram_api.updates.message(TRADER_ID, "/start"))
    telegram_api.feed(telegram_api.updates.message(TRADER_ID, "/help"))
    await telegram_api.wait_for("sendMessage", count=2)
    stop.set()
    await task
    texts = await texts_to(telegram_api, TRADER_ID)
    assert texts[0].startswith("Welcome")
    assert "/help [command] - the commands you can use" in texts[1]
    assert "/grant" not in texts[1]  # traders do not see admin commands
    assert all(r.status is InboxStatus.DONE for r in await inbox_rows(app))


async def test_polling_confirms_a_batch_only_after_storing_it(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    stop = asyncio.Event()
    telegram_api.hold("sendMessage")  # handling cannot finish; receiving must go on
    task = asyncio.create_task(poll(app, stop))
    first = telegram_api.updates.message(TRADER_ID, "/start")
    telegram_api.feed(first)
    await telegram_api.wait_for("held:sendMessage")
    # the next getUpdates carries the confirming offset, and the row was stored before it
    await telegram_api.wait_for("getUpdates", count=2)
    assert first["update_id"] + 1 in telegram_api.offsets
    rows = await inbox_rows(app)
    assert [(r.update_id, r.status) for r in rows] == [(first["update_id"], InboxStatus.PENDING)]
    telegram_api.release("sendMessage")
    stop.set()
    await task


async def test_aiogram_polling_loop_runs_the_same_dispatcher(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """aiogram's own start_polling drives our chain too (it is just not loss-free)."""
    telegram_api.feed(telegram_api.updates.message(TRADER_ID, "/start"))
    polling = asyncio.create_task(
        app.dispatcher.start_polling(
            app.bot, handle_signals=False, polling_timeout=1, close_bot_session=False
        )
    )
    await telegram_api.wait_for("sendMessage")
    await app.dispatcher.stop_polling()
    await polling
    await asyncio.gather(*app.dispatcher._handle_update_tasks)  # let the handler finish
    assert (await texts_to(telegram_api, TRADER_ID))[0].startswith("Welcome")


async def test_same_update_five_times_by_polling_is_handled_once(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    for _ in range(5):
        telegram_api.feed(update)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(app, stop))
    await telegram_api.wait_for("sendMessage")
    marker = telegram_api.updates.message(TRADER_ID, "/help")
    telegram_api.feed(marker)
    await telegram_api.wait_for("sendMessage", count=2)
    stop.set()
    await task
    texts = await texts_to(telegram_api, TRADER_ID)
    assert sum("Telegram id" in t for t in texts) == 1
    assert app.metrics.inbox_duplicates._value.get() == 4


@pytest.fixture
async def webhook(app: App) -> TestClient:
    client = TestClient(TestServer(webhook_app(app, SECRET, "/hook")))
    await client.start_server()
    yield client
    await client.close()


async def test_webhook_same_update_five_times_is_handled_once(
    app: App, webhook: TestClient, telegram_api: FakeTelegramAPI
) -> None:
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    for _ in range(5):
        response = await webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
        assert response.status == 200
    await telegram_api.wait_for("sendMessage")
    marker = telegram_api.updates.message(TRADER_ID, "/cancel")
    await webhook.post("/hook", json=marker, headers={SECRET_HEADER: SECRET})
    await telegram_api.wait_for("sendMessage", count=2)
    texts = await texts_to(telegram_api, TRADER_ID)
    assert sum("Telegram id" in t for t in texts) == 1
    assert len(await inbox_rows(app)) == 2


async def test_webhook_same_update_five_times_at_once_is_handled_once(
    app: App, webhook: TestClient, telegram_api: FakeTelegramAPI
) -> None:
    """F1: Telegram's redeliveries can overlap: five at once still make one run."""
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    responses = await asyncio.gather(
        *(webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET}) for _ in range(5))
    )
    assert [r.status for r in responses] == [200] * 5
    await telegram_api.wait_for("sendMessage")
    marker = telegram_api.updates.message(TRADER_ID, "/cancel")
    await webhook.post("/hook", json=marker, headers={SECRET_HEADER: SECRET})
    await telegram_api.wait_for("sendMessage", count=2)
    texts = await texts_to(telegram_api, TRADER_ID)
    assert sum("Telegram id" in t for t in texts) == 1
    assert len(await inbox_rows(app)) == 2


async def test_webhook_answers_503_when_the_inbox_cannot_store(
    app: App, webhook: TestClient, telegram_api: FakeTelegramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F1: an update the inbox could not store is answered 503, so Telegram sends it again; the
    redelivery after the database is back is handled once."""
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    real_store = app.inbox.store_batch

    async def database_down(*_args: object) -> list[int]:
        raise OperationalError("INSERT INTO inbox", {}, ConnectionRefusedError("db down"))

    monkeypatch.setattr(app.inbox, "store_batch", database_down)
    response = await webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 503
    assert await inbox_rows(app) == []
    monkeypatch.setattr(app.inbox, "store_batch", real_store)
    response = await webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    await telegram_api.wait_for("sendMessage")
    assert sum("Telegram id" in t for t in await texts_to(telegram_api, TRADER_ID)) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}],
    ids=["missing", "wrong", "empty"],
)
async def test_webhook_refuses_bad_secret_and_writes_nothing(
    app: App, webhook: TestClient, telegram_api: FakeTelegramAPI, headers: dict[str, str]
) -> None:
    update = telegram_api.updates.message(TRADER_ID, "/start")
    response = await webhook.post("/hook", json=update, headers=headers)
    assert response.status == 401
    assert await inbox_rows(app) == []
    assert telegram_api.calls_of("sendMessage") == []


async def test_webhook_right_secret_is_handled(
    app: App, webhook: TestClient, telegram_api: FakeTelegramAPI
) -> None:
    update = telegram_api.updates.message(TRADER_ID, "/start")
    response = await webhook.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status == 200
    await telegram_api.wait_for("sendMessage")
    assert len(await inbox_rows(app)) == 1


async def test_webhook_malformed_body_is_rejected_without_a_row(
    app: App, webhook: TestClient
) -> None:
    for body in ("not json", json.dumps({"no": "update_id"})):
        response = await webhook.post("/hook", data=body, headers={SECRET_HEADER: SECRET})
        assert response.status == 400
    assert await inbox_rows(app) == []


async def test_webhook_port_has_no_healthz_or_metrics(app: App, webhook: TestClient) -> None:
    """Both moved to the internal health port (tests/bot/test_health_server.py)."""
    for path in ("/healthz", "/metrics"):
        assert (await webhook.get(path)).status == 404


def test_webhook_refuses_to_start_without_a_secret(app: App) -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError):
        webhook_app(app, "", "/hook")


ROLE_OF = {
    ADMIN_ID: Role.ADMIN,
    TRADER_ID: Role.TRADER,
    VIEWER_ID: Role.VIEWER,
    API_USER_ID: Role.API_USER,
}


async def _grant_roles(app: App) -> None:
    for telegram_id, role in ROLE_OF.items():
        await app.users.grant_role(None, telegram_id, role)


async def test_rbac_table_every_command_by_every_role(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    from core.permissions import role_allows

    app = await make_app(limits={"rate_limit_burst": 1000})  # one message per command and role
    await _grant_roles(app)
    assert COMMANDS, "no commands registered"
    # issue 12's admin tools are in the table, each for admins only
    admin_tools = {"users", "user", "role", "grant", "ban", "unban", "audit", "broadcast"}
    assert {n for n in admin_tools if COMMANDS[n].required is Role.ADMIN} == admin_tools
    for name, spec in sorted(COMMANDS.items()):
        for telegram_id, role in ROLE_OF.items():
            before = len(telegram_api.calls_of("sendMessage"))
            await feed(app, telegram_api.updates.message(telegram_id, f"/{name}"))
            replies = [c["text"] for c in telegram_api.calls_of("sendMessage")[before:]]
            refused = any("not allowed" in r for r in replies)
            assert refused is not role_allows(role, spec.required), (name, role, replies)


async def test_handler_without_role_flag_is_admin_only(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app()
    extra = Router(name="unflagged")

    @extra.message(Command("unflagged"))
    async def unflagged(message: Message) -> None:
        await message.answer("ran")

    dispatcher: Dispatcher = app.dispatcher
    dispatcher.sub_routers.insert(0, extra)
    extra._parent_router = dispatcher
    await _grant_roles(app)
    for telegram_id, role in ROLE_OF.items():
        before = len(telegram_api.calls_of("sendMessage"))
        await feed(app, telegram_api.updates.message(telegram_id, "/unflagged"))
        replies = [c["text"] for c in telegram_api.calls_of("sendMessage")[before:]]
        assert replies == (
            ["ran"] if role is Role.ADMIN else ["You are not allowed to use /unflagged."]
        ), role


async def test_rate_limit_warns_once_and_answers_the_budget(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(limits={"rate_limit_per_minute": 60, "rate_limit_burst": 8})
    for _ in range(50):
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    texts = await texts_to(telegram_api, TRADER_ID)
    warnings = [t for t in texts if t.startswith("Slow down")]
    answers = [t for t in texts if "Telegram id" in t]
    assert len(warnings) == 1
    assert 8 <= len(answers) <= 10  # the burst, plus what refilled while the test ran


async def test_banned_user_is_dropped_with_one_notice(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await _grant_roles(app)
    admin = await app.users.get(ADMIN_ID)
    assert admin is not None
    await app.users.set_banned(admin, TRADER_ID, True)
    for _ in range(3):
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    texts = await texts_to(telegram_api, TRADER_ID)
    assert len(texts) == 1 and "banned" in texts[0]


async def test_known_user_costs_no_database_round_trip(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    statements: list[str] = []
    from sqlalchemy import event

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        await feed(app, telegram_api.updates.message(TRADER_ID, "/whoami"))
    finally:
        event.remove(app.db.engine.sync_engine, "before_cursor_execute", record)
    assert not any("FROM users" in s for s in statements), statements


BAD_INPUTS = [
    ("x" * 10_000, "did not understand"),
    ("/grant abc trader", None),
    ("/whoami \x00\u200b garbage " + "🚀" * 500, "Telegram id"),
    ("/" + "a" * 300, "I don't know"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS, ids=["long", "args", "junk", "cmd"])
async def test_bad_input_gets_a_clear_reply(
    app: App, telegram_api: FakeTelegramAPI, text: str, expected: str | None
) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, text))
    replies = await texts_to(telegram_api, TRADER_ID)
    assert len(replies) == 1
    if expected:
        assert expected in replies[0]
    assert "Something went wrong" not in replies[0]


async def test_garbage_admin_arguments_change_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    for text in ("/grant abc trader", "/grant 5 emperor", "/grant", "/ban x", "/ban"):
        await feed(app, telegram_api.updates.message(ADMIN_ID, text))
    replies = await texts_to(telegram_api, ADMIN_ID)
    assert len(replies) == 5
    assert all("Something went wrong" not in r for r in replies)
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_audit_trail_labels_its_times_utc(app: App, telegram_api: FakeTelegramAPI) -> None:
    await _grant_roles(app)
    await feed(app, telegram_api.updates.message(ADMIN_ID, "/audit"))
    lines = (await texts_to(telegram_api, ADMIN_ID))[-1].splitlines()
    # issue 12: the trail reads as words (who, what, whom, old -> new), newest first
    granted = (
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d UTC the operator \(CLI\) set the role of "
        rf"{TRADER_ID} \(trader → trader, via: cli\)"
    )
    assert lines[0] == "<b>Audit trail</b> (newest first)"
    assert any(re.fullmatch(granted, line) for line in lines[1:]), lines


async def test_unknown_callback_data_is_answered(app: App, telegram_api: FakeTelegramAPI) -> None:
    await feed(app, telegram_api.updates.message(TRADER_ID, "/start"))
    message = telegram_api.messages(TRADER_ID)[-1]
    await feed(app, telegram_api.updates.callback(TRADER_ID, message, "zz:forged:999"))
    answer = telegram_api.last("answerCallbackQuery")
    assert "no longer valid" in answer["text"]


async def test_updates_without_a_user_are_dropped_quietly(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await feed(app, telegram_api.updates.channel_post(-100777, "hello channel"))
    assert telegram_api.calls_of("sendMessage") == []
    rows = await inbox_rows(app)
    assert len(rows) == 1 and rows[0].status is InboxStatus.DONE
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_unexpected_error_answers_with_a_reference(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app()
    broken = Router(name="broken")

    @broken.message(Command("boom"), flags={"role": Role.VIEWER})
    async def boom(message: Message) -> None:
        raise RuntimeError("kaboom")

    app.dispatcher.sub_routers.insert(1, broken)
    broken._parent_router = app.dispatcher
    update = telegram_api.updates.message(TRADER_ID, "/boom")
    await feed(app, update)
    replies = await texts_to(telegram_api, TRADER_ID)
    assert replies == [f"Something went wrong (ref {update['update_id']}). It has been logged."]
    rows = await inbox_rows(app)
    assert rows[0].status is InboxStatus.FAILED


async def test_inbox_never_holds_a_message_in_clear(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """A message may carry an API secret or a PIN: the stored update is sealed, then emptied."""
    secret = "sk-live-0123456789abcdefSECRET"
    update = telegram_api.updates.message(TRADER_ID, secret)
    stored = await app.inbox.store_batch([(update["update_id"], json.dumps(update))])
    assert stored == [update["update_id"]]
    async with app.db.session() as session:
        raw = await session.scalar(select(InboxUpdate.payload))
    assert raw and secret not in raw
    await app.recover_inbox()  # lease not over: nothing to take yet
    app.inbox.finish(update["update_id"])
    await app.inbox.flush()
    [row] = await inbox_rows(app)
    assert row.payload == "" and row.status is InboxStatus.DONE


async def test_recovery_reads_sealed_payloads(
    make_app: AppFactory, telegram_api: FakeTelegramAPI
) -> None:
    app = await make_app(limits={"inbox_lease": 1})
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    await app.inbox.store_batch([(update["update_id"], json.dumps(update))])
    app.inbox._clock = lambda: app.clock() + timedelta(seconds=5)  # the lease is over
    assert await app.recover_inbox() == 1
    assert "Telegram id" in (await texts_to(telegram_api, TRADER_ID))[0]
    assert app.metrics.registry.get_sample_value("tsbot_inbox_recovered_total") == 1


async def test_polling_survives_a_database_outage_without_confirming(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    """The inbox write fails once: the batch is not confirmed and is handled after recovery."""
    from sqlalchemy.exc import OperationalError

    real_store = app.inbox.store_batch
    failures = [OperationalError("INSERT", {}, ConnectionRefusedError("database down"))]

    async def flaky_store(updates: list[tuple[int, str]]) -> list[int]:
        if failures:
            raise failures.pop()
        return await real_store(updates)

    app.inbox.store_batch = flaky_store  # type: ignore[method-assign]
    update = telegram_api.updates.message(TRADER_ID, "/whoami")
    telegram_api.feed(update)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(app, stop))
    await telegram_api.wait_for("sendMessage", timeout=10)
    stop.set()
    await task
    # the first batch was requested again without the confirming offset
    requested = [c.get("offset") for c in telegram_api.calls_of("getUpdates")]
    assert requested[:2] == [None, None]
    assert len(await texts_to(telegram_api, TRADER_ID)) == 1
