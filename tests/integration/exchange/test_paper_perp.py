"""The paper perp exchange on SQLite and PostgreSQL: margin, fees, P/L, reduce-only legs,
liquidation at Binance's price, leverage rules and exactly-once orders. Prices move by hand
(StaticFeed); fee 0.1 %, no slippage, so every figure can be worked out in a comment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.config import load_settings
from core.db.models import Order, PerpPosition
from core.db.session import Database
from core.domain import MarketType, OrderSide, OrderStatus, OrderType, Side
from core.errors import OrderRejected, UserError
from core.security import KeyStore
from services.dto import UserView
from services.exchange.base import Balance, OrderRequest, Position
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import StaticFeed
from services.exchange.paper import PaperEngine
from services.exchange.paper_perp import PaperPerpExchange
from services.trading.accounts import TradingAccounts
from services.users import UserService

D = Decimal
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


@dataclass
class Perps:
    db: Database
    feed: StaticFeed
    paper: PaperEngine
    accounts: TradingAccounts
    factory: ExchangeFactory
    client: PaperPerpExchange
    account_id: int
    user: UserView

    async def wallet(self) -> Balance:
        (usdt,) = [b for b in await self.client.balances() if b.asset == "USDT"]
        return usdt

    async def position(self, symbol: str = BTC) -> Position | None:
        found = [p for p in await self.client.positions() if p.symbol == symbol]
        return found[0] if found else None

    async def order(self, client_order_id: str) -> Order:
        async with self.db.session() as session:
            row = await session.scalar(
                select(Order).where(Order.client_order_id == client_order_id)
            )
        assert row is not None
        return row

    async def send(
        self,
        cid: str,
        side: OrderSide,
        amount: str,
        *,
        symbol: str = BTC,
        type: OrderType = OrderType.MARKET,
        price: str | None = None,
        reduce_only: bool = False,
    ) -> OrderStatus:
        request = OrderRequest(
            symbol=symbol,
            side=side,
            type=type,
            amount=D(amount),
            client_order_id=cid,
            price=None if price is None else D(price),
            reduce_only=reduce_only,
        )
        return (await self.client.create_order(request)).status


@pytest.fixture
async def perps(db: Database) -> AsyncIterator[Perps]:
    settings = load_settings(
        None, exchange={"price_feed": "static", "paper_slippage": "0", "paper_fee_rate": "0.001"}
    ).exchange
    feed = StaticFeed(
        {BTC: "60000", "ETH/USDT": "3000", "BTC/USDT": "60000", "DOGE/USDT:USDT": "0.2"}
    )
    paper = PaperEngine(db, feed, settings)
    factory = ExchangeFactory(db, KeyStore([Fernet.generate_key()]), settings, paper)
    accounts = TradingAccounts(db, factory, paper)
    user, _ = await UserService(db).ensure(4242, "perper", None)
    account = await accounts.ensure_paper_perp(user.id)
    client = await factory.client_for_account(account.id)
    assert isinstance(client, PaperPerpExchange)
    yield Perps(db, feed, paper, accounts, factory, client, account.id, user)
    await factory.aclose()


async def test_perp_account_is_created_and_credited_once(perps: Perps) -> None:
    again = await asyncio.gather(
        *(perps.accounts.ensure_paper_perp(perps.user.id) for _ in range(3))
    )
    assert {a.id for a in again} == {perps.account_id}
    view = again[0]
    assert (view.label, view.exchange_id, view.is_paper, view.market_type) == (
        "paper-perp",
        "paper",
        True,
        MarketType.PERP,
    )
    assert await perps.wallet() == Balance("USDT", D(10000), D(0))
    spot = await perps.accounts.ensure_paper(perps.user.id)
    assert spot.id != perps.account_id and spot.market_type is MarketType.SPOT


async def test_markets_answer_for_the_swap_symbol(perps: Perps) -> None:
    market = await perps.client.market("BTC/USDT")
    assert (market.symbol, market.base, market.quote, market.spot) == (BTC, "BTC", "USDT", False)
    # ETH has only a spot price: the mark falls back to it
    assert (await perps.client.ticker(ETH)).last == D(3000)
    assert await perps.paper.perp.symbols() == [BTC, "DOGE/USDT:USDT", ETH]
    assert await perps.paper.symbols() == ["BTC/USDT", "ETH/USDT"]  # spot lists no swap
    with pytest.raises(UserError):
        await perps.client.market("XRP/USDT")


async def test_long_market_then_reduce_only_partial_close(perps: Perps) -> None:
    assert await perps.client.set_leverage(BTC, 10) == 10
    # 0.1 BTC at 60,000 = 6,000 notional: margin 600, fee 6
    assert await perps.send("open-1", OrderSide.BUY, "0.1") is OrderStatus.FILLED
    assert await perps.wallet() == Balance("USDT", D("9394"), D("600"))
    position = await perps.position()
    assert position is not None
    assert (position.side, position.amount, position.entry_price, position.leverage) == (
        Side.LONG,
        D("0.1"),
        D(60000),
        10,
    )
    assert position.margin == D(600)
    # (600 - 6,000) / (0.1 * 0.004 - 0.1) = 54,216.8674... on a 0.01 grid
    assert position.liquidation_price == D("54216.87")

    perps.feed.set_price(BTC, "63000")
    position = await perps.position()
    assert position is not None and position.unrealized_pnl == D(300)
    # close half: P/L 0.05 * 3,000 = 150, fee 0.05 * 63,000 * 0.1 % = 3.15, margin 300 back
    assert await perps.send("tp-1", OrderSide.SELL, "0.05", reduce_only=True) is OrderStatus.FILLED
    assert await perps.wallet() == Balance("USDT", D("9840.85"), D("300"))
    row = await perps.order("tp-1")
    assert (row.fee, row.average, row.reduce_only, row.leverage) == (D("3.15"), D(63000), True, 10)


async def test_reduce_only_refused_without_a_position_and_capped_to_it(perps: Perps) -> None:
    with pytest.raises(OrderRejected, match="no long BTC/USDT:USDT position to reduce"):
        await perps.send("ro-1", OrderSide.SELL, "0.1", reduce_only=True)
    assert (await perps.order("ro-1")).status is OrderStatus.REJECTED
    await perps.send("open-1", OrderSide.BUY, "0.1")
    with pytest.raises(OrderRejected, match="no short"):  # a buy would grow the long
        await perps.send("ro-2", OrderSide.BUY, "0.1", reduce_only=True)
    # capped to the 0.1 held: closes it, never opens a short
    assert await perps.send("ro-3", OrderSide.SELL, "5", reduce_only=True) is OrderStatus.FILLED
    assert (await perps.order("ro-3")).amount == D("0.1")
    assert await perps.position() is None
    # flat again: margin back, two fees of 6 paid
    assert await perps.wallet() == Balance("USDT", D("9988"), D(0))


async def test_short_limit_with_tp_and_stop_legs(perps: Perps) -> None:
    assert await perps.client.set_leverage(ETH, 5) == 5
    # rests: reserves 1 * 3,100 / 5 + 3.1 fee = 623.1
    status = await perps.send(
        "e-1", OrderSide.SELL, "1", symbol=ETH, type=OrderType.LIMIT, price="3100"
    )
    assert status is OrderStatus.OPEN
    assert await perps.wallet() == Balance("USDT", D("9376.9"), D("623.1"))
    assert await perps.paper.check_resting() == []
    perps.feed.set_price("ETH/USDT", "3100")
    entry = await perps.order("e-1")
    assert await perps.paper.check_resting() == [entry.id]
    assert await perps.wallet() == Balance("USDT", D("9376.9"), D("620"))  # margin 620 kept
    position = await perps.position(ETH)
    assert position is not None and (position.side, position.amount) == (Side.SHORT, D(-1))

    legs = [
        ("tp-1", OrderType.LIMIT, "2900"),
        ("sl-1", OrderType.STOP, "3300"),
    ]
    for cid, type_, price in legs:
        status = await perps.send(
            cid, OrderSide.BUY, "1", symbol=ETH, type=type_, price=price, reduce_only=True
        )
        assert status is OrderStatus.OPEN
    assert (await perps.wallet()).used == D(620)  # reduce-only legs hold nothing
    assert {o.client_order_id for o in await perps.client.open_orders("ETH/USDT")} == {
        "tp-1",
        "sl-1",
    }

    perps.feed.set_price("ETH/USDT", "2900")
    assert await perps.paper.check_resting() == [(await perps.order("tp-1")).id]
    # P/L 1 * (3,100 - 2,900) = 200, fee 2.9, margin 620 back
    assert await perps.wallet() == Balance("USDT", D("10194"), D(0))
    # the stop triggers with nothing left to reduce: cancelled, saying why
    perps.feed.set_price("ETH/USDT", "3300")
    assert await perps.paper.check_resting() == []
    stop = await perps.order("sl-1")
    assert stop.status is OrderStatus.CANCELLED
    assert stop.error is not None and "no short" in stop.error


async def test_opposite_order_closes_then_flips(perps: Perps) -> None:
    await perps.client.set_leverage(BTC, 10)
    await perps.send("open-1", OrderSide.BUY, "0.1")  # margin 600, fee 6
    await perps.send("flip-1", OrderSide.SELL, "0.3")  # close 0.1 (fee 6), short 0.2 (1,200 + 12)
    position = await perps.position()
    assert position is not None
    assert (position.side, position.amount, position.margin) == (Side.SHORT, D("-0.2"), D(1200))
    assert await perps.wallet() == Balance("USDT", D("8776"), D(1200))


async def test_liquidation_at_binance_price(perps: Perps) -> None:
    perps.feed.set_price(BTC, "10000")
    await perps.client.set_leverage(BTC, 10)
    await perps.send("open-1", OrderSide.BUY, "1")  # margin 1,000, fee 10
    await perps.send(
        "tp-1", OrderSide.SELL, "1", type=OrderType.LIMIT, price="12000", reduce_only=True
    )
    assert await perps.wallet() == Balance("USDT", D(8990), D(1000))
    # LP = (1,000 + 0 - 10,000) / (0.004 - 1) = 9,036.1445... (0.001 grid: 9,036.145)
    position = await perps.position()
    assert position is not None and position.liquidation_price == D("9036.145")
    perps.feed.set_price(BTC, "9036.2")
    assert await perps.paper.check_resting() == []
    perps.feed.set_price(BTC, "9036")
    filled = await perps.paper.check_resting()
    liquidation = await perps.order(f"liq-{perps.account_id}-{await _position_id(perps)}-1")
    assert filled == [liquidation.id]
    assert (liquidation.side, liquidation.type, liquidation.status) == (
        OrderSide.SELL,
        OrderType.MARKET,
        OrderStatus.FILLED,
    )
    assert (liquidation.reduce_only, liquidation.filled, liquidation.average) == (
        True,
        D(1),
        D("9036.145"),
    )
    assert liquidation.error == "liquidated at 9,036.145"
    assert (await perps.order("tp-1")).status is OrderStatus.CANCELLED
    assert await perps.position() is None
    assert await perps.wallet() == Balance("USDT", D(8990), D(0))  # the margin is lost

    # a second liquidation of the same row gets the next number
    await perps.send("open-2", OrderSide.BUY, "1")
    perps.feed.set_price(BTC, "8000")
    assert len(await perps.paper.check_resting()) == 1
    await perps.order(f"liq-{perps.account_id}-{await _position_id(perps)}-2")


async def _position_id(perps: Perps) -> int:
    async with perps.db.session() as session:
        row = await session.scalar(
            select(PerpPosition).where(PerpPosition.account_id == perps.account_id)
        )
    assert row is not None
    return row.id


async def test_leverage_rules(perps: Perps) -> None:
    assert await perps.client.set_leverage(BTC, 200) == 125  # BTC's first bracket
    assert await perps.client.set_leverage("DOGE/USDT", 100) == 75  # DOGE's first bracket
    with pytest.raises(UserError):
        await perps.client.set_leverage(BTC, 0)
    assert await perps.client.set_leverage(BTC, 20) == 20
    await perps.send("open-1", OrderSide.BUY, "0.1")
    # a change with the position open is refused: the current leverage stays
    assert await perps.client.set_leverage(BTC, 5) == 20
    assert (await perps.position() or pytest.fail()).leverage == 20
    await perps.send("close-1", OrderSide.SELL, "0.1", reduce_only=True)
    assert await perps.client.set_leverage(BTC, 5) == 5


async def test_bracket_and_margin_refusals_change_nothing(perps: Perps) -> None:
    await perps.client.set_leverage(BTC, 125)
    # 1 BTC at 60,000 is above the 50,000 that 125x allows
    with pytest.raises(OrderRejected, match="allows at most 100x"):
        await perps.send("big-1", OrderSide.BUY, "1")
    await perps.client.set_leverage(BTC, 2)
    with pytest.raises(OrderRejected, match="Insufficient margin"):
        await perps.send("big-2", OrderSide.BUY, "1")  # needs 30,060
    assert await perps.wallet() == Balance("USDT", D(10000), D(0))
    assert await perps.position() is None


async def test_create_order_is_idempotent_by_client_id(perps: Perps) -> None:
    await perps.client.set_leverage(BTC, 10)
    first = await perps.client.create_order(
        OrderRequest(BTC, OrderSide.BUY, OrderType.MARKET, D("0.1"), "same-1")
    )
    again = await perps.client.create_order(
        OrderRequest(BTC, OrderSide.BUY, OrderType.MARKET, D("0.1"), "same-1")
    )
    assert first == again
    assert await perps.wallet() == Balance("USDT", D("9394"), D("600"))  # charged once
    fetched = await perps.client.fetch_order_by_client_id(BTC, "same-1")
    assert fetched is not None and fetched.status is OrderStatus.FILLED


async def test_positions_of_the_user_include_the_perp_account(perps: Perps) -> None:
    await perps.client.set_leverage(BTC, 10)
    await perps.send("open-1", OrderSide.BUY, "0.1")
    found = {
        account.label: positions
        for account, positions in await perps.accounts.positions(perps.user)
    }
    (position,) = found["paper-perp"]
    assert (position.symbol, position.side, position.margin) == (BTC, Side.LONG, D(600))
