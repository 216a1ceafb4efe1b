"""A source's equity chart: cumulative R over its trades in close order, the drawdown below
the running peak shaded, and each trade's R as a green or red bar underneath.

The x axis is the trade number (trades closing the same day would hide each other on a time
axis); the dates of the first and last close are in the subtitle. R values are ``Decimal``
in ``EquityPoint`` and become floats only here, as pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from matplotlib.ticker import MaxNLocator

from services.charts.style import (
    LABEL_SIZE,
    NOTE_SIZE,
    Theme,
    empty_figure,
    new_figure,
    style_axes,
    to_png,
)
from services.tracking.scores import EquityPoint

__all__ = ["equity_chart"]

EMPTY_MESSAGE: Final = "No closed trades yet:\nthe curve starts with the first signal that ends."


def _signed(value: Decimal) -> str:
    return f"{value:+.2f}R"


def equity_chart(points: Sequence[EquityPoint], *, title: str, theme: Theme) -> bytes:
    """PNG of the equity curve of ``points`` (from ``scores.equity_curve``); a friendly
    figure saying so when there is no closed trade."""
    if not points:
        return to_png(empty_figure(theme, title, EMPTY_MESSAGE))
    figure, palette = new_figure(theme, title)
    curve_ax, bars_ax = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    style_axes(curve_ax, palette)
    style_axes(bars_ax, palette)

    numbers = list(range(len(points) + 1))  # trade 0 is the start, at 0 R
    cumulative = [0.0, *(float(p.cumulative) for p in points)]
    peak = [0.0, *(float(p.cumulative + p.drawdown) for p in points)]
    curve_ax.fill_between(
        numbers, cumulative, peak, color=palette.down, alpha=0.28, linewidth=0, label="drawdown"
    )
    curve_ax.plot(
        numbers,
        cumulative,
        color=palette.line,
        linewidth=3,
        marker="o" if len(points) <= 40 else None,
        markersize=6,
        label="cumulative R",
    )
    curve_ax.axhline(0, color=palette.muted, linewidth=1.2)
    curve_ax.set_ylabel("cumulative R", color=palette.text, fontsize=LABEL_SIZE)
    legend = curve_ax.legend(
        loc="best", fontsize=NOTE_SIZE, facecolor=palette.panel, edgecolor=palette.grid
    )
    for text in legend.get_texts():
        text.set_color(palette.text)

    rs = [float(p.r) for p in points]
    colors = [palette.up if r > 0 else palette.down for r in rs]
    bars_ax.bar(numbers[1:], rs, color=colors, width=0.8)
    bars_ax.axhline(0, color=palette.muted, linewidth=1.2)
    bars_ax.set_ylabel("R per trade", color=palette.text, fontsize=LABEL_SIZE)
    bars_ax.set_xlabel("trade (in close order)", color=palette.text, fontsize=LABEL_SIZE)
    bars_ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    bars_ax.set_xlim(-0.5, len(points) + 0.5)

    last = points[-1]
    max_drawdown = max(p.drawdown for p in points)
    first_day = points[0].closed_at.strftime("%Y-%m-%d")
    last_day = last.closed_at.strftime("%Y-%m-%d")
    curve_ax.set_title(
        f"{len(points)} trades {first_day} to {last_day} UTC · total {_signed(last.cumulative)}"
        f" · max drawdown {max_drawdown:.2f}R",
        color=palette.muted,
        fontsize=NOTE_SIZE,
    )
    return to_png(figure)
