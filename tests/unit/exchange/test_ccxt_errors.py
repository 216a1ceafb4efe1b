"""CcxtExchangeClient over a stub ccxt exchange: error translation table and call counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from core.domain import OrderSide, OrderStatus, OrderType
from core.errors import (
    AuthenticationFailed,
    ExchangeError,
    NotFound,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)
from services.exchange.base import OrderRequest
from services.exchange.ccxt_client import CcxtExchangeClient, rewrite_urls
from services.exchange.ccxt_payloads import to_decimal
from tests.fakes.exchange_api import load_saved_markets

CCXT_TEXT = 'binance {"code":-9999,"msg":"third-party wording with key=abc"}'


class StubBinance(ccxt_async.binance):  # type: ignore[misc]
    """Real ccxt binance (markets, precision) whose I/O methods answer from the test."""

    def __init__(self) -> None:
        super().__init__({"markets": load_saved_markets(), "enableRateLimit": False})
        self.timeout_on_exit = 0  # ccxt waits 250 ms in close() for TLS; no sockets here
        self.error: Exception | None = None
        self.calls: list[str] = []
        self.order_reply: dict[str, Any] = {
            "id": "77",
            "clientOrderId": "cid-1",
            "symbol": "BTC/USDT",
            "side": "buy",
            "type": "limit",
            "status": "open",
            "amount": 0.001,
            "filled": 0.0,
            "price": 50000.0,
            "average": None,
            "fees": [],
            "info": {},
        }

    async def _answer(self, name: str, reply: Any) -> Any:
        self.calls.append(name)
        if self.error is not None:
            raise self.error
        return reply

    async def fetch_ticker(self, symbol: str, params: dict[str, Any] | None = None) -> Any:
        return await self._answer("fetch_ticker", {"last": 50000.0, "bid": None, "ask": None})

    async def fetch_balance(self, params: dict[str, Any] | None = None) -> Any:
        return await self._answer("fetch_balance", {"info": {}, "BTC": {"free": 0.1, "used": 0}})

    async def create_order(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("create_order", self.order_reply)

    async def cancel_order(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("cancel_order", self.order_reply)

    async def fetch_order(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("fetch_order", self.order_reply)

    async def fetch_order_with_client_order_id(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("fetch_order_with_client_order_id", self.order_reply)

    async def fetch_open_orders(self, *args: Any, **kwargs: Any) -> Any:
        return await self._answer("fetch_open_orders", [self.order_reply])

    async def sapi_get_account_apirestrictions(self, params: Any = None) -> Any:
        return await self._answer("apirestrictions", {"enableWithdrawals": False})


@pytest.fixture
async def stub() -> AsyncIterator[StubBinance]:
    exchange = StubBinance()
    yield exchange
    await exchange.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(stub: StubBinance, sleeps: list[float]) -> CcxtExchangeClient:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return CcxtExchangeClient("binance", exchange=stub, sleep=fake_sleep, retry_backoff_s=0.25)


LIMIT_BUY = OrderRequest(
    "BTC/USDT", OrderSide.BUY, OrderType.LIMIT, Decimal("0.5"), "cid-1", Decimal("50000")
)

ERROR_TABLE: list[tuple[type[ccxt.BaseError], type[Exception]]] = [
    (ccxt.NetworkError, TemporaryExchangeError),
    (ccxt.RequestTimeout, TemporaryExchangeError),
    (ccxt.ExchangeNotAvailable, TemporaryExchangeError),
    (ccxt.OnMaintenance, TemporaryExchangeError),
    (ccxt.DDoSProtection, TemporaryExchangeError),
    (ccxt.RateLimitExceeded, TemporaryExchangeError),
    (ccxt.BadResponse, TemporaryExchangeError),
    (ccxt.AuthenticationError, AuthenticationFailed),
    (ccxt.PermissionDenied, AuthenticationFailed),
    (ccxt.AccountSuspended, AuthenticationFailed),
    (ccxt.InsufficientFunds, OrderRejected),
    (ccxt.InvalidOrder, OrderRejected),
    (ccxt.DuplicateOrderId, OrderRejected),
    (ccxt.BadRequest, OrderRejected),
    (ccxt.BadSymbol, OrderRejected),
    (ccxt.OrderNotFound, NotFound),
    (ccxt.NotSupported, UserError),
    (ccxt.InvalidNonce, ExchangeError),
    (ccxt.ExchangeError, ExchangeError),
    (ccxt.BaseError, ExchangeError),
]
ERROR_IDS = [ccxt_error.__name__ for ccxt_error, _ in ERROR_TABLE]


@pytest.mark.parametrize(("ccxt_error", "expected"), ERROR_TABLE, ids=ERROR_IDS)
async def test_create_order_translates_once_and_never_retries(
    client: CcxtExchangeClient,
    stub: StubBinance,
    sleeps: list[float],
    ccxt_error: type[ccxt.BaseError],
    expected: type[Exception],
) -> None:
    stub.error = ccxt_error(CCXT_TEXT)
    with pytest.raises(expected) as caught:
        await client.create_order(LIMIT_BUY)
    assert type(caught.value) is expected
    assert caught.value.__cause__ is stub.error
    assert "third-party" not in str(caught.value)
    assert "buy 0.5 BTC at 50000 USDT" in str(caught.value)
    assert stub.calls == ["create_order"]
    assert sleeps == []


@pytest.mark.parametrize(("ccxt_error", "expected"), ERROR_TABLE, ids=ERROR_IDS)
async def test_reads_retry_only_temporary_errors_twice(
    client: CcxtExchangeClient,
    stub: StubBinance,
    sleeps: list[float],
    ccxt_error: type[ccxt.BaseError],
    expected: type[Exception],
) -> None:
    stub.error = ccxt_error(CCXT_TEXT)
    with pytest.raises(expected) as caught:
        await client.ticker("BTC/USDT")
    assert type(caught.value) is expected
    assert caught.value.__cause__ is stub.error
    assert "read the BTC/USDT price" in str(caught.value)
    temporary = expected is TemporaryExchangeError
    assert stub.calls == ["fetch_ticker"] * (3 if temporary else 1)
    assert sleeps == ([0.25, 0.5] if temporary else [])


async def test_insufficient_funds_message(client: CcxtExchangeClient, stub: StubBinance) -> None:
    stub.error = ccxt.InsufficientFunds(CCXT_TEXT)
    with pytest.raises(OrderRejected) as caught:
        await client.create_order(LIMIT_BUY)
    assert caught.value.user_message == (
        "Insufficient funds: tried to buy 0.5 BTC at 50000 USDT on Binance."
    )


async def test_read_recovers_after_one_temporary_error(
    client: CcxtExchangeClient, stub: StubBinance, sleeps: list[float]
) -> None:
    stub.error = ccxt.RequestTimeout(CCXT_TEXT)
    original = stub._answer

    async def answer_then_heal(name: str, reply: Any) -> Any:
        try:
            return await original(name, reply)
        finally:
            stub.error = None

    stub._answer = answer_then_heal  # type: ignore[method-assign]
    balances = await client.balances()
    assert [b.asset for b in balances] == ["BTC"]
    assert stub.calls == ["fetch_balance", "fetch_balance"]
    assert sleeps == [0.25]


async def test_cancel_is_not_retried(client: CcxtExchangeClient, stub: StubBinance) -> None:
    stub.error = ccxt.RequestTimeout(CCXT_TEXT)
    with pytest.raises(TemporaryExchangeError, match="cancel order 77 on BTC/USDT"):
        await client.cancel_order("BTC/USDT", "77")
    assert stub.calls == ["cancel_order"]


async def test_fetch_by_client_id_not_found_is_none(
    client: CcxtExchangeClient, stub: StubBinance
) -> None:
    stub.error = ccxt.OrderNotFound(CCXT_TEXT)
    assert await client.fetch_order_by_client_id("BTC/USDT", "cid-1") is None
    assert stub.calls == ["fetch_order"]


async def test_fetch_by_client_id_uses_unified_method_off_binance(
    stub: StubBinance, sleeps: list[float]
) -> None:
    client = CcxtExchangeClient("okx", exchange=stub)
    found = await client.fetch_order_by_client_id("BTC/USDT", "cid-1")
    assert found is not None
    assert stub.calls == ["fetch_order_with_client_order_id"]


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", 0.0, OrderStatus.OPEN),
        ("open", 0.0004, OrderStatus.PARTIALLY_FILLED),
        ("closed", 0.001, OrderStatus.FILLED),
        ("canceled", 0.0, OrderStatus.CANCELLED),
        ("canceled", 0.0002, OrderStatus.CANCELLED),
        ("expired", 0.0, OrderStatus.CANCELLED),
        ("rejected", 0.0, OrderStatus.REJECTED),
        (None, 0.0, OrderStatus.UNKNOWN),
    ],
)
async def test_order_status_mapping(
    client: CcxtExchangeClient,
    stub: StubBinance,
    status: str | None,
    filled: float,
    expected: OrderStatus,
) -> None:
    stub.order_reply.update(
        status=status,
        filled=filled,
        fees=[{"cost": 0.0000001, "currency": "BTC"}, {"cost": 0.0000002, "currency": "BTC"}],
    )
    result = await client.fetch_order("BTC/USDT", "77")
    assert result.status is expected
    assert result.filled == Decimal(str(filled))
    assert result.amount == Decimal("0.001")
    assert result.price == Decimal("50000")
    assert (result.fee, result.fee_asset) == (Decimal("3E-7"), "BTC")


async def test_withdrawals_enabled_reads_binance_restrictions(
    client: CcxtExchangeClient, stub: StubBinance
) -> None:
    assert await client.withdrawals_enabled() is False
    assert stub.calls == ["apirestrictions"]


async def test_withdrawals_enabled_is_none_where_nothing_is_exposed() -> None:
    client = CcxtExchangeClient("bitstamp", api_key="k", secret="czM=")
    try:
        assert await client.withdrawals_enabled() is None
    finally:
        await client.close()


def test_rewrite_urls_replaces_every_host_recursively() -> None:
    urls = {
        "public": "https://api.binance.com/api/v3",
        "nested": {"x": "https://fapi.binance.com/fapi/v1?y=1"},
        "template": "https://api.{hostname}",
        "other": 3,
    }
    assert rewrite_urls(urls, "http://127.0.0.1:9000") == {
        "public": "http://127.0.0.1:9000/api/v3",
        "nested": {"x": "http://127.0.0.1:9000/fapi/v1?y=1"},
        "template": "http://127.0.0.1:9000",
        "other": 3,
    }
    assert rewrite_urls("https://a.b/c", "http://h:1/prefix/") == "http://h:1/prefix/c"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1, Decimal("0.1")), (1e-05, Decimal("0.00001")), ("2.50", Decimal("2.50")), (None, None)],
)
def test_to_decimal_goes_through_str(value: object, expected: Decimal | None) -> None:
    assert to_decimal(value) == expected
