"""PNG charts for phones: a source's equity curve and a signal on its candles, in a dark or a
light theme, drawn with matplotlib's Agg canvas (no pyplot), off the event loop and cached per
key and UTC day by ``ChartRenderer``. Functions take data (``EquityPoint``, ``CandleArrays``,
``TrackEvent``) and return PNG bytes; they never read the database or the network."""

from __future__ import annotations

from services.charts.equity import equity_chart
from services.charts.renderer import ChartRenderer
from services.charts.signal import signal_chart
from services.charts.style import Theme

__all__ = ["ChartRenderer", "Theme", "equity_chart", "signal_chart"]
