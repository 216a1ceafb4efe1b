"""``TradePlanService``: following a signal to its end, the one object the signals feature, the
handlers and the maintenance loop call.

It builds its collaborators from the database, the exchange factory, the locks and the clock
(``PlanIntake`` makes plans, ``PlanRunner`` runs them) and adds what the follower does by hand:
the confirm-mode card's Execute / Paper / Ignore (one-use token bound to the follower, valid
until the signal's expiry or until the price has run past the first target or the stop), the
Close button, and ``/panic`` (a Confirm token, then every working plan closed at market).
Every change a person makes is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Locks
from core.clock import Clock, utc_now
from core.db.models import ActionToken, ExchangeAccount, PlanLeg, Source, TradePlan
from core.db.repositories.audit import AuditRepository
from core.db.repositories.plans import PlanRepository
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.domain import MarketType, PlanStatus, Side, UpdateType
from core.errors import Conflict, NotFound, UserError
from core.metrics import Metrics
from services.dto import UserView
from services.exchange.factory import ExchangeFactory
from services.pin_attempts import PinAttempts
from services.signal_dto import SignalView
from services.symbols import fmt_number
from services.trade_plans import engine
from services.trade_plans.channel import channel_event
from services.trade_plans.dto import PlanView
from services.trade_plans.intake import PlanIntake
from services.trade_plans.model import Action, ChannelUpdate, CloseNow
from services.trade_plans.ports import PlanMessages
from services.trade_plans.runner import PlanRunner
from services.trade_plans.store import leg_views, save, to_model, to_view
from services.trading.accounts import TradingAccounts
from services.trading.pin import PinGuard
from services.trading.submit import OrderSubmitter

log = structlog.get_logger(__name__)

Choice = Literal["execute", "paper", "ignore"]
PANIC_TTL: Final = timedelta(minutes=5)
PLAN_LIST_LIMIT: Final = 20


class TradePlanService:
    def __init__(  # noqa: PLR0913 - the composition root hands over each collaborator
        self,
        db: Database,
        factory: ExchangeFactory,
        *,
        locks: Locks,
        pin_attempts: PinAttempts,
        messages: PlanMessages,
        metrics: Metrics | None = None,
        default_quote: str = "USDT",
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._clock = clock
        self._accounts = TradingAccounts(db, factory, factory.paper)
        submitter = OrderSubmitter(db, self._accounts, locks, metrics)
        self._runner = PlanRunner(db, self._accounts, submitter, locks, messages, clock)
        self._intake = PlanIntake(
            db,
            self._accounts,
            self._runner,
            messages,
            clock,
            paper=factory.paper,
            metrics=metrics,
            default_quote=default_quote,
        )
        self._pins = PinGuard(db, pin_attempts)

    # -- the signals feature ----------------------------------------------------------------------

    async def plan_signal(self, view: SignalView, activated_at: datetime) -> None:
        """A plan per auto/confirm follower (see ``PlanIntake.plan_signal``)."""
        await self._intake.plan_signal(view, activated_at)

    async def apply_update(
        self,
        signal_id: int,
        event_id: int,
        kind: UpdateType,
        text: str,
        *,
        stop: Decimal | None = None,
    ) -> int:
        """A channel update (signal event ``event_id``) applied once to every working plan of
        the signal; how many plans it reached. ``stop``: the new stop the signal took from a
        stop move (the parser's reading of the post), rather than the post's last number."""
        event = channel_event(kind, text)
        if stop is not None and event is not None and event.kind is UpdateType.MOVE_SL:
            event = ChannelUpdate(UpdateType.MOVE_SL, price=stop)
        if event is None:
            return 0
        async with self._db.session() as session:
            plan_ids = await PlanRepository(session).open_of_signal(signal_id)
        for plan_id in plan_ids:
            await self._runner.apply_channel(plan_id, event, once=f"ev{event_id}")
        return len(plan_ids)

    async def apply_edit(
        self,
        signal_id: int,
        event_id: int,
        targets: tuple[Decimal, ...],
        stop: Decimal | None,
    ) -> int:
        """An edit of a traded signal's post: its targets and its stop, where they differ
        from a working plan's, become that plan's (once per plan and edit); how many plans."""
        async with self._db.session() as session:
            plans = PlanRepository(session)
            rows = [await plans.get(plan_id) for plan_id in await plans.open_of_signal(signal_id)]
        for row in rows:
            if row is None:
                continue
            if targets and [str(t) for t in targets] != [str(t) for t in row.targets]:
                update = ChannelUpdate(UpdateType.TP_HIT, targets=targets)
                await self._runner.apply_channel(row.id, update, once=f"ed{event_id}:t")
            if stop is not None and stop != row.stop_price:
                update = ChannelUpdate(UpdateType.MOVE_SL, price=stop)
                await self._runner.apply_channel(row.id, update, once=f"ed{event_id}:s")
        return len(rows)

    # -- maintenance ------------------------------------------------------------------------------

    async def run_pass(self) -> None:
        """Order news into plans, unsent legs sent, a price tick for every working plan."""
        await self._runner.sync()
        await self._runner.resume()
        await self._runner.tick()
        await self._runner.sync()

    async def resume(self) -> int:
        """At start: send what a crash left planned, and catch up with order news."""
        await self._runner.sync()
        return await self._runner.resume()

    # -- the follower's own views and actions -----------------------------------------------------

    async def open_plans(self, user: UserView) -> list[PlanView]:
        statuses = [s for s in PlanStatus if not s.is_final]
        return await self._views(user.id, statuses, PLAN_LIST_LIMIT)

    async def closed_plans(self, user: UserView, limit: int = 10) -> list[PlanView]:
        statuses = [s for s in PlanStatus if s.is_final]
        return await self._views(user.id, statuses, limit)

    async def _views(self, user_id: int, statuses: list[PlanStatus], limit: int) -> list[PlanView]:
        async with self._db.session() as session:
            plans = PlanRepository(session)
            rows = await plans.with_accounts(user_id, statuses, limit)
            return [
                _with_legs(to_view(p, a, s, _quote(p.symbol)), await plans.legs(p.id))
                for p, a, s in rows
            ]

    async def plan(self, user: UserView, plan_id: int) -> PlanView:
        async with self._db.session() as session:
            row = await PlanRepository(session).get(plan_id)
            if row is None or row.user_id != user.id:
                raise NotFound("You have no plan with that number.")
            return await self._view(session, row)

    async def _view(self, session: AsyncSession, row: TradePlan) -> PlanView:
        account = await session.get(ExchangeAccount, row.account_id)
        source = None if row.source_id is None else await session.get(Source, row.source_id)
        assert account is not None
        legs = await PlanRepository(session).legs(row.id)
        return _with_legs(to_view(row, account, source, _quote(row.symbol)), legs)

    async def close_plan(self, user: UserView, plan_id: int) -> PlanView:
        """Close one working plan at market (owner only)."""
        await self.plan(user, plan_id)
        await self._runner.run(plan_id, [CloseNow("closed by you")], actor_user_id=user.id)
        return await self.plan(user, plan_id)

    async def panic_token(self, user: UserView) -> tuple[str, list[PlanView]]:
        """A Confirm token for /panic and the plans it would close."""
        plans = [
            p for p in await self.open_plans(user) if p.status is not PlanStatus.AWAITING_CONFIRM
        ]
        token = secrets.token_urlsafe(12)[:16]
        async with self._db.transaction() as session:
            await TokenRepository(session).add(
                ActionToken(
                    id=token,
                    user_id=user.id,
                    kind="panic",
                    payload={"plans": [p.id for p in plans]},
                    expires_at=self._clock() + PANIC_TTL,
                    created_at=self._clock(),
                )
            )
        return token, plans

    async def panic(self, user: UserView, token: str) -> list[PlanView]:
        """Close every working plan of the user at market, once per token."""
        await self._use_token(user, token, "panic")
        async with self._db.transaction() as session:
            plan_ids = await PlanRepository(session).working_of_user(user.id)
            await AuditRepository(session).add(
                "panic",
                actor_user_id=user.id,
                target=f"user:{user.id}",
                details={"plans": plan_ids},
            )
        for plan_id in plan_ids:
            await self._runner.run(plan_id, [CloseNow("panic")], actor_user_id=user.id)
        log.warning("panic", user_id=user.id, plans=len(plan_ids))
        return [await self.plan(user, plan_id) for plan_id in plan_ids]

    async def _use_token(self, user: UserView, token: str, kind: str) -> ActionToken:
        async with self._db.transaction() as session:
            tokens = TokenRepository(session)
            row = await tokens.get(token, lock=True)
            if row is None or row.user_id != user.id or row.kind != kind:
                raise NotFound("That button is not yours or no longer valid.")
            if row.status != "pending":
                raise Conflict("Already done: a button does its work once.")
            if row.expires_at <= self._clock():
                raise NotFound("That button has expired; nothing was done.")
            if not await tokens.transition(token, "pending", "used"):
                raise Conflict("Already done: a button does its work once.")
            return row

    async def decide(
        self, user: UserView, token: str, choice: Choice, pin: str | None = None
    ) -> PlanView | None:
        """Execute (on the plan's account), Paper, or Ignore a confirm-mode plan."""
        plan_id = await self._pending_plan(user, token)
        if choice == "ignore":
            await self._use_token(user, token, "plan")
            await self._end_unsent(plan_id, PlanStatus.CANCELLED, "ignored")
            return None
        if choice == "paper":
            await self._to_paper(plan_id)
        else:
            await self._pin_if_live(user, plan_id, token, pin)
        reason = await self._stale(plan_id)
        await self._use_token(user, token, "plan")
        if reason is not None:
            await self._end_unsent(plan_id, PlanStatus.CANCELLED, "stale")
            raise UserError(f"Not placed: {reason}")
        actions = await self._start(plan_id, user.id)
        await self._runner.run(plan_id, actions=actions)
        return await self.plan(user, plan_id)

    async def _pending_plan(self, user: UserView, token: str) -> int:
        async with self._db.session() as session:
            row = await TokenRepository(session).get(token)
            if row is None or row.user_id != user.id or row.kind != "plan":
                raise NotFound("That button is not yours or no longer valid.")
            if row.status != "pending":
                raise Conflict("Already done: this plan was placed (or ignored) once.")
            if row.expires_at <= self._clock():
                raise NotFound("This signal has expired; nothing was placed.")
            plan_id = int(row.payload["plan_id"])
            plan = await PlanRepository(session).get(plan_id)
            if plan is None or plan.status is not PlanStatus.AWAITING_CONFIRM:
                raise Conflict("Already done: this plan was placed (or ignored) once.")
            return plan_id

    async def _pin_if_live(
        self, user: UserView, plan_id: int, token: str, pin: str | None
    ) -> None:
        async with self._db.session() as session:
            row = await PlanRepository(session).get(plan_id)
            assert row is not None
            account = await session.get(ExchangeAccount, row.account_id)
        if account is not None and not account.is_paper:
            await self._pins.check(user.id, token, pin)

    async def _to_paper(self, plan_id: int) -> None:
        """Move an unsent plan to the paper account of its market (same sizes)."""
        async with self._db.session() as session:
            row = await PlanRepository(session).get(plan_id)
            assert row is not None
            user_id, market = row.user_id, row.market_type
        if market is MarketType.PERP:
            account = await self._accounts.ensure_paper_perp(user_id)
        else:
            account = await self._accounts.ensure_paper(user_id)
        async with self._db.transaction() as session:
            row = await PlanRepository(session).get(plan_id, lock=True)
            assert row is not None
            row.account_id = account.id

    async def _stale(self, plan_id: int) -> str | None:
        """Why the card no longer stands: the price ran past the first target or the stop."""
        async with self._db.session() as session:
            row = await PlanRepository(session).get(plan_id)
            assert row is not None
        account = await self._accounts.by_id(row.account_id)
        client = await self._accounts.client(account, row.symbol)
        price = (await client.ticker(row.symbol)).last
        long = row.side is Side.LONG
        if row.targets:
            first = _decimal(row.targets[0])
            if (price >= first) if long else (price <= first):
                return (
                    f"the price ({fmt_number(price)}) is already past the first target "
                    f"({fmt_number(first)})."
                )
        stop = row.stop_price
        if stop is not None and ((price <= stop) if long else (price >= stop)):
            return (
                f"the price ({fmt_number(price)}) is already past the stop ({fmt_number(stop)})."
            )
        return None

    async def _start(self, plan_id: int, actor: int) -> list[Action]:
        async with self._db.transaction() as session:
            plans = PlanRepository(session)
            row = await plans.get(plan_id, lock=True)
            assert row is not None
            legs = await plans.legs(plan_id)
            plan = to_model(row, legs)
            plan.status = PlanStatus.PENDING
            actions = engine.start(plan)
            await save(session, row, plan, legs)
            await AuditRepository(session).add(
                "plan_confirmed", actor_user_id=actor, target=f"plan:{plan_id}"
            )
            return list(actions)

    async def _end_unsent(self, plan_id: int, status: PlanStatus, reason: str) -> None:
        async with self._db.transaction() as session:
            row = await PlanRepository(session).get(plan_id, lock=True)
            if row is None or row.status.is_final:
                return
            row.status = status
            row.close_reason = reason
            row.closed_at = self._clock()


def _with_legs(view: PlanView, legs: list[PlanLeg]) -> PlanView:
    return replace(view, legs=leg_views(legs))


def _quote(symbol: str) -> str:
    return symbol.split("/")[1].split(":", maxsplit=1)[0] if "/" in symbol else "USDT"


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))
