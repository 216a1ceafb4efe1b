"""Keep aiogram's parametrised ``Response[T]`` models alive.

aiogram validates every Bot API answer with ``Response[method.__returning__]``. pydantic
caches parametrised generic models only weakly, so once the last reference goes the model is
garbage-collected and the next call builds its whole schema again (milliseconds, at random
moments). Holding one strong reference per return type makes that a dictionary lookup.
"""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

_PINNED: dict[str, Any] = {}


def pin_response_models() -> int:
    """Build ``Response[T]`` once for every Bot API method's return type; return how many."""
    if not _PINNED:
        for name in aiogram.methods.__all__:
            method = getattr(aiogram.methods, name)
            if (
                isinstance(method, type)
                and issubclass(method, TelegramMethod)
                and method is not TelegramMethod
            ):
                returning: Any = method.__returning__
                # a runtime type as the parameter: what aiogram itself does for every call
                _PINNED.setdefault(repr(returning), Response[returning])
    return len(_PINNED)
