"""The entry-far-from-market rule (``services.signals.plausibility``): the pure rule as a table,
then ``judge`` with a feed that prices, refuses, hangs, or is not there."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from core.config import load_settings
from core.domain import Market, Side, SignalKind
from core.errors import TemporaryExchangeError, UserError
from services.exchange.base import Ticker
from services.signal_parser import ParseResult
from services.signals.context import SignalContext
from services.signals.plausibility import far_entry, judge, lowered, market_symbol
from services.signals.ports import MarketPrices
from services.trade_plans.settings import FollowSettings

D = Decimal
TEN = D(10)


@pytest.mark.parametrize(
    ("entry", "market", "max_pct", "expected"),
    [
        # (entry prices, market, limit %) -> (edge compared, distance % to 1 decimal) or None
        ((D(64000),), D(88405), TEN, (D(64000), D("27.6"))),
        ((D(60000), D(61000)), D(88405), TEN, (D(61000), D("31.0"))),  # nearest edge: high
        ((D(100), D(120)), D(80), TEN, (D(100), D("25.0"))),  # market below: the low edge
        ((D(61000), D(60000)), D(61500), TEN, None),  # 0.8 % away: near
        ((D(60000), D(62000)), D(61000), TEN, None),  # the market inside the zone
        ((D(110),), D(100), TEN, None),  # exactly the limit: not more than it
        ((D("110.01"),), D(100), TEN, (D("110.01"), D("10.0"))),  # just past it
        ((D("0.0000135"),), D("0.0000120"), TEN, (D("0.0000135"), D("12.5"))),
        ((D(64000),), D(88405), D(0), None),  # the check off
        ((D(64000),), D(88405), D(30), None),  # a wider limit
        ((D(64000),), D(0), TEN, None),  # no usable market price
        ((), D(88405), TEN, None),  # no entry price
    ],
)
def test_far_entry(
    entry: tuple[Decimal, ...],
    market: Decimal,
    max_pct: Decimal,
    expected: tuple[Decimal, Decimal] | None,
) -> None:
    far = far_entry(entry, market, max_pct)
    if expected is None:
        assert far is None
        return
    assert far is not None
    assert (far.entry, far.distance_pct.quantize(D("0.1"))) == expected
    assert (far.market, far.max_pct) == (market, max_pct)


def test_the_reason_names_the_figures() -> None:
    far = far_entry((D(64000),), D(88405), TEN)
    assert far is not None
    assert far.reason() == "entry 64,000 is 27.6 % from the market 88,405"


@pytest.mark.parametrize(
    ("confidence", "threshold", "distance", "expected"),
    [
        (1.0, 0.6, D(20), 0.3),  # twice the limit: half the threshold
        (1.0, 0.6, D("10.01"), 0.59),  # just past the limit: just below the threshold
        (0.7, 0.6, D(100), 0.06),
        (0.4, 0.6, D(20), 0.2),  # already below: lowered further, never raised
        (1.0, 0.9, D(30), 0.3),
        (0.95, 0.005, D(11), 0.0),  # a tiny threshold: still below it
    ],
)
def test_lowered_is_below_the_threshold_and_lower_the_farther(
    confidence: float, threshold: float, distance: Decimal, expected: float
) -> None:
    far = far_entry((D(100) + distance,), D(100), TEN)
    assert far is not None
    got = lowered(confidence, threshold, far)
    assert got == pytest.approx(expected)
    assert got < threshold and got <= confidence


def test_the_price_compared_is_the_perps_for_a_futures_post() -> None:
    assert market_symbol("BTC", "USDT", Market.FUTURES) == "BTC/USDT:USDT"
    assert market_symbol("BTC", "USDT", Market.SPOT) == "BTC/USDT"
    assert market_symbol("ETH", "USDC", None) == "ETH/USDC"


# -- judge: the one step with I/O ---------------------------------------------------------------


class Feed:
    """A price feed answering ``prices``, else refusing like the bot's feeds; with ``hang`` it
    never answers (the intake's timeout must give up on it)."""

    def __init__(self, prices: dict[str, Decimal], *, hang: bool = False) -> None:
        self.prices = prices
        self.hang = hang
        self.asked: list[str] = []

    async def ticker(self, symbol: str) -> Ticker:
        self.asked.append(symbol)
        if self.hang:
            await asyncio.Event().wait()
        if symbol == "DOWN/USDT":
            raise TemporaryExchangeError("the exchange is down")
        if symbol not in self.prices:
            raise UserError(f"No price for {symbol} on test")
        return Ticker(symbol, self.prices[symbol], None, None, datetime.now(UTC), "test")


def context(prices: MarketPrices | None, far_pct: Decimal = TEN) -> SignalContext:
    unused = cast(Any, None)  # judge reads only the prices and the settings
    return SignalContext(
        db=unused,
        sources=unused,
        trading=unused,
        messages=unused,
        ai=None,
        threshold=0.6,
        forward_max_age=timedelta(hours=72),
        default_quote="USDT",
        clock=lambda: datetime.now(UTC),
        prices=prices,
        entry_far_pct=far_pct,
        price_timeout_s=0.05,
    )


ENTRY_64K = (D(64000),)


def entry_post(base: str = "BTC", entry: Any = ENTRY_64K, **kw: Any) -> ParseResult:
    return ParseResult(
        kind=SignalKind.ENTRY,
        base=base,
        side=Side.LONG,
        entry=entry,
        targets=(D(90000),),
        stop_loss=D(60000),
        confidence=1.0,
        **kw,
    )


async def test_a_far_entry_is_lowered_with_its_reason() -> None:
    feed = Feed({"BTC/USDT:USDT": D(88405), "BTC/USDT": D(1)})
    result, doubt = await judge(context(feed), entry_post(market=Market.FUTURES))
    assert feed.asked == ["BTC/USDT:USDT"]  # the perp's price for a futures post
    assert doubt == "entry 64,000 is 27.6 % from the market 88,405"
    assert result.confidence == pytest.approx(0.21)
    assert result.entry == (D(64000),) and result.targets == (D(90000),)  # only confidence


@pytest.mark.parametrize(
    ("feed", "post", "far_pct"),
    [
        (Feed({"BTC/USDT": D(64500)}), entry_post(), TEN),  # near the market
        (Feed({}), entry_post(), TEN),  # the feed does not price the pair
        (Feed({}), entry_post("DOWN"), TEN),  # the feed's exchange is down
        (Feed({"BTC/USDT": D(88405)}, hang=True), entry_post(), TEN),  # never answers
        (None, entry_post(), TEN),  # no feed
        (Feed({"BTC/USDT": D(88405)}), entry_post(), D(0)),  # the check off
        (Feed({"BTC/USDT": D(88405)}), entry_post(entry="market"), TEN),  # at the market
        (Feed({"BTC/USDT": D(88405)}), ParseResult(kind=SignalKind.OTHER), TEN),
    ],
)
async def test_without_a_price_or_a_far_entry_nothing_changes(
    feed: Feed | None, post: ParseResult, far_pct: Decimal
) -> None:
    result, doubt = await judge(context(feed, far_pct), post)
    assert (result, doubt) == (post, "")
    assert result.confidence == post.confidence


def test_the_setting_defaults_to_the_risk_guards_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Held at the distance the trade plans' risk guard refuses by default; env-settable."""
    monkeypatch.delenv("SIGNAL_ENTRY_FAR_PCT", raising=False)
    checks = load_settings(None).signal_checks
    assert checks.entry_far_pct == FollowSettings().max_entry_distance_pct == TEN
    monkeypatch.setenv("SIGNAL_ENTRY_FAR_PCT", "25")
    monkeypatch.setenv("SIGNAL_PRICE_TIMEOUT", "0.5")
    checks = load_settings(None).signal_checks
    assert (checks.entry_far_pct, checks.price_timeout_s) == (D(25), 0.5)
