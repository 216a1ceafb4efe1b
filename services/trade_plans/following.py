"""How a trader's followed sources are traded: /follow with a checked size, the per-subscription
settings, the kill switches (/pause, /resume, admin /maintenance) and the one-time yes to live
auto-trading.

Invariants:
- Every change is checked before anything is stored (``FollowSettings.with_value`` for the
  value, then the rules that need the database: the account is the user's, a size is at least
  the paper minimum notional and at most the account's free balance, a live account in auto mode
  needs a PIN and the user's yes); a refused change raises ``UserError`` and changes nothing.
- A subscription is addressed by (the caller, a source id): a button can only ever reach the
  caller's own subscription, whoever sent it.
- Pausing, resuming and maintenance are audited. ``maintenance()`` is read by every process from
  the database (``BotFlag`` "maintenance") and cached for ``flag_ttl_s`` in this process.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Final, Protocol

import structlog

from core.db.models import ExchangeAccount, Source, Subscription, User
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.audit import AuditRepository
from core.db.repositories.flags import FlagRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.session import Database
from core.domain import MarketType, SubscriptionMode
from core.errors import Forbidden, NotFound, UserError
from core.permissions import role_allows
from services.dto import UserView
from services.signal_dto import SourceView
from services.signals import SignalService
from services.signals.follows import mirror
from services.sources import SourceService, to_source_view
from services.trade_plans.dto import FollowingView
from services.trade_plans.settings import (
    ACCOUNT_AUTO,
    ACCOUNT_PAPER_PERP,
    ACCOUNT_PAPER_SPOT,
    FollowSettings,
    Sizing,
    TraderRisk,
)
from services.trading_dto import BalanceView

log = structlog.get_logger(__name__)

MAINTENANCE: Final = "maintenance"
PAPER_LABEL: Final = "paper"
PAPER_PERP_LABEL: Final = "paper-perp"
ACCOUNT_WORDS: Final = {
    ACCOUNT_AUTO: "auto (paper perp for futures signals, paper spot for the rest)",
    ACCOUNT_PAPER_SPOT: "paper spot",
    ACCOUNT_PAPER_PERP: "paper perp",
}
LIVE_AUTO_WARNING: Final = (
    "Auto mode on a live account places real orders with your money, without asking you, "
    "for every signal of this source: entries, take-profits and stops. Losses are real, a "
    "channel can be wrong or hacked, and /pause is the only brake. Say yes only if you accept "
    "that."
)


class Balances(Protocol):
    """The slice of the trading service the size check needs."""

    async def balance(self, user: UserView, account_label: str | None = None) -> BalanceView: ...


class LiveAutoAckNeeded(UserError):
    """Auto mode on a live account waits for the user's one-time yes to ``LIVE_AUTO_WARNING``."""

    def __init__(self) -> None:
        super().__init__(LIVE_AUTO_WARNING)


