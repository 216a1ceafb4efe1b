"""A signal's auto followers on their live spot accounts, set-based like the paper batch.

``LiveSpotBatch.select`` takes, of a signal's new auto followers, those whose plans go to a live
spot account they own (active, with the PIN set and the live auto-trading warning accepted):
their accounts are read in one query. The rest (paper, perps, a missing account or PIN,
confirm mode) go one by one through ``PlanIntake``, which says why when it refuses.

``run_live`` then, for the selected followers:

- chunk by chunk (``LIVE_CHUNK`` followers, ``CHUNKS_AT_ONCE`` chunks at a time, so the first
  orders go out while later chunks are still read): reads per exchange venue the market (from
  the client's saved markets) and ONE ticker for the whole signal, and per account its balance,
  concurrently; a follower whose read failed for a transient reason is handed back for the
  one-by-one road (which retries the update later), one refused by the exchange is told why;
  reads what the risk guard needs of the chunk in one query each (``PaperSpotBatch._guards``);
  builds each plan (pure); stores the plans, their legs, the notes and each plan's first entry
  as a ``pending`` order in ONE transaction; sends each plan's entries in turn and the plans
  concurrently; records every answer in one more transaction (order rows and legs); and
  returns the events the answers make (fills, refusals) for the plan runner, as the paper
  batch does. No full garbage collection starts while the chunks run
  (``core.heap_burst``).

Exactly once, as ``services.trading.submit`` promises: each order's row is committed as
``pending`` with its deterministic client order id before the exchange is called (a chunk's
first entries in one statement, committed with the plans, sent at once; a plan's later
entries one by one); a timeout or an unclear answer leaves it ``unknown`` for the reconciler
(never sent again). A crash leaves per plan at most one order whose placement is unknown,
and legs still ``planned`` that the runner's ``resume`` sends (finding, by client order id, a
row stored before). The per-user trade lock of ``OrderSubmitter`` is not taken: the rows are
new and no other path places their client order ids; the reconciler gives a ``pending`` row up
only after its age.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import ExchangeAccount, Order, PlanLeg
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.plans import PlanRepository
from core.domain import LegKind, LegStatus, MarketType, OrderStatus, SubscriptionMode
from core.errors import ExchangeError, OrderRejected, TemporaryExchangeError, UserError
from core.heap_burst import full_collections_held
from core.permissions import role_allows
from services.exchange.base import ExchangeClient, MarketInfo, OrderRequest, OrderResult
from services.signal_dto import SignalView
from services.trade_plans import engine
from services.trade_plans.batch import (
    Made,
    PaperSpotBatch,
    Shared,
    market_rules,
    signal_input,
)
from services.trade_plans.build import MarketRules, SignalInput, build_plan
from services.trade_plans.dto import Refusal
from services.trade_plans.followers import Follower, free_quote, is_futures, trader_risk
from services.trade_plans.model import Event
from services.trade_plans.risk import GuardInput
from services.trade_plans.settings import TraderRisk
from services.trade_plans.store import leg_client_id, leg_values
from services.trading.submit import write_result

log = structlog.get_logger(__name__)

LIVE_CHUNK: Final = 12  # read, guarded, stored, sent together (<= SENDS_AT_ONCE); see PERFORMANCE
CHUNKS_AT_ONCE: Final = 2  # one chunk's database work overlaps another's exchange calls
READS_AT_ONCE: Final = 64  # balances read at once (each its own account's rate limit)
SENDS_AT_ONCE: Final = 64  # plans whose entries are in flight at once


@dataclass(frozen=True, slots=True)
class _Venue:
    """What every follower on one exchange venue shares for this signal."""

    signal: SignalInput
    rules: MarketRules
    price: Decimal


@dataclass(frozen=True, slots=True)
class _Sent:
    """One entry order's answer: the exchange's result, a refusal's reason, or unknown."""

    result: OrderResult | None
    status: OrderStatus
    error: str | None
    exchange: str = ""


