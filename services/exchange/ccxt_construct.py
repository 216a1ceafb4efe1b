"""ccxt exchange objects built without redoing, per object, what ccxt's constructor does per class.

ccxt's ``Exchange.__init__`` ends with a loop over ``dir(self)`` (about 1,600 names on Binance):
a ``getattr`` of each, and for each method a ``setattr`` of its camelCase alias on the class,
the same aliases every time. That is about 2 of the 3 ms an object costs, and a signal's live
followers each need one when their clients were closed (after 15 idle minutes, T10, or a
restart): 1,000 followers spent 3 s of the one event loop on it.

``new_exchange`` builds each object from a subclass of the ccxt class (made once per class)
whose ``__dir__`` answers the whole list to the class's first object, and to every later one
only the names the loop still has work for on an object: attributes, not methods, with an
underscore (the loop copies them under their camelCase names). The rest is ccxt's own
constructor, unchanged.

Invariant: an object built here has the same attributes with the same values as one built by
the ccxt class from the same configuration (but its own throttler and random ``origin``, as any
two objects); ``tests/unit/exchange/test_ccxt_construct.py`` compares them for every exchange
offered, spot and swap, whichever configuration came first. ``dir()`` of such an object lists
only those names: nothing in the bot asks it.
"""

from __future__ import annotations

import types
from typing import Any

import ccxt.async_support as ccxt_async

from core.errors import UserError

_CLASSES: dict[str, type] = {}


def new_exchange(exchange_id: str, config: dict[str, Any]) -> Any:
    """A ccxt async exchange object for ``exchange_id``; ``UserError`` for an unknown id."""
    if exchange_id not in ccxt_async.exchanges:
        raise UserError(f"Unknown exchange {exchange_id!r}.")
    cls = _CLASSES.get(exchange_id)
    if cls is None:
        cls = _CLASSES[exchange_id] = _fast_class(getattr(ccxt_async, exchange_id))
    return cls(config)


def _fast_class(base: type) -> type:
    """``base`` whose objects, after the first, walk only their own attributes (see module)."""
    names: list[str] | None = None

    def __dir__(self: Any) -> list[str]:  # noqa: N807 - the data model's name
        nonlocal names
        if names is not None:
            return names
        every = list(object.__dir__(self))  # what dir() sorts; ccxt defines no __dir__
        # the names ccxt's loop works on, less the methods: their aliases are set on the class
        # by this first object's loop and stay there
        names = [
            name
            for name in every
            if name[0] != "_"
            and name[-1] != "_"
            and "_" in name
            and not isinstance(getattr(self, name), types.MethodType)
        ]
        return every

    return type(base.__name__, (base,), {"__dir__": __dir__, "__module__": __name__})
