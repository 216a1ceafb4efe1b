"""The live tracker's pass: every tracked signal's outcomes recomputed from candles, stored,
and each new step told to the signal's followers once.

One pass reads the due signals in batches (by id): the signals, their stored outcomes and the
channel's updates in one read transaction; candles and outcomes outside any transaction; then
one write transaction per batch stores both outcomes of each signal and queues the follower
notes. A step is new when its ``key`` is not among the stored events; its outbox dedupe key
(``trk:<signal>:<event key>:<user>``) makes it at most once per follower even when two
processes run a pass at the same moment or a crash falls between the write and the send. A
restart simply runs the next pass: the recomputation gives the same events with the same keys.

Only the price outcome's steps are told (the channel's own updates reach followers when they
are posted); steps older than ``notify_max_age`` are stored silently, so tracking a month of
history after downtime does not flood anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.db.models import Signal, SignalEvent, SignalOutcome, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.outcomes import OutcomeRepository
from core.db.repositories.sources import SourceRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import Market, UpdateType
from core.errors import ExchangeError
from services.exchange.candles import format_timeframe
from services.notifications import enqueue
from services.signals.views import to_signal_view
from services.tracking.candle_source import CandleSource
from services.tracking.dto import outcome_values, to_outcome_view
from services.tracking.model import (
    DEFAULT_FILL_WINDOW,
    DEFAULT_MAX_LIFE,
    ChannelMove,
    MoveKind,
    Outcome,
    Result,
    TrackEvent,
)
from services.tracking.outcome import followed_outcome, price_outcome, tracked_signal
from services.tracking.ports import TrackerMessages
from services.trade_plans.channel import channel_event

__all__ = ["Tracker", "TrackerSettings", "channel_move"]

log = structlog.get_logger(__name__)

BATCH: Final = 200
HALF: Final = Decimal("0.5")  # "close half" / a partial close that names no share
TOLD_KINDS: Final = frozenset({"filled", "tp", "sl", "expired", "not_filled"})
_MOVE_OF: Final = {
    UpdateType.MOVE_SL: MoveKind.MOVE_SL,
    UpdateType.CLOSE: MoveKind.CLOSE,
    UpdateType.PARTIAL_CLOSE: MoveKind.PARTIAL_CLOSE,
    UpdateType.CANCEL: MoveKind.CANCEL,
}


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    fill_window: timedelta = DEFAULT_FILL_WINDOW
    max_life: timedelta = DEFAULT_MAX_LIFE
    notify_max_age: timedelta = timedelta(hours=6)


def channel_move(
    kind: str, text: str, at: datetime, stop: Decimal | None = None
) -> ChannelMove | None:
    """A stored channel update as a move the followed outcome applies (the plans' reading of
    the post: "SL to entry", "close 30%", "stop hit" closes); None when it moves nothing.
    ``stop``: the new stop the signal's update already read (its event's ``plan_stop``: the
    parser's price for "SL moved to 88200", not the post's last number)."""
    try:
        update = channel_event(UpdateType(kind), text)
    except ValueError:
        return None
    if update is None:
        return None
    if update.kind is UpdateType.MOVE_SL:
        price = stop if stop is not None else update.price
        if price is None and not update.to_entry:
            return None
        return ChannelMove(at, MoveKind.MOVE_SL, price=None if update.to_entry else price)
    move = _MOVE_OF.get(update.kind)
    if move is None:
        return None
    fraction = update.fraction
    if move is MoveKind.PARTIAL_CLOSE and fraction is None:
        fraction = HALF
    return ChannelMove(at, move, fraction=fraction)


@dataclass(frozen=True, slots=True)
class _Computed:
    signal: Signal
    symbol: str | None
    timeframe: str | None
    price: Outcome
    followed: Outcome


class Tracker:
    def __init__(
        self,
        db: Database,
        candles: CandleSource,
        messages: TrackerMessages,
        settings: TrackerSettings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._candles = candles
        self._messages = messages
        self._settings = settings or TrackerSettings()
        self._clock = clock

    async def run_pass(self) -> int:
        """Track every due signal once; returns how many outcomes changed."""
        now, after, changed = self._clock(), 0, 0
        while True:
            async with self._db.transaction() as session:
                repo = OutcomeRepository(session)
                signals = await repo.due(BATCH, after)
                ids = [s.id for s in signals]
                stored = await repo.of_signals(ids)
                moves = await repo.moves(ids)
                session.expunge_all()
            if not signals:
                return changed
            computed = []
            for signal in signals:
                try:
                    computed.append(await self._compute(signal, moves.get(signal.id, []), now))
                except ExchangeError as error:  # the candles' exchange is away: next pass
                    log.warning(
                        "tracker_candles_unavailable", signal_id=signal.id, error=str(error)
                    )
            changed += await self._store(computed, stored, now)
            after = signals[-1].id

    async def _compute(
        self, signal: Signal, events: Sequence[SignalEvent], now: datetime
    ) -> _Computed:
        posted = signal.posted_at or signal.first_seen_at
        tracked = tracked_signal(
            side=signal.side.value if signal.side is not None else None,
            posted_at=posted,
            entry_low=signal.entry_low,
            entry_high=signal.entry_high,
            entry_is_market=signal.entry_is_market,
            targets=[Decimal(str(t)) for t in signal.targets or []],
            stop=signal.stop_loss,
        )
        assert signal.base is not None  # due() reads only signals with a pair
        arrays = await self._candles.arrays(
            signal.base,
            signal.quote,
            futures=signal.market is Market.FUTURES,
            now=now,
            since=posted,
        )
        if tracked is None:  # e.g. a zone with no prices: nothing to fill
            empty = Outcome(Result.NO_DATA)
            return _Computed(signal, None, None, empty, empty)
        window = {"fill_window": self._settings.fill_window, "max_life": self._settings.max_life}
        moves = [
            m
            for e in events
            if (m := channel_move(e.kind, e.raw_text, e.created_at, _plan_stop(e)))
        ]
        price = price_outcome(tracked, arrays, now=now, **window)
        followed = followed_outcome(tracked, arrays, moves, now=now, **window)
        if arrays is None and now < posted + self._settings.fill_window:
            price = followed = Outcome(Result.OPEN)  # the pair may get candles yet
        timeframe = _timeframe(arrays.timeframe_s) if arrays is not None else None
        return _Computed(signal, arrays.symbol if arrays else None, timeframe, price, followed)

    async def _store(
        self,
        computed: Sequence[_Computed],
        stored: dict[tuple[int, str], SignalOutcome],
        now: datetime,
    ) -> int:
        changed = 0
        async with self._db.transaction() as session:
            repo = OutcomeRepository(session)
            rows = await repo.of_signals([c.signal.id for c in computed])
            for item in computed:
                for kind, outcome in (("price", item.price), ("followed", item.followed)):
                    before = stored.get((item.signal.id, kind))
                    values = outcome_values(
                        item.signal, kind, outcome, item.symbol, item.timeframe
                    )
                    if before is not None and _same(before, values):
                        continue
                    await repo.save(rows.get((item.signal.id, kind)), values)
                    changed += 1
                    if kind == "price":
                        known = {e["key"] for e in (before.events if before else [])}
                        new = [e for e in outcome.events if e.key() not in known]
                        await self._tell(session, item, outcome, new, now)
        return changed

    async def _tell(
        self,
        session: AsyncSession,
        item: _Computed,
        outcome: Outcome,
        events: Sequence[TrackEvent],
        now: datetime,
    ) -> None:
        age = self._settings.notify_max_age
        told = [e for e in events if e.kind in TOLD_KINDS and now - e.at <= age]
        if not told:
            return
        signal = item.signal
        users = await _followers(session, signal)
        if not users:
            return
        source = (
            await SourceRepository(session).get(signal.source_id) if signal.source_id else None
        )
        view = to_signal_view(signal, source)
        summary = to_outcome_view("price", outcome, item.symbol, item.timeframe)
        outbox = OutboxRepository(session)
        for event in told:
            html = self._messages.tracked_event(view, event, summary)
            for user in users:
                key = f"trk:{signal.id}:{event.key()}:{user.id}"
                await enqueue(outbox, user.telegram_id, html, dedupe_key=key, user_id=user.id)


def _same(row: SignalOutcome, values: dict[str, object]) -> bool:
    return (row.result, row.events, row.checked_to) == (
        values["result"],
        values["events"],
        values["checked_to"],
    )


async def _followers(session: AsyncSession, signal: Signal) -> list[User]:
    """Who hears of a tracked step: the source's followers; the owner of a private signal."""
    if signal.source_id is not None:
        rows = await SubscriptionRepository(session).followers(signal.source_id)
        return [user for _subscription, user in rows]
    if signal.owner_user_id is not None:
        owner = await UserRepository(session).get(signal.owner_user_id)
        return [owner] if owner is not None else []
    return []


def _timeframe(seconds: int) -> str:
    return format_timeframe(timedelta(seconds=seconds))


def _plan_stop(event: SignalEvent) -> Decimal | None:
    """The stop a channel's stop move set, as the signal's update read it (if it did)."""
    raw = (event.details or {}).get("plan_stop")
    try:
        return Decimal(str(raw)) if raw is not None else None
    except ArithmeticError:
        return None
