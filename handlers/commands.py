"""Handler registration: a router recipe per module, and the command registry.

aiogram routers can be attached to one dispatcher only, and tests build many dispatchers, so a
module records its handlers on a ``Routes`` recipe and ``Routes.build()`` makes a fresh router.
``Routes.command(...)`` registers a command with its role flag *and* records it in ``COMMANDS``,
so ``/help`` lists exactly the commands the caller may use and the RBAC table test covers every
command there is.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.types import Message
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


def _command_prefix(name: str) -> Callable[[Message], Awaitable[bool]]:
    """A cheap pre-check so aiogram's full ``Command`` filter (parsing, mention check) only
    runs for text that starts with this command; every message passes every router."""
    prefix = "/" + name

    async def starts_with_command(message: Message) -> bool:
        text = message.text
        if text is None or not text.startswith(prefix):
            return False
        rest = text[len(prefix) : len(prefix) + 1]
        return rest in {"", " ", "@", "\n", "\t"}

    return starts_with_command


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
        return self.message(
            _command_prefix(name), Command(name), *filters, flags={"role": required}
        )

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, flt in self._observer_filters.items():
            getattr(router, observer).filter(inline_filter(flt))
        for observer, filters, kwargs, handler in self._registrations:
            getattr(router, observer)(*map(inline_filter, filters), **kwargs)(handler)
        return router
