"""A signal's auto followers on paper spot, as a few statements per chunk instead of a few
transactions per follower.

``PaperSpotBatch.run`` takes a chunk of followers and: reads in one query each what the risk
guard needs of all of them (accounts, free balances, exposure, today's P/L, duplicates); builds
each plan (pure); stores every plan, its legs and every follower's note in ONE transaction
(plans unique per (signal, follower): one a concurrent worker made first is skipped); places
every entry order of the chunk in one paper transaction (``paper_batch.place_many``, the paper
engine's own rules); marks the legs placed; and returns, per plan, the events the orders
produced (fills, refusals), which the caller runs through the plan runner once every chunk's
orders are out. A crash after the plans are stored leaves planned legs that the runner's
``resume`` sends with the same client order ids; nothing is sent twice.

Only auto-mode followers whose orders go to their paper spot account take this road (the common
case, and the one that counts at scale); the others go one by one (``PlanIntake``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db.models import ExchangeAccount, PaperBalance, PlanLeg, TradePlan, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.paper import PaperBalanceRepository
from core.db.repositories.plans import PlanRepository
from core.db.session import Database
from core.domain import LegKind, LegStatus, MarketType, OrderStatus, Side
from core.metrics import Metrics
from services.exchange.base import OrderRequest, OrderResult
from services.exchange.paper import PAPER_EXCHANGE_ID, PaperEngine
from services.exchange.paper_batch import PaperIntent, Quotes, place_in, quotes_for
from services.signal_dto import SignalView
from services.text import split_message
from services.trade_plans import engine
from services.trade_plans.build import MarketRules, SignalInput, build_plan
from services.trade_plans.dto import PlanView, Refusal
from services.trade_plans.followers import Follower
from services.trade_plans.model import Event, LegEnded, LegFilled, Plan
from services.trade_plans.ports import PlanMessages
from services.trade_plans.risk import GuardInput
from services.trade_plans.runner import fee_in_quote
from services.trade_plans.settings import TraderRisk
from services.trade_plans.store import (
    leg_client_id,
    leg_values,
    market_json,
    plan_values,
    view_of,
)
from services.trading.accounts import PAPER_LABEL, TradingAccounts

log = structlog.get_logger(__name__)

CHUNKS_AT_ONCE: Final = 1  # two at once stretched each chunk (its orders) more than it saved
CHUNK: Final = 8  # one paper transaction places a batch; 12 made p99 per order 52-89 ms, 8: 32-43


@dataclass(frozen=True, slots=True)
class Shared:
    """What is the same for every follower of one signal."""

    view: SignalView
    posted_at: datetime
    maintenance: bool
    source_name: str | None
    quote: str


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What every chunk of one signal shares."""

    shared: Shared
    signal: SignalInput
    rules: MarketRules
    quotes: Quotes


@dataclass(slots=True)
class Made:
    follower: Follower
    account: ExchangeAccount
    plan: Plan
    plan_id: int = 0


