"""Running plans: one event at a time per plan, its actions sent exactly once.

``PlanRunner.run(plan_id, events, actions)`` takes the plan's lock, and for each event loads
the plan, asks the pure engine what to do, and stores the new state, the new legs (each with
its client order id) and the follower's notes in one transaction; only then are the actions
sent. An order's answer (a market fill, a refusal) becomes the next event. So:

- a leg is stored ``planned`` before it is sent and sent through ``OrderSubmitter`` with its
  fixed client order id: a crash after the store and before the send leaves a planned leg that
  ``resume`` sends (the submitter answers an id it has seen with the first order, never twice);
- a note exists iff the change it announces does (outbox row in the same transaction), with a
  dedupe key per plan version, so a replay queues nothing twice;
- ``sync`` turns what orders say (fills, cancels, refusals) into events, and re-cancels a leg
  whose cancel was lost; ``tick`` feeds prices (spot take-profits and stops watched by the bot,
  trailing, expiry) and notices a perp position the exchange liquidated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Locks
from core.clock import Clock
from core.db.models import ExchangeAccount, Order, PlanLeg, Source, TradePlan, User
from core.db.repositories.audit import AuditRepository
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.plans import PlanRepository
from core.db.session import Database
from core.domain import LegKind, LegStatus, MarketType, OrderStatus, PlanStatus
from core.errors import ExchangeError, NotFound, OrderRejected, TemporaryExchangeError, UserError
from services.exchange.base import OrderRequest
from services.notifications import enqueue
from services.trade_plans import engine
from services.trade_plans.model import (
    Action,
    CancelLeg,
    ChannelUpdate,
    CloseNow,
    Event,
    LegEnded,
    LegFilled,
    Liquidated,
    Notify,
    PlaceLeg,
    Plan,
    PriceTick,
)
from services.trade_plans.ports import PlanMessages
from services.trade_plans.store import leg_client_id, save, to_model, to_view
from services.trading.accounts import TradingAccounts
from services.trading.submit import OrderSubmitter
from services.trading.views import account_view
from services.trading_dto import AccountView, OrderView

log = structlog.get_logger(__name__)

LOCK_TIMEOUT_S: Final = 30.0  # the wait; a killed holder frees it within the lock's lease
LegKey = tuple[LegKind, int, int]
_AUDITED: Final = (ChannelUpdate, CloseNow)


def plan_lock(plan_id: int) -> str:
    return f"plan:{plan_id}"


class PlanRunner:
    """Applies events to stored plans and sends what they ask for."""

    def __init__(  # noqa: PLR0913 - the collaborators a plan step touches
        self,
        db: Database,
        accounts: TradingAccounts,
        submitter: OrderSubmitter,
        locks: Locks,
        messages: PlanMessages,
        clock: Clock,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._submitter = submitter
        self._locks = locks
        self._messages = messages
        self._clock = clock

    async def run(
        self,
        plan_id: int,
        events: Sequence[Event] = (),
        actions: Sequence[Action] = (),
        *,
        actor_user_id: int | None = None,
        once: str | None = None,
    ) -> None:
        """Apply ``events`` in order, then send ``actions`` and whatever follows from them.
        ``once``: a key (a channel event) whose first event is applied to this plan only once,
        however often it is delivered."""
        async with self._locks.lock(plan_lock(plan_id), LOCK_TIMEOUT_S):
            queue: list[Event] = list(events)
            pending: list[Action] = list(actions)
            while queue or pending:
                if pending:
                    queue.extend(await self._execute(plan_id, pending.pop(0)))
                    continue
                event = queue.pop(0)
                pending.extend(await self._step(plan_id, event, actor_user_id, once))
                if isinstance(event, ChannelUpdate):
                    once = None

    async def _step(
        self, plan_id: int, event: Event, actor: int | None, once: str | None
    ) -> list[Action]:
        """One event in one transaction: state, new legs and notes; returns what to send."""
        now = self._clock()
        async with self._db.transaction() as session:
            plans = PlanRepository(session)
            row = await plans.get(plan_id, lock=True)
            if row is None or (row.status.is_final and not isinstance(event, LegFilled)):
                return []
            applied = list((row.settings or {}).get("_applied", []))
            if once is not None and isinstance(event, ChannelUpdate):
                if once in applied:
                    return []
                row.settings = {**row.settings, "_applied": [*applied, once]}
            legs = await plans.legs(plan_id)
            plan = to_model(row, legs)
            actions = engine.on_event(plan, event, now)
            was_final = row.status.is_final
            await save(session, row, plan, legs)
            if row.status.is_final and not was_final:
                row.closed_at = now
            if isinstance(event, _AUDITED):
                await AuditRepository(session).add(
                    f"plan_{type(event).__name__.lower()}",
                    actor_user_id=actor,
                    target=f"plan:{plan_id}",
                    details={"event": _describe(event), "status": row.status.value},
                )
            notes = [a for a in actions if isinstance(a, Notify)]
            if notes:
                await self._notify(session, row, notes)
        return [a for a in actions if not isinstance(a, Notify)]

    async def _notify(self, session: AsyncSession, row: TradePlan, notes: list[Notify]) -> None:
        user = await session.get(User, row.user_id)
        account = await session.get(ExchangeAccount, row.account_id)
        source = None if row.source_id is None else await session.get(Source, row.source_id)
        if user is None or account is None:
            return
        view = to_view(row, account, source, _quote(row.symbol))
        outbox = OutboxRepository(session)
        for index, note in enumerate(notes):
            await enqueue(
                outbox,
                user.telegram_id,
                self._messages.plan_event(view, note.kind, note.details),
                dedupe_key=f"plan:{row.id}:v{row.version}:{index}",
                user_id=user.id,
            )

    # -- sending ------------------------------------------------------------------------------

    async def _execute(self, plan_id: int, action: Action) -> list[Event]:
        if isinstance(action, PlaceLeg):
            return await self._place(plan_id, action.key)
        if isinstance(action, CancelLeg):
            await self._cancel(plan_id, action.key)
        return []

    async def _load_leg(
        self, plan_id: int, key: LegKey
    ) -> tuple[TradePlan, PlanLeg, AccountView] | None:
        async with self._db.session() as session:
            row = await PlanRepository(session).get(plan_id)
            leg = await session.scalar(
                select(PlanLeg).where(
                    PlanLeg.plan_id == plan_id,
                    PlanLeg.kind == key[0],
                    PlanLeg.idx == key[1],
                    PlanLeg.gen == key[2],
                )
            )
        if row is None or leg is None:
            return None
        return row, leg, await self._accounts.by_id(row.account_id)

    async def _place(self, plan_id: int, key: LegKey) -> list[Event]:
        loaded = await self._load_leg(plan_id, key)
        if loaded is None:
            return []
        row, leg, account = loaded
        if leg.status is not LegStatus.PLANNED:
            return []  # sent before (a replayed action)
        if row.market_type is MarketType.PERP and leg.kind is LegKind.ENTRY:
            refused = await self._set_leverage(row, account)
            if refused is not None:
                return [LegEnded(key, LegStatus.REJECTED, refused)]
        request = OrderRequest(
            symbol=row.symbol,
            side=leg.side,
            type=leg.type,
            amount=leg.amount,
            client_order_id=leg.client_order_id,
            price=leg.price,
            reduce_only=leg.reduce_only,
        )
        try:
            order = await self._submitter.submit(
                row.user_id, account, request, signal_id=row.signal_id, token=None
            )
        except (OrderRejected, UserError) as exc:
            log.info("plan_leg_rejected", plan_id=plan_id, leg=leg.client_order_id)
            await self._link(leg.id, leg.client_order_id, plan_id, LegStatus.REJECTED)
            return [LegEnded(key, LegStatus.REJECTED, exc.user_message)]
        await self._link(leg.id, leg.client_order_id, plan_id, LegStatus.PLACED)
        return _events_of(key, order, Decimal(0), _quote(row.symbol))

    async def _set_leverage(self, row: TradePlan, account: AccountView) -> str | None:
        """Isolated margin and the plan's leverage before an entry; the reason when refused.
        An exchange that keeps another leverage (a position is open) keeps the plan's size:
        the margin it takes changes, which the follower is told in the fill note."""
        client = await self._accounts.client(account, row.symbol)
        try:
            await client.set_leverage(row.symbol, row.leverage)
        except (UserError, OrderRejected) as exc:
            return exc.user_message
        except TemporaryExchangeError:
            raise
        except ExchangeError as exc:
            return exc.user_message
        return None

    async def _link(self, leg_id: int, client_id: str, plan_id: int, status: LegStatus) -> None:
        """The leg knows its order (and the order its plan); a planned leg becomes placed."""
        async with self._db.transaction() as session:
            leg = await session.get(PlanLeg, leg_id)
            order = await session.scalar(select(Order).where(Order.client_order_id == client_id))
            if leg is None:
                return
            if order is not None:
                leg.order_id = order.id
                order.plan_id = plan_id
            if leg.status is LegStatus.PLANNED and status is LegStatus.PLACED:
                leg.status = LegStatus.PLACED

    async def _cancel(self, plan_id: int, key: LegKey) -> None:
        loaded = await self._load_leg(plan_id, key)
        if loaded is None:
            return
        row, leg, account = loaded
        async with self._db.session() as session:
            order = await session.scalar(
                select(Order).where(Order.client_order_id == leg.client_order_id)
            )
        if order is None or order.status.is_final or order.exchange_order_id is None:
            return  # never sent, or ended already (a fill that raced arrives through sync)
        await self.cancel_order(account, order)

    async def cancel_order(self, account: AccountView, order: Order) -> None:
        client = await self._accounts.client(account, order.symbol)
        assert order.exchange_order_id is not None
        try:
            result = await client.cancel_order(order.symbol, order.exchange_order_id)
        except (NotFound, UserError, OrderRejected) as exc:
            log.info("plan_cancel_refused", order_id=order.id, reason=exc.user_message)
            return
        await self._submitter.apply(order.id, account, result, notified=True)

    # -- what orders and prices say ----------------------------------------------------------

    async def sync(self) -> int:
        """Feed order news into their plans; re-cancel lost cancels. Returns events applied."""
        async with self._db.session() as session:
            pairs = await PlanRepository(session).legs_with_orders()
        applied = 0
        for leg, order in pairs:
            quote = _quote(order.symbol)
            key: LegKey = (leg.kind, leg.idx, leg.gen)
            if leg.status is LegStatus.CANCELLED and order.status in (
                OrderStatus.OPEN,
                OrderStatus.PARTIALLY_FILLED,
            ):
                account = await self._accounts.by_id(order.account_id)
                await self.cancel_order(account, order)
            if leg.status is LegStatus.PLACED and order.status is OrderStatus.NOT_FOUND:
                # the exchange never got it (after every check): the same leg goes again under
                # a fresh client order id, once
                await self._replace_unplaced(leg.id)
                await self.resume_plan(leg.plan_id)
                continue
            events = _order_news(key, leg, order, quote)
            if events:
                await self.run(leg.plan_id, events)
                applied += len(events)
            elif leg.status is LegStatus.PLANNED and order.status is OrderStatus.OPEN:
                await self._link(leg.id, leg.client_order_id, leg.plan_id, LegStatus.PLACED)
        return applied

    async def _replace_unplaced(self, leg_id: int) -> None:
        async with self._db.transaction() as session:
            leg = await session.get(PlanLeg, leg_id)
            if leg is None or leg.status is not LegStatus.PLACED:
                return
            leg.status = LegStatus.CANCELLED
            leg.error = "never placed: not found at the exchange"
            gens = [
                other.gen
                for other in await PlanRepository(session).legs(leg.plan_id)
                if other.kind is leg.kind and other.idx == leg.idx
            ]
            gen = max(gens) + 1
            session.add(
                PlanLeg(
                    plan_id=leg.plan_id,
                    kind=leg.kind,
                    idx=leg.idx,
                    gen=gen,
                    side=leg.side,
                    type=leg.type,
                    price=leg.price,
                    amount=leg.amount,
                    reduce_only=leg.reduce_only,
                    status=LegStatus.PLANNED,
                    client_order_id=leg_client_id(leg.plan_id, leg.kind, leg.idx, gen),
                    reason=leg.reason,
                )
            )
        log.warning("plan_leg_replaced", leg_id=leg_id, gen=gen)

    async def resume(self) -> int:
        """Send the legs stored but maybe never sent (a crash between store and send)."""
        async with self._db.session() as session:
            plan_ids = await PlanRepository(session).with_planned_legs()
        for plan_id in plan_ids:
            await self.resume_plan(plan_id)
        return len(plan_ids)

    async def resume_plan(self, plan_id: int) -> None:
        """Send this plan's planned legs (each at most once: fixed client order ids)."""
        async with self._db.session() as session:
            keys = [
                (leg.kind, leg.idx, leg.gen)
                for leg in await PlanRepository(session).legs(plan_id)
                if leg.status is LegStatus.PLANNED
            ]
        if keys:
            await self.run(plan_id, actions=[PlaceLeg(k) for k in keys])

    async def tick(self) -> int:
        """A price tick for every working plan that it would change (one price per account
        and symbol per pass). Plans and legs are read in two queries and the tick is tried on
        each in memory first: only a plan the price moves (a target or the stop reached,
        the trail, the expiry) takes a step; the others cost no transaction. Returns how many
        plans stepped."""
        async with self._db.session() as session:
            plans = PlanRepository(session)
            working = await plans.working_with_accounts()
            legs = await plans.legs_of([row.id for row, _ in working])
        prices: dict[tuple[int, str], Decimal | None] = {}
        stepped = 0
        for row, account_row in working:
            account = account_view(account_row)
            cache_key = (0 if account.is_paper else account.id, row.symbol)
            if cache_key not in prices:
                prices[cache_key] = await self._price(account, row.symbol)
            price = prices[cache_key]
            if price is None:
                continue
            events: list[Event] = []
            if row.market_type is MarketType.PERP and row.status is PlanStatus.ACTIVE:
                liquidated = await self._liquidation(row)
                if liquidated is not None:
                    events.append(Liquidated(liquidated))
            tick = PriceTick(price, self._clock())
            await asyncio.sleep(0)  # thousands of plans: let the rest of the bot run between
            if events or _moves(to_model(row, legs[row.id]), tick):
                await self.run(row.id, [*events, tick])
                stepped += 1
        return stepped

    async def apply_channel(self, plan_id: int, update: ChannelUpdate, once: str) -> None:
        """A channel update, after a tick at the market price (a moved stop is checked
        against the market) and once per plan for the ``once`` key."""
        async with self._db.session() as session:
            row = await session.get(TradePlan, plan_id)
        if row is None:
            return
        price = await self._price(await self._accounts.by_id(row.account_id), row.symbol)
        events: list[Event] = [] if price is None else [PriceTick(price, self._clock())]
        await self.run(plan_id, [*events, update], once=once)

    async def _price(self, account: AccountView, symbol: str) -> Decimal | None:
        client = await self._accounts.client(account, symbol)
        try:
            return (await client.ticker(symbol)).last
        except (UserError, ExchangeError) as exc:
            log.info("plan_price_missing", symbol=symbol, reason=exc.user_message)
            return None

    async def _liquidation(self, row: TradePlan) -> Decimal | None:
        """The price of a liquidation of the plan's position recorded since the plan began."""
        async with self._db.session() as session:
            order = await session.scalar(
                select(Order)
                .where(
                    Order.account_id == row.account_id,
                    Order.symbol == row.symbol,
                    Order.client_order_id.like("liq-%"),
                    Order.created_at >= row.created_at,
                )
                .order_by(Order.id.desc())
                .limit(1)
            )
        return None if order is None else order.average