class FollowingService:
    """Subscriptions' settings and the kill switches (see the module docstring)."""

    def __init__(  # noqa: PLR0913 - collaborators, all injected by the composition root
        self,
        db: Database,
        signals: SignalService,
        sources: SourceService,
        balances: Balances,
        *,
        min_notional: Decimal,
        quote: str = "USDT",
        flag_ttl_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._signals = signals
        self._sources = sources
        self._balances = balances
        self._min_notional = min_notional
        self._quote = quote
        self._flag_ttl_s = flag_ttl_s
        self._monotonic = monotonic
        self._maintenance: tuple[float, bool] | None = None  # (read at, value)

    # -- following ------------------------------------------------------------------------------

    async def follow(self, user: UserView, args: str) -> FollowingView:
        """``/follow <source> [notify | confirm | auto] [size]``, the size checked against the
        account; ``UserError`` (nothing stored) for anything refused."""
        subscription = await self._signals.follow(user, args, check=self._check_size)
        return await self.view(user, subscription.source.id)

    async def following(self, user: UserView) -> list[FollowingView]:
        """Every subscription of the user, by source id."""
        async with self._db.session() as session:
            rows = await SubscriptionRepository(session).of_user(user.id)
            accounts = await AccountRepository(session).for_user(user.id)
        return [_view(sub, to_source_view(source), accounts) for sub, source in rows]

    async def live_accounts(self, user: UserView) -> list[tuple[str, str]]:
        """The user's connected (live) accounts as (setting value, words), for the menu."""
        async with self._db.session() as session:
            accounts = await AccountRepository(session).for_user(user.id)
        return [
            (str(row.id), account_words(str(row.id), accounts))
            for row in accounts
            if not row.is_paper
        ]

    async def view(self, user: UserView, source_id: int) -> FollowingView:
        """The user's subscription to ``source_id``; ``NotFound`` when there is none."""
        async with self._db.session() as session:
            sub, source = await _owned(SubscriptionRepository(session), user, source_id)
            accounts = await AccountRepository(session).for_user(user.id)
        return _view(sub, to_source_view(source), accounts)

    async def change(
        self, user: UserView, source_id: int, name: str, raw: str, *, acknowledge: bool = False
    ) -> FollowingView:
        """Set one setting of the user's subscription to ``source_id``. ``UserError`` with the
        accepted values (nothing changed) for a refused value; ``LiveAutoAckNeeded`` when the
        change makes a live account trade in auto mode and the user has not said yes yet
        (``acknowledge=True`` is that yes)."""
        async with self._db.session() as session:
            sub, _ = await _owned(SubscriptionRepository(session), user, source_id)
            accounts = await AccountRepository(session).for_user(user.id)
            stored = FollowSettings.from_json(sub.settings)
        settings = stored.with_value(name, raw)
        if settings.mode is not SubscriptionMode.NOTIFY and not role_allows(user.role, "trade"):
            raise Forbidden("Confirm and auto mode trade for you, which needs the trader role.")
        live = _live_account(settings.account, accounts)
        if name in {"mode", "size", "sizing", "account"}:
            await self._check_size(user, settings)
        async with self._db.transaction() as session:
            row = await session.get(User, user.id)
            assert row is not None  # the user is the caller
            if live is not None and settings.mode is SubscriptionMode.AUTO:
                self._check_live_auto(user, row, acknowledge=acknowledge)
            sub, source = await _owned(SubscriptionRepository(session), user, source_id)
            mirror(sub, settings)
            log.info("follow_setting_changed", source_id=source_id, setting=name)
            return _view(sub, to_source_view(source), accounts)

    def _check_live_auto(self, user: UserView, row: User, *, acknowledge: bool) -> None:
        if not user.has_pin:
            raise UserError(
                "Auto mode on a live account needs a trading PIN first: set one with /pin, "
                "then choose the account again."
            )
        risk = TraderRisk.from_json((row.settings or {}).get("risk"))
        if risk.live_auto_ack:
            return
        if not acknowledge:
            raise LiveAutoAckNeeded
        updated = dataclasses.replace(risk, live_auto_ack=True)
        row.settings = {**(row.settings or {}), "risk": updated.to_json()}
        log.info("live_auto_acknowledged")

    async def _check_size(self, user: UserView, settings: FollowSettings) -> None:
        """A fixed quote size is at least the minimum notional and at most the free quote
        balance of the account it trades on (the figures in the refusal)."""
        if settings.sizing is not Sizing.QUOTE or settings.mode is SubscriptionMode.NOTIFY:
            return
        size, quote = settings.size, self._quote
        if size < self._min_notional:
            raise UserError(
                f"{size} {quote} per trade is under the minimum order of "
                f"{self._min_notional} {quote}: choose at least {self._min_notional}."
            )
        label, free = await self._free_balance(user, settings.account)
        if size > free:
            raise UserError(
                f"{size} {quote} per trade is more than the {free} {quote} free on your "
                f"{label} account: choose at most {free}, or top the account up."
            )

    async def _free_balance(self, user: UserView, account: str) -> tuple[str, Decimal]:
        label = PAPER_PERP_LABEL if account == ACCOUNT_PAPER_PERP else PAPER_LABEL
        if account.isdigit():
            async with self._db.session() as session:
                row = await AccountRepository(session).get(int(account))
            if row is None or row.user_id != user.id or not row.is_active:
                raise UserError("That account is not one of yours: /accounts lists them.")
            label = row.label
        try:
            balance = await self._balances.balance(user, label)
        except NotFound:  # no perp paper account yet: it starts as the spot one did
            balance = await self._balances.balance(user, PAPER_LABEL)
        free = next((f for asset, f, _ in balance.assets if asset == self._quote), Decimal(0))
        return label, free

    # -- kill switches --------------------------------------------------------------------------

    async def set_paused(
        self, user: UserView, source_ref: str, *, paused: bool
    ) -> SourceView | None:
        """``/pause`` / ``/resume``: every source of the user (``source_ref`` empty: returns
        None) or one followed source (returns it). Audited."""
        action = "trading.pause" if paused else "trading.resume"
        if not source_ref.strip():
            async with self._db.transaction() as session:
                row = await session.get(User, user.id)
                assert row is not None  # the user is the caller
                risk = TraderRisk.from_json((row.settings or {}).get("risk"))
                updated = dataclasses.replace(risk, auto_paused=paused)
                row.settings = {**(row.settings or {}), "risk": updated.to_json()}
                await AuditRepository(session).add(action, actor_user_id=user.id, target="all")
            log.info("trading_paused" if paused else "trading_resumed", scope="all")
            return None
        source = await self._sources.resolve(source_ref, user)
        async with self._db.transaction() as session:
            sub, _ = await _owned(SubscriptionRepository(session), user, source.id)
            sub.paused = paused
            await AuditRepository(session).add(action, actor_user_id=user.id, target=source.name)
        log.info("trading_paused" if paused else "trading_resumed", source_id=source.id)
        return source

    async def paused(self, user: UserView) -> bool:
        """Whether the user paused all their auto and confirm trading."""
        async with self._db.session() as session:
            row = await session.get(User, user.id)
        return (
            row is not None and TraderRisk.from_json((row.settings or {}).get("risk")).auto_paused
        )

    async def maintenance(self) -> bool:
        """Whether an admin stopped every new plan bot-wide (cached for a few seconds)."""
        now = self._monotonic()
        if self._maintenance is not None and now - self._maintenance[0] < self._flag_ttl_s:
            return self._maintenance[1]
        async with self._db.session() as session:
            value = await FlagRepository(session).get(MAINTENANCE)
        on = bool(value and value.get("on"))
        self._maintenance = (now, on)
        return on

    async def set_maintenance(self, admin: UserView, on: bool) -> bool:
        """``/maintenance on|off`` (admins only); audited; returns the new state."""
        if not role_allows(admin.role, "users.manage"):
            raise Forbidden("Only an admin can switch maintenance mode.")
        async with self._db.transaction() as session:
            await FlagRepository(session).put(MAINTENANCE, {"on": on}, by_user_id=admin.id)
            await AuditRepository(session).add(
                "maintenance.on" if on else "maintenance.off", actor_user_id=admin.id
            )
        self._maintenance = (self._monotonic(), on)
        log.warning("maintenance_switched", on=on)
        return on


async def _owned(
    repo: SubscriptionRepository, user: UserView, source_id: int
) -> tuple[Subscription, Source]:
    row = await repo.owned(user.id, source_id)
    if row is None:
        raise NotFound("You do not follow that source (any more): /following lists yours.")
    return row


def _live_account(account: str, accounts: list[ExchangeAccount]) -> ExchangeAccount | None:
    """The live account ``account`` names, None for a paper choice; ``UserError`` when it is
    not one of the user's active accounts."""
    if not account.isdigit():
        return None
    for row in accounts:
        if row.id == int(account):
            return None if row.is_paper else row
    raise UserError("That account is not one of yours: /accounts lists them.")


def account_words(account: str, accounts: list[ExchangeAccount]) -> str:
    """What ``FollowSettings.account`` means for this user, in words."""
    if account in ACCOUNT_WORDS:
        return ACCOUNT_WORDS[account]
    for row in accounts:
        if str(row.id) == account:
            kind = "paper" if row.is_paper else "live"
            market = "perp" if row.market_type is MarketType.PERP else "spot"
            return f"{row.label} ({kind} {market})"
    return "an account that is gone (choose another)"


def _view(sub: Subscription, source: SourceView, accounts: list[ExchangeAccount]) -> FollowingView:
    settings = FollowSettings.from_json(sub.settings)
    if not sub.settings:  # a row from before settings: its mode and size are in the columns
        settings = settings.with_value("mode", sub.mode)
        if sub.order_size_quote is not None:
            settings = settings.with_value("size", sub.order_size_quote)
    return FollowingView(
        source=source,
        settings=settings,
        paused=sub.paused,
        account_label=account_words(settings.account, accounts),
    )
