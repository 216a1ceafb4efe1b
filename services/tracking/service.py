"""The tracking feature's facade: the live pass, a source's scores, the leaderboard, charts.

Scores come from stored outcomes (``signal_outcomes``) and the channel's stored "TP hit"
claims, never from candles; charts are drawn off the event loop and cached per key and UTC day
(a signal's chart key holds how far it was tracked, so a moved signal draws anew).
Who may see what follows ``/signal``: a tracked signal of a source is public to every user, a
private one only to its owner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Final

from core.cache import Cache
from core.cached import cached, invalidate_tag
from core.clock import Clock, utc_now
from core.db.models import SignalOutcome
from core.db.repositories.outcomes import OutcomeRepository
from core.db.session import Database
from core.domain import Market
from core.errors import NotFound
from services.charts import ChartRenderer, Theme, equity_chart, signal_chart
from services.dto import UserView
from services.signal_dto import SourceView
from services.signals.access import may_read, with_source
from services.sources import SourceService, can_see, to_source_view
from services.tracking.candle_source import CandleSource
from services.tracking.dto import view_of_row
from services.tracking.model import CandleArrays, Result
from services.tracking.scores import (
    EquityPoint,
    ScoredSignal,
    SourceScore,
    equity_curve,
    rank,
    score,
)
from services.tracking.tracker import Tracker

__all__ = ["SourceStats", "TrackingService", "WINDOWS"]

WINDOWS: Final = (30, 90, None)
CHART_BEFORE: Final = timedelta(hours=12)  # candles shown before the post
CHART_AFTER: Final = timedelta(hours=12)  # and after the close (or up to now)
CHART_MAX_CANDLES: Final = 400
# the scored signals are kept until the tracker stores a new outcome; at most this long, as
# a channel's "TP hit" claim counts in the scores too and is not an outcome
SCORES_TTL_S: Final = 600.0
SCORES_TAG: Final = "scores"


@dataclass(frozen=True, slots=True)
class SourceStats:
    source: SourceView
    scores: tuple[SourceScore, ...]  # one per WINDOWS entry


def scored(row: SignalOutcome, claimed: int) -> ScoredSignal:
    return ScoredSignal(
        posted_at=row.posted_at,
        result=Result(row.result),
        r=row.r,
        filled_at=row.filled_at,
        tp1_at=row.tp1_at,
        closed_at=row.closed_at,
        claimed_tp=claimed,
        confirmed_tp=min(claimed, row.targets_hit),
    )


def _ids_key(source_ids: list[int] | None) -> str:
    return "all" if source_ids is None else ",".join(map(str, sorted(source_ids)))


def _scores_tags(source_ids: list[int] | None) -> list[str]:
    """One tag for every entry: a new outcome of one source moves the leaderboard too."""
    del source_ids
    return [SCORES_TAG]


class TrackingService:
    def __init__(  # noqa: PLR0913 - the composition root hands over each collaborator
        self,
        db: Database,
        tracker: Tracker,
        candles: CandleSource,
        sources: SourceService,
        charts: ChartRenderer,
        *,
        top_min_signals: int = 10,
        clock: Clock = utc_now,
        cache: Cache | None = None,
    ) -> None:
        self._db = db
        self._tracker = tracker
        self._candles = candles
        self._sources = sources
        self._charts = charts
        self._top_min = top_min_signals
        self._clock = clock
        self._cache = cache
        self._scored: Callable[[list[int] | None], Awaitable[dict[int, list[ScoredSignal]]]] = (
            self._read_scored
            if cache is None
            else cached(
                cache,
                ttl=SCORES_TTL_S,
                key=_ids_key,
                tags=_scores_tags,
                returns=dict[int, list[ScoredSignal]],
                namespace="tracking.scored",
            )(self._read_scored)
        )

    async def run_pass(self) -> int:
        """One tracker pass; the cached scores go when it stored a changed outcome."""
        changed = await self._tracker.run_pass()
        if changed and self._cache is not None:
            await invalidate_tag(self._cache, SCORES_TAG)
        return changed

    async def _read_scored(self, source_ids: list[int] | None) -> dict[int, list[ScoredSignal]]:
        async with self._db.session() as session:
            rows = await OutcomeRepository(session).scored(source_ids, None)
        out: dict[int, list[ScoredSignal]] = {}
        for row, claimed, _posts in rows:
            assert row.source_id is not None  # scored() reads source signals only
            out.setdefault(row.source_id, []).append(scored(row, claimed))
        return out

    async def stats(self, ref: str, viewer: UserView) -> SourceStats:
        """A source's scores over 30 and 90 days and all time (one the viewer may not see is
        not found, like a missing one)."""
        source = await self._sources.resolve(ref, viewer)
        signals = (await self._scored([source.id])).get(source.id, [])
        now = self._clock()
        return SourceStats(source, tuple(score(signals, now, days) for days in WINDOWS))

    async def top(
        self, viewer: UserView, days: int | None = None
    ) -> tuple[int, list[tuple[SourceView, SourceScore]]]:
        """(the minimum number of signals, the sources the viewer may see ranked by
        expectancy)."""
        by_source = await self._scored(None)
        now = self._clock()
        async with self._db.session() as session:
            sources = await OutcomeRepository(session).sources(list(by_source))
            views = {i: to_source_view(s) for i, s in sources.items() if can_see(s, viewer)}
        scores = [(views[i], score(s, now, days)) for i, s in by_source.items() if i in views]
        return self._top_min, rank(scores, self._top_min)

    async def scores(
        self, viewer: UserView, days: int | None = None
    ) -> list[tuple[SourceView, SourceScore]]:
        """Every source the viewer may see with its score over ``days`` (the API's
        leaderboard), in id order; a source with no tracked signal scores empty."""
        by_source = await self._scored(None)
        now = self._clock()
        return [
            (view, score(by_source.get(view.id, []), now, days))
            for view in sorted(await self._sources.list_sources(viewer), key=lambda v: v.id)
        ]

    async def equity(
        self, source_id: int, viewer: UserView
    ) -> tuple[SourceView, list[EquityPoint]]:
        source = await self._sources.resolve(str(source_id), viewer)
        signals = (await self._scored([source.id])).get(source.id, [])
        return source, equity_curve(signals)

    async def source_chart(self, source_id: int, viewer: UserView, theme: Theme) -> bytes:
        source, points = await self.equity(source_id, viewer)
        title = f"{source.name} · equity in R"
        return await self._charts.render(
            ("source", source.id, theme.value, len(points)),
            lambda: equity_chart(points, title=title, theme=theme),
        )

    async def signal_chart(self, user: UserView, signal_id: int, theme: Theme) -> bytes:
        """The signal on its candles with its levels and the price outcome's steps."""
        async with self._db.session() as session:
            signal, source = await with_source(session, signal_id)
            if signal is None or not may_read(user, signal, source):
                raise NotFound(f"No signal #{signal_id}.")
            rows = await OutcomeRepository(session).of_signals([signal.id])
            session.expunge_all()
        if signal.base is None:
            raise NotFound(f"Signal #{signal_id} names no pair to chart.")
        price = rows.get((signal.id, "price"))
        view = view_of_row(price) if price is not None else None
        now = self._clock()
        futures = signal.market is Market.FUTURES
        posted = signal.posted_at or signal.first_seen_at
        arrays = await self._candles.arrays(
            signal.base, signal.quote, futures=futures, now=now, since=posted - CHART_BEFORE
        )
        end = min((view.closed_at if view and view.closed_at else now) + CHART_AFTER, now)
        if arrays is None:
            window = CandleArrays.empty(f"{signal.base}/{signal.quote or 'USDT'}", 3600)
        else:
            window = arrays.between(posted - CHART_BEFORE, end, CHART_MAX_CANDLES)
        side = f" {signal.side.value}" if signal.side else ""
        title = f"#{signal.id} {signal.base}/{signal.quote or 'USDT'}{side}"
        targets = [Decimal(str(t)) for t in signal.targets or []]
        key = ("signal", signal.id, theme.value, view.checked_to if view else None)
        return await self._charts.render(
            key,
            lambda: signal_chart(
                window,
                title=title,
                entry_low=signal.entry_low,
                entry_high=signal.entry_high,
                targets=targets,
                stop=signal.stop_loss,
                events=view.events if view else (),
                theme=theme,
            ),
        )
