"""A signal's chart: the candles around it, the entry zone shaded, the targets and the stop
as lines, the fill and each hit marked where and when the tracker saw them.

Candles are drawn with ``vlines`` (wicks) and ``bar`` (bodies), no mplfinance. A slice longer
than ``MAX_BARS`` candles is merged into coarser ones (first open, highest high, lowest low,
last close) so the bodies stay visible on a phone. Times are UTC; prices become floats only
here, as pixels, and the labels print the ``Decimal`` prices as given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from services.charts.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    Palette,
    Theme,
    empty_figure,
    new_figure,
    style_axes,
    to_png,
)
from services.exchange.candles import format_timeframe
from services.tracking.model import CandleArrays, Floats, TrackEvent

__all__ = ["MAX_BARS", "signal_chart"]

MAX_BARS: Final = 160
MIN_SPAN_CANDLES: Final = 12
EMPTY_MESSAGE: Final = "No candles for this pair and period yet."
SECONDS_PER_DAY: Final = 86_400.0


def _merged(candles: CandleArrays) -> tuple[Floats, Floats, Floats, Floats, Floats, int]:
    """(x as matplotlib dates of each candle's middle, open, high, low, close, seconds per
    candle), merging every ``k`` candles into one when there are more than ``MAX_BARS``."""
    count = len(candles)
    k = max(1, math.ceil(count / MAX_BARS))
    starts = np.arange(0, count, k)
    ends = np.minimum(starts + k, count) - 1
    seconds = candles.timeframe_s * k
    opens = candles.open[starts]
    highs = np.maximum.reduceat(candles.high, starts)
    lows = np.minimum.reduceat(candles.low, starts)
    closes = candles.close[ends]
    middles = candles.times[starts].astype(np.float64) + seconds / 2
    x = middles / SECONDS_PER_DAY + _days_at_epoch()
    return x, opens, highs, lows, closes, seconds


def _days_at_epoch() -> float:
    """The Unix epoch as a matplotlib date number (days since ``rcParams["date.epoch"]``)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    # matplotlib.dates has no annotations (the rest of matplotlib has)
    return float(mdates.date2num(epoch))  # type: ignore[no-untyped-call]


def _draw_candles(ax: Axes, candles: CandleArrays, palette: Palette) -> str:
    """Draw the candles; returns the drawn timeframe ("5m", "1h"...)."""
    x, opens, highs, lows, closes, seconds = _merged(candles)
    rising = closes >= opens
    colors = [palette.up if up else palette.down for up in rising]
    span = float(np.max(highs) - np.min(lows)) or float(np.max(highs)) or 1.0
    bodies = np.maximum(np.abs(closes - opens), span * 0.002)  # a doji stays visible
    ax.vlines(x, lows, highs, colors=colors, linewidth=1.6)
    ax.bar(
        x,
        bodies,
        bottom=np.minimum(opens, closes),
        width=seconds / SECONDS_PER_DAY * 0.7,
        color=colors,
        edgecolor=colors,
        linewidth=0.6,
    )
    return format_timeframe(timedelta(seconds=seconds))


def _level(ax: Axes, price: Decimal, label: str, color: str, palette: Palette) -> None:
    """A horizontal price line with its label at the right edge of the panel (the fill is
    usually on the left)."""
    ax.axhline(float(price), color=color, linestyle="--", linewidth=2.2)
    ax.text(
        0.99,
        float(price),
        label,
        transform=blended_transform_factory(ax.transAxes, ax.transData),
        va="bottom",
        ha="right",
        color=color,
        fontsize=NOTE_SIZE,
        fontweight="bold",
        bbox={"facecolor": palette.panel, "edgecolor": "none", "alpha": 0.75, "pad": 2},
    )


def _draw_levels(
    ax: Axes,
    palette: Palette,
    entry_low: Decimal | None,
    entry_high: Decimal | None,
    targets: Sequence[Decimal],
    stop: Decimal | None,
) -> None:
    if entry_low is not None and entry_high is not None:
        low, high = sorted((entry_low, entry_high))
        if low < high:
            ax.axhspan(float(low), float(high), color=palette.entry, alpha=0.22, linewidth=0)
            _level(ax, high, f"entry {low} - {high}", palette.entry, palette)
            ax.axhline(float(low), color=palette.entry, linestyle="--", linewidth=2.2)
        else:
            _level(ax, low, f"entry {low}", palette.entry, palette)
    for number, target in enumerate(targets, start=1):
        _level(ax, target, f"TP{number} {target}", palette.up, palette)
    if stop is not None:
        _level(ax, stop, f"SL {stop}", palette.down, palette)


