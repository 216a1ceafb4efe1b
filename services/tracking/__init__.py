"""Price tracking of signals: outcomes from candles, the channel's own updates on top, scores."""
