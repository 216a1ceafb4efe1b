"""The one small object every part of the signals feature shares.

``SignalContext`` holds the collaborators (database, sources, trading, messages, the optional
model fallback, the market prices) and the settings (confidence threshold, forward age limit,
default quote, how far from the market an entry may be, clock). It is built once by
``SignalService`` and never changes; the modules of this package are functions of it, so each
can be read (and tested) without the others' state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from core.clock import Clock
from core.db.session import Database
from services.signal_parser import ParseResult
from services.signal_parser.ai import ModelFallback, parse_with_fallback
from services.signals.ports import MarketPrices, SignalMessages, SignalPlans, SignalTrading
from services.source_heartbeat import SourceHeartbeat
from services.sources import SourceService


@dataclass(frozen=True, slots=True)
class SignalContext:
    """Collaborators and settings of the signals feature."""

    db: Database
    sources: SourceService
    trading: SignalTrading
    messages: SignalMessages
    ai: ModelFallback | None
    threshold: float  # parse confidence at or above which a channel post goes live unheld
    forward_max_age: timedelta  # older forwards are never attributed to their channel
    default_quote: str  # the quote of an auto trade when the post names none
    clock: Clock
    # a source's post repeating an entry's text within this window is that entry (0: off)
    duplicate_window: timedelta = timedelta(hours=24)
    plans: SignalPlans | None = None  # auto/confirm followers' plans (None: notify only)
    heartbeat: SourceHeartbeat | None = None  # each channel post's time, for silent sources
    prices: MarketPrices | None = None  # the bot's price feed (None: entries are not compared)
    entry_far_pct: Decimal = Decimal(0)  # an entry further from the market is held (0: off)
    price_timeout_s: float = 1.0  # the longest intake waits for a price

    async def parse(self, text: str) -> ParseResult:
        """The rules' reading of ``text``, or the model's when the rules are unsure."""
        return await parse_with_fallback(text, self.ai, self.threshold)
