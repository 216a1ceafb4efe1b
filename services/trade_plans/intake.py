"""A followed signal becomes a plan per follower in auto or confirm mode.

For each such follower (served concurrently, bounded by ``CONCURRENCY``; one follower's error
never stops the others) ``PlanIntake`` picks the account, reads the market, the price and the
balance, and hands them with the follower's settings and limits to the pure ``build_plan``
(risk guard included). A refusal is told to the follower with its reason and figures. A plan is
stored with its legs before anything is sent (``(user, signal)`` is unique: a redelivered
signal finds the plan it made and only resumes it); in auto mode its entries are then sent, in
confirm mode a card with Execute / Paper / Ignore goes out behind a one-use token.

A futures signal is never traded on a spot account, and a live account trades in auto mode only
for a follower who set a PIN and said yes once to the live auto-trading warning.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db.models import (
    ActionToken,
    BotFlag,
    ExchangeAccount,
    Signal,
    Source,
    TradePlan,
    User,
)
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.plans import PlanRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.session import Database
from core.domain import MarketType, PlanStatus, Side, SubscriptionMode
from core.errors import ExchangeError, NotFound, TemporaryExchangeError, UserError
from core.metrics import Metrics
from core.permissions import role_allows
from services.exchange.base import ExchangeClient
from services.exchange.liquidation import liquidation_price
from services.exchange.paper import PaperEngine
from services.inbox import is_transient
from services.notifications import enqueue
from services.signal_dto import SignalView
from services.trade_plans import engine
from services.trade_plans.batch import PaperSpotBatch, Shared, market_rules
from services.trade_plans.build import SignalInput, build_plan
from services.trade_plans.dto import Refusal
from services.trade_plans.followers import (
    Follower,
    batchable,
    follow_settings,
    free_quote,
    is_futures,
    source_name,
    spot_refusal,
    trader_risk,
)
from services.trade_plans.live_batch import LiveSpotBatch
from services.trade_plans.model import Event, Plan
from services.trade_plans.ports import PlanMessages
from services.trade_plans.risk import GuardInput
from services.trade_plans.runner import PlanRunner
from services.trade_plans.settings import (
    ACCOUNT_AUTO,
    ACCOUNT_PAPER_PERP,
    ACCOUNT_PAPER_SPOT,
    FollowSettings,
)
from services.trade_plans.store import market_json, save, to_view
from services.trading.accounts import TradingAccounts
from services.trading_dto import AccountView

log = structlog.get_logger(__name__)

CONCURRENCY: Final = 32
PRICE_MEMO_S: Final = 2.0  # how long one ticker answer prices a signal's followers
MAINTENANCE_FLAG: Final = "maintenance"


class PlanIntake:
    """Makes (and starts, or offers) the plans of a signal's followers."""

    def __init__(  # noqa: PLR0913 - the collaborators making a plan needs
        self,
        db: Database,
        accounts: TradingAccounts,
        runner: PlanRunner,
        messages: PlanMessages,
        clock: Clock,
        *,
        paper: PaperEngine,
        metrics: Metrics | None = None,
        default_quote: str = "USDT",
    ) -> None:
        self._db = db
        self._prices: dict[tuple[str, bool, str], tuple[float, Decimal]] = {}
        self._batch = PaperSpotBatch(db, accounts, paper, messages, clock, metrics)
        self._live = LiveSpotBatch(db, accounts, paper, messages, clock, metrics)
        self._accounts = accounts
        self._runner = runner
        self._messages = messages
        self._clock = clock
        self._quote = default_quote

    async def plan_signal(self, view: SignalView, activated_at: datetime) -> None:
        """Plans for every auto/confirm follower who followed before the signal went live:
        auto followers on paper spot in batches (``batch.PaperSpotBatch``), the others one by
        one, concurrently (bounded). Raises the last transient error (exchange, Redis or
        database away) after serving everyone (the update is run again later; plans made are
        found, not repeated)."""
        if view.source_id is None or view.side is None or view.base is None:
            return
        followers = await self._followers(view.source_id, activated_at)
        if not followers:
            return
        async with self._db.session() as session:
            existing = await PlanRepository(session).of_signal(
                view.id, [f.user.id for f in followers]
            )
        fresh = [f for f in followers if f.user.id not in existing]
        batched = [f for f in fresh if batchable(view, f)]
        live, _ = await self._live.select(view, [f for f in fresh if f not in batched])
        taken = {f.user.id for f in batched} | {f.user.id for f, _ in live}
        single = [f for f in followers if f.user.id not in taken]
        events = await self._batches(view, batched, single)
        events.update(await self._live_batches(view, live, single))
        retry = await self._one_by_one(view, single)
        await self._run_events(events)
        if retry is not None:
            raise retry

    async def _batches(
        self, view: SignalView, batched: list[Follower], single: list[Follower]
    ) -> dict[int, list[Event]]:
        """The paper spot followers in chunks (``PaperSpotBatch``); if the batch fails, they go
        one by one instead (plans it stored are then found and resumed)."""
        if not batched:
            return {}
        shared = await self._shared(view)
        risks = {f.user.id: trader_risk(f.user) for f in batched}
        events: dict[int, list[Event]] = {}
        try:
            events.update(await self._batch.run(shared, batched, risks))
        except TemporaryExchangeError:
            raise
        except Exception:  # the batch's failure must not stop anyone: one by one instead
            log.exception("plan_batch_failed", signal_id=view.id, followers=len(batched))
            single.extend(batched)
        return events

    async def _live_batches(
        self,
        view: SignalView,
        live: list[tuple[Follower, ExchangeAccount]],
        single: list[Follower],
    ) -> dict[int, list[Event]]:
        """The live spot followers set-based (``LiveSpotBatch``); those it hands back, or all
        if it fails, go one by one (plans stored are found; orders by client order id)."""
        if not live:
            return {}
        shared = await self._shared(view)
        risks = {f.user.id: trader_risk(f.user) for f, _ in live}
        try:
            events, back = await self._live.run_live(shared, live, risks)
        except Exception:  # the batch's failure must not stop anyone: one by one instead
            log.exception("live_plan_batch_failed", signal_id=view.id, followers=len(live))
            single.extend(f for f, _ in live)
            return {}
        single.extend(back)
        return events

    async def _one_by_one(
        self, view: SignalView, followers: list[Follower]
    ) -> BaseException | None:
        """Each follower's plan, concurrently (bounded); returns the last transient error
        (the exchange, Redis or the database away: the update runs again later, and the plans
        made are found, not repeated); other errors are logged per follower."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def serve(follower: Follower) -> None:
            async with gate:
                await self._plan_for(view, follower)

        results = await asyncio.gather(*(serve(f) for f in followers), return_exceptions=True)
        retry: BaseException | None = None
        for follower, result in zip(followers, results, strict=True):
            if isinstance(result, BaseException) and is_transient(result):
                retry = result
            elif isinstance(result, BaseException):
                log.error(
                    "plan_failed",
                    signal_id=view.id,
                    user_id=follower.user.id,
                    error=type(result).__name__,
                    exc_info=result,
                )
        return retry

    async def _run_events(self, events: dict[int, list[Event]]) -> None:
        """What the batches' orders said (fills, refusals), each plan in its own steps."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def step(plan_id: int, plan_events: list[Event]) -> None:
            async with gate:
                await self._runner.run(plan_id, plan_events)

        results = await asyncio.gather(
            *(step(p, e) for p, e in events.items()), return_exceptions=True
        )
        for plan_id, result in zip(events, results, strict=True):
            if isinstance(result, BaseException):  # the next pass syncs it from its orders
                log.error("plan_step_failed", plan_id=plan_id, error=type(result).__name__)

    async def _shared(self, view: SignalView) -> Shared:
        async with self._db.session() as session:
            flag = await session.get(BotFlag, MAINTENANCE_FLAG)
            source = None if view.source_id is None else await session.get(Source, view.source_id)
        return Shared(
            view=view,
            posted_at=await self._posted_at(view),
            maintenance=bool(flag is not None and flag.value.get("on")),
            source_name=None if source is None else source_name(source),
            quote=view.quote or self._quote,
        )

    async def _followers(self, source_id: int, activated_at: datetime) -> list[Follower]:
        async with self._db.session() as session:
            rows = await SubscriptionRepository(session).followers(source_id)
        out = []
        for sub, user in rows:
            settings = follow_settings(sub)
            if settings.mode is SubscriptionMode.NOTIFY or sub.created_at > activated_at:
                continue
            out.append(Follower(sub, user, settings))
        return out

    async def _plan_for(self, view: SignalView, follower: Follower) -> None:
        user = follower.user
        async with self._db.session() as session:
            existing = await PlanRepository(session).of_signal_user(view.id, user.id)
        if existing is not None:
            if not existing.status.is_final and existing.status is not PlanStatus.AWAITING_CONFIRM:
                await self._runner.resume_plan(existing.id)
            return
        made = await self._make(view, follower)
        if isinstance(made, Refusal):
            log.info("plan_refused", signal_id=view.id, user_id=user.id, code=made.code)
            await self._tell_refusal(view, user, made)
            return
        plan, account = made
        await self._store_and_start(view, follower, plan, account)

    async def _make(
        self, view: SignalView, follower: Follower
    ) -> tuple[Plan, AccountView] | Refusal:
        user, settings = follower.user, follower.settings
        if user.is_banned or not role_allows(user.role, "trade"):
            return Refusal("role", "Following in auto or confirm mode needs the trader role.")
        chosen = await self._account(user, settings, view)
        if isinstance(chosen, Refusal):
            return chosen
        account, market_type = chosen
        quote = view.quote or self._quote
        symbol = (
            f"{view.base}/{quote}:{quote}"
            if market_type is MarketType.PERP
            else f"{view.base}/{quote}"
        )
        try:
            client = await self._accounts.client(account, symbol)
            market = await client.market(symbol)
            price = await self._price(client, account, market.symbol)
            free = free_quote(await client.balances(), quote)
        except TemporaryExchangeError:
            raise
        except (UserError, ExchangeError) as exc:
            return Refusal("exchange", exc.user_message)
        guard = await self._guard(view, follower, price, free)
        posted_at = await self._posted_at(view)
        signal = SignalInput(
            symbol=market.symbol,
            side=view.side or Side.LONG,
            market_type=market_type,
            entry_low=view.entry_low,
            entry_high=view.entry_high,
            entry_is_market=view.entry_is_market,
            targets=view.targets,
            stop=view.stop_loss,
            leverage=None if view.leverage is None else int(view.leverage),
            posted_at=posted_at,
        )
        liquidation = None
        if market_type is MarketType.PERP:
            liquidation = lambda side, qty, entry, lev: liquidation_price(  # noqa: E731
                market.symbol, side, qty, entry, lev
            )
        built = build_plan(
            signal, settings, market_rules(market), guard, liquidation, self._clock()
        )
        if isinstance(built, Refusal):
            return built
        return built, account

    async def _price(self, client: ExchangeClient, account: AccountView, symbol: str) -> Decimal:
        """The market price, read once per exchange and symbol for ``PRICE_MEMO_S``: a
        signal's live followers on one exchange share one public ticker call."""
        key = (account.exchange_id, account.sandbox, symbol)
        now = time.monotonic()
        memo = self._prices.get(key)
        if memo is not None and now - memo[0] < PRICE_MEMO_S:
            return memo[1]
        price = (await client.ticker(symbol)).last
        self._prices[key] = (now, price)
        return price

    async def _account(
        self, user: User, settings: FollowSettings, view: SignalView
    ) -> tuple[AccountView, MarketType] | Refusal:
        futures = is_futures(view)
        choice = settings.account
        if choice == ACCOUNT_AUTO:
            choice = ACCOUNT_PAPER_PERP if futures else ACCOUNT_PAPER_SPOT
        if choice == ACCOUNT_PAPER_SPOT:
            if futures:
                return spot_refusal(view)
            return await self._accounts.ensure_paper(user.id), MarketType.SPOT
        if choice == ACCOUNT_PAPER_PERP:
            return await self._accounts.ensure_paper_perp(user.id), MarketType.PERP
        try:
            account = await self._accounts.usable_by(user.id, int(choice))
        except NotFound:
            account = None
        if account is None:
            return Refusal(
                "account",
                "The account chosen for this source is gone; pick another in /following.",
            )
        live_auto = settings.mode is SubscriptionMode.AUTO and not account.is_paper
        if live_auto and (user.pin_hash is None or not trader_risk(user).live_auto_ack):
            return Refusal(
                "account",
                "Live auto-trading needs a trading PIN (/pin) and your yes to the warning "
                "in /following; nothing was sent.",
            )
        return account, MarketType.PERP if futures else MarketType.SPOT

    async def _guard(
        self, view: SignalView, follower: Follower, price: Decimal, free: Decimal
    ) -> GuardInput:
        user = follower.user
        risk = trader_risk(user)
        now = self._clock()
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
        assert view.base is not None and view.side is not None
        ids = [user.id]
        async with self._db.session() as session:
            plans = PlanRepository(session)
            exposure = (await plans.exposure_many(ids, view.base))[user.id]
            daily = (await plans.realized_since_many(ids, midnight))[user.id]
            window = now - timedelta(minutes=risk.duplicate_window_minutes)
            duplicates = await plans.duplicates_many(
                ids, view.base, view.side, view.source_id, window
            )
            flag = await session.get(BotFlag, MAINTENANCE_FLAG)
        return GuardInput(
            price=price,
            balance_free=free,
            exposure_quote=exposure,
            daily_realized_pnl=daily,
            duplicate=user.id in duplicates,
            paused=risk.auto_paused,
            source_paused=follower.sub.paused,
            maintenance=bool(flag is not None and flag.value.get("on")),
            risk=risk,
        )

    async def _posted_at(self, view: SignalView) -> datetime:
        async with self._db.session() as session:
            row = await session.get(Signal, view.id)
        if row is not None and row.posted_at is not None:
            return row.posted_at
        return view.first_seen_at

    async def _store_and_start(
        self, view: SignalView, follower: Follower, plan: Plan, account: AccountView
    ) -> None:
        confirm = follower.settings.mode is SubscriptionMode.CONFIRM
        actions = [] if confirm else engine.start(plan)
        if confirm:
            plan.status = PlanStatus.AWAITING_CONFIRM
        async with self._db.transaction() as session:
            plan_id = await self._insert(session, view, follower, plan, account)
            if plan_id is None:
                return  # another worker made it first
            row = await session.get(TradePlan, plan_id)
            assert row is not None
            await save(session, row, plan, [])
            if confirm:
                row.token = await self._token(session, follower.user.id, plan_id, plan)
            await self._announce(session, view, follower.user, row, account, confirm)
        log.info("plan_stored", plan_id=plan_id, signal_id=view.id, mode=row.mode)
        if not confirm:
            await self._runner.run(plan_id, actions=actions)

    async def _insert(
        self,
        session: AsyncSession,
        view: SignalView,
        follower: Follower,
        plan: Plan,
        account: AccountView,
    ) -> int | None:
        settings = follower.settings.to_json()
        settings["_market"] = market_json(plan)
        return await PlanRepository(session).insert(
            {
                "user_id": follower.user.id,
                "signal_id": view.id,
                "source_id": view.source_id,
                "account_id": account.id,
                "mode": follower.settings.mode.value,
                "symbol": plan.symbol,
                "market_type": plan.market_type,
                "side": plan.side,
                "leverage": plan.leverage,
                "status": plan.status,
                "settings": settings,
                "entry_low": plan.entry_low,
                "entry_high": plan.entry_high,
                "quantity": plan.quantity,
                "created_at": self._clock(),
                "updated_at": self._clock(),
            }
        )

    async def _token(self, session: AsyncSession, user_id: int, plan_id: int, plan: Plan) -> str:
        token = secrets.token_urlsafe(12)[:16]
        expires = plan.expires_at or (self._clock() + timedelta(hours=48))
        session.add(
            ActionToken(
                id=token,
                user_id=user_id,
                kind="plan",
                payload={"plan_id": plan_id},
                expires_at=expires,
                created_at=self._clock(),
            )
        )
        await session.flush()
        return token

    async def _announce(  # noqa: PLR0913 - one note's inputs
        self,
        session: AsyncSession,
        view: SignalView,
        user: User,
        row: TradePlan,
        account: AccountView,
        confirm: bool,
    ) -> None:
        account_row = await session.get(ExchangeAccount, account.id)
        source = None if row.source_id is None else await session.get(Source, row.source_id)
        assert account_row is not None
        plan_view = to_view(row, account_row, source, view.quote or self._quote)
        outbox = OutboxRepository(session)
        if confirm:
            assert row.token is not None
            await enqueue(
                outbox,
                user.telegram_id,
                self._messages.plan_card(plan_view, view),
                dedupe_key=f"plancard:{row.id}",
                buttons=self._messages.plan_buttons(row.token, live=not account.is_paper),
                user_id=user.id,
            )
            return
        await enqueue(
            outbox,
            user.telegram_id,
            self._messages.plan_event(plan_view, "placed", {}),
            dedupe_key=f"plan:{row.id}:placed",
            user_id=user.id,
        )

    async def _tell_refusal(self, view: SignalView, user: User, refusal: Refusal) -> None:
        async with self._db.transaction() as session:
            await enqueue(
                OutboxRepository(session),
                user.telegram_id,
                self._messages.plan_refused(view, refusal),
                dedupe_key=f"planref:{view.id}:u:{user.id}",
                user_id=user.id,
            )
