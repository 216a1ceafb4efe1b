"""Replaying a channel's history: parse every post, link updates, track every entry signal.

The posts are read in posting order with the bot's parser (``parse``: the rules, or the rules
with the model fallback when one is configured; the caller decides). Then, as in the bot:

- an entry post becomes a signal, unless its text repeats an entry posted within the duplicate
  window (then it is that entry again, ``Linker.repeat_of``); an entry the tracker cannot follow
  (no side, or neither an entry price nor a market entry) is counted, not tracked;
- an update post is linked to its signal (``Linker``); what it means for a follower's plan is
  the bot's own reading (``trade_plans.channel.channel_event``), turned into a ``ChannelMove``
  at the post's time: a moved stop (a price, or "to entry"), a close (also for "stop hit": the
  follower leaves with the channel), a partial close (the share written, half by default, as a
  plan does), a cancel. A "TP hit" claim changes nothing: the prices decide; it is counted as a
  claim the price outcome confirms or not.

Every signal is then judged on the candles of its pair from ``candles`` (the finest timeframe;
perps for a futures signal when there are some): its price outcome and its followed outcome
(``services.tracking.outcome``), with no ``now``: a signal whose window outlives the candles
stays ``open``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from core.domain import Market, SignalKind, UpdateType
from services.backtest.export import ExportHistory, ExportPost
from services.backtest.linking import Linker
from services.exchange.candles import format_timeframe
from services.signal_parser import ParseResult
from services.tracking.candle_store import CandleStore
from services.tracking.model import CandleArrays, ChannelMove, MoveKind, Outcome, TrackedSignal
from services.tracking.outcome import followed_outcome, price_outcome, tracked_signal
from services.trade_plans.channel import channel_event

__all__ = ["BacktestRun", "BacktestSignal", "Parse", "replay"]

Parse = Callable[[str], Awaitable[ParseResult]]  # the bot's parser (rules, maybe the model)

HALF: Final = Decimal("0.5")  # a partial close without a share closes half (trade plans do)


@dataclass(frozen=True, slots=True)
class BacktestSignal:
    """One tracked entry signal of the history and its two outcomes."""

    post: ExportPost
    parsed: ParseResult
    tracked: TrackedSignal
    timeframe: str | None  # of the candles read (None: no candles for the pair)
    moves: tuple[ChannelMove, ...]
    claimed_tp: int  # the most targets the channel's "TP n hit" posts claimed
    price: Outcome
    followed: Outcome


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """What a replay found: the signals and how many posts of each kind it read."""

    signals: tuple[BacktestSignal, ...]
    posts: int
    untracked_entries: int  # entries the tracker cannot follow (no side, no entry price)
    repeats: int  # entry posts repeating an earlier entry's text
    updates: int
    linked_updates: int


@dataclass(slots=True)
class _Draft:
    post: ExportPost
    parsed: ParseResult
    tracked: TrackedSignal
    candles: CandleArrays | None
    timeframe: str | None
    price: Outcome
    moves: list[ChannelMove] = field(default_factory=list)
    claimed_tp: int = 0


@dataclass(slots=True)
class _Counts:
    untracked: int = 0
    repeats: int = 0
    updates: int = 0
    linked: int = 0


async def replay(  # noqa: PLR0913 - the history, the parser, the candles and two settings
    history: ExportHistory,
    parse: Parse,
    candles: CandleStore,
    *,
    threshold: float,
    duplicate_window: timedelta,
    on_post: Callable[[], None] | None = None,
) -> BacktestRun:
    """Parse, link and track ``history``; ``on_post`` is called after each post (progress)."""
    linker = Linker(duplicate_window)
    drafts: list[_Draft] = []
    counts = _Counts()
    for post in history.posts:
        result = await parse(post.text)
        if result.kind is SignalKind.ENTRY:
            _read_entry(post, result, candles, threshold, linker, drafts, counts)
        elif result.kind is SignalKind.UPDATE:
            _read_update(post, result, linker, drafts, counts)
        if on_post is not None:
            on_post()
    signals = tuple(
        BacktestSignal(
            post=d.post,
            parsed=d.parsed,
            tracked=d.tracked,
            timeframe=d.timeframe,
            moves=tuple(d.moves),
            claimed_tp=d.claimed_tp,
            price=d.price,
            followed=followed_outcome(d.tracked, d.candles, d.moves),
        )
        for d in drafts
    )
    return BacktestRun(
        signals=signals,
        posts=len(history.posts),
        untracked_entries=counts.untracked,
        repeats=counts.repeats,
        updates=counts.updates,
        linked_updates=counts.linked,
    )


def _read_entry(  # noqa: PLR0913 - one post and the replay's state
    post: ExportPost,
    result: ParseResult,
    candles: CandleStore,
    threshold: float,
    linker: Linker,
    drafts: list[_Draft],
    counts: _Counts,
) -> None:
    original = linker.repeat_of(post.text, post.posted_at)
    if original is not None:
        linker.add_post(post.message_id, original)
        counts.repeats += 1
        return
    tracked = to_tracked(result, post.posted_at)
    if tracked is None:
        counts.untracked += 1
        return
    arrays, timeframe = _arrays(candles, result)
    outcome = price_outcome(tracked, arrays)
    linker.add_entry(
        len(drafts),
        post.message_id,
        post.posted_at,
        result,
        post.text,
        active=result.confidence >= threshold,
        ended_at=outcome.closed_at,
    )
    drafts.append(_Draft(post, result, tracked, arrays, timeframe, outcome))


def _read_update(
    post: ExportPost,
    result: ParseResult,
    linker: Linker,
    drafts: list[_Draft],
    counts: _Counts,
) -> None:
    counts.updates += 1
    index, _, _ = linker.link(result, post.reply_to, post.posted_at)
    if index is None:
        return
    counts.linked += 1
    linker.add_post(post.message_id, index)
    linker.apply_status(index, result)
    draft = drafts[index]
    update = result.update
    if update is None:
        return
    if update.type is UpdateType.TP_HIT:
        claimed = update.target_index if update.target_index is not None else draft.claimed_tp + 1
        draft.claimed_tp = max(draft.claimed_tp, claimed)
    move = channel_move(update.type, post.text, post.posted_at)
    if move is not None:
        draft.moves.append(move)


def to_tracked(result: ParseResult, posted_at: datetime) -> TrackedSignal | None:
    """The tracker's view of a parsed entry (None when it cannot be tracked)."""
    entry = result.entry
    prices = entry if isinstance(entry, tuple) and entry else None
    return tracked_signal(
        side=result.side.value if result.side is not None else None,
        posted_at=posted_at,
        entry_low=min(prices) if prices else None,
        entry_high=max(prices) if prices else None,
        entry_is_market=entry == "market",
        targets=result.targets,
        stop=result.stop_loss,
    )


