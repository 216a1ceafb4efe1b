"""Real ccxt ``binance`` against FakeExchangeAPI faults: keys, 5xx, lost answers, lag (F5-F7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import OrderSide, OrderStatus, OrderType
from core.errors import (
    AuthenticationFailed,
    ExchangeError,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)
from services.exchange.base import OrderRequest
from services.exchange.ccxt_client import CcxtExchangeClient
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.exchange.conftest import SECRET, ClientFactory

WRONG_KEY = "wrong-api-key-do-not-leak-1a2b3c"


def market_buy(amount: str, cid: str) -> OrderRequest:
    return OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal(amount), cid)


def exception_texts(exc: BaseException) -> list[str]:
    """str() and repr() of the exception and everything it was raised from."""
    texts = []
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), str(getattr(seen, "user_message", ""))]
        seen = seen.__cause__ or seen.__context__
    return texts


async def test_wrong_api_key_is_authentication_failed_without_leaking_keys(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    client = make_client(api_key=WRONG_KEY)
    with pytest.raises(AuthenticationFailed) as caught:
        await client.balances()
    with pytest.raises(AuthenticationFailed) as caught_order:
        await client.create_order(market_buy("0.001", "cid-auth"))
    assert exchange_api.count("GET", "/api/v3/account") == 1  # not retried
    for exc in (caught.value, caught_order.value):
        assert "refused the API keys" in exc.user_message
        for text in exception_texts(exc):
            assert WRONG_KEY not in text
            assert SECRET not in text
    assert exchange_api.orders == []


async def test_read_503_is_retried_then_temporary(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """Reads retry a temporary error twice (three calls), then give up."""
    exchange_api.fail_next("GET /api/v3/account", 503, times=3)
    with pytest.raises(TemporaryExchangeError, match="read the account balance"):
        await client.balances()
    assert exchange_api.count("GET", "/api/v3/account") == 3

    exchange_api.fail_next("GET /api/v3/account", 503, times=2)
    assert await client.balances()
    assert exchange_api.count("GET", "/api/v3/account") == 6


async def test_create_order_503_is_temporary_and_never_retried(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    exchange_api.fail_next("POST /api/v3/order", 503)
    with pytest.raises(TemporaryExchangeError, match="outcome is unknown") as caught:
        await client.create_order(market_buy("0.001", "cid-503"))
    assert "cid-503" in caught.value.user_message
    assert exchange_api.count("POST", "/api/v3/order") == 1
    assert exchange_api.orders == []


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, None, TemporaryExchangeError),
        (418, None, TemporaryExchangeError),
        (502, None, TemporaryExchangeError),
        (400, -1007, TemporaryExchangeError),
        (400, -1013, OrderRejected),
        (400, -1121, OrderRejected),
    ],
    ids=["429", "418-ban", "502", "-1007-unknown", "-1013-filter", "-1121-symbol"],
)
async def test_create_order_errors_are_sent_once(
    client: CcxtExchangeClient,
    exchange_api: FakeExchangeAPI,
    status: int,
    code: int | None,
    expected: type[Exception],
) -> None:
    exchange_api.fail_next("POST /api/v3/order", status, code=code)
    with pytest.raises(expected):
        await client.create_order(market_buy("0.001", "cid-err"))
    assert exchange_api.count("POST", "/api/v3/order") == 1


async def test_timeout_after_accept_leaves_exactly_one_order_found_by_client_id(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    """F5: the exchange took the order but the answer never came; reconcile, do not resend."""
    client = make_client(timeout_ms=300)
    exchange_api.timeout_after_accept()
    with pytest.raises(TemporaryExchangeError, match="outcome is unknown"):
        await client.create_order(market_buy("0.001", "cid-lost"))
    assert exchange_api.count("POST", "/api/v3/order") == 1
    assert len(exchange_api.orders) == 1

    found = await client.fetch_order_by_client_id("BTC/USDT", "cid-lost")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert found.exchange_order_id == str(exchange_api.orders[0].order_id)
    assert exchange_api.count("POST", "/api/v3/order") == 1


async def test_hidden_order_is_none_until_the_lag_passes(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """F6: "not found" right after placing does not mean "not placed"."""
    exchange_api.hide_new_orders(60)
    placed = await client.create_order(
        OrderRequest(
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            Decimal("0.001"),
            "cid-lag",
            Decimal("40000"),
        )
    )
    assert await client.fetch_order_by_client_id("BTC/USDT", "cid-lag") is None
    assert await client.open_orders("BTC/USDT") == []
    exchange_api.advance(59)
    assert await client.fetch_order_by_client_id("BTC/USDT", "cid-lag") is None

    exchange_api.advance(2)
    found = await client.fetch_order_by_client_id("BTC/USDT", "cid-lag")
    assert found is not None
    assert found.exchange_order_id == placed.exchange_order_id
    assert found.status is OrderStatus.OPEN
    assert [o.client_order_id for o in await client.open_orders()] == ["cid-lag"]
    assert exchange_api.count("POST", "/api/v3/order") == 1


async def test_duplicate_client_id_of_open_order_is_rejected(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """F7: Binance refuses a client id only while the first order is open."""
    limit = OrderRequest(
        "BTC/USDT", OrderSide.BUY, OrderType.LIMIT, Decimal("0.001"), "cid-dup", Decimal("40000")
    )
    first = await client.create_order(limit)
    with pytest.raises(OrderRejected, match="rejected the request: tried to buy 0.001 BTC"):
        await client.create_order(limit)
    assert len(exchange_api.orders) == 1

    assert first.exchange_order_id is not None
    exchange_api.fill(int(first.exchange_order_id))
    # Once filled the same id is accepted again: the exchange is not our dedupe guard.
    again = await client.create_order(limit)
    assert again.exchange_order_id != first.exchange_order_id
    assert len(exchange_api.orders_by_client_id("cid-dup")) == 2


async def test_insufficient_funds_says_what_was_tried(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    with pytest.raises(OrderRejected) as caught:
        await client.create_order(market_buy("1", "cid-poor"))
    assert caught.value.user_message == (
        "Insufficient funds: tried to buy 1 BTC at market on Binance."
    )
    assert exchange_api.count("POST", "/api/v3/order") == 1
    assert exchange_api.orders == []


async def test_unreachable_exchange_is_temporary(make_client: ClientFactory) -> None:
    """Connection refused on a closed port: temporary, for reads and for orders."""
    async with FakeExchangeAPI() as gone:
        url = gone.url
    client = make_client(urls_override=url)
    with pytest.raises(TemporaryExchangeError):
        await client.ticker("BTC/USDT")
    with pytest.raises(TemporaryExchangeError):
        await client.create_order(
            OrderRequest(
                "BTC/USDT",
                OrderSide.BUY,
                OrderType.LIMIT,
                Decimal("0.001"),
                "cid-x",
                Decimal("1e4"),
            )
        )


def test_sandbox_unsupported_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no testnet"):
        CcxtExchangeClient("bit2c", sandbox=True)


def test_unknown_exchange_is_a_user_error() -> None:
    with pytest.raises(UserError, match="Unknown exchange 'nope'"):
        CcxtExchangeClient("nope")


@pytest.mark.parametrize(
    ("endpoint", "call"),
    [
        ("POST /api/v3/order", "order"),
        ("GET /api/v3/account", "read"),
    ],
)
async def test_clock_skew_is_said_once_never_retried(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI, endpoint: str, call: str
) -> None:
    """F14 with real ccxt: Binance's -1021 (timestamp outside recvWindow) comes back as one
    clear error about the server clock; no retry, so no storm, and the circuit stays closed."""
    exchange_api.fail_next(
        endpoint, code=-1021, msg="Timestamp for this request is outside of the recvWindow."
    )
    with pytest.raises(ExchangeError, match="clock may be out of sync") as caught:
        if call == "order":
            await client.create_order(market_buy("0.001", "cid-skew"))
        else:
            await client.balances()
    assert not isinstance(caught.value, TemporaryExchangeError)
    method, _, path = endpoint.partition(" ")
    assert exchange_api.count(method, path) == 1
    assert exchange_api.orders == []
