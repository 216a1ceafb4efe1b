"""Pure rendering of market views to Telegram HTML: /price for several pairs and /pairs.

One price keeps ``trading_render.price`` (with the feed that priced it); several prices are one
line each, the feed named once below. Every pair, word and feed name is escaped.
"""

from __future__ import annotations

from typing import Final

from handlers import numbers, trading_render
from handlers.html import escape
from services.trading import PaperPairs, PriceBoard

MAX_PAIRS_LISTED: Final = 100  # a ticker feed may list thousands; the rest is counted


def prices(board: PriceBoard) -> str:
    """The prices asked for, then the words that named no pair."""
    if len(board.prices) == 1 and not board.missing:
        return trading_render.price(board.prices[0])
    lines = []
    for view in board.prices:
        _, _, quote = view.symbol.partition("/")
        shown = numbers.price(view.price, view.price_step)
        lines.append(f"<b>{escape(view.symbol)}</b>: {shown} {escape(quote)}")
    sources = {view.source for view in board.prices}
    source = sources.pop() if len(sources) == 1 else f"the {board.feed} feed"
    lines.append(f"<i>priced by {escape(source)}</i>")
    if board.missing:
        words = ", ".join(repr(word[:32]) for word in board.missing)
        lines.append(f"No price for {escape(words)} on paper trading; /pairs lists its pairs.")
    return "\n".join(lines)


def pairs(view: PaperPairs) -> str:
    """The pairs paper trading can trade, with the feed and the replayed moment."""
    if not view.symbols:
        return (
            f"Paper trading prices pairs from the {escape(view.feed)} feed, which does not "
            "list them; try /price btc."
        )
    head = f"<b>Pairs on paper trading</b> ({len(view.symbols)}, prices from {escape(view.feed)}"
    if view.replaying is not None:
        head += f", replaying {numbers.moment(view.replaying)}"
    lines = [head + ")", escape(", ".join(view.symbols[:MAX_PAIRS_LISTED]))]
    if len(view.symbols) > MAX_PAIRS_LISTED:
        lines.append(f"… and {len(view.symbols) - MAX_PAIRS_LISTED} more.")
    first = view.symbols[0].partition("/")[0].lower()
    lines.append(f"<i>Try /price {escape(first)} or /buy {escape(first)} 10 usdt.</i>")
    return "\n".join(lines)