def _event_style(event: TrackEvent, palette: Palette) -> tuple[str, str, float, str]:
    """Marker, colour, size and label of an event."""
    if event.kind == "filled":
        return "D", palette.entry, 15, "fill"
    if event.kind == "tp":
        return "*", palette.up, 26, f"TP{event.target}"
    if event.kind == "sl":
        return "X", palette.down, 18, "SL"
    return "o", palette.muted, 14, event.kind.replace("_", " ")


def _draw_events(ax: Axes, events: Sequence[TrackEvent], palette: Palette) -> None:
    for event in events:
        marker, color, size, label = _event_style(event, palette)
        x = event.at.timestamp() / SECONDS_PER_DAY + _days_at_epoch()
        if event.price is None:  # an event with no price (expired, not filled): a time mark
            ax.axvline(x, color=color, linestyle=":", linewidth=2)
            ax.text(
                x,
                0.98,
                f" {label}",
                transform=blended_transform_factory(ax.transData, ax.transAxes),
                va="top",
                color=color,
                fontsize=NOTE_SIZE,
            )
            continue
        y = float(event.price)
        ax.plot(
            [x],
            [y],
            marker=marker,
            markersize=size,
            color=color,
            markeredgecolor=palette.marker_edge,
            markeredgewidth=1.2,
            linestyle="none",
            zorder=5,
        )
        ax.annotate(
            label,
            (x, y),
            xytext=(10, 10),
            textcoords="offset points",
            color=color,
            fontsize=NOTE_SIZE,
            fontweight="bold",
            bbox={"facecolor": palette.panel, "edgecolor": "none", "alpha": 0.75, "pad": 2},
            zorder=6,
        )


def _time_limits(candles: CandleArrays, events: Sequence[TrackEvent]) -> tuple[float, float]:
    """The x range: the candles and events, at least ``MIN_SPAN_CANDLES`` candles wide (a
    date axis over a few minutes has no sensible ticks), 2% padding each side."""
    moments = [float(candles.times[0]), float(candles.times[-1] + candles.timeframe_s)]
    moments += [event.at.timestamp() for event in events]
    start, end = min(moments), max(moments)
    end = max(end, start + MIN_SPAN_CANDLES * candles.timeframe_s)
    pad = (end - start) * 0.02
    return (
        (start - pad) / SECONDS_PER_DAY + _days_at_epoch(),
        (end + pad) / SECONDS_PER_DAY + _days_at_epoch(),
    )


def _price_text(value: float, _position: object) -> str:
    return f"{value:.6g}"


def signal_chart(
    candles: CandleArrays,
    *,
    title: str,
    entry_low: Decimal | None,
    entry_high: Decimal | None,
    targets: Sequence[Decimal],
    stop: Decimal | None,
    events: Sequence[TrackEvent],
    theme: Theme,
) -> bytes:
    """PNG of ``candles`` (the window to show, already sliced) with the signal's levels and
    its tracked ``events``; a friendly figure saying so when the slice is empty."""
    if len(candles) == 0:
        return to_png(empty_figure(theme, title, EMPTY_MESSAGE))
    figure, palette = new_figure(theme, title)
    ax = figure.subplots()
    style_axes(ax, palette)
    timeframe = _draw_candles(ax, candles, palette)
    _draw_levels(ax, palette, entry_low, entry_high, targets, stop)
    _draw_events(ax, events, palette)
    ax.yaxis.tick_right()
    ax.yaxis.set_major_formatter(FuncFormatter(_price_text))
    # matplotlib.dates has no annotations (the rest of matplotlib has)
    ticks = mdates.AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]
    labels = mdates.ConciseDateFormatter(ticks, tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(ticks)
    ax.xaxis.set_major_formatter(labels)
    ax.set_xlim(*_time_limits(candles, events))
    ax.margins(y=0.06)
    ax.set_title(
        f"{candles.symbol} · {timeframe} candles · UTC", color=palette.muted, fontsize=LABEL_SIZE
    )
    return to_png(figure)
