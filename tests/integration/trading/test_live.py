"""Live accounts: real ccxt ``binance`` (keys decrypted from the store) against FakeExchangeAPI.

Orders are placed once: a lost answer leaves the row ``unknown`` and the reconciler finds the
order by its client order id, never sending it again, also while the exchange lags.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from core.cache import KeyValue
from core.db.models import User
from core.db.session import Database
from core.domain import OrderSide, OrderStatus
from core.errors import OrderRejected, UserError
from core.security import hash_secret
from services.dto import UserView
from services.trading import PinRequired
from services.trading_dto import OrderPlan
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.trading.conftest import FAKE_SECRET, Trading, build_trading

ORDER = "/api/v3/order"


async def _live_buy(
    live: Trading, amount: str = "0.001", price: str | None = None
) -> tuple[UserView, OrderPlan]:
    assert live.fake is not None
    user = await live.user()
    await live.add_live_account(user, api_key=live.fake.api_key)
    plan = await live.service.prepare_order(
        user,
        symbol="btc",
        side=OrderSide.BUY,
        amount=Decimal(amount),
        price=None if price is None else Decimal(price),
        account_label="main",
    )
    return user, plan


async def test_buy_sell_and_balance_on_the_exchange(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live)
    assert (plan.amount, plan.est_cost, plan.quote) == (Decimal("0.001"), Decimal(50), "USDT")
    assert not plan.account.is_paper
    with pytest.raises(UserError, match="confirmation"):
        await live.service.execute_now(user, plan)
    order = await live.service.confirm(user, plan.token)
    assert order.status is OrderStatus.FILLED and order.average == Decimal(50000)
    [fake_order] = exchange_api.orders
    assert fake_order.client_order_id == order.client_order_id == f"tsb-{user.id}-{plan.token}"
    sell_plan = await live.service.prepare_order(
        user, symbol="BTCUSDT", side=OrderSide.SELL, amount=Decimal("0.002"), account_label="main"
    )
    sold = await live.service.confirm(user, sell_plan.token)
    assert sold.status is OrderStatus.FILLED and sold.side is OrderSide.SELL
    balance = await live.service.balance(user, "main")
    assets = {asset: free for asset, free, _ in balance.assets}
    assert assets == {"USDT": Decimal(10050), "BTC": Decimal("0.499")}
    assert exchange_api.count("POST", ORDER) == 2
    # the key store decrypted the keys for ccxt only; they are nowhere in the views
    assert FAKE_SECRET not in repr(balance) and exchange_api.api_key not in repr(balance)


async def test_limit_order_rests_then_cancel(live: Trading, exchange_api: FakeExchangeAPI) -> None:
    user, plan = await _live_buy(live, "0.01", "45000")
    order = await live.service.confirm(user, plan.token)
    assert order.status is OrderStatus.OPEN
    assert [o.id for o in await live.service.open_orders(user)] == [order.id]
    cancelled = await live.service.cancel_order(user, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert exchange_api.orders[0].status == "CANCELED"
    assert exchange_api.balance("USDT") == (Decimal(10000), Decimal(0))


async def test_exchange_fill_of_a_resting_order_is_reconciled_and_notified(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live, "0.01", "45000")
    order = await live.service.confirm(user, plan.token)
    exchange_api.set_price("BTC/USDT", "44000")
    assert await live.service.reconcile() == 1
    [row] = await live.orders()
    assert (row.status, row.filled) == (OrderStatus.FILLED, Decimal("0.01"))
    assert await live.service.notify_changes() == 1
    [notice] = await live.outbox()
    assert notice.dedupe_key == f"order:{order.id}:filled" and notice.chat_id == user.telegram_id


async def test_timeout_after_accept_is_unknown_then_reconciled_never_resent(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live)
    exchange_api.timeout_after_accept()
    order = await live.service.confirm(user, plan.token)
    assert order.status is OrderStatus.UNKNOWN
    assert "not sent again" in (order.error or "")
    assert len(exchange_api.orders) == 1
    assert await live.service.reconcile() == 1
    [row] = await live.orders()
    assert row.status is OrderStatus.FILLED
    assert row.exchange_order_id == str(exchange_api.orders[0].order_id)
    assert await live.service.reconcile() == 0
    assert exchange_api.count("POST", ORDER) == 1
    assert len(exchange_api.orders) == 1


async def test_hidden_order_is_not_resent_and_is_found_after_the_lag(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live)
    exchange_api.hide_new_orders(30)
    exchange_api.timeout_after_accept()
    order = await live.service.confirm(user, plan.token)
    assert order.status is OrderStatus.UNKNOWN
    for _ in range(3):  # the exchange does not show it yet: absence proves nothing
        assert await live.service.reconcile() == 0
    [row] = await live.orders()
    assert (row.status, row.reconcile_attempts) == (OrderStatus.UNKNOWN, 3)
    exchange_api.advance(31)
    assert await live.service.reconcile() == 1
    [row] = await live.orders()
    assert row.status is OrderStatus.FILLED
    assert exchange_api.count("POST", ORDER) == 1


async def test_order_the_exchange_never_got_is_not_found_after_bounded_attempts(
    pg_db: Database, redis_kv: KeyValue, exchange_api: FakeExchangeAPI
) -> None:
    live = build_trading(
        pg_db,
        kv=redis_kv,
        exchange_api=exchange_api,
        reconcile_max_attempts=2,
        reconcile_give_up_s=0,
    )
    try:
        user, plan = await _live_buy(live)
        exchange_api.fail_next(f"POST {ORDER}", 503)
        order = await live.service.confirm(user, plan.token)
        assert order.status is OrderStatus.UNKNOWN
        assert await live.service.reconcile() == 0  # attempt 1 of 2
        assert await live.service.reconcile() == 1
        [row] = await live.orders()
        assert row.status is OrderStatus.NOT_FOUND and "nothing was traded" in (row.error or "")
        assert exchange_api.orders == [] and exchange_api.count("POST", ORDER) == 1
    finally:
        await live.factory.aclose()


async def test_exchange_rejection_is_recorded_and_shown(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    exchange_api.set_balance("USDT", "10")
    user, plan = await _live_buy(live)
    with pytest.raises(OrderRejected, match="Insufficient funds"):
        await live.service.confirm(user, plan.token)
    [row] = await live.orders()
    assert row.status is OrderStatus.REJECTED and "Insufficient funds" in (row.error or "")


async def test_pin_is_required_for_live_orders_of_a_user_with_a_pin(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live)
    async with live.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(pin_hash=await hash_secret("4321"))
        )
    with pytest.raises(PinRequired):
        await live.service.confirm(user, plan.token)
    with pytest.raises(UserError, match="Wrong PIN"):
        await live.service.confirm(user, plan.token, pin="0000")
    assert exchange_api.orders == []
    order = await live.service.confirm(user, plan.token, pin="4321")
    assert order.status is OrderStatus.FILLED and len(exchange_api.orders) == 1


async def test_three_wrong_pins_cancel_the_plan(
    live: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(live)
    async with live.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(pin_hash=await hash_secret("4321"))
        )
    for _ in range(2):
        with pytest.raises(UserError, match="Wrong PIN;"):
            await live.service.confirm(user, plan.token, pin="1111")
    with pytest.raises(UserError, match="three times"):
        await live.service.confirm(user, plan.token, pin="1111")
    with pytest.raises(UserError, match="cancelled"):
        await live.service.confirm(user, plan.token, pin="4321")
    assert exchange_api.orders == []


async def test_unknown_account_label_is_one_sentence(live: Trading) -> None:
    user = await live.user()
    with pytest.raises(UserError, match="no account called 'kraken'"):
        await live.service.balance(user, "kraken")


def test_factory_offers_ccxt_exchanges_and_knows_passphrases(live: Trading) -> None:
    ids = live.factory.exchange_ids()
    assert ids[0] == "binance" and "okx" in ids
    assert live.factory.needs_passphrase("okx") and not live.factory.needs_passphrase("binance")
    with pytest.raises(UserError):
        live.factory.needs_passphrase("nope")