def _moves(plan: Plan, tick: PriceTick) -> bool:
    """Whether ``tick`` would do anything to this (throwaway) plan beyond noting the price."""
    before = (plan.status, plan.stop_price, plan.trail_peak, plan.targets_hit, len(plan.legs))
    actions = engine.on_event(plan, tick, tick.at)
    after = (plan.status, plan.stop_price, plan.trail_peak, plan.targets_hit, len(plan.legs))
    return bool(actions) or before != after


def _order_news(key: LegKey, leg: PlanLeg, order: Order, quote: str) -> list[Event]:
    if order.filled > leg.filled and order.average is not None:
        return [
            LegFilled(
                key,
                order.filled,
                order.average,
                fee_in_quote(order.fee, order.fee_asset, order.average, quote),
            )
        ]
    if leg.status in (LegStatus.PLANNED, LegStatus.PLACED):
        if order.status in (OrderStatus.REJECTED, OrderStatus.NOT_FOUND):
            return [LegEnded(key, LegStatus.REJECTED, order.error)]
        if order.status is OrderStatus.CANCELLED:
            return [LegEnded(key, LegStatus.CANCELLED, order.error)]
    return []


def _events_of(key: LegKey, order: OrderView, known: Decimal, quote: str) -> list[Event]:
    if order.filled > known and order.average is not None:
        fee = fee_in_quote(order.fee, order.fee_asset, order.average, quote)
        return [LegFilled(key, order.filled, order.average, fee)]
    if order.status in (OrderStatus.REJECTED, OrderStatus.NOT_FOUND):
        return [LegEnded(key, LegStatus.REJECTED, order.error)]
    if order.status is OrderStatus.CANCELLED:
        return [LegEnded(key, LegStatus.CANCELLED, order.error)]
    return []


def fee_in_quote(
    fee: Decimal, fee_asset: str | None, average: Decimal | None, quote: str
) -> Decimal:
    """An order's fee in the quote asset (a fee paid in the base is worth ``average`` each)."""
    if fee_asset in (None, quote) or average is None:
        return fee
    return fee * average


def _quote(symbol: str) -> str:
    return symbol.split("/")[1].split(":", maxsplit=1)[0] if "/" in symbol else "USDT"


def _describe(event: Event) -> dict[str, str]:
    if isinstance(event, ChannelUpdate):
        return {
            "kind": event.kind.value,
            "price": "" if event.price is None else str(event.price),
            "to_entry": str(event.to_entry),
        }
    if isinstance(event, CloseNow):
        return {"reason": event.reason}
    return {}
