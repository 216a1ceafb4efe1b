"""Handler registration: a router recipe per module, and the command registry.

aiogram routers can be attached to one dispatcher only, and tests build many dispatchers, so a
module records its handlers on a ``Routes`` recipe and ``Routes.build()`` makes a fresh router.
``Routes.command(...)`` registers a command with its role flag *and* records it in ``COMMANDS``,
so ``/help`` lists exactly the commands the caller may use and the RBAC table test covers every
command there is.

Routing rule: a command message (text or caption starting with ``/``, typed rather than
forwarded) goes only to the handlers registered for that command, or to a handler that did not
declare ``NOT_A_COMMAND`` (such as the fallback's unknown-command hint). Because every recipe
knows which commands its handlers take, a router is not even entered for an event none of its
handlers can take (``RouterGate``): with a dozen routers, that is most of the routing cost.
Commands are read in any case (``/Price btc``, ``/BUY``): ``build()`` makes every ``Command``
filter case-insensitive and the gates compare lower case.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command, Filter
from aiogram.types import Message, TelegramObject
from aiogram.utils.magic_filter import MagicFilter

from core.domain import Role

PUBLIC: Final = "public"  # no user needed (channel posts, chat-member updates)

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str
    required: Role | str
    args: str = ""
    order: int = 100


COMMANDS: dict[str, CommandSpec] = {}


async def in_private_chat(message: Message) -> bool:
    """Router filter for private chats."""
    return message.chat.type == "private"


def command_name(message: Message) -> str | None:
    """The command a message invokes (``"start"`` for ``/Start@bot payload``), or None.

    Text or caption, as aiogram's ``Command`` reads them, in lower case (commands are read in
    any case); a forwarded post is never a command the user typed."""
    if message.forward_origin is not None:
        return None
    text = message.text or message.caption
    if not text or text[0] != "/":
        return None
    words = text[1:].split(maxsplit=1)
    return words[0].partition("@")[0].casefold() if words else ""


async def not_a_command(message: Message) -> bool:
    """Handler filter: the message is not a command. Declaring it lets the router be skipped
    for commands it does not handle (see ``RouterGate``)."""
    return command_name(message) is None


NOT_A_COMMAND: Final = not_a_command


@dataclass(frozen=True, slots=True)
class RouterGate:
    """What a router's handlers can take, known when it is built.

    ``observers``: event types it has handlers for; ``commands``: the commands its message
    handlers take; ``any_command``: some message handler may take any command (it declared no
    command and not ``NOT_A_COMMAND``); ``plain``: some message handler takes non-commands;
    ``private_only``: it takes messages from private chats only (the gate is its filter)."""

    observers: frozenset[str]
    commands: frozenset[str]
    any_command: bool
    plain: bool
    private_only: bool = False  # its messages are filtered by ``in_private_chat``

    def admits(self, update_type: str, event: TelegramObject) -> bool:
        if update_type not in self.observers:
            return False
        if update_type != "message" or not isinstance(event, Message):
            return True
        if self.private_only and event.chat.type != "private":
            return False
        name = command_name(event)
        if name is None:
            return self.plain
        return self.any_command or name in self.commands


class GatedRouter(Router):
    """A router that is not entered for an event its gate says no handler of it can take.

    Skipping it is what visiting it would do (every handler's filters fail), minus the cost:
    these routers have no middlewares of their own, and a group's gate admits whatever any of
    its sub-routers admits. It overrides aiogram's ``Router.propagate_event``, relying on a
    router offering each sub-router the event through that method and taking ``UNHANDLED`` as
    "try the next one": aiogram is pinned to the minor this was checked on, and
    tests/bot/test_routing_gate.py says what to re-check when that changes (docs/PERFORMANCE.md
    has what the gates are worth)."""

    def __init__(self, *, name: str) -> None:
        super().__init__(name=name)
        self.gate: RouterGate | None = None

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if self.gate is not None and not self.gate.admits(update_type, event):
            return UNHANDLED
        return await super().propagate_event(update_type, event, **kwargs)


def group(name: str, routers: list[Router]) -> Router:
    """One router holding ``routers`` in order, entered only for what one of them may take.

    aiogram offers an event to every top-level router in turn, copying the handler data each
    time; grouping the feature routers behind one gate makes a command of another router cost
    one check instead of one per router."""
    parent = GatedRouter(name=name)
    parent.include_routers(*routers)
    gates = [getattr(router, "gate", None) for router in routers]
    if all(isinstance(gate, RouterGate) for gate in gates):
        known = [gate for gate in gates if isinstance(gate, RouterGate)]
        parent.gate = RouterGate(
            observers=frozenset().union(*(g.observers for g in known)),
            commands=frozenset().union(*(g.commands for g in known)),
            any_command=any(g.any_command for g in known),
            plain=any(g.plain for g in known),
            private_only=all(g.private_only for g in known),
        )
    return parent


def _message_commands(filters: tuple[Any, ...]) -> tuple[set[str], bool, bool]:
    """(commands, any_command, plain) for one message handler from its filters."""
    declared = [flt for flt in filters if isinstance(flt, Command)]
    if declared:
        names = [c for flt in declared for c in flt.commands]
        words = {c.casefold() for c in names if isinstance(c, str)}
        exact = all(flt.prefix == "/" for flt in declared)
        if exact and all(isinstance(c, str) for c in names):  # no pattern among them
            # the gate compares lower case: a case-sensitive filter is let in more, never less
            return words, False, False
        return set(), True, False  # patterns, other prefixes: may match any command
    if any(flt is NOT_A_COMMAND for flt in filters):
        return set(), False, True
    return set(), True, True


def inline_filter(flt: Any) -> Any:
    """Run a synchronous filter inline on the event loop.

    aiogram runs every non-async filter, magic filters (``F.text``) included, through
    ``asyncio.to_thread``: one thread hop per filter per handler per update, dozens per message
    once every router has its handlers. These filters are trivial, so evaluate them inline.
    """
    if isinstance(flt, MagicFilter):
        magic = flt

        async def resolve(event: Any) -> Any:
            return magic.resolve(event)

        return resolve
    if isinstance(flt, Filter) or not callable(flt) or inspect.iscoroutinefunction(flt):
        return flt
    parameters = inspect.signature(flt).parameters.values()
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    names = {p.name for p in parameters}

    async def call(*args: Any, **kwargs: Any) -> Any:
        if takes_all:
            return flt(*args, **kwargs)
        return flt(*args, **{k: v for k, v in kwargs.items() if k in names})

    return call


def any_case(flt: Any) -> Any:
    """A ``Command`` filter that reads its commands in any case (``/Price``, ``/BUY``: phones
    capitalise the first letter); any other filter as it is."""
    if not isinstance(flt, Command) or flt.ignore_case:
        return flt
    return Command(
        *flt.commands,
        prefix=flt.prefix,
        ignore_case=True,
        ignore_mention=flt.ignore_mention,
        magic=flt.magic,
    )


def _invokes(names: frozenset[str]) -> Callable[[Message], Awaitable[bool]]:
    """A cheap pre-check put before every ``Command`` filter: aiogram's full filter (parsing,
    mention check) only runs for a message that invokes one of these commands, and a
    forwarded post never does (the same rule as the gates)."""

    async def invokes_command(message: Message) -> bool:
        return command_name(message) in names

    return invokes_command


class Routes:
    """Records handlers once at import; ``build()`` returns a new router holding them all."""

    def __init__(self, name: str, **observer_filters: Any) -> None:
        self.name = name
        self._observer_filters = observer_filters  # e.g. message=F.chat.type == "private"
        self._registrations: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []

    def _on(self, observer: str, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        def register(handler: HandlerT) -> HandlerT:
            self._registrations.append((observer, filters, kwargs, handler))
            return handler

        return register

    def message(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("message", *filters, **kwargs)

    def callback_query(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("callback_query", *filters, **kwargs)

    def channel_post(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("channel_post", *filters, **kwargs)

    def edited_channel_post(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("edited_channel_post", *filters, **kwargs)

    def my_chat_member(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("my_chat_member", *filters, **kwargs)

    def errors(self, *filters: Any, **kwargs: Any) -> Callable[[HandlerT], HandlerT]:
        return self._on("errors", *filters, **kwargs)

    def command(
        self,
        name: str,
        description: str,
        required: Role | str,
        *filters: Any,
        args: str = "",
        order: int = 100,
    ) -> Callable[[HandlerT], HandlerT]:
        COMMANDS[name] = CommandSpec(name, description, required, args, order)
        return self.message(Command(name), *filters, flags={"role": required})

    def build(self) -> Router:
        router = GatedRouter(name=self.name)
        private_only = self._observer_filters.get("message") is in_private_chat
        for observer, flt in self._observer_filters.items():
            if observer == "message" and private_only:
                continue  # the gate checks it, before the router is entered
            getattr(router, observer).filter(inline_filter(flt))
        commands: set[str] = set()
        any_command = plain = False
        for observer, registered, kwargs, handler in self._registrations:
            declared = filters = tuple(map(any_case, registered))
            if observer == "message":
                names, takes_any, takes_plain = _message_commands(declared)
                if names:
                    filters = (_invokes(frozenset(names)), *declared)
            getattr(router, observer)(*map(inline_filter, filters), **kwargs)(handler)
            if observer == "message":
                commands |= names
                any_command |= takes_any
                plain |= takes_plain
        router.gate = RouterGate(
            observers=frozenset(k for k, o in router.observers.items() if o.handlers),
            commands=frozenset(commands),
            any_command=any_command,
            plain=plain,
            private_only=private_only,
        )
        return router
