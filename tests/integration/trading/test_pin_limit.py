"""The trading PIN guess limit is per user, on every path that asks for a PIN (issue 13, defect
3): 5 wrong PINs in 15 minutes lock PIN entry for 15 minutes, whatever plan they were typed
for, on the order Confirm path and /pin alike; the lock says until when. PostgreSQL + Redis,
live orders through real ccxt against the fake exchange; time moves on a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from core.cache import KeyValue
from core.db.models import User
from core.db.session import Database
from core.domain import OrderSide, OrderStatus
from core.errors import UserError
from core.security import hash_secret
from services.accounts import AccountService
from services.dto import UserView
from services.pin_attempts import PinAttempts, PinLocked
from tests.fakes.clock import FakeClock
from tests.fakes.exchange_api import FakeExchangeAPI
from tests.integration.trading.conftest import Trading, build_trading

PIN = "4321"
LOCKED = r"locked until 00:15 UTC \(in 15 min\)"  # the fake clock starts at 00:00


@dataclass
class Pins:
    live: Trading
    accounts: AccountService
    clock: FakeClock
    user: UserView

    async def plan(self) -> str:
        plan = await self.live.service.prepare_order(
            self.user,
            symbol="btc",
            side=OrderSide.BUY,
            amount=Decimal("0.001"),
            account_label="main",
        )
        return plan.token

    async def confirm(self, token: str, pin: str) -> None:
        await self.live.service.confirm(self.user, token, pin=pin)


@pytest.fixture
async def pins(
    pg_db: Database, redis_kv: KeyValue, exchange_api: FakeExchangeAPI
) -> AsyncIterator[Pins]:
    clock = FakeClock()
    live = build_trading(pg_db, kv=redis_kv, exchange_api=exchange_api, clock=clock)
    accounts = AccountService(
        pg_db,
        live.keystore,
        live.factory,
        live.service,
        pin_attempts=PinAttempts(redis_kv.cache, redis_kv.locks, clock),  # as another process
    )
    user = await live.user()
    await live.add_live_account(user, api_key=exchange_api.api_key)
    async with pg_db.transaction() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(pin_hash=await hash_secret(PIN))
        )
    yield Pins(live, accounts, clock, user)
    await live.factory.aclose()


async def test_fifteen_guesses_over_five_plans_then_the_right_pin_places_nothing(
    pins: Pins, exchange_api: FakeExchangeAPI
) -> None:
    answers: list[str] = []
    tokens = [await pins.plan() for _ in range(5)]
    for token in tokens:
        for guess in ("1111", "2222", "3333"):
            with pytest.raises(UserError) as caught:
                await pins.confirm(token, guess)
            answers.append(caught.value.user_message)
    assert "4 more wrong PINs lock PIN entry" in answers[0]
    assert "three times" in answers[2]  # the plan still goes after three of its own
    assert "1 more wrong PIN lock" in answers[3]
    assert all(text.startswith("Too many PIN attempts") for text in answers[5:])
    with pytest.raises(PinLocked, match=LOCKED):  # the 5th wrong PIN locked the user
        await pins.confirm(await pins.plan(), PIN)  # a fresh plan: no count of its own
    assert exchange_api.orders == [] and await pins.live.count_orders() == 0


async def test_the_lock_counts_across_the_order_path_and_pin(pins: Pins) -> None:
    for guess in ("1111", "2222", "3333"):
        with pytest.raises(UserError, match="not right"):
            await pins.accounts.verify_pin(pins.user, guess)  # /pin asking the current PIN
    token = await pins.plan()
    with pytest.raises(UserError, match="Wrong PIN; nothing was sent. 1 more wrong PIN"):
        await pins.confirm(token, "4444")
    with pytest.raises(PinLocked, match="That PIN is not right. Too many PIN attempts"):
        await pins.confirm(token, "5555")
    with pytest.raises(PinLocked, match=LOCKED):
        await pins.accounts.verify_pin(pins.user, PIN)
    with pytest.raises(PinLocked):
        await pins.accounts.clear_pin(pins.user, PIN)


async def test_after_the_window_the_right_pin_works(
    pins: Pins, exchange_api: FakeExchangeAPI
) -> None:
    token = await pins.plan()
    for guess in ("1111", "2222"):
        with pytest.raises(UserError, match="Wrong PIN"):
            await pins.confirm(token, guess)
    for guess in ("3333", "4444", "5555"):
        with pytest.raises(UserError):
            await pins.accounts.verify_pin(pins.user, guess)
    pins.clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(PinLocked, match=r"until 00:15 UTC \(in 1 min\)"):
        await pins.confirm(await pins.plan(), PIN)
    pins.clock.advance(timedelta(seconds=1))
    await pins.accounts.verify_pin(pins.user, PIN)
    order = await pins.live.service.confirm(pins.user, await pins.plan(), pin=PIN)
    assert order.status is OrderStatus.FILLED and len(exchange_api.orders) == 1


async def test_wrong_pins_age_out_and_a_right_pin_does_not_wipe_them(pins: Pins) -> None:
    for guess in ("1111", "2222", "3333", "4444"):
        with pytest.raises(UserError, match="not right"):
            await pins.accounts.verify_pin(pins.user, guess)
    pins.clock.advance(timedelta(minutes=15))  # all four are out of the window now
    for guess in ("1111", "2222"):
        with pytest.raises(UserError, match="not right"):
            await pins.accounts.verify_pin(pins.user, guess)
    await pins.accounts.verify_pin(pins.user, PIN)  # right, but the two wrong ones stay
    for guess in ("3333", "4444"):
        with pytest.raises(UserError, match="not right"):
            await pins.accounts.verify_pin(pins.user, guess)
    with pytest.raises(PinLocked):
        await pins.accounts.verify_pin(pins.user, "5555")
