"""Market data for /price and /pairs: the prices of several pairs in one answer, and the pairs
the paper exchange can trade (with the market moment being replayed when its feed is a replay).

Prices come from the paper exchange's feed, the one that prices paper fills, so a price shown is
a price an order would get. A word that names no pair is reported, not fatal, as long as one
of the words did name a pair; a single unknown word is refused with the pairs there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import UserError
from services.exchange.feeds import ReplayFeed
from services.exchange.paper import PaperEngine
from services.trading.accounts import TradingAccounts
from services.trading.reconcile import Reconciler
from services.trading_dto import PriceView


@dataclass(frozen=True, slots=True)
class PriceBoard:
    """The prices of the pairs asked for, in the order asked; ``missing``: the words that
    named no pair the paper exchange prices; ``feed``: the name of the feed that priced them."""

    prices: list[PriceView]
    missing: list[str]
    feed: str


@dataclass(frozen=True, slots=True)
class PaperPairs:
    """The pairs paper trading prices (sorted), the feed's name, and the market moment it
    replays (None unless the feed is a replay)."""

    feed: str
    symbols: list[str]
    replaying: datetime | None = None


class MarketData:
    """Prices and pairs of the paper exchange."""

    def __init__(
        self, accounts: TradingAccounts, paper: PaperEngine, reconciler: Reconciler
    ) -> None:
        self._accounts = accounts
        self._paper = paper
        self._reconciler = reconciler

    async def prices(self, words: list[str]) -> PriceBoard:
        """The feed's price of each pair ``words`` name; also fills paper orders the prices
        have crossed. Raises the first word's ``UserError`` when no word names a pair."""
        found: list[PriceView] = []
        missing: list[str] = []
        first_error: UserError | None = None
        for word in words:
            try:
                _, market = await self._accounts.market(word, None)
                ticker = await self._paper.feed.ticker(market.symbol)
            except UserError as exc:
                first_error = first_error or exc
                missing.append(word)
                continue
            found.append(PriceView(market.symbol, ticker.last, ticker.source, market.price_step))
        if not found:
            assert first_error is not None  # no price and no error: there were no words
            raise first_error
        await self._reconciler.run_paper_pass()
        return PriceBoard(found, missing, self._paper.feed.name)

    async def pairs(self) -> PaperPairs:
        """What paper trading can trade now."""
        feed = self._paper.feed
        replaying = feed.replay_time() if isinstance(feed, ReplayFeed) else None
        return PaperPairs(feed.name, await self._paper.symbols(), replaying)
