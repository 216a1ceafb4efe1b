"""The console's market: ``/market <pair> <price>`` and ``/market <pair> +2%`` move the simulated
price, so a newcomer can watch a plan fill, hit its targets and stop, all offline.

Console only: the console reads the line itself (like ``/post``), it is never a bot command.
``MarketOverrides`` is the paper exchange's replay feed (``bot.features.trading.build_feed``
builds it) with a layer of prices set by hand: a pair given a price here is priced at it (spot
``BTC/USDT`` and perp ``BTC/USDT:USDT`` alike, one underlying), every other pair by the replay.
With no price set it is the replay exactly.
After a move the console runs the trading maintenance pass (and the plans' pass), so resting
orders the new price crosses fill at once.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Final

from services.exchange.base import Ticker
from services.exchange.feeds import ReplayFeed
from services.numbers import Ambiguous, Role, plain, read_number

SOURCE: Final = "console market"
USAGE: Final = "(usage: /market <pair> <price>, /market <pair> +2% or -1.5%, /market <pair> off)"


def _key(symbol: str) -> str:
    """``btc/usdt:usdt`` -> ``BTC/USDT``: one price for a pair's spot and perp markets."""
    return symbol.strip().upper().partition(":")[0]


class MarketOverrides(ReplayFeed):
    """The replay feed, with prices set by hand answered first (a replay still: /pairs shows
    the replayed moment, and a pair it does not price is refused as before)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prices: dict[str, Decimal] = {}

    async def ticker(self, symbol: str) -> Ticker:
        ticker = await super().ticker(symbol)  # the symbol must be one the replay prices
        price = self._prices.get(_key(symbol))
        if price is None:
            return ticker
        return dataclasses.replace(ticker, last=price, source=SOURCE)

    def set_price(self, symbol: str, price: Decimal) -> None:
        self._prices[_key(symbol)] = price

    def clear(self, symbol: str) -> None:
        self._prices.pop(_key(symbol), None)


def parse_move(word: str, current: Decimal) -> Decimal | None:
    """The new price a ``/market`` argument asks for: ``65000``, ``+2%``, ``-1.5%``; None for
    ``off`` (back to the replay); ``ValueError`` with the reason for anything else."""
    text = word.strip()
    if text.lower() == "off":
        return None
    percent = text.endswith("%")
    value = read_number(text.removesuffix("%"), Role.PRICE)  # the one number reader
    if isinstance(value, Ambiguous):
        raise ValueError(
            f"{word!r} reads two ways ({plain(value.grouped)} or {plain(value.decimal)}); "
            "write it without the separator"
        )
    if value is None:
        raise ValueError(f"{word!r} is not a price or a +/- percentage")
    price = current * (1 + value / 100) if percent else value
    if not price.is_finite() or price <= 0:
        raise ValueError("a price must be above zero")
    exponent = current.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2  # the feed's own precision
    return price.quantize(Decimal(1).scaleb(-places))