class LiveSpotBatch(PaperSpotBatch):
    """Plans of live spot auto followers, a few statements per chunk (see the module)."""

    async def select(
        self, view: SignalView, followers: Sequence[Follower]
    ) -> tuple[list[tuple[Follower, ExchangeAccount]], list[Follower]]:
        """(followers this batch serves with their account, the others)."""
        wanted = [f for f in followers if _candidate(view, f)]
        if not wanted:
            return [], list(followers)
        async with self._db.session() as session:
            rows = await PlanRepository(session).accounts_by_id(
                [int(f.settings.account) for f in wanted]
            )
        served = []
        for follower in wanted:
            row = rows.get(int(follower.settings.account))
            if (
                row is not None
                and row.user_id == follower.user.id
                and row.is_active
                and not row.is_paper
                and row.market_type is MarketType.SPOT
            ):
                served.append((follower, row))
        chosen = {f.user.id for f, _ in served}
        return served, [f for f in followers if f.user.id not in chosen]

    async def run_live(
        self,
        shared: Shared,
        served: Sequence[tuple[Follower, ExchangeAccount]],
        risks: dict[int, TraderRisk],
    ) -> tuple[dict[int, list[Event]], list[Follower]]:
        """The plans of ``served``: (events of the orders placed by plan id, followers handed
        back for the one-by-one road)."""
        view = shared.view
        assert view.base is not None
        symbol = f"{view.base}/{shared.quote}"
        venues: dict[tuple[str, bool], asyncio.Task[_Venue]] = {}
        events: dict[int, list[Event]] = {}
        back: list[Follower] = []
        gate = asyncio.Semaphore(CHUNKS_AT_ONCE)

        async def chunk(part: Sequence[tuple[Follower, ExchangeAccount]]) -> None:
            async with gate:
                reads = await self._read_all(shared, part, symbol, venues)
                back.extend(f for f, _ in part if isinstance(reads[f.user.id], BaseException))
                refused = [(f, r) for f, _ in part if isinstance(r := reads[f.user.id], Refusal)]
                ready = [(f, a, r) for f, a in part if isinstance(r := reads[f.user.id], tuple)]
                if refused:
                    async with self._db.transaction() as session:
                        notes = self._notes(shared, [], refused)
                        await OutboxRepository(session).enqueue_many(notes)
                if not ready:
                    return
                prices = {f.user.id: r[0].price for f, _, r in ready}
                free = {f.user.id: r[1] for f, _, r in ready}
                followers = [f for f, _, _ in ready]
                guards = await self._guards(shared, followers, prices, free, risks)
                made = [(f, a, guards[f.user.id], r[0]) for f, a, r in ready]
                events.update(await self._live_chunk(shared, made))

        with full_collections_held():  # no 200-300 ms collector pause under the orders
            await asyncio.gather(
                *(chunk(served[i : i + LIVE_CHUNK]) for i in range(0, len(served), LIVE_CHUNK))
            )
        return events, back

    async def _read_all(
        self,
        shared: Shared,
        served: Sequence[tuple[Follower, ExchangeAccount]],
        symbol: str,
        venues: dict[tuple[str, bool], asyncio.Task[_Venue]],
    ) -> dict[int, tuple[_Venue, Decimal] | Refusal | BaseException]:
        """Per follower: its venue (market and one ticker per venue, shared by every chunk)
        and free quote balance, or why not."""
        gate = asyncio.Semaphore(READS_AT_ONCE)

        async def read(account: ExchangeAccount, owner: int) -> tuple[_Venue, Decimal]:
            client = self._accounts.client_of_row(account, owner, symbol)
            key = (account.exchange_id, account.sandbox)
            if key not in venues:
                venues[key] = asyncio.ensure_future(self._venue(shared, client, symbol))
            venue = await asyncio.shield(venues[key])
            return venue, free_quote(await client.balances(), shared.quote)

        async def one(account: ExchangeAccount, owner: int) -> tuple[_Venue, Decimal] | Refusal:
            async with gate:
                try:
                    return await read(account, owner)
                except TemporaryExchangeError:
                    raise
                except (UserError, ExchangeError) as exc:
                    return Refusal("exchange", exc.user_message)

        answers = await asyncio.gather(
            *(one(a, f.user.id) for f, a in served), return_exceptions=True
        )
        return {f.user.id: answer for (f, _), answer in zip(served, answers, strict=True)}

    async def _venue(self, shared: Shared, client: ExchangeClient, symbol: str) -> _Venue:
        market: MarketInfo = await client.market(symbol)
        price = (await client.ticker(market.symbol)).last
        signal = signal_input(shared, market.symbol)
        return _Venue(signal, market_rules(market), price)

    async def _live_chunk(
        self,
        shared: Shared,
        chunk: Sequence[tuple[Follower, ExchangeAccount, GuardInput, _Venue]],
    ) -> dict[int, list[Event]]:
        """One chunk: plans built; plans, legs, pending orders and notes stored in one
        transaction; the entries sent; the answers recorded in one more."""
        made: list[Made] = []
        refused: list[tuple[Follower, Refusal]] = []
        now = self._clock()
        for follower, account, guard, venue in chunk:
            built = build_plan(venue.signal, follower.settings, venue.rules, guard, None, now)
            if isinstance(built, Refusal):
                refused.append((follower, built))
            else:
                engine.start(built)
                made.append(Made(follower, account, built))
        # plans, legs, notes and each plan's first entry as a ``pending`` order: all or none
        async with self._db.transaction() as session:
            await self._insert_plans(session, shared, made)
            placed = [m for m in made if m.plan_id]
            rows = [leg_values(m.plan_id, leg) for m in placed for leg in m.plan.legs]
            await PlanRepository(session).insert_many_ignore(PlanLeg, rows, ["client_order_id"])
            await OutboxRepository(session).enqueue_many(self._notes(shared, made, refused))
            entries = {m.plan_id: _entries(m) for m in placed}
            firsts = await self._store_intents(
                session, shared, [(m, entries[m.plan_id][0]) for m in placed if entries[m.plan_id]]
            )
        sent = await self._send_all(shared, placed, entries, firsts)
        await self._record(sent)
        await self._holdings_changed(placed)
        log.info("live_plans_stored", signal_id=shared.view.id, plans=len(placed))
        results: dict[str, OrderResult | str] = {}
        for cid, (_, answer) in sent.items():
            if answer.status is OrderStatus.REJECTED:
                results[cid] = answer.error or "The exchange refused the order."
            elif answer.result is not None:
                results[cid] = answer.result
        return self._events(placed, results, shared.quote)

    async def _send_all(
        self,
        shared: Shared,
        placed: Sequence[Made],
        entries: dict[int, list[OrderRequest]],
        firsts: dict[str, int],
    ) -> dict[str, tuple[int, _Sent]]:
        """Each plan's entries in turn, the plans concurrently: the first entry of every plan
        of the chunk was committed as a ``pending`` row (``firsts``: client order id -> row id)
        with the plans, in ONE statement, and all of them are sent at once (the chunk is no
        larger than the sends allowed at once, so none waits behind another); a plan's later
        entries are each committed just before their own send, as ``OrderSubmitter`` does. A
        crash thus leaves at most one order per plan whose placement is unknown (its later legs
        still planned: the runner's ``resume`` sends them). Client order id -> (order row id,
        answer)."""
        gate = asyncio.Semaphore(SENDS_AT_ONCE)
        out: dict[str, tuple[int, _Sent]] = {}

        async def plan_entries(m: Made) -> None:
            async with gate:
                client = self._accounts.client_of_row(m.account, m.follower.user.id, m.plan.symbol)
                for i, request in enumerate(entries[m.plan_id]):
                    if i == 0:
                        order_id = firsts.get(request.client_order_id)
                    else:
                        async with self._db.transaction() as session:
                            stored = await self._store_intents(session, shared, [(m, request)])
                        order_id = stored.get(request.client_order_id)
                    if order_id is None:  # stored before: the runner's resume settles it
                        continue
                    answer = await _send(client, request)
                    out[request.client_order_id] = (
                        order_id,
                        replace(answer, exchange=m.account.exchange_id),
                    )

        await asyncio.gather(*(plan_entries(m) for m in placed))
        return out

    @staticmethod
    async def _store_intents(
        session: AsyncSession, shared: Shared, intents: Sequence[tuple[Made, OrderRequest]]
    ) -> dict[str, int]:
        """The orders as ``pending`` rows in one statement: client order id -> row id (one
        stored before is left out)."""
        rows = [
            {
                "user_id": m.follower.user.id,
                "account_id": m.account.id,
                "signal_id": shared.view.id,
                "plan_id": m.plan_id,
                "client_order_id": r.client_order_id,
                "symbol": r.symbol,
                "side": r.side,
                "type": r.type,
                "amount": r.amount,
                "price": r.price,
                "reduce_only": r.reduce_only,
                "status": OrderStatus.PENDING,
            }
            for m, r in intents
        ]
        inserted = await PlanRepository(session).insert_many_ignore(
            Order, rows, ["client_order_id"], (Order.client_order_id, Order.id)
        )
        return {cid: order_id for cid, order_id in inserted}

    async def _record(self, sent: dict[str, tuple[int, _Sent]]) -> None:
        """Every answer into its order row, and the legs placed with their orders (a refused
        one stays planned: its refusal is the event the runner applies next)."""
        if not sent:
            return
        async with self._db.transaction() as session:
            plans = PlanRepository(session)
            orders = await plans.orders_by_id([order_id for order_id, _ in sent.values()])
            legs = await plans.legs_by_client_id(list(sent))
            for cid, (order_id, answer) in sent.items():
                order = orders.get(order_id)
                if order is not None and not order.status.is_final:
                    _apply(order, answer)
                    self._count_status(answer.exchange, answer.status)
                leg = legs.get(cid)
                if leg is None:
                    continue
                leg.order_id = order_id
                if answer.status is not OrderStatus.REJECTED:
                    leg.status = LegStatus.PLACED

    def _count_status(self, exchange: str, status: OrderStatus) -> None:
        if self._metrics is not None:
            self._metrics.orders.labels(exchange, status.value).inc()


