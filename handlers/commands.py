"""Handler registration: a router recipe per module, and the command registry.

aiogram routers can be attached to one dispatcher only, and tests build many dispatchers, so a
module records its handlers on a ``Routes`` recipe and ``Routes.build()`` makes a fresh router.
``Routes.command(...)`` registers a command with its role flag *and* records it in ``COMMANDS``,
so ``/help`` lists exactly the commands the caller may use and the RBAC table test covers every
command there is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from aiogram import Router
from aiogram.filters import Command

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
        router = Router(name=self.name)
        for observer, flt in self._observer_filters.items():
            getattr(router, observer).filter(flt)
        for observer, filters, kwargs, handler in self._registrations:
            getattr(router, observer)(*filters, **kwargs)(handler)
        return router
