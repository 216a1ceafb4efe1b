"""Hand-written table tests: one post per format feature, several languages not in the corpus."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.domain import SignalKind
from services.signal_parser import parse
from tests.unit.parser.cases import D, assert_entry

ENTRY_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "plain_english",
        "BTC/USDT LONG\nEntry: 42000 - 42500\nTP1: 43000\nTP2: 44000\nSL: 41000\nLeverage: 10x",
        {
            "base": "BTC",
            "quote": "USDT",
            "side": "long",
            "market": "futures",
            "entry": D("42000", "42500"),
            "targets": D("43000", "44000"),
            "stop_loss": Decimal(41000),
            "leverage": Decimal(10),
        },
    ),
    (
        "one_line_hashtag",
        "#SOL buy 100 tp 110 sl 95",
        {
            "base": "SOL",
            "quote": None,
            "side": "long",
            "entry": D("100"),
            "targets": D("110"),
            "stop_loss": Decimal(95),
        },
    ),
    (
        "persian_digits",
        "#BTC لانگ\nورود: ۴۲۰۰۰\nتارگت: ۴۳۰۰۰ - ۴۴۰۰۰\nحد ضرر: ۴۱۰۰۰",
        {
            "base": "BTC",
            "side": "long",
            "entry": D("42000"),
            "targets": D("43000", "44000"),
            "stop_loss": Decimal(41000),
        },
    ),
    (
        "persian_short",
        "ETH/USDT شورت\nورود: 3000\nهدف: 2900\nحد ضرر: 3100",
        {
            "base": "ETH",
            "quote": "USDT",
            "side": "short",
            "entry": D("3000"),
            "targets": D("2900"),
            "stop_loss": Decimal(3100),
        },
    ),
    (
        "portuguese_compra_comma_decimal",
        "ADA/USDT\nCompra\nEntrada: 0,45\nAlvos: 0,50 - 0,55\nStop: 0,40",
        {
            "base": "ADA",
            "quote": "USDT",
            "side": "long",
            "entry": D("0.45"),
            "targets": D("0.50", "0.55"),
            "stop_loss": Decimal("0.40"),
        },
    ),
    (
        "portuguese_venda",
        "XRP/USDT VENDA\nEntrada: 0.60\nAlvo 1: 0.55\nAlvo 2: 0.50\nStop: 0.65",
        {
            "base": "XRP",
            "side": "short",
            "entry": D("0.60"),
            "targets": D("0.55", "0.50"),
            "stop_loss": Decimal("0.65"),
        },
    ),
    (
        "spanish_largo",
        "ETH/USDT LARGO\nEntrada: 3000\nObjetivos: 3100, 3200\nStop loss: 2900",
        {
            "base": "ETH",
            "side": "long",
            "entry": D("3000"),
            "targets": D("3100", "3200"),
            "stop_loss": Decimal(2900),
        },
    ),
    (
        "turkish",
        "#SOL Long\nGiriş: 100\nHedef 1: 110\nHedef 2: 120\nStop: 95\nKaldıraç: 5x",
        {
            "base": "SOL",
            "side": "long",
            "market": "futures",
            "entry": D("100"),
            "targets": D("110", "120"),
            "stop_loss": Decimal(95),
            "leverage": Decimal(5),
        },
    ),
    (
        "vietnamese_mua",
        "BTC/USDT Mua\nVùng vào: 42000-42500\nMục tiêu: 43000 - 44000\nCắt lỗ: 41000",
        {
            "base": "BTC",
            "side": "long",
            "entry": D("42000", "42500"),
            "targets": D("43000", "44000"),
            "stop_loss": Decimal(41000),
        },
    ),
    (
        "vietnamese_ban",
        "ETH/USDT Bán\nĐiểm vào: 3000\nMục tiêu: 2900\nCắt lỗ: 3100",
        {
            "base": "ETH",
            "side": "short",
            "entry": D("3000"),
            "targets": D("2900"),
            "stop_loss": Decimal(3100),
        },
    ),
    (
        "chinese_long",
        "BTC 多\n進場：42000\n目標：43000\n止損：41000",
        {
            "base": "BTC",
            "side": "long",
            "entry": D("42000"),
            "targets": D("43000"),
            "stop_loss": Decimal(41000),
        },
    ),
    (
        "chinese_short_simplified",
        "ETH 做空\n进场：3000-3050\n目标：2900-2800\n止损：3100",
        {
            "base": "ETH",
            "side": "short",
            "entry": D("3000", "3050"),
            "targets": D("2900", "2800"),
            "stop_loss": Decimal(3100),
        },
    ),
    (
        "russian_long",
        "BTC/USDT лонг\nВход: 42000\nЦели: 43000, 44000\nСтоп: 41000",
        {
            "base": "BTC",
            "side": "long",
            "entry": D("42000"),
            "targets": D("43000", "44000"),
            "stop_loss": Decimal(41000),
        },
    ),
    (
        "russian_short",
        "ETHUSDT ШОРТ\nВход: 3000\nТейк 1: 2900\nТейк 2: 2800\nСтоп: 3100",
        {"base": "ETH", "quote": "USDT", "side": "short", "targets": D("2900", "2800")},
    ),
    (
        "perp_suffix_x_leverage",
        "BTCUSDT.P short x20\nEntry 42000\nTP 41000\nSL 43000",
        {
            "base": "BTC",
            "quote": "USDT",
            "side": "short",
            "market": "futures",
            "leverage": Decimal(20),
            "entry": D("42000"),
        },
    ),
    (
        "usdtperp_glued",
        "Pair: SUSHIUSDTPERP Long\nEntry: 1.2\nTargets: 1.3 - 1.4\nSL: 1.1",
        {"base": "SUSHI", "quote": "USDT", "market": "futures", "targets": D("1.3", "1.4")},
    ),
    (
        "dash_pair",
        "BTC-USDT SHORT\nEntry: 42000\nTarget: 41000\nStop: 43000",
        {"base": "BTC", "quote": "USDT", "side": "short"},
    ),
    (
        "dollar_prefix_1000",
        "$1000PEPE long\nEntry: 0.0120\nTP: 0.0130\nSL: 0.0110",
        {"base": "1000PEPE", "quote": None, "entry": D("0.0120")},
    ),
    (
        "market_entry_cmp",
        "#DOGE/USDT Long\nEntry: CMP\nTargets: 0.09 0.1\nStop: 0.07",
        {"entry": "market", "targets": D("0.09", "0.1")},
    ),
    (
        "range_leverage_lower_bound",
        "COIN: $ETH/USDT (5-10x)\nDirection: LONG\nENTRY: 1800 - 1820\n"
        "TARGETS: 1850 - 1900\nSL: 1750",
        {"leverage": Decimal(5), "market": "futures", "entry": D("1800", "1820")},
    ),
    (
        "cross_leverage",
        "BNB/USDT Long\nLeverage: Cross 20x\nEntry: 300\nTP: 310\nSL: 290",
        {"leverage": Decimal(20), "market": "futures"},
    ),
    (
        "full_width",
        "ＢＴＣ/ＵＳＤＴ ＬＯＮＧ\nＥｎｔｒｙ：４２０００\nＴＰ：４３０００\nＳＬ：４１０００",
        {"base": "BTC", "side": "long", "entry": D("42000"), "stop_loss": Decimal(41000)},
    ),
    (
        "zero_width",
        "BT\u200bC/USDT LO\u200cNG\nEntry: 42\u200d000\nTP: 43000\nSL: 41000",
        {"base": "BTC", "side": "long", "entry": D("42000")},
    ),
    (
        "html",
        "<b>BTC/USDT</b> LONG<br>Entry: 42000<br/>TP: 43000<br>SL: 41000 &amp; more",
        {"base": "BTC", "entry": D("42000"), "targets": D("43000"), "stop_loss": Decimal(41000)},
    ),
    (
        "markdown_thousands",
        "**BTC/USDT** LONG\n**Entry:** 42,000\n**TP:** 43,500.5\n**SL:** [41,000](https://x.io/1)",
        {"entry": D("42000"), "targets": D("43500.5"), "stop_loss": Decimal(41000)},
    ),
    (
        "k_suffix",
        "BTC/USDT long entry 42k tp 43.5k sl 41k",
        {"entry": D("42000"), "targets": D("43500"), "stop_loss": Decimal(41000)},
    ),
    (
        "bulleted_targets",
        "#AVAX/USDT SHORT\nEntry: 30\nTargets:\n• 29\n• 28\n• 27\nStop: 31",
        {"targets": D("29", "28", "27")},
    ),
    (
        "numbered_targets_with_weights",
        "LINK/USDT Long\nEntry: 14\nTake-Profit Targets:\n1) 15 - 50%\n2) 16 - 50%\nStop: 13",
        {"targets": D("15", "16")},
    ),
    (
        "target_range_two_targets",
        "DOT/USDT long\nEntry 5.0\nTarget 5.5-5.8\nSL 4.8",
        {"targets": D("5.5", "5.8")},
    ),
    (
        "spot_market",
        "#ATOM/USDT Spot Buy\nBuy zone: 8.0 - 8.4\nTargets: 9 - 10 - 11\nStop: 7.5",
        {
            "market": "spot",
            "side": "long",
            "entry": D("8.0", "8.4"),
            "targets": D("9", "10", "11"),
        },
    ),
    (
        "killers_sub_labelled_targets",
        "COIN: $BNB/USDT (2-5x)\nDirection: LONG\nENTRY: 237 - 245\n\nTARGETS\n"
        "Short Term: 248 - 251 - 255\nMid Term: 270 - 290\n\nSTOP LOSS: 222.1",
        {"side": "long", "targets": D("248", "251", "255", "270", "290"), "leverage": Decimal(2)},
    ),
    (
        "buy_then_sell_targets",
        "ETH/USDT\nBuy: 1800-1820\nSell: 1850-1900-1950\nStop: 1750",
        {"side": "long", "entry": D("1800", "1820"), "targets": D("1850", "1900", "1950")},
    ),
    (
        "free_text_side_before_coin",
        "Buy BTC at 42000. Target 45000. Stop 40000.",
        {"base": "BTC", "side": "long", "entry": D("42000"), "targets": D("45000")},
    ),
    (
        "chinese_duodan_leverage_bei",
        "BTC/USDT 多单\n入场：42000-42500\n止盈：43000/44000\n止损：41000\n杠杆：10倍",
        {"side": "long", "leverage": Decimal(10), "market": "futures"},
    ),
    (
        "persian_buy_signal",
        "سیگنال خرید\nارز: BTC/USDT\nنقطه ورود: 42000\nهدف اول: 43000\nحد ضرر: 41000",
        {"base": "BTC", "side": "long", "entry": D("42000"), "stop_loss": Decimal(41000)},
    ),
    (
        "one_line_everything",
        "#DOGE LONG 0.081-0.079 TP 0.085 0.09 0.1 SL 0.075",
        {"entry": D("0.079", "0.081"), "targets": D("0.085", "0.09", "0.1")},
    ),
    (
        "written_as_is",
        "ARB/USDT LONG\nEntry: 1.0450\nTP: 1.0900\nSL: 0.9900",
        {"entry": D("1.0450"), "stop_loss": Decimal("0.9900")},
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES]
)
def test_entry_formats(text: str, expected: dict[str, Any]) -> None:
    result = assert_entry(text, expected)
    assert result.confidence >= 0.6
    for name, (start, end) in result.spans.items():
        assert 0 <= start <= end <= len(text), name


UPDATE_CASES: list[tuple[str, str, str, int | None, str | None]] = [
    ("tp_hit_check", "BTC/USDT TP1 hit ✅", "tp_hit", 1, "BTC"),
    ("tp_hit_target_n", "#ETH/USDT Target 3 reached 🎯", "tp_hit", 3, "ETH"),
    ("sl_hit", "#SOL/USDT stop loss hit", "sl_hit", None, "SOL"),
    ("stopped_out", "Stopped out on LINK", "sl_hit", None, None),
    ("move_sl_entry", "Move SL to entry on #BTCUSDT", "move_sl", None, "BTC"),
    ("move_sl_be", "SL moved to breakeven", "move_sl", None, None),
    # a new level is a move, never "stop loss hit" (a follower's plan would close at market)
    ("move_sl_level", "SL moved to 88200", "move_sl", None, None),
    ("move_sl_arrow", "#BTC SL -> 61500", "move_sl", None, "BTC"),
    ("move_sl_changed", "#ETH stop loss changed to 3050", "move_sl", None, "ETH"),
    ("close_all", "Close all positions on #BTC/USDT now", "close", None, "BTC"),
    ("cancel", "#XRP/USDT signal cancelled, entry was not reached", "cancel", None, "XRP"),
    ("entry_filled", "#ADA/USDT entry filled ✅", "entry_filled", None, "ADA"),
    ("partial", "Take partial profits 50% on #AVAX/USDT", "partial_close", None, "AVAX"),
    ("ru_be", "Стоп в безубыток", "move_sl", None, None),
    ("ru_tp", "Вторая цель взята", "tp_hit", 2, None),
    ("zh_close", "止盈了", "close", None, None),
    ("zh_cancel", "撤銷", "cancel", None, None),
    ("vi_cancel", "Hủy lệnh BTC/USDT", "cancel", None, "BTC"),
    ("tr_cancel", "BTC/USDT iptal", "cancel", None, "BTC"),
    ("pt_stop", "ETH/USDT stop atingido", "sl_hit", None, "ETH"),
    ("all_targets_done", "All targets of #XRP done 🎯🎯🎯", "tp_hit", None, "XRP"),
    ("closed_in_profit", "Closed BTC/USDT in profit +35%", "close", None, "BTC"),
    (
        "results_post_with_targets",
        "COIN: $BTC/USDT\nDirection: LONG\nTarget 1: 25900✅\nTarget 2: 26300✅\n🔥50% Profit🔥",
        "tp_hit",
        2,
        "BTC",
    ),
]


@pytest.mark.parametrize(
    ("text", "utype", "index", "base"),
    [c[1:] for c in UPDATE_CASES],
    ids=[c[0] for c in UPDATE_CASES],
)
def test_update_formats(text: str, utype: str, index: int | None, base: str | None) -> None:
    result = parse(text)
    assert result.kind is SignalKind.UPDATE, result
    assert result.update is not None
    if utype != "other_ok":
        assert result.update.type.value == utype
        assert result.update.target_index == index
    assert result.base == base


OTHER_CASES = [
    ("advert", "Join our VIP channel! 90% accuracy 🚀🚀 https://t.me/+abcdef"),
    ("hype", "Big pump incoming on BTC!!! 🚀 Are you ready?"),
    ("empty", ""),
    ("emoji_only", "🔥🔥🔥💎🙌"),
    ("chit_chat", "Good morning traders, market looks calm today."),
    ("commentary_levels", "BTC broke 42000, watching 41000 support and 45000 resistance."),
    ("commentary_side", "ETH/USDT: support 1800, resistance 2000. Could go long above 2000."),
    ("teaser", "Next week we will share a LONG signal on ETH/USDT. Stay tuned!"),
    ("sales", "Free signals every day! 95% win rate. Buy our VIP now for $99"),
]


@pytest.mark.parametrize("text", [c[1] for c in OTHER_CASES], ids=[c[0] for c in OTHER_CASES])
def test_other_posts(text: str) -> None:
    result = parse(text)
    assert result.kind is SignalKind.OTHER or result.confidence < 0.6, result
    assert result.kind is not SignalKind.ENTRY or result.confidence < 0.6


def test_spans_point_into_original_text() -> None:
    text = "**BTC/USDT**\u200b LONG\nEntry: 42,000\nTP: 43000\nSL: 41000"
    result = parse(text)
    assert text[slice(*result.spans["base"])] == "BTC"
    assert text[slice(*result.spans["entry"])] == "42,000"
    assert text[slice(*result.spans["stop_loss"])] == "41000"
    assert text[slice(*result.spans["side"])].lower() == "long"


def test_inconsistent_levels_lower_confidence() -> None:
    good = parse("BTC/USDT LONG\nEntry: 42000\nTP: 43000\nSL: 41000")
    bad = parse("BTC/USDT LONG\nEntry: 42000\nTP: 41000\nSL: 43000")
    far = parse("BTC/USDT LONG\nEntry: 42000\nTP: 430000\nSL: 41000")
    assert good.confidence > bad.confidence
    assert good.confidence > far.confidence
    assert bad.targets == (Decimal(41000),)  # lowered confidence, values kept as written


def test_results_post_repeating_the_whole_signal_is_an_update() -> None:
    text = (
        "#BTC/USDT LONG\nEntry: 42000\nTarget 1: 43000 ✅\nTarget 2: 44000 ✅\nTarget 3: 45000\n"
        "SL: 41000\nProfit: 45% 🔥"
    )
    result = parse(text)
    assert result.kind is SignalKind.UPDATE
    assert result.update is not None and result.update.target_index == 2


def test_entry_with_management_notes_stays_an_entry() -> None:
    text = (
        "#BTC/USDT LONG\nEntry: 42000\nTP1: 43000\nTP2: 44000\nSL: 41000\n"
        "After TP1 move SL to breakeven. Cancel if TP1 is hit before entry."
    )
    assert parse(text).kind is SignalKind.ENTRY
