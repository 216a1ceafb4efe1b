"""The reconciler gives up only on orders whose placement is unknown, and only as "not found".

A live order the exchange acknowledged (open, partly filled) stays as it is when a lookup
briefly answers -2013 "Order does not exist", however old it is; the owner is told nothing and
``/cancel`` still takes it. An order whose placement is unknown that the exchange never shows
is settled as ``not_found`` after the attempts and the age, never as ``rejected``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.cache import KeyValue
from core.clock import utc_now
from core.db.models import Order
from core.db.session import Database
from core.domain import OrderStatus
from handlers.trading_render import order_headline
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.trading.conftest import Trading, build_trading
from tests.integration.trading.test_live import ORDER, _live_buy

ATTEMPTS = 2
LOOKUPS_PER_PASS = 2  # by exchange order id, then by client order id


@pytest.fixture
async def strict(
    pg_db: Database, redis_kv: KeyValue, exchange_api: FakeExchangeAPI
) -> AsyncIterator[Trading]:
    """Live trading that gives up after two misses once an order is ten minutes old."""
    t = build_trading(
        pg_db,
        kv=redis_kv,
        exchange_api=exchange_api,
        reconcile_max_attempts=ATTEMPTS,
        reconcile_give_up_s=600,
    )
    yield t
    await t.factory.aclose()


async def _age_orders(t: Trading, hours: float = 1) -> None:
    async with t.db.transaction() as session:
        await session.execute(update(Order).values(created_at=utc_now() - timedelta(hours=hours)))


@pytest.mark.parametrize("partly_filled", [False, True], ids=["open", "partially_filled"])
async def test_an_old_open_order_the_exchange_briefly_denies_stays_open_and_cancellable(
    strict: Trading, exchange_api: FakeExchangeAPI, partly_filled: bool
) -> None:
    user, plan = await _live_buy(strict, "0.01", "45000")
    order = await strict.service.confirm(user, plan.token)
    assert order.status is OrderStatus.OPEN
    expected = OrderStatus.OPEN
    if partly_filled:
        exchange_api.fill(exchange_api.orders[0].order_id, "0.004")
        assert await strict.service.reconcile() == 1
        expected = OrderStatus.PARTIALLY_FILLED
    assert await strict.service.notify_changes() == int(partly_filled)
    told = len(await strict.outbox())
    await _age_orders(strict)
    passes = ATTEMPTS + 2
    exchange_api.fail_next(f"GET {ORDER}", code=-2013, times=passes * LOOKUPS_PER_PASS)
    for _ in range(passes):
        assert await strict.service.reconcile() == 0
    assert exchange_api.count("GET", ORDER) >= passes * LOOKUPS_PER_PASS
    [row] = await strict.orders()
    assert row.status is expected and row.error is None
    assert await strict.service.notify_changes() == 0
    assert len(await strict.outbox()) == told
    assert [o.id for o in await strict.service.open_orders(user)] == [order.id]
    cancelled = await strict.service.cancel_order(user, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert exchange_api.orders[0].status == "CANCELED"


async def test_an_order_of_unknown_placement_never_found_is_not_found_not_rejected(
    strict: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(strict)
    exchange_api.fail_next(f"POST {ORDER}", 503)
    order = await strict.service.confirm(user, plan.token)
    assert order.status is OrderStatus.UNKNOWN
    await _age_orders(strict)
    for _ in range(ATTEMPTS - 1):  # absence proves nothing until the attempts are spent
        assert await strict.service.reconcile() == 0
    [row] = await strict.orders()
    assert (row.status, row.reconcile_attempts) == (OrderStatus.UNKNOWN, ATTEMPTS - 1)
    assert await strict.service.reconcile() == 1
    [row] = await strict.orders()
    assert row.status is OrderStatus.NOT_FOUND
    assert await strict.service.reconcile() == 0  # settled: never looked up again
    assert await strict.service.notify_changes() == 1
    [notice] = await strict.outbox()
    assert notice.dedupe_key == f"order:{order.id}:not_found"
    assert "never placed" in notice.text and "nothing was traded" in notice.text
    assert "rejected" not in notice.text
    [view] = await strict.service.history(user)
    assert "rejected" not in order_headline(view)
    assert exchange_api.orders == [] and exchange_api.count("POST", ORDER) == 1


async def test_a_young_order_of_unknown_placement_is_not_given_up(
    strict: Trading, exchange_api: FakeExchangeAPI
) -> None:
    user, plan = await _live_buy(strict)
    exchange_api.fail_next(f"POST {ORDER}", 503)
    await strict.service.confirm(user, plan.token)
    for _ in range(ATTEMPTS + 1):  # attempts spent, but not yet the give-up age
        assert await strict.service.reconcile() == 0
    [row] = await strict.orders()
    assert (row.status, row.reconcile_attempts) == (OrderStatus.UNKNOWN, ATTEMPTS + 1)
