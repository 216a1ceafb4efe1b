"""The charts' looks: the two themes, a phone-sized figure, and its PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` on an Agg canvas: nothing here touches
pyplot or ``rcParams`` (process-wide state), so sizes and colours are set on each artist.
Every chart is ``WIDTH_PX`` x ``HEIGHT_PX`` pixels with fonts large enough to read on a phone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["HEIGHT_PX", "WIDTH_PX", "Palette", "Theme", "empty_figure", "new_figure", "to_png"]

DPI: Final = 100
WIDTH_PX: Final = 1200
HEIGHT_PX: Final = 800
TITLE_SIZE: Final = 24
LABEL_SIZE: Final = 17
TICK_SIZE: Final = 15
NOTE_SIZE: Final = 15


class Theme(StrEnum):
    DARK = "dark"
    LIGHT = "light"


@dataclass(frozen=True, slots=True)
class Palette:
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    up: str  # rising candles, winning trades, targets
    down: str  # falling candles, losing trades, the stop
    line: str  # the equity curve
    entry: str  # the entry zone
    marker_edge: str


PALETTES: Final = {
    Theme.DARK: Palette(
        background="#0e1117",
        panel="#161b22",
        text="#e6edf3",
        muted="#8b949e",
        grid="#30363d",
        up="#26a69a",
        down="#ef5350",
        line="#58a6ff",
        entry="#f0b429",
        marker_edge="#ffffff",
    ),
    Theme.LIGHT: Palette(
        background="#ffffff",
        panel="#ffffff",
        text="#1f2328",
        muted="#59636e",
        grid="#d8dee4",
        up="#1a7f37",
        down="#cf222e",
        line="#0969da",
        entry="#bf8700",
        marker_edge="#1f2328",
    ),
}


def style_axes(ax: Axes, palette: Palette) -> None:
    """Colours, grid and tick sizes of one panel."""
    ax.set_facecolor(palette.panel)
    ax.grid(visible=True, color=palette.grid, linewidth=0.8, alpha=0.9)
    ax.set_axisbelow(True)
    ax.tick_params(colors=palette.text, labelsize=TICK_SIZE, length=6)
    for spine in ax.spines.values():
        spine.set_color(palette.grid)
    ax.xaxis.get_offset_text().set_fontsize(TICK_SIZE)
    ax.yaxis.get_offset_text().set_fontsize(TICK_SIZE)
    ax.xaxis.get_offset_text().set_color(palette.muted)
    ax.yaxis.get_offset_text().set_color(palette.muted)


def new_figure(theme: Theme, title: str) -> tuple[Figure, Palette]:
    """A blank phone-sized figure in ``theme`` with ``title`` on top."""
    palette = PALETTES[theme]
    figure = Figure(
        figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI),
        dpi=DPI,
        facecolor=palette.background,
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    figure.suptitle(title, color=palette.text, fontsize=TITLE_SIZE, fontweight="bold")
    return figure, palette


def empty_figure(theme: Theme, title: str, message: str) -> Figure:
    """A figure that says there is nothing to draw yet (instead of an empty plot)."""
    figure, palette = new_figure(theme, title)
    figure.text(
        0.5, 0.5, message, ha="center", va="center", color=palette.muted, fontsize=LABEL_SIZE + 5
    )
    return figure


def to_png(figure: Figure) -> bytes:
    """The figure as PNG bytes, exactly ``WIDTH_PX`` x ``HEIGHT_PX``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
