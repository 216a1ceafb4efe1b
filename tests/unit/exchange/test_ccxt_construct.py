"""``ccxt_construct.new_exchange`` builds the same objects as ccxt's classes, for every exchange
offered, spot and swap, whichever configuration its class saw first."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from core.errors import UserError
from services.exchange import ccxt_construct
from services.exchange.ccxt_construct import new_exchange
from services.exchange.factory import OFFERED_EXCHANGES
from tests.fakes.exchange_keyinfo import saved_market

OWN = {"throttler", "origin"}  # every object's own: its request budget, a random id


def config(exchange_id: str, default_type: str, *, full: bool) -> dict[str, Any]:
    """Two shapes of what the client passes: keys only, or with a password and markets."""
    made: dict[str, Any] = {
        "apiKey": "key-1",
        "secret": "secret-1",
        "timeout": 10_000,
        "enableRateLimit": True,
        "options": {"defaultType": default_type, "maxRetriesOnFailure": 0},
    }
    if full:
        made |= {"password": "pass-1", "markets": saved_market(exchange_id)}
    return made


def attributes(exchange: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(exchange).items() if k not in OWN}


@pytest.mark.parametrize("first_full", [True, False])
@pytest.mark.parametrize("default_type", ["spot", "swap"])
@pytest.mark.parametrize(
    "exchange_id", [e for e in OFFERED_EXCHANGES if e in ccxt_async.exchanges]
)
async def test_objects_equal_those_of_ccxts_class(
    exchange_id: str, default_type: str, first_full: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ccxt_construct, "_CLASSES", {})  # this class's first object is below
    monkeypatch.setattr(ccxt_async.Exchange, "timeout_on_exit", 0)  # close() sleeps 250 ms
    made = []
    try:
        # the class's first object walks every name; the later ones only their attributes
        first = new_exchange(exchange_id, config(exchange_id, default_type, full=first_full))
        made.append(first)
        for full in (not first_full, first_full):
            fast = new_exchange(exchange_id, config(exchange_id, default_type, full=full))
            plain = getattr(ccxt_async, exchange_id)(config(exchange_id, default_type, full=full))
            made += [fast, plain]
            assert isinstance(fast, getattr(ccxt_async, exchange_id))
            assert attributes(fast) == attributes(plain)
            assert fast.apiKey == "key-1" and fast.secret == "secret-1"
            # camelCase aliases of methods reach the later objects through the class
            assert fast.fetchBalance.__func__ is plain.fetchBalance.__func__
        assert attributes(first) == attributes(made[-1])  # the last: ccxt's, same shape
    finally:
        for exchange in made:
            await exchange.close()


def test_an_unknown_exchange_is_refused() -> None:
    with pytest.raises(UserError, match="Unknown exchange 'nosuch'"):
        new_exchange("nosuch", {})
