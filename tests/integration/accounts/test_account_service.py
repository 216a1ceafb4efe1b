"""AccountService on SQLite and PostgreSQL with small fakes of the exchange side: what is
stored, what is refused, and that a refusal stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from core.cache import KeyValue
from core.db.models import ExchangeAccount, Order, User
from core.db.session import Database
from core.domain import OrderSide, OrderType, Role
from core.errors import (
    AuthenticationFailed,
    Forbidden,
    NotFound,
    TemporaryExchangeError,
    UserError,
)
from core.security import KeyStore
from services.accounts import FORM_EXPIRED, AccountService, SealedKeys
from services.dto import UserView
from services.exchange.base import Balance
from services.pin_attempts import PinAttempts
from services.trading_dto import AccountView
from tests.fakes.clock import FakeClock

KEY = "live-api-key-abcdefgh"
SECRET = "live-secret-12345678"


class FakeClient:
    def __init__(self, *, refuse: bool = False, withdraw: bool | None = False, down: bool = False):
        self.refuse, self.withdraw, self.down = refuse, withdraw, down
        self.closed = False

    async def balances(self) -> list[Balance]:
        if self.down:
            raise TemporaryExchangeError()
        if self.refuse:
            raise AuthenticationFailed()
        return [Balance("USDT", Decimal(5), Decimal(0))]

    async def ip_restricted(self) -> bool | None:
        return None

    async def withdrawals_enabled(self) -> bool | None:
        return self.withdraw

    async def close(self) -> None:
        self.closed = True


class FakeFactory:
    def __init__(self) -> None:
        self.client = FakeClient()
        self.built: list[tuple[str, bool]] = []
        self.invalidated: list[int] = []

    def client_for_keys(
        self,
        exchange_id: str,
        api_key: str,
        secret: str,
        password: str | None = None,
        sandbox: bool = False,
    ) -> FakeClient:
        self.built.append((exchange_id, sandbox))
        return self.client

    def exchange_ids(self) -> list[str]:
        return ["binance", "okx", "kraken"]

    def needs_passphrase(self, exchange_id: str) -> bool:
        return exchange_id == "okx"

    async def invalidate(self, account_id: int) -> None:
        self.invalidated.append(account_id)


class FakeTrading:
    async def ensure_paper_account(self, user: UserView) -> AccountView:
        return AccountView(0, "paper", "paper", True, False, None)

    async def accounts(self, user: UserView) -> list[AccountView]:
        return [await self.ensure_paper_account(user)]


@pytest.fixture
async def trader(db: Database) -> UserView:
    async with db.transaction() as session:
        user = User(telegram_id=77, role=Role.TRADER, settings={})
        session.add(user)
        await session.flush()
        return UserView(user.id, 77, None, None, Role.TRADER, False)


@pytest.fixture
def factory() -> FakeFactory:
    return FakeFactory()


@pytest.fixture
def service(db: Database, factory: FakeFactory) -> AccountService:
    keystore = KeyStore([Fernet.generate_key()])
    kv = KeyValue.memory()
    pins = PinAttempts(kv.cache, kv.locks)
    return AccountService(db, keystore, factory, FakeTrading(), pin_attempts=pins)


async def rows(db: Database) -> list[ExchangeAccount]:
    async with db.session() as session:
        return list(await session.scalars(select(ExchangeAccount).order_by(ExchangeAccount.id)))


async def test_connect_labels_are_unique_per_user(
    db: Database, service: AccountService, factory: FakeFactory, trader: UserView
) -> None:
    first = await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    second = await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    test = await service.connect(
        trader, exchange_id="binance", api_key=KEY, secret=SECRET, sandbox=True
    )
    assert [first.label, second.label, test.label] == ["binance", "binance-2", "binance-testnet"]
    assert factory.client.closed
    assert factory.built[-1] == ("binance", True)


@pytest.mark.parametrize(
    ("client", "message"),
    [
        (FakeClient(refuse=True), "refused these keys"),
        (FakeClient(withdraw=True), "allowed to withdraw"),
    ],
    ids=["refused", "withdrawals"],
)
async def test_refused_keys_store_nothing(
    db: Database,
    service: AccountService,
    factory: FakeFactory,
    trader: UserView,
    client: FakeClient,
    message: str,
) -> None:
    factory.client = client
    with pytest.raises(UserError, match=message) as info:
        await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    assert KEY not in str(info.value) and SECRET not in str(info.value)
    assert client.closed
    assert await rows(db) == []


async def test_exchange_down_stores_nothing(
    db: Database, service: AccountService, factory: FakeFactory, trader: UserView
) -> None:
    factory.client = FakeClient(down=True)
    with pytest.raises(TemporaryExchangeError):
        await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    assert await rows(db) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exchange_id": "nope"}, "not offered"),
        ({"exchange_id": "kraken", "sandbox": True}, "no testnet"),
        ({"api_key": "has space in it"}, "API key"),
        ({"secret": "short"}, "API secret"),
        ({"exchange_id": "okx"}, "API passphrase"),
    ],
    ids=["exchange", "testnet", "key", "secret", "passphrase"],
)
async def test_bad_input_is_refused_before_the_exchange(
    db: Database,
    service: AccountService,
    factory: FakeFactory,
    trader: UserView,
    kwargs: dict[str, object],
    message: str,
) -> None:
    args: dict[str, object] = {"exchange_id": "binance", "api_key": KEY, "secret": SECRET}
    args.update(kwargs)
    with pytest.raises(UserError, match=message):
        await service.connect(trader, **args)  # type: ignore[arg-type]
    assert factory.built == [] and await rows(db) == []


async def test_passphrase_is_stored_encrypted(
    db: Database, service: AccountService, trader: UserView
) -> None:
    await service.connect(
        trader, exchange_id="okx", api_key=KEY, secret=SECRET, passphrase="my-pass-phrase"
    )
    [row] = await rows(db)
    assert row.passphrase_enc and "my-pass-phrase" not in row.passphrase_enc
    assert service.unseal(row.passphrase_enc) == "my-pass-phrase"


async def test_disconnect_keeps_order_history_but_wipes_keys(
    db: Database, service: AccountService, factory: FakeFactory, trader: UserView
) -> None:
    account = await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    async with db.transaction() as session:
        session.add(
            Order(
                user_id=trader.id,
                account_id=account.id,
                client_order_id="c-1",
                symbol="BTC/USDT",
                side=OrderSide.BUY,
                type=OrderType.MARKET,
                amount=Decimal(1),
            )
        )
    await service.disconnect(trader, account.id)
    [row] = await rows(db)
    assert not row.is_active and row.api_key_enc is None and row.secret_enc is None
    assert row.label != "binance"  # freed for a new connection
    assert factory.invalidated == [account.id]
    again = await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    assert again.label == "binance"
    with pytest.raises(NotFound):
        await service.disconnect(trader, account.id)  # already gone


async def test_disconnect_of_another_users_account_is_not_found(
    db: Database, service: AccountService, trader: UserView
) -> None:
    account = await service.connect(trader, exchange_id="binance", api_key=KEY, secret=SECRET)
    stranger = UserView(trader.id + 1, 99, None, None, Role.TRADER, False)
    with pytest.raises(NotFound):
        await service.disconnect(stranger, account.id)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ExchangeAccount)) == 1


async def test_viewer_is_forbidden(service: AccountService, trader: UserView) -> None:
    viewer = UserView(trader.id, 77, None, None, Role.VIEWER, False)
    with pytest.raises(Forbidden):
        await service.connect(viewer, exchange_id="binance", api_key=KEY, secret=SECRET)


async def test_pin_guesses_are_limited(service: AccountService, trader: UserView) -> None:
    await service.set_pin(trader, "2468")
    for _ in range(5):
        with pytest.raises(UserError, match="not right"):
            await service.verify_pin(trader, "0000")
    with pytest.raises(UserError, match="Too many PIN attempts"):
        await service.verify_pin(trader, "2468")


def test_search_ranks_exact_then_prefix_then_substring(service: AccountService) -> None:
    assert service.search_exchanges("OK") == ["okx"]
    assert service.search_exchanges("k") == ["kraken", "okx"]
    assert service.search_exchanges("") == ["binance", "okx", "kraken"]
    assert service.search_exchanges("zzz") == []


# -- the /connect form's sealed keys ------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def unsealed() -> list[str]:
    return []


@pytest.fixture
def form_service(
    db: Database, factory: FakeFactory, clock: FakeClock, unsealed: list[str]
) -> AccountService:
    keystore = KeyStore([Fernet.generate_key()], on_decrypt=unsealed.append)
    kv = KeyValue.memory()
    pins = PinAttempts(kv.cache, kv.locks, clock)
    return AccountService(
        db, keystore, factory, FakeTrading(), pin_attempts=pins, clock=clock, form_ttl_s=600
    )


def sealed(service: AccountService, expires_at: str) -> SealedKeys:
    return SealedKeys(
        exchange_id="binance",
        api_key=service.seal(KEY),
        secret=service.seal(SECRET),
        passphrase=None,
        sandbox=False,
        expires_at=expires_at,
    )


async def test_sealed_keys_connect_until_the_form_expires(
    db: Database,
    form_service: AccountService,
    factory: FakeFactory,
    trader: UserView,
    clock: FakeClock,
) -> None:
    expires_at = form_service.form_expiry()
    assert datetime.fromisoformat(expires_at) == clock() + timedelta(seconds=600)
    keys = sealed(form_service, expires_at)
    assert KEY not in repr(keys) and SECRET not in repr(keys)
    factory.client = FakeClient(down=True)
    clock.advance(599)
    with pytest.raises(TemporaryExchangeError):
        await form_service.connect_sealed(trader, keys)
    factory.client = FakeClient()
    account = await form_service.connect_sealed(trader, keys)  # the same sealed keys
    assert account.label == "binance"
    [row] = await rows(db)
    assert form_service.unseal(row.secret_enc or "") == SECRET


@pytest.mark.parametrize(
    "expires_at",
    [
        (FakeClock()() + timedelta(seconds=600)).isoformat(),
        "not a time",
        "2030-01-01T00:10:00",  # no zone: not trusted
    ],
    ids=["past", "unreadable", "naive"],
)
async def test_an_expired_form_unseals_nothing(
    db: Database,
    form_service: AccountService,
    factory: FakeFactory,
    trader: UserView,
    clock: FakeClock,
    unsealed: list[str],
    expires_at: str,
) -> None:
    clock.advance(600)
    with pytest.raises(UserError) as info:
        await form_service.connect_sealed(trader, sealed(form_service, expires_at))
    assert info.value.user_message == FORM_EXPIRED
    assert unsealed == [] and factory.built == [] and await rows(db) == []
