"""The per-exchange circuit breaker (F12) with real ccxt against the fake Binance: after ten
temporary failures in a row nothing more is sent until the cooldown; then one probe goes
through; a refusal is an answer, not a failure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import OrderSide, OrderType
from core.errors import OrderRejected, TemporaryExchangeError
from services.exchange.base import OrderRequest
from services.exchange.circuit import CircuitBreaker
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.exchange.conftest import ClientFactory


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def buy(cid: str) -> OrderRequest:
    return OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.001"), cid)


async def test_an_exchange_that_keeps_failing_is_left_alone_then_probed(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    clock = Ticking()
    breaker = CircuitBreaker("binance", threshold=10, cooldown_s=30, clock=clock)
    client = make_client(breaker=breaker, read_retries=0)
    exchange_api.fail_next("GET /api/v3/account", 503, times=10)
    for _ in range(10):
        with pytest.raises(TemporaryExchangeError, match="did not answer"):
            await client.balances()
    assert exchange_api.count("GET", "/api/v3/account") == 10

    with pytest.raises(TemporaryExchangeError, match="not asked again for about 30 s"):
        await client.balances()
    with pytest.raises(OrderRejected, match="the order was not sent"):
        await client.create_order(buy("cid-open"))
    assert exchange_api.count("GET", "/api/v3/account") == 10  # nothing reached it
    assert exchange_api.count("POST", "/api/v3/order") == 0

    clock.now += 31  # half-open: one probe; it fails, so the circuit opens again
    exchange_api.fail_next("GET /api/v3/account", 503)
    with pytest.raises(TemporaryExchangeError, match="did not answer"):
        await client.balances()
    with pytest.raises(TemporaryExchangeError, match="not asked again"):
        await client.balances()

    clock.now += 31  # the next probe is answered: closed
    assert await client.balances()
    assert await client.balances()
    assert breaker.opened_at is None and breaker.failures == 0


async def test_refusals_are_answers_and_reset_the_count(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    breaker = CircuitBreaker("binance", threshold=3, cooldown_s=30, clock=Ticking())
    client = make_client(breaker=breaker, read_retries=0)
    exchange_api.fail_next("GET /api/v3/account", 503, times=2)
    for _ in range(2):
        with pytest.raises(TemporaryExchangeError):
            await client.balances()
    exchange_api.fail_next(
        "POST /api/v3/order", code=-2010, msg="Account has insufficient balance"
    )
    with pytest.raises(OrderRejected):
        await client.create_order(buy("cid-refused"))
    assert breaker.failures == 0
    exchange_api.fail_next("GET /api/v3/account", 503, times=2)
    for _ in range(2):
        with pytest.raises(TemporaryExchangeError, match="did not answer"):
            await client.balances()
    assert breaker.opened_at is None  # two in a row, not four


def test_a_probe_that_never_reports_back_is_replaced() -> None:
    clock = Ticking()
    breaker = CircuitBreaker("x", threshold=1, cooldown_s=10, clock=clock)
    breaker.failed()
    assert breaker.wait_s() == 10
    clock.now += 10
    assert breaker.wait_s() is None  # the probe
    assert breaker.wait_s() is not None  # others wait while it runs
    clock.now += 10  # it was cancelled and never said how it went
    assert breaker.wait_s() is None
