"""handlers/market_render.py: /price with several pairs and /pairs, as the user reads them, and
every feed name, pair and word shown as written in valid Telegram HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from handlers import market_render
from services.trading import PaperPairs, PriceBoard
from services.trading_dto import PriceView
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows, shown, whole

BTC = PriceView("BTC/USDT", Decimal("64012.5"), "replay of BTC")
ETH = PriceView("ETH/USDT", Decimal(3000), "replay of ETH")


def test_one_price_reads_as_the_single_price_reply() -> None:
    assert shown(market_render.prices(PriceBoard([BTC], [], "replay"))) == (
        "BTC/USDT: 64,012.50 USDT\npriced by replay of BTC"
    )


def test_several_prices_one_line_each_and_the_words_that_named_no_pair() -> None:
    board = PriceBoard([BTC, ETH], ["link", "xyz"], "replay")
    assert shown(market_render.prices(board)).splitlines() == [
        "BTC/USDT: 64,012.50 USDT",
        "ETH/USDT: 3,000 USDT",
        "priced by the replay feed",
        "No price for 'link', 'xyz' on paper trading; /pairs lists its pairs.",
    ]
    same_source = PriceBoard([BTC, BTC], [], "static")
    assert shown(market_render.prices(same_source)).splitlines()[-1] == "priced by replay of BTC"


def test_pairs_with_the_replayed_moment() -> None:
    view = PaperPairs("replay", ["BTC/USDT", "ETH/USDT"], datetime(2026, 1, 5, 9, 41, tzinfo=UTC))
    assert shown(market_render.pairs(view)).splitlines() == [
        "Pairs on paper trading (2, prices from replay, replaying 2026-01-05 09:41 UTC)",
        "BTC/USDT, ETH/USDT",
        "Try /price btc or /buy btc 10 usdt.",
    ]


def test_a_long_list_is_cut_and_counted_and_an_unlisting_feed_says_so() -> None:
    many = [f"C{i:04}/USDT" for i in range(130)]
    lines = shown(market_render.pairs(PaperPairs("binance ticker", many))).splitlines()
    assert lines[0] == "Pairs on paper trading (130, prices from binance ticker)"
    assert lines[1].count("/USDT") == market_render.MAX_PAIRS_LISTED
    assert lines[2] == "… and 30 more."
    assert shown(market_render.pairs(PaperPairs("binance ticker", []))) == (
        "Paper trading prices pairs from the binance ticker feed, which does not list them; "
        "try /price btc."
    )


Render = Callable[[str], str]
HOSTILE_CASES = [
    pytest.param(
        lambda h: market_render.prices(PriceBoard([BTC, ETH], [h], "replay")),
        lambda h: repr(h[:32]),
        id="prices-missing-word",
    ),
    pytest.param(
        lambda h: market_render.prices(PriceBoard([BTC, ETH], [], h)), whole, id="prices-feed"
    ),
    pytest.param(
        lambda h: market_render.prices(PriceBoard([PriceView("A/B", Decimal(1), h)] * 2, [], "f")),
        whole,
        id="prices-source",
    ),
    pytest.param(
        lambda h: market_render.pairs(PaperPairs(h, ["BTC/USDT"])), whole, id="pairs-feed"
    ),
    pytest.param(
        lambda h: market_render.pairs(PaperPairs("replay", [h.replace("/", "") + "/USDT"])),
        lambda h: h.replace("/", ""),
        id="pairs-symbol",
    ),
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize(("render_with", "visible"), HOSTILE_CASES)
def test_hostile_text_is_shown_as_written(render_with: Render, visible: Render, text: str) -> None:
    assert_shows(render_with(text), visible(text))