class PaperSpotBatch:
    def __init__(  # noqa: PLR0913 - the collaborators of a batch
        self,
        db: Database,
        accounts: TradingAccounts,
        paper: PaperEngine,
        messages: PlanMessages,
        clock: Clock,
        metrics: Metrics | None,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._paper = paper
        self._messages = messages
        self._clock = clock
        self._metrics = metrics

    async def run(
        self,
        shared: Shared,
        followers: Sequence[Follower],
        risks: dict[int, TraderRisk],
    ) -> dict[int, list[Event]]:
        """Plans for ``followers`` (none of whom has a plan of this signal yet), chunk by
        chunk; returns the events of the orders placed, by plan id. What the risk guard reads
        is read for everyone first, in one query each."""
        view = shared.view
        assert view.base is not None and view.side is not None
        symbol = f"{view.base}/{shared.quote}"
        accounts = await self._accounts_of(followers)
        quotes = await quotes_for(self._paper, {symbol})
        market, ticker = quotes[symbol]
        async with self._db.session() as session:
            by_account = await PaperBalanceRepository(session).free_of(
                [a.id for a in accounts.values()], shared.quote
            )
        free = {f.user.id: by_account[accounts[f.user.id].id] for f in followers}
        prices = dict.fromkeys(free, ticker.last)
        guards = await self._guards(shared, followers, prices, free, risks)
        prepared = _Prepared(shared, signal_input(shared, symbol), market_rules(market), quotes)
        events: dict[int, list[Event]] = {}
        gate = asyncio.Semaphore(CHUNKS_AT_ONCE)

        async def one(start: int) -> None:
            chunk = [
                (f, accounts[f.user.id], guards[f.user.id])
                for f in followers[start : start + CHUNK]
            ]
            async with gate:
                events.update(await self.run_chunk(prepared, chunk))

        await asyncio.gather(*(one(start) for start in range(0, len(followers), CHUNK)))
        return events

    async def run_chunk(
        self,
        prepared: _Prepared,
        chunk: Sequence[tuple[Follower, ExchangeAccount, GuardInput]],
    ) -> dict[int, list[Event]]:
        """One chunk: plans built, stored with their notes, entries placed in one paper
        transaction, legs marked."""
        made: list[Made] = []
        refused: list[tuple[Follower, Refusal]] = []
        now = self._clock()
        for follower, account, guard in chunk:
            built = build_plan(
                prepared.signal, follower.settings, prepared.rules, guard, None, now
            )
            if isinstance(built, Refusal):
                refused.append((follower, built))
            else:
                made.append(Made(follower, account, built))
        for item in made:
            engine.start(item.plan)
        async with self._db.transaction() as session:  # plans, legs, orders, notes: all or none
            await self._insert_plans(session, prepared.shared, made)
            placed = [m for m in made if m.plan_id]
            intents = _intents(prepared.shared, placed)
            accounts = {m.account.id: m.account for m in placed}
            results = await place_in(
                self._paper, session, intents, prepared.quotes, accounts=accounts
            )
            await self._insert_legs(session, placed, results)
            notes = self._notes(prepared.shared, made, refused)
            await OutboxRepository(session).enqueue_many(notes)
        log.info("plans_stored", signal_id=prepared.shared.view.id, plans=len(placed))
        await self._holdings_changed(placed)
        return self._events(placed, results, prepared.shared.quote)

    async def _accounts_of(self, followers: Sequence[Follower]) -> dict[int, ExchangeAccount]:
        ids = [f.user.id for f in followers]
        async with self._db.session() as session:
            found = await PlanRepository(session).paper_accounts(ids, MarketType.SPOT)
        missing = [user_id for user_id in ids if user_id not in found]
        if missing:  # first use: made and credited once, all in one transaction
            async with self._db.transaction() as session:
                created = await PlanRepository(session).insert_many_ignore(
                    ExchangeAccount,
                    [
                        {
                            "user_id": user_id,
                            "exchange_id": PAPER_EXCHANGE_ID,
                            "label": PAPER_LABEL,
                            "is_paper": True,
                            "sandbox": False,
                            "market_type": MarketType.SPOT,
                        }
                        for user_id in missing
                    ],
                    ["user_id", "label"],
                    (ExchangeAccount.id,),
                )
                await PlanRepository(session).insert_many_ignore(
                    PaperBalance,
                    [
                        {
                            "account_id": account_id,
                            "asset": self._paper.quote,
                            "free": self._paper.start_balance,
                            "used": Decimal(0),
                        }
                        for (account_id,) in created
                    ],
                    ["account_id", "asset"],
                )
            async with self._db.session() as session:
                found = await PlanRepository(session).paper_accounts(ids, MarketType.SPOT)
        for user_id in ids:  # a label taken by a live account: the one-by-one road says why
            if user_id not in found:
                view = await self._accounts.ensure_paper(user_id)
                async with self._db.session() as session:
                    row = await session.get(ExchangeAccount, view.id)
                    assert row is not None
                    found[user_id] = row
        return found

    async def _guards(
        self,
        shared: Shared,
        followers: Sequence[Follower],
        prices: Mapping[int, Decimal],
        free: Mapping[int, Decimal],
        risks: dict[int, TraderRisk],
    ) -> dict[int, GuardInput]:
        """What the risk guard needs of each follower (by user id), the plans' figures read
        in one query each for everyone; ``prices`` and ``free`` (quote balance) come from the
        caller."""
        view = shared.view
        assert view.base is not None and view.side is not None
        ids = [f.user.id for f in followers]
        now = self._clock()
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
        window = max((r.duplicate_window_minutes for r in risks.values()), default=60)
        async with self._db.session() as session:
            plans = PlanRepository(session)
            exposure = await plans.exposure_many(ids, view.base)
            daily = await plans.realized_since_many(ids, midnight)
            duplicates = await plans.duplicates_many(
                ids, view.base, view.side, view.source_id, now - timedelta(minutes=window)
            )
        return {
            f.user.id: GuardInput(
                price=prices[f.user.id],
                balance_free=free[f.user.id],
                exposure_quote=exposure[f.user.id],
                daily_realized_pnl=daily[f.user.id],
                duplicate=f.user.id in duplicates,
                paused=risks[f.user.id].auto_paused,
                source_paused=f.sub.paused,
                maintenance=shared.maintenance,
                risk=risks[f.user.id],
            )
            for f in followers
        }

    async def _insert_plans(self, session: AsyncSession, shared: Shared, made: list[Made]) -> None:
        """One statement for the chunk's plans; a plan another worker made first is skipped
        (its ``plan_id`` stays 0)."""
        now = self._clock()
        view = shared.view
        rows = [
            {
                **plan_values(m.plan),
                "user_id": m.follower.user.id,
                "signal_id": view.id,
                "source_id": view.source_id,
                "account_id": m.account.id,
                "mode": m.follower.settings.mode.value,
                "settings": {**m.follower.settings.to_json(), "_market": market_json(m.plan)},
                "created_at": now,
                "updated_at": now,
            }
            for m in made
        ]
        inserted = await PlanRepository(session).insert_many_ignore(
            TradePlan, rows, ["user_id", "signal_id"], (TradePlan.id, TradePlan.user_id)
        )
        ids = {user_id: plan_id for plan_id, user_id in inserted}
        for m in made:
            m.plan_id = ids.get(m.follower.user.id, 0)

    async def _insert_legs(
        self, session: AsyncSession, placed: list[Made], results: dict[str, OrderResult | str]
    ) -> None:
        """The legs, placed with their orders (a refused entry is placed too: its refusal is
        the event the runner applies next)."""
        rows: list[dict[str, Any]] = []
        for m in placed:
            for leg in m.plan.legs:
                values = leg_values(m.plan_id, leg)
                answer = results.get(values["client_order_id"])
                if answer is not None:
                    values["status"] = LegStatus.PLACED
                if isinstance(answer, OrderResult) and answer.exchange_order_id:
                    values["order_id"] = int(answer.exchange_order_id.removeprefix("paper-"))
                rows.append(values)
        await PlanRepository(session).insert_many_ignore(PlanLeg, rows, ["client_order_id"])

    def _notes(
        self, shared: Shared, made: list[Made], refused: list[tuple[Follower, Refusal]]
    ) -> list[dict[str, Any]]:
        notes = []
        now = self._clock()
        for m in made:
            if m.plan_id:
                text = self._messages.plan_event(_view(shared, m, now), "placed", {})
                notes.append(_note(m.follower.user, text, f"plan:{m.plan_id}:placed"))
        for follower, refusal in refused:
            text = self._messages.plan_refused(shared.view, refusal)
            key = f"planref:{shared.view.id}:u:{follower.user.id}"
            notes.append(_note(follower.user, text, key))
        return notes

    def _events(
        self, placed: list[Made], results: dict[str, OrderResult | str], quote: str
    ) -> dict[int, list[Event]]:
        """The events the orders' answers make (fills, refusals), by plan."""
        events: dict[int, list[Event]] = {}
        for m in placed:
            for leg in m.plan.legs:
                answer = results.get(leg_client_id(m.plan_id, leg.kind, leg.idx, leg.gen))
                if answer is None:
                    continue
                if isinstance(answer, str):
                    event: Event = LegEnded(leg.key, LegStatus.REJECTED, answer)
                    events.setdefault(m.plan_id, []).append(event)
                    continue
                self._count(answer.status)
                if answer.filled > 0 and answer.average is not None:
                    fee = fee_in_quote(answer.fee, answer.fee_asset, answer.average, quote)
                    event = LegFilled(leg.key, answer.filled, answer.average, fee)
                    events.setdefault(m.plan_id, []).append(event)
        return events

    async def _holdings_changed(self, placed: Sequence[Made]) -> None:
        """The followers' cached balance and positions views go (their orders changed them)."""
        await asyncio.gather(
            *(self._accounts.holdings_changed(m.follower.user.id) for m in placed)
        )

    def _count(self, status: OrderStatus) -> None:
        if self._metrics is not None:
            self._metrics.orders.labels("paper", status.value).inc()


def _intents(shared: Shared, placed: list[Made]) -> list[PaperIntent]:
    out = []
    for m in placed:
        for leg in m.plan.legs:
            if leg.kind is not LegKind.ENTRY:
                continue
            request = OrderRequest(
                symbol=m.plan.symbol,
                side=leg.side,
                type=leg.type,
                amount=leg.amount,
                client_order_id=leg_client_id(m.plan_id, leg.kind, leg.idx, leg.gen),
                price=leg.price,
            )
            out.append(PaperIntent(m.account.id, request, shared.view.id, m.plan_id))
    return out


def signal_input(shared: Shared, symbol: str) -> SignalInput:
    view = shared.view
    return SignalInput(
        symbol=symbol,
        side=view.side or Side.LONG,
        market_type=MarketType.SPOT,
        entry_low=view.entry_low,
        entry_high=view.entry_high,
        entry_is_market=view.entry_is_market,
        targets=view.targets,
        stop=view.stop_loss,
        leverage=None,
        posted_at=shared.posted_at,
    )


def market_rules(market: Any) -> MarketRules:
    return MarketRules(
        amount_step=market.amount_step,
        price_step=market.price_step,
        min_amount=market.min_amount,
        min_cost=market.min_cost,
    )


def _note(user: User, text: str, key: str) -> dict[str, Any]:
    text = split_message(text)[0]  # a note is a few lines; a longer one is cut, not split
    return {"chat_id": user.telegram_id, "text": text, "dedupe_key": key, "user_id": user.id}


def _view(shared: Shared, m: Made, now: datetime) -> PlanView:
    row = TradePlan(
        **plan_values(m.plan),
        id=m.plan_id,
        user_id=m.follower.user.id,
        signal_id=shared.view.id,
        mode=m.follower.settings.mode.value,
        created_at=now,
        filled_qty=m.plan.filled_qty,
        closed_qty=m.plan.closed_qty,
        realized_pnl=m.plan.realized_pnl,
        fees=m.plan.fees,
        targets_hit=m.plan.targets_hit,
    )
    return view_of(row, m.account.label, shared.source_name, shared.quote)
