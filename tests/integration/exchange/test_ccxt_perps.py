"""Live perpetual futures: real ccxt ``binance`` (defaultType swap) against the fake's /fapi.

Leverage and isolated margin before the first order, reduce-only take-profit (limit) and stop
(stop-market) legs, one order per leg after a timeout-after-accept, a leverage change refused
while a position is open, positions with liquidation price and margin, and the factory's
derivatives client of a live account.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.config import load_settings
from core.db.models import ExchangeAccount, User
from core.db.session import Database
from core.domain import OrderSide, OrderStatus, OrderType, Side
from core.errors import OrderRejected, TemporaryExchangeError, UserError
from core.security import KeyStore
from services.exchange.base import OrderRequest, Position
from services.exchange.ccxt_client import CcxtExchangeClient
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI, RecordedRequest, load_saved_markets
from tests.fakes.exchange_fapi import build_saved_fapi_markets, load_saved_fapi_markets
from tests.integration.exchange.conftest import SECRET, ClientFactory

BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


@pytest.fixture
def fapi(exchange_api: FakeExchangeAPI) -> FakeExchangeAPI:
    """The fake with a funded USDⓈ-M wallet and mark prices."""
    exchange_api.futures.wallet = Decimal(10_000)
    exchange_api.futures.set_price(BTC, "50000")
    exchange_api.futures.set_price(ETH, "3000")
    return exchange_api


@pytest.fixture
def perp(make_client: ClientFactory, fapi: FakeExchangeAPI) -> CcxtExchangeClient:
    return make_client(default_type="swap", markets=load_saved_fapi_markets())


def order(
    side: OrderSide,
    type_: OrderType,
    amount: str,
    cid: str,
    price: str | None = None,
    *,
    reduce_only: bool = False,
    symbol: str = BTC,
) -> OrderRequest:
    return OrderRequest(
        symbol,
        side,
        type_,
        Decimal(amount),
        cid,
        None if price is None else Decimal(price),
        reduce_only=reduce_only,
    )


def sent(fake: FakeExchangeAPI, method: str, path: str) -> dict[str, str]:
    """What ccxt sent in its last ``method path`` request, without the signing fields."""
    request: RecordedRequest = fake.last(method, path)
    return {k: v for k, v in request.params.items() if k not in {"signature", "timestamp"}}


def paths(fake: FakeExchangeAPI) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests]


async def test_leverage_and_isolated_margin_are_set_before_the_first_order(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    assert await perp.set_leverage(BTC, 10) == 10
    placed = await perp.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.01", "tsb-p1-e0g0"))

    assert (fapi.futures.margin_type(BTC), fapi.futures.leverage(BTC)) == ("ISOLATED", 10)
    calls = paths(fapi)
    assert calls.index("POST /fapi/v1/marginType") < calls.index("POST /fapi/v1/leverage")
    assert calls.index("POST /fapi/v1/leverage") < calls.index("POST /fapi/v1/order")
    assert sent(fapi, "POST", "/fapi/v1/marginType") == {
        "symbol": "BTCUSDT",
        "marginType": "ISOLATED",
        "recvWindow": "10000",
    }
    assert sent(fapi, "POST", "/fapi/v1/leverage")["leverage"] == "10"
    assert placed.status is OrderStatus.FILLED
    assert placed.symbol == BTC
    assert "reduceOnly" not in sent(fapi, "POST", "/fapi/v1/order")

    # Asking again is harmless: "No need to change margin type." (-4046) is success.
    assert await perp.set_leverage(BTC, 12) == 12
    assert fapi.count("POST", "/fapi/v1/marginType") == 2
    assert fapi.futures.leverage(BTC) == 12


async def test_reduce_only_take_profit_limit_and_stop_market_legs(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    await perp.set_leverage(BTC, 10)
    await perp.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.01", "tsb-p1-e0g0"))

    tp = await perp.create_order(
        order(OrderSide.SELL, OrderType.LIMIT, "0.01", "tsb-p1-t0g0", "55000", reduce_only=True)
    )
    sl = await perp.create_order(
        order(OrderSide.SELL, OrderType.STOP, "0.01", "tsb-p1-s0g0", "48000", reduce_only=True)
    )

    tp_sent = sent(fapi, "POST", "/fapi/v1/order")
    assert tp_sent["newClientOrderId"] == "tsb-p1-t0g0"
    assert (tp_sent["type"], tp_sent["reduceOnly"], tp_sent["price"]) == ("LIMIT", "true", "55000")
    sl_sent = sent(fapi, "POST", "/fapi/v1/algoOrder")
    assert sl_sent["clientAlgoId"] == "tsb-p1-s0g0"
    assert (sl_sent["type"], sl_sent["reduceOnly"]) == ("STOP_MARKET", "true")
    assert (sl_sent["triggerPrice"], sl_sent["algoType"]) == ("48000", "CONDITIONAL")
    assert "price" not in sl_sent
    [fake_tp] = fapi.futures.orders_by_client_id("tsb-p1-t0g0")
    [fake_sl] = fapi.futures.orders_by_client_id("tsb-p1-s0g0")
    assert (fake_tp.type, fake_tp.reduce_only) == ("LIMIT", True)
    assert (fake_sl.type, fake_sl.reduce_only, fake_sl.trigger_price) == (
        "STOP_MARKET",
        True,
        Decimal(48000),
    )

    assert (tp.type, tp.status, tp.price) == (OrderType.LIMIT, OrderStatus.OPEN, Decimal(55000))
    assert (sl.type, sl.status, sl.price) == (OrderType.STOP, OrderStatus.OPEN, Decimal(48000))
    listed = {o.client_order_id: o.type for o in await perp.open_orders(BTC)}
    assert listed == {"tsb-p1-t0g0": OrderType.LIMIT, "tsb-p1-s0g0": OrderType.STOP}

    # The stop fires: it reports the fill of the market order it became, under its own ids.
    fapi.futures.set_price(BTC, "47900")
    fired = await perp.fetch_order_by_client_id(BTC, "tsb-p1-s0g0")
    assert fired is not None
    assert (fired.exchange_order_id, fired.type) == (sl.exchange_order_id, OrderType.STOP)
    assert (fired.status, fired.filled, fired.average) == (
        OrderStatus.FILLED,
        Decimal("0.01"),
        Decimal(47900),
    )
    assert await perp.positions() == []

    # The take-profit is cancelled by its exchange id like any order.
    assert tp.exchange_order_id is not None
    cancelled = await perp.cancel_order(BTC, tp.exchange_order_id)
    assert cancelled.status is OrderStatus.CANCELLED


async def test_stop_leg_is_cancelled_and_read_by_exchange_id(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    await perp.create_order(order(OrderSide.SELL, OrderType.MARKET, "0.01", "tsb-p2-e0g0"))
    sl = await perp.create_order(
        order(OrderSide.BUY, OrderType.STOP, "0.01", "tsb-p2-s0g0", "52000", reduce_only=True)
    )
    assert sl.exchange_order_id is not None
    assert (await perp.fetch_order(BTC, sl.exchange_order_id)).status is OrderStatus.OPEN
    cancelled = await perp.cancel_order(BTC, sl.exchange_order_id)
    assert (cancelled.status, cancelled.client_order_id) == (OrderStatus.CANCELLED, "tsb-p2-s0g0")
    assert fapi.futures.orders_by_client_id("tsb-p2-s0g0")[0].status == "CANCELED"


@pytest.mark.parametrize(
    ("leg", "path"),
    [
        (order(OrderSide.BUY, OrderType.MARKET, "0.01", "tsb-p3-e0g0"), "/fapi/v1/order"),
        (
            order(OrderSide.BUY, OrderType.LIMIT, "0.01", "tsb-p3-e1g0", "49000"),
            "/fapi/v1/order",
        ),
        (
            order(
                OrderSide.SELL, OrderType.STOP, "0.01", "tsb-p3-s0g0", "48000", reduce_only=True
            ),
            "/fapi/v1/algoOrder",
        ),
    ],
    ids=["market-entry", "limit-entry", "stop-leg"],
)
async def test_timeout_after_accept_leaves_one_order_per_leg_found_by_client_id(
    make_client: ClientFactory, fapi: FakeExchangeAPI, leg: OrderRequest, path: str
) -> None:
    if leg.reduce_only:
        fapi.futures.open_position(BTC, "0.01", "50000", 10)
    client = make_client(default_type="swap", markets=load_saved_fapi_markets(), timeout_ms=300)
    fapi.timeout_after_accept()
    with pytest.raises(TemporaryExchangeError, match="outcome is unknown") as caught:
        await client.create_order(leg)
    assert leg.client_order_id in caught.value.user_message
    assert fapi.count("POST", path) == 1
    [accepted] = fapi.futures.orders_by_client_id(leg.client_order_id)

    found = await client.fetch_order_by_client_id(BTC, leg.client_order_id)
    assert found is not None
    assert found.exchange_order_id == str(accepted.order_id)
    assert (found.client_order_id, found.type) == (leg.client_order_id, leg.type)
    assert fapi.count("POST", path) == 1
    assert len(fapi.futures.orders_by_client_id(leg.client_order_id)) == 1


async def test_unknown_client_id_is_none_in_both_order_books(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    assert await perp.fetch_order_by_client_id(BTC, "tsb-p9-e0g0") is None
    assert fapi.count("GET", "/fapi/v1/order") == 1
    assert fapi.count("GET", "/fapi/v1/algoOrder") == 1


async def test_leverage_change_refused_with_an_open_position_keeps_the_current_one(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    await perp.set_leverage(BTC, 10)
    await perp.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.01", "tsb-p4-e0g0"))

    # Binance -4161: no leverage reduction on an isolated position. Not retried, not raised.
    assert await perp.set_leverage(BTC, 5) == 10
    assert fapi.count("POST", "/fapi/v1/leverage") == 2
    assert fapi.futures.leverage(BTC) == 10
    assert fapi.count("GET", "/fapi/v2/positionRisk") == 1

    # Raising it is allowed.
    assert await perp.set_leverage(BTC, 20) == 20


async def test_margin_type_locked_by_a_position_keeps_it_and_sets_leverage(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    """Binance -4048: a cross position stays cross; the leverage is still set."""
    position = fapi.futures.position(BTC)
    position.amount, position.entry = Decimal("0.01"), Decimal(50000)
    assert await perp.set_leverage(BTC, 8) == 8
    assert fapi.futures.margin_type(BTC) == "CROSSED"


async def test_positions_carry_side_leverage_liquidation_price_and_margin(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    await perp.set_leverage(BTC, 10)
    await perp.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.02", "tsb-p5-e0g0"))
    fapi.futures.open_position(ETH, "-0.5", "3000", 5)
    fapi.futures.set_price(BTC, "51000")
    fapi.futures.set_price(ETH, "2900")

    positions = {p.symbol: p for p in await perp.positions()}

    # Binance isolated one-way, tier 1 (MMR 0.4 %, no maintenance amount):
    # long  (100 - 0.02 * 50000) / (0.02 * 0.004 - 0.02) = 45180.72
    # short (300 + 0.5 * 3000) / (0.5 * 0.004 + 0.5)     = 3585.66
    assert positions == {
        BTC: Position(
            BTC,
            Decimal("0.02"),
            Decimal(50000),
            Decimal(51000),
            Decimal(20),
            side=Side.LONG,
            leverage=10,
            liquidation_price=Decimal("45180.72"),
            margin=Decimal(100),
        ),
        ETH: Position(
            ETH,
            Decimal("-0.5"),
            Decimal(3000),
            Decimal(2900),
            Decimal(50),
            side=Side.SHORT,
            leverage=5,
            liquidation_price=Decimal("3585.66"),
            margin=Decimal(300),
        ),
    }


@pytest.mark.parametrize(
    ("leg", "message"),
    [
        (
            order(OrderSide.SELL, OrderType.LIMIT, "0.01", "c1", "55000", reduce_only=True),
            "rejected the request: tried to sell 0.01 BTC at 55000 USDT (reduce only)",
        ),
        (
            order(OrderSide.BUY, OrderType.MARKET, "3", "c2"),  # 15000 USDT margin at 10x
            "Insufficient funds: tried to buy 3 BTC at market",
        ),
        (
            order(OrderSide.SELL, OrderType.STOP, "0.01", "c3", "51000"),
            "rejected the request: tried to sell 0.01 BTC at market once the price reaches 51000",
        ),
    ],
    ids=["reduce-only-without-position", "margin-insufficient", "stop-would-trigger"],
)
async def test_exchange_refusals_say_what_was_tried(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI, leg: OrderRequest, message: str
) -> None:
    await perp.set_leverage(BTC, 10)
    with pytest.raises(OrderRejected, match=re.escape(message)):
        await perp.create_order(leg)
    assert fapi.futures.orders == []


async def test_reduce_only_leg_below_the_minimum_notional_is_sent(
    perp: CcxtExchangeClient, fapi: FakeExchangeAPI
) -> None:
    """Binance exempts reduce-only orders from MIN_NOTIONAL (100 USDT on BTCUSDT)."""
    fapi.futures.open_position(BTC, "0.01", "50000", 10)
    with pytest.raises(UserError, match="below the exchange minimum of 100"):
        await perp.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.001", "c4"))
    placed = await perp.create_order(
        order(OrderSide.SELL, OrderType.MARKET, "0.001", "c5", reduce_only=True)
    )
    assert placed.status is OrderStatus.FILLED
    assert fapi.futures.position(BTC).amount == Decimal("0.009")


async def test_spot_clients_refuse_leverage_reduce_only_and_spot_symbols_on_perps(
    client: CcxtExchangeClient, perp: CcxtExchangeClient
) -> None:
    with pytest.raises(UserError, match="spot has no leverage"):
        await client.set_leverage("BTC/USDT", 5)
    with pytest.raises(UserError, match="perpetual futures only"):
        await client.create_order(
            OrderRequest(
                "BTC/USDT", OrderSide.SELL, OrderType.MARKET, Decimal("0.001"), "c6", None, True
            )
        )
    with pytest.raises(UserError, match="between 1x and 125x"):
        await perp.set_leverage(BTC, 0)
    with pytest.raises(UserError, match="does not list BTC/USDT"):
        await perp.set_leverage("BTC/USDT", 5)


# -- the factory ---------------------------------------------------------------------------


@pytest.fixture
async def factory(
    db: Database, fapi: FakeExchangeAPI
) -> AsyncIterator[tuple[ExchangeFactory, KeyStore]]:
    settings = load_settings(None, exchange={"price_feed": "static"})
    keystore = KeyStore([Fernet.generate_key()])
    made = ExchangeFactory(
        db,
        keystore,
        settings.exchange,
        PaperEngine(db, StaticFeed({"BTC/USDT": "50000"}), settings.exchange),
        urls_override=fapi.url,
        saved_markets={"binance": load_saved_markets(), "binance.swap": load_saved_fapi_markets()},
        rate_limit=False,
        client_options={"retry_backoff_s": 0, "timeout_ms": 2000},
    )
    yield made, keystore
    await made.aclose()


async def live_account(db: Database, keystore: KeyStore, api_key: str) -> int:
    async with db.transaction() as session:
        user = User(telegram_id=4242)
        session.add(user)
        await session.flush()
        account = ExchangeAccount(
            user_id=user.id,
            exchange_id="binance",
            label="main",
            api_key_enc=keystore.encrypt(api_key),
            secret_enc=keystore.encrypt(SECRET),
        )
        session.add(account)
        await session.flush()
        return account.id


async def test_factory_builds_a_derivatives_client_from_the_same_keys(
    db: Database, factory: tuple[ExchangeFactory, KeyStore], fapi: FakeExchangeAPI
) -> None:
    made, keystore = factory
    account_id = await live_account(db, keystore, fapi.api_key)

    spot = await made.client_for_account(account_id)
    perps = await made.client_for_account(account_id, perp=True)
    assert perps is not spot
    assert await made.client_for_account(account_id, perp=True) is perps

    assert await perps.set_leverage(BTC, 7) == 7
    assert fapi.last("POST", "/fapi/v1/leverage").api_key == fapi.api_key
    with pytest.raises(UserError, match="spot has no leverage"):
        await spot.set_leverage(BTC, 7)
    placed = await perps.create_order(order(OrderSide.BUY, OrderType.MARKET, "0.01", "f1"))
    assert placed.status is OrderStatus.FILLED
    assert fapi.count("GET", "/fapi/v1/exchangeInfo") == 0  # saved swap markets

    closed: list[Any] = []
    original = perps.close

    async def record_close() -> None:
        closed.append(perps)
        await original()

    perps.close = record_close  # type: ignore[method-assign]  # observe aclose closing it
    await made.aclose()
    assert closed == [perps]


# -- the fake itself ---------------------------------------------------------------------


def test_saved_fapi_markets_match_ccxt_parse_of_exchange_info() -> None:
    """Regenerate with ``python -m tests.fakes.exchange_api`` when this fails."""
    assert build_saved_fapi_markets() == load_saved_fapi_markets()


async def test_fapi_private_endpoints_need_key_and_signature(fapi: FakeExchangeAPI) -> None:
    url = f"{fapi.url}/fapi/v1/leverage"
    params = {"symbol": "BTCUSDT", "leverage": "5", "timestamp": "1"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, params=params) as resp:
            assert (resp.status, (await resp.json())["code"]) == (401, -2014)
        headers = {"X-MBX-APIKEY": fapi.api_key}
        async with session.post(url, params=params, headers=headers) as resp:
            assert (resp.status, (await resp.json())["code"]) == (400, -1102)
    assert fapi.futures.leverage(BTC) == 20  # Binance's default, unchanged


async def test_idle_clients_are_closed_and_forgotten(db: Database, fapi: FakeExchangeAPI) -> None:
    """A live client holds its account's decrypted keys: one idle for 15 minutes is closed and
    forgotten (T10), the next use builds a new one; one in use is kept."""
    settings = load_settings(None, exchange={"price_feed": "static"})
    keystore = KeyStore([Fernet.generate_key()])
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    made = ExchangeFactory(
        db,
        keystore,
        settings.exchange,
        PaperEngine(db, StaticFeed({"BTC/USDT": "50000"}), settings.exchange),
        urls_override=fapi.url,
        saved_markets={"binance": load_saved_markets()},
        rate_limit=False,
        clock=clock,
    )
    try:
        account_id = await live_account(db, keystore, fapi.api_key)
        first = await made.client_for_account(account_id)
        clock.advance(timedelta(minutes=10))
        assert await made.client_for_account(account_id) is first  # in use: kept
        async with db.transaction() as session:
            other = ExchangeAccount(
                user_id=(await session.scalar(select(User.id))),
                exchange_id="binance",
                label="second",
                api_key_enc=keystore.encrypt("k2"),
                secret_enc=keystore.encrypt("s2"),
            )
            session.add(other)
            await session.flush()
            other_id = other.id
        clock.advance(timedelta(minutes=16))
        await made.client_for_account(other_id)  # building another sweeps the idle ones
        again = await made.client_for_account(account_id)
        assert again is not first
    finally:
        await made.aclose()
