"""Real ccxt ``binance`` through CcxtExchangeClient against FakeExchangeAPI: the happy paths."""

from __future__ import annotations

import ssl
from decimal import Decimal

import pytest

from core.domain import OrderSide, OrderStatus, OrderType
from core.errors import NotFound, UserError
from services.exchange.base import OrderRequest
from services.exchange.ccxt_client import CcxtExchangeClient
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.exchange.conftest import ClientFactory


def order(
    amount: str,
    cid: str,
    *,
    side: OrderSide = OrderSide.BUY,
    price: str | None = None,
    symbol: str = "BTC/USDT",
) -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        type=OrderType.MARKET if price is None else OrderType.LIMIT,
        amount=Decimal(amount),
        client_order_id=cid,
        price=None if price is None else Decimal(price),
    )


async def test_markets_come_from_saved_file_without_http(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """Saved markets give steps and limits in Decimal, and loading them sends nothing."""
    markets = await client.markets()
    assert set(markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "DOGE/USDT"}
    btc = markets["BTC/USDT"]
    assert (btc.base, btc.quote) == ("BTC", "USDT")
    assert btc.amount_step == Decimal("0.00001")
    assert btc.price_step == Decimal("0.01")
    assert btc.min_amount == Decimal("0.0001")
    assert btc.min_cost == Decimal("5")
    assert markets["DOGE/USDT"].amount_step == Decimal("1")
    assert exchange_api.requests == []


async def test_markets_reload_after_ttl(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI, clock: FakeClock
) -> None:
    """Markets are cached for the TTL, then fetched once from exchangeInfo."""
    client = make_client(markets_ttl_s=60)
    await client.market("BTC/USDT")
    clock.advance(59)
    await client.market("ETH/USDT")
    assert exchange_api.count("GET", "/api/v3/exchangeInfo") == 0
    clock.advance(2)
    assert (await client.market("SOL/USDT")).amount_step == Decimal("0.001")
    await client.market("SOL/USDT")
    assert exchange_api.count("GET", "/api/v3/exchangeInfo") == 1


async def test_markets_load_over_http_without_saved_markets(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    client = make_client(markets=None)
    assert (await client.market("BTC/USDT")).min_amount == Decimal("0.0001")
    assert exchange_api.count("GET", "/api/v3/exchangeInfo") == 1


async def test_unknown_symbol_is_a_user_error_and_sends_nothing(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    with pytest.raises(UserError, match="does not list XRP/USDT"):
        await client.ticker("XRP/USDT")
    with pytest.raises(UserError, match="does not list XRP/USDT"):
        await client.create_order(order("10", "cid-x", symbol="XRP/USDT"))
    assert exchange_api.requests == []


async def test_ticker(client: CcxtExchangeClient, exchange_api: FakeExchangeAPI) -> None:
    exchange_api.set_price("ETH/USDT", "3123.45")
    ticker = await client.ticker("ETH/USDT")
    assert ticker.symbol == "ETH/USDT"
    assert ticker.last == Decimal("3123.45")
    assert ticker.bid == ticker.ask == Decimal("3123.45")
    assert ticker.at.timestamp() * 1000 == exchange_api.now_ms
    assert ticker.source == "binance ticker"
    assert exchange_api.last("GET", "/api/v3/ticker/24hr").params == {"symbol": "ETHUSDT"}


async def test_balances(client: CcxtExchangeClient, exchange_api: FakeExchangeAPI) -> None:
    exchange_api.set_balance("SOL", "0", locked="1.5")
    exchange_api.set_balance("DOGE", "0")
    balances = {b.asset: b for b in await client.balances()}
    assert set(balances) == {"USDT", "BTC", "ETH", "SOL"}  # zero balances are left out
    assert balances["USDT"].free == Decimal("10000")
    assert balances["SOL"].used == Decimal("1.5")
    assert balances["SOL"].total == Decimal("1.5")
    request = exchange_api.last("GET", "/api/v3/account")
    assert request.api_key == exchange_api.api_key
    assert "signature" in request.params


async def test_market_buy_fills_at_once(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """The amount goes through precision (truncated) and the client order id is sent."""
    result = await client.create_order(order("0.0012399", "cid-buy-1"))
    sent = exchange_api.last("POST", "/api/v3/order").params
    assert sent["quantity"] == "0.00123"
    assert sent["newClientOrderId"] == "cid-buy-1"
    assert sent["type"] == "MARKET"
    assert result.status is OrderStatus.FILLED
    assert result.client_order_id == "cid-buy-1"
    assert result.exchange_order_id == str(exchange_api.orders[0].order_id)
    assert (result.amount, result.filled) == (Decimal("0.00123"), Decimal("0.00123"))
    assert result.average == Decimal("50000")
    assert result.side is OrderSide.BUY
    assert result.type is OrderType.MARKET
    assert exchange_api.balance("BTC") == (Decimal("0.50123"), Decimal(0))
    assert exchange_api.balance("USDT") == (Decimal("9938.5"), Decimal(0))


async def test_market_sell(client: CcxtExchangeClient, exchange_api: FakeExchangeAPI) -> None:
    result = await client.create_order(order("0.1", "cid-sell-1", side=OrderSide.SELL))
    assert result.status is OrderStatus.FILLED
    assert result.side is OrderSide.SELL
    assert exchange_api.last("POST", "/api/v3/order").params["side"] == "SELL"
    assert exchange_api.balance("BTC") == (Decimal("0.4"), Decimal(0))
    assert exchange_api.balance("USDT") == (Decimal("15000"), Decimal(0))


async def test_limit_order_rests_shows_in_open_orders_and_cancels(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    placed = await client.create_order(order("0.01", "cid-limit-1", price="45000.006"))
    assert exchange_api.last("POST", "/api/v3/order").params["price"] == "45000.01"  # rounded
    assert placed.status is OrderStatus.OPEN
    assert placed.price == Decimal("45000.01")
    assert exchange_api.balance("USDT") == (Decimal("9549.9999"), Decimal("450.0001"))

    open_orders = await client.open_orders("BTC/USDT")
    assert [o.client_order_id for o in open_orders] == ["cid-limit-1"]
    assert [o.client_order_id for o in await client.open_orders()] == ["cid-limit-1"]

    assert placed.exchange_order_id is not None
    cancelled = await client.cancel_order("BTC/USDT", placed.exchange_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.client_order_id == "cid-limit-1"
    assert await client.open_orders("BTC/USDT") == []
    assert exchange_api.balance("USDT") == (Decimal("10000"), Decimal(0))
    with pytest.raises(NotFound):
        await client.cancel_order("BTC/USDT", placed.exchange_order_id)


async def test_limit_order_fills_when_price_crosses(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    placed = await client.create_order(order("0.02", "cid-limit-2", price="48000"))
    assert placed.exchange_order_id is not None
    exchange_api.fill(int(placed.exchange_order_id), "0.005")
    partial = await client.fetch_order("BTC/USDT", placed.exchange_order_id)
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert partial.filled == Decimal("0.005")

    exchange_api.set_price("BTC/USDT", "47999.99")
    filled = await client.fetch_order("BTC/USDT", placed.exchange_order_id)
    assert filled.status is OrderStatus.FILLED
    assert filled.filled == Decimal("0.02")
    assert await client.open_orders() == []


async def test_fetch_order_by_client_id(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    await client.create_order(order("0.001", "cid-lookup"))
    found = await client.fetch_order_by_client_id("BTC/USDT", "cid-lookup")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert exchange_api.last("GET", "/api/v3/order").params["origClientOrderId"] == "cid-lookup"
    assert await client.fetch_order_by_client_id("BTC/USDT", "never-sent") is None


async def test_fetch_unknown_order_is_not_found(client: CcxtExchangeClient) -> None:
    with pytest.raises(NotFound):
        await client.fetch_order("BTC/USDT", "424242")


@pytest.mark.parametrize(
    ("amount", "price", "message"),
    [
        ("0.00001", None, "Amount 0.00001 BTC is below the exchange minimum of 0.0001 BTC"),
        ("0.000009", None, "Amount 0.000009 BTC is below the exchange minimum of 0.0001 BTC"),
        ("0.00009999", "50000", "Amount 0.00009999 BTC is below the exchange minimum of 0.0001"),
        ("0.0001", "40000", "Order value 4 USDT is below the exchange minimum of 5 USDT"),
    ],
    ids=["below-min", "truncates-to-zero", "truncates-below-min", "below-min-notional"],
)
async def test_order_below_minimum_is_refused_before_sending(
    client: CcxtExchangeClient,
    exchange_api: FakeExchangeAPI,
    amount: str,
    price: str | None,
    message: str,
) -> None:
    with pytest.raises(UserError, match=message):
        await client.create_order(order(amount, "cid-small", price=price))
    assert exchange_api.requests == []


async def test_market_order_below_min_notional_checks_price_but_sends_no_order(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    """Market orders are valued at the current ask before sending."""
    with pytest.raises(UserError, match="Order value 0.6 USDT is below the exchange minimum"):
        await client.create_order(order("3", "cid-doge", symbol="DOGE/USDT"))
    assert exchange_api.count("POST", "/api/v3/order") == 0


async def test_withdrawals_enabled(
    client: CcxtExchangeClient, exchange_api: FakeExchangeAPI
) -> None:
    exchange_api.withdrawals_enabled = False
    assert await client.withdrawals_enabled() is False
    exchange_api.withdrawals_enabled = True
    assert await client.withdrawals_enabled() is True
    assert exchange_api.count("GET", "/sapi/v1/account/apiRestrictions") == 2


async def test_sandbox_then_override_still_reaches_the_fake(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    client = make_client(sandbox=True)
    assert (await client.ticker("BTC/USDT")).last == Decimal("50000")
    assert exchange_api.count("GET", "/api/v3/ticker/24hr") == 1


async def test_positions_are_empty_on_spot(client: CcxtExchangeClient) -> None:
    assert await client.positions() == []


async def test_clients_share_one_tls_context(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    """Every live client of the process uses the same TLS context: ccxt would build (and read
    the CA bundle into) one per exchange object, about 22 ms of CPU per cold follower."""
    first, second = make_client(), make_client()
    assert first._ex.ssl_context is not None
    assert first._ex.ssl_context is second._ex.ssl_context
    assert first._ex.ssl_context.verify_mode is ssl.CERT_REQUIRED  # still verifies
    await first.ticker("BTC/USDT")  # and a request goes through it


async def test_market_orders_of_many_clients_share_one_reference_price(
    make_client: ClientFactory, exchange_api: FakeExchangeAPI
) -> None:
    """The minimum-notional check of a market order reads the ticker once per venue, symbol
    and side for two seconds, whichever client asks: a signal's live followers on one
    exchange do not each fetch it just before their order."""
    clients = [make_client() for _ in range(3)]
    before = len([r for r in exchange_api.requests if "ticker" in r.path])
    for i, client in enumerate(clients):
        placed = await client.create_order(order("0.001", f"ref-{i}"))
        assert placed.status is OrderStatus.FILLED
    tickers = len([r for r in exchange_api.requests if "ticker" in r.path]) - before
    assert tickers == 1