def _candidate(view: SignalView, follower: Follower) -> bool:
    """Auto mode on a chosen live account, a spot signal, a trader with the PIN and the
    warning accepted (the account itself is checked by ``select``)."""
    settings, user = follower.settings, follower.user
    return (
        settings.mode is SubscriptionMode.AUTO
        and settings.account.isdigit()
        and not is_futures(view)
        and not user.is_banned
        and role_allows(user.role, "trade")
        and user.pin_hash is not None
        and trader_risk(user).live_auto_ack
    )


def _entries(m: Made) -> list[OrderRequest]:
    """The plan's entry orders, in the plan's order."""
    return [
        OrderRequest(
            symbol=m.plan.symbol,
            side=leg.side,
            type=leg.type,
            amount=leg.amount,
            client_order_id=leg_client_id(m.plan_id, leg.kind, leg.idx, leg.gen),
            price=leg.price,
        )
        for leg in m.plan.legs
        if leg.kind is LegKind.ENTRY
    ]


async def _send(client: ExchangeClient, request: OrderRequest) -> _Sent:
    """One ``create_order``, classified as ``OrderSubmitter._send`` does."""
    try:
        result = await client.create_order(request)
    except TemporaryExchangeError as exc:
        return _Sent(None, OrderStatus.UNKNOWN, exc.user_message)
    except (OrderRejected, UserError) as exc:
        return _Sent(None, OrderStatus.REJECTED, exc.user_message)
    except ExchangeError as exc:  # e.g. a clock-skew refusal: outcome unclear, reconcile
        return _Sent(None, OrderStatus.UNKNOWN, exc.user_message)
    status = OrderStatus.PENDING if result.status is OrderStatus.UNKNOWN else result.status
    return _Sent(result, status, None)


def _apply(order: Order, answer: _Sent) -> None:
    """The answer into the row, as ``OrderSubmitter.apply`` / ``mark`` write it."""
    result = answer.result
    if result is None:  # refused (told with the plan's refusal) or unknown (reconciled)
        order.status = answer.status
        order.error = answer.error
        if answer.status is OrderStatus.REJECTED:
            order.notified_status = answer.status.value
        return
    write_result(order, result, answer.status)
    order.notified_status = answer.status.value