def channel_move(kind: UpdateType, text: str, at: datetime) -> ChannelMove | None:
    """What a follower's plan does with an update post (the bot's ``channel_event``), as a
    move of the followed outcome; None when the plan does nothing with it."""
    event = channel_event(kind, text)
    if event is None:
        return None
    if event.kind is UpdateType.MOVE_SL:
        if event.to_entry:
            return ChannelMove(at, MoveKind.MOVE_SL)
        if event.price is None:  # "move the stop" with no price: the plan cannot apply it
            return None
        return ChannelMove(at, MoveKind.MOVE_SL, price=event.price)
    if event.kind is UpdateType.PARTIAL_CLOSE:
        return ChannelMove(at, MoveKind.PARTIAL_CLOSE, fraction=event.fraction or HALF)
    if event.kind is UpdateType.CANCEL:
        return ChannelMove(at, MoveKind.CANCEL)
    return ChannelMove(at, MoveKind.CLOSE)


def _arrays(candles: CandleStore, result: ParseResult) -> tuple[CandleArrays | None, str | None]:
    """The pair's candles and their timeframe ("5m"), or (None, None) when there are none."""
    if result.base is None:
        return None, None
    arrays = candles.arrays(result.base, result.quote, futures=result.market is Market.FUTURES)
    if arrays is None or len(arrays) == 0:
        return None, None
    return arrays, format_timeframe(timedelta(seconds=arrays.timeframe_s))
