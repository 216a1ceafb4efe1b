"""Backtest a channel from its Telegram Desktop export (``tsbot backtest``, issue 10 item 5).

``export`` reads the export, ``run`` replays it (the bot's parser and update linking, then the
tracker's price and followed outcomes over candles), ``report`` turns the run into the summary,
the JSON document and the table, and ``cli`` is the command.
"""
