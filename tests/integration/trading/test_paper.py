"""Paper trading through the trading service, on SQLite and PostgreSQL: fills, fees, slippage,
resting orders, reservations, bad input, single-use plans, signals and reconciliation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core.db.models import ActionToken
from core.db.repositories.orders import OrderRepository
from core.domain import OrderSide, OrderStatus, OrderType, Role
from core.errors import Conflict, Forbidden, OrderRejected, UserError
from services.exchange.base import OrderRequest
from tests.integration.trading.conftest import OTHER, Trading


async def test_paper_account_is_created_and_credited_once(trading: Trading) -> None:
    user = await trading.user()
    accounts = await asyncio.gather(
        *(trading.service.ensure_paper_account(user) for _ in range(5))
    )
    assert len({a.id for a in accounts}) == 1
    assert accounts[0].is_paper and accounts[0].label == "paper"
    balance = await trading.service.balance(user)
    assert balance.assets == [("USDT", Decimal(10000), Decimal(0))]


async def test_viewer_cannot_trade(trading: Trading) -> None:
    user = await trading.user()
    viewer = await trading.users.grant_role(None, user.telegram_id, Role.VIEWER)
    with pytest.raises(Forbidden):
        await trading.service.prepare_order(
            viewer, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.01")
        )
    assert await trading.count_orders() == 0


async def test_market_buy_in_quote_units_fills_with_fee_and_slippage(trading: Trading) -> None:
    user = await trading.user()
    plan = await trading.service.prepare_order(
        user, symbol="$btc", side=OrderSide.BUY, amount=Decimal(100), amount_in_quote=True
    )
    assert plan.symbol == "BTC/USDT"
    assert plan.amount == Decimal("0.0015625")  # 100 / 64000, already on the 1e-8 grid
    order = await trading.service.execute_now(user, plan)
    fill = Decimal("64032")  # 64000 + 0.05 % slippage
    cost = Decimal("0.0015625") * fill
    fee = cost * Decimal("0.001")
    assert order.status is OrderStatus.FILLED
    assert (order.average, order.fee, order.fee_asset) == (fill, fee, "USDT")
    assert order.priced_by == "static"
    assert order.client_order_id == f"tsb-{user.id}-{plan.token}"
    balance = dict((a, f) for a, f, _ in (await trading.service.balance(user)).assets)
    assert balance == {"USDT": Decimal(10000) - cost - fee, "BTC": Decimal("0.0015625")}
    assert (
        trading.metrics.registry.get_sample_value(
            "tsbot_orders_total", {"exchange": "paper", "status": "filled"}
        )
        == 1
    )


async def test_market_sell_gets_price_minus_slippage_minus_fee(trading: Trading) -> None:
    user = await trading.user()
    buy = await trading.service.prepare_order(
        user, symbol="BTCUSDT", side=OrderSide.BUY, amount=Decimal("0.01")
    )
    await trading.service.execute_now(user, buy)
    usdt_after_buy = (await trading.service.balance(user)).assets[0][1]
    trading.feed.set_price("BTC/USDT", "70000")
    sell = await trading.service.prepare_order(
        user, symbol="BTC/USDT", side=OrderSide.SELL, amount=Decimal("0.01")
    )
    order = await trading.service.execute_now(user, sell)
    fill = Decimal("69965")  # 70000 - 0.05 %
    proceeds = Decimal("0.01") * fill * (1 - Decimal("0.001"))
    assert order.average == fill
    balance = await trading.service.balance(user)
    assert balance.assets == [("USDT", usdt_after_buy + proceeds, Decimal(0))]
    assert await trading.service.positions(user) == [(balance.account, [])]


async def test_limit_buy_rests_holds_funds_and_fills_when_price_crosses(trading: Trading) -> None:
    user = await trading.user()
    plan = await trading.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.1"), price=Decimal(60000)
    )
    order = await trading.service.execute_now(user, plan)
    assert order.status is OrderStatus.OPEN
    held = Decimal("0.1") * 60000 * Decimal("1.001")
    assert (await trading.service.balance(user)).assets == [("USDT", Decimal(10000) - held, held)]
    assert await trading.service.run_paper_pass() == []  # 64000: not crossed

    trading.feed.set_price("BTC/USDT", "59990")
    assert await trading.service.run_paper_pass() == [order.id]
    [filled] = await trading.service.history(user)
    assert filled.status is OrderStatus.FILLED and filled.average == Decimal(60000)
    assert filled.fee == Decimal("6")
    assert (await trading.service.balance(user)).assets == [
        ("USDT", Decimal(10000) - held, Decimal(0)),
        ("BTC", Decimal("0.1"), Decimal(0)),
    ]
    [notice] = await trading.outbox()
    assert notice.dedupe_key == f"order:{order.id}:filled"
    assert "Bought 0.1 BTC on paper: filled at 60,000 USDT" in notice.text
    assert await trading.service.notify_changes() == 0  # told once
    [(_, [position])] = await trading.service.positions(user)
    assert (position.symbol, position.amount, position.mark_price) == (
        "BTC/USDT",
        Decimal("0.1"),
        Decimal("59990"),
    )


async def test_stop_sell_triggers_below_and_cancel_releases_holds(trading: Trading) -> None:
    user = await trading.user()
    await trading.service.execute_now(
        user,
        await trading.service.prepare_order(
            user, symbol="eth", side=OrderSide.BUY, amount=Decimal(1)
        ),
    )
    stop = await trading.service.execute_now(
        user,
        await trading.service.prepare_order(
            user,
            symbol="eth",
            side=OrderSide.SELL,
            amount=Decimal("0.5"),
            price=Decimal(2800),
            order_type=OrderType.STOP,
        ),
    )
    limit = await trading.service.execute_now(
        user,
        await trading.service.prepare_order(
            user, symbol="eth", side=OrderSide.SELL, amount=Decimal("0.5"), price=Decimal(4000)
        ),
    )
    assert (stop.status, limit.status) == (OrderStatus.OPEN, OrderStatus.OPEN)
    eth = {a: (f, u) for a, f, u in (await trading.service.balance(user)).assets}["ETH"]
    assert eth == (Decimal(0), Decimal(1))

    trading.feed.set_price("ETH/USDT", "2790")
    assert await trading.service.run_paper_pass() == [stop.id]
    [after_stop] = [o for o in await trading.service.history(user) if o.id == stop.id]
    assert after_stop.average == Decimal("2788.605")  # 2790 - 0.05 %: stops fill as market

    cancelled = await trading.service.cancel_order(user, limit.id)
    assert cancelled.status is OrderStatus.CANCELLED
    eth = {a: (f, u) for a, f, u in (await trading.service.balance(user)).assets}["ETH"]
    assert eth == (Decimal("0.5"), Decimal(0))
    with pytest.raises(Conflict, match="already cancelled"):
        await trading.service.cancel_order(user, limit.id)
    assert await trading.service.open_orders(user) == []


async def test_someone_elses_order_cannot_be_cancelled(trading: Trading) -> None:
    user, other = await trading.user(), await trading.user(OTHER)
    order = await trading.service.execute_now(
        user,
        await trading.service.prepare_order(
            user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.01"), price=Decimal(50000)
        ),
    )
    with pytest.raises(UserError, match="no order"):
        await trading.service.cancel_order(other, order.id)
    assert (await trading.service.open_orders(user))[0].status is OrderStatus.OPEN


async def test_insufficient_funds_is_a_rejected_row_and_changes_no_balance(
    trading: Trading,
) -> None:
    user = await trading.user()
    plan = await trading.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal(1)
    )
    with pytest.raises(OrderRejected, match="Insufficient funds"):
        await trading.service.execute_now(user, plan)
    [order] = await trading.service.history(user)
    assert order.status is OrderStatus.REJECTED and "Insufficient funds" in (order.error or "")
    assert (await trading.service.balance(user)).assets == [("USDT", Decimal(10000), Decimal(0))]
    assert await trading.service.notify_changes() == 0  # the reply already said it


BAD_ORDERS = [
    ({"symbol": "xyz", "amount": Decimal(1)}, "don't know the pair"),
    ({"symbol": "btc/eur", "amount": Decimal(1)}, "don't know the pair"),
    ({"symbol": "btc", "amount": Decimal(0)}, "above zero"),
    ({"symbol": "btc", "amount": Decimal(-1)}, "above zero"),
    ({"symbol": "btc", "amount": Decimal("1e15")}, "too large"),
    ({"symbol": "btc", "amount": Decimal("0.000000001")}, "below the minimum"),
    ({"symbol": "doge", "amount": Decimal(1)}, "below the minimum of 1 USDT"),
    ({"symbol": "btc", "amount": Decimal("0.01"), "price": Decimal(700000)}, "10× away"),
    ({"symbol": "btc", "amount": Decimal("0.01"), "price": Decimal(6000)}, "10× away"),
    ({"symbol": "btc", "amount": Decimal("0.01"), "price": Decimal(-5)}, "above zero"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    BAD_ORDERS,
    ids=[
        "unknown",
        "unknown-quote",
        "zero",
        "negative",
        "absurd",
        "dust",
        "min-notional",
        "price-high",
        "price-low",
        "price-neg",
    ],
)
async def test_bad_orders_get_one_sentence_and_leave_nothing(
    trading: Trading, kwargs: dict[str, object], message: str
) -> None:
    user = await trading.user()
    with pytest.raises(UserError, match=message):
        await trading.service.prepare_order(user, side=OrderSide.BUY, **kwargs)  # type: ignore[arg-type]
    assert await trading.count_orders() == 0
    async with trading.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ActionToken)) == 0


async def test_plan_is_single_use_even_when_confirmed_concurrently(trading: Trading) -> None:
    user = await trading.user()
    plan = await trading.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.01")
    )
    results = await asyncio.gather(
        *(trading.service.confirm(user, plan.token) for _ in range(4)), return_exceptions=True
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(placed) == 1 and len(refused) == 3
    assert await trading.count_orders() == 1
    with pytest.raises(Conflict, match=f"already placed as order #{placed[0].id}"):
        await trading.service.confirm(user, plan.token)


async def test_forged_foreign_stale_and_cancelled_plans_do_nothing(trading: Trading) -> None:
    user, other = await trading.user(), await trading.user(OTHER)
    with pytest.raises(UserError, match="no longer valid"):
        await trading.service.confirm(user, "forged-token-123")
    plan = await trading.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.01")
    )
    with pytest.raises(Forbidden, match="not yours"):
        await trading.service.confirm(other, plan.token)
    with pytest.raises(Forbidden):
        await trading.service.cancel_plan(other, plan.token)
    async with trading.db.transaction() as session:
        await session.execute(
            update(ActionToken)
            .where(ActionToken.id == plan.token)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(UserError, match="expired"):
        await trading.service.confirm(user, plan.token)
    second = await trading.service.prepare_order(
        user, symbol="btc", side=OrderSide.BUY, amount=Decimal("0.01")
    )
    await trading.service.cancel_plan(user, second.token)
    with pytest.raises(UserError, match="cancelled"):
        await trading.service.confirm(user, second.token)
    assert await trading.count_orders() == 0


async def test_paper_create_order_is_idempotent_by_client_order_id(trading: Trading) -> None:
    user = await trading.user()
    account = await trading.service.ensure_paper_account(user)
    client = trading.paper.client(account.id)
    request = OrderRequest("BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.01"), "cid-1")
    first = await client.create_order(request)
    second = await client.create_order(request)
    assert first == second
    assert await trading.count_orders() == 1
    usdt = {b.asset: b for b in await client.balances()}["USDT"]
    assert usdt.free == Decimal(10000) - Decimal("0.01") * Decimal("64032") * Decimal("1.001")
    assert await client.fetch_order_by_client_id("BTC/USDT", "cid-1") == first
    assert await client.fetch_order_by_client_id("BTC/USDT", "cid-none") is None


async def test_reconciler_settles_a_paper_order_left_pending_by_a_crash(trading: Trading) -> None:
    """A pending paper row (the process died after storing it, before the engine ran it) was
    never executed: the reconciler marks it not found and tells the owner; no money moves."""
    user = await trading.user()
    account = await trading.service.ensure_paper_account(user)
    async with trading.db.transaction() as session:
        await OrderRepository(session).insert_pending(
            {
                "user_id": user.id,
                "account_id": account.id,
                "client_order_id": f"tsb-{user.id}-crashed",
                "symbol": "BTC/USDT",
                "side": OrderSide.BUY,
                "type": OrderType.MARKET,
                "amount": Decimal("0.01"),
            }
        )
    assert await trading.service.reconcile() == 1
    [row] = await trading.orders()
    assert row.status is OrderStatus.NOT_FOUND and "nothing was traded" in (row.error or "")
    assert await trading.service.notify_changes() == 1
    assert (await trading.service.balance(user)).assets == [("USDT", Decimal(10000), Decimal(0))]
    assert await trading.service.reconcile() == 0
