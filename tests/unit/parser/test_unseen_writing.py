"""Issue 11: the defects a new user hit and the kinds of writing real channels use that the
parser read wrongly. One post per case, through ``parse``; each expected value follows the
corpus conventions (``/work/shared/corpus/README.md``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.domain import SignalKind, UpdateType
from services.signal_parser import parse
from services.signal_parser.rules import _parse as parse_steps
from tests.unit.parser.cases import D, assert_entry

THRESHOLD = 0.6


ENTRY_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "small_numbers_zone_and_list",
        "#AVAX/USDT LONG Entry 35-36 TP 38 40 SL 33",
        {"entry": D("35", "36"), "targets": D("38", "40"), "stop_loss": Decimal(33)},
    ),
    (
        "small_numbers_single_entry",
        "#ETH entry 14 tp 15 16 17",
        {"entry": D("14"), "targets": D("15", "16", "17")},
    ),
    (
        "one_digit_numbers",
        "#ETH entry 5-6 tp 7 8 9",
        {"entry": D("5", "6"), "targets": D("7", "8", "9")},
    ),
    (
        "index_with_colon_still_an_index",
        "#ETH/USDT LONG\nTP 1: 3500\nTP 2: 3600\nEntry 3400\nSL 3300",
        {"entry": D("3400"), "targets": D("3500", "3600")},
    ),
    (
        "short_entry_long",
        "BTC long 88000",
        {"base": "BTC", "side": "long", "entry": D("88000"), "targets": []},
    ),
    (
        "short_entry_buy_tag",
        "#SOL buy 124",
        {"base": "SOL", "side": "long", "entry": D("124")},
    ),
    (
        "buy_sell_one_line",
        "#DOGE buy 0.13-0.135 sell 0.14 0.15 0.16 stop 0.12",
        {
            "base": "DOGE",
            "side": "long",
            "entry": D("0.13", "0.135"),
            "targets": D("0.14", "0.15", "0.16"),
            "stop_loss": Decimal("0.12"),
        },
    ),
    (
        "side_inferred_from_levels",
        "#SOL/USDT 124-126 tp 130 sl 118",
        {
            "base": "SOL",
            "quote": "USDT",
            "side": "long",
            "entry": D("124", "126"),
            "targets": D("130"),
            "stop_loss": Decimal(118),
        },
    ),
    (
        "label_glued_to_number",
        "#XRP/USDT LONG\nEntry 1.2500\nTP11.2800\nTP21.2900\nTP31.3000\nTP41.3100\nSL 1.2000",
        {
            "entry": D("1.2500"),
            "targets": D("1.2800", "1.2900", "1.3000", "1.3100"),
            "stop_loss": Decimal("1.2000"),
        },
    ),
    (
        "percentage_after_target",
        "#PEPE/USDT LONG\nEntry: 0.00002360\nTarget 1: 0.00002408 +2.00%\n"
        "Target 2: 0.00002455 +4.00%\nStop: 0.00002250 -4.66%",
        {
            "entry": D("0.00002360"),
            "targets": D("0.00002408", "0.00002455"),
            "stop_loss": Decimal("0.00002250"),
        },
    ),
    (
        "zone_underscore",
        "#LINK/USDT LONG\nEntry: 14.10_14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "zone_tilde",
        "#LINK/USDT LONG\nEntry: 14.10~14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "zone_to",
        "#LINK/USDT LONG\nEntry: 14.10 to 14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "zone_em_dash",
        "#LINK/USDT LONG\nEntry: 14.10—14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "zone_slash",
        "#LINK/USDT LONG\nEntry: 14.10/14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "zone_emoji",
        "#LINK/USDT LONG\nEntry: 14.10 🔸 14.30\nTP: 15\nSL: 13.5",
        {"entry": D("14.10", "14.30"), "targets": D("15")},
    ),
    (
        "spot_buy_sell_without_pair_label",
        "LINK\nBuy 99-96 / Sell 102-105-110\nStop 90",
        {
            "base": "LINK",
            "side": "long",
            "entry": D("96", "99"),
            "targets": D("102", "105", "110"),
            "stop_loss": Decimal(90),
        },
    ),
    (
        "targets_out_of_order",
        "#BNB/USDT LONG\nEntry 600\nTP1 620\nTP3 660\nTP2 640\nSL 580",
        {"targets": D("620", "660", "640")},
    ),
    (
        "open_last_target",
        "#BNB/USDT LONG\nEntry 600\nTargets:\n1) 620\n2) 640\n3) 🚀🚀🚀\nSL 580",
        {"targets": D("620", "640"), "stop_loss": Decimal(580)},
    ),
    (
        "cyrillic_x_leverage",
        "#BTC/USDT ЛОНГ\nВход: 88000\nЦель: 90000\nСтоп: 86000\nПлечо: 10х",
        {"leverage": Decimal(10), "side": "long", "market": "futures"},
    ),
    (
        "cyrillic_x_leverage_free",
        "#BTC/USDT лонг 20х\nВход: 88000\nЦель: 90000\nСтоп: 86000",
        {"leverage": Decimal(20)},
    ),
    (
        "ticker_that_is_a_keyword",
        "#PERP/USDT LONG\nEntry: 0.80\nTP: 0.90\nSL: 0.70",
        {"base": "PERP", "quote": "USDT", "entry": D("0.80")},
    ),
    (
        "chinese_side_at_the_end",
        "BTC\n進場 88000-87500\n目標 90000 92000\n止損 86000\n多",
        {"base": "BTC", "side": "long", "entry": D("87500", "88000")},
    ),
    (
        "russian_growth_target",
        "#ETH/USDT\nВход: 3400\nЦель роста: 3600\nСтоп: 3300",
        {"side": "long", "targets": D("3600")},
    ),
    (
        "russian_short_far",
        "#ETH/USDT\nВход: 3400\nЦель: 3200\nСтоп: 3500\nшорт",
        {"side": "short", "targets": D("3200")},
    ),
    (
        "spot_implies_long",
        "#ATOM/USDT spot\nEntry: 8.10\nTP: 8.60 9.00\nSL: 7.70",
        {"side": "long", "market": "spot"},
    ),
    (
        "mixed_scripts_in_one_word",
        "#ETH/USDT\nЛОНГ\nВхoд: 3400\nЦeль: 3600\nCтоп: 3300",
        {"side": "long", "entry": D("3400"), "targets": D("3600"), "stop_loss": Decimal(3300)},
    ),
    (
        "decimal_comma",
        "#ADA/USDT лонг\nВход: 0,4512\nЦели: 0,4700 0,4900\nСтоп: 0,4300",
        {"entry": D("0.4512"), "targets": D("0.4700", "0.4900"), "stop_loss": Decimal("0.4300")},
    ),
    (
        "market_and_limit_entries_on_two_lines",
        "#SOL/USDT LONG\nMarket entry: 126\nLimit entry: 122\nTP: 132 138\nSL: 118",
        {"entry": D("122", "126"), "targets": D("132", "138"), "stop_loss": Decimal(118)},
    ),
    (
        "one_line_emoji_separators",
        "#BTC/USDT 🟢 LONG 📍 Entry 42000 🎯 TP 43000 44000 🛑 SL 41000",
        {
            "side": "long",
            "entry": D("42000"),
            "targets": D("43000", "44000"),
            "stop_loss": Decimal(41000),
        },
    ),
    (
        "one_line_dash_separators",
        "BTC/USDT - LONG - Entry 42000 - TP 43000 - SL 41000 - Leverage 10x",
        {
            "side": "long",
            "entry": D("42000"),
            "targets": D("43000"),
            "stop_loss": Decimal(41000),
            "leverage": Decimal(10),
        },
    ),
    (
        "gold_abbreviated_range",
        "XAUUSD BUY 2350-48\nTP 2360\nTP 2370\nSL 2340",
        {
            "base": "XAU",
            "quote": "USD",
            "side": "long",
            "entry": D("2348", "2350"),
            "targets": D("2360", "2370"),
            "stop_loss": Decimal(2340),
        },
    ),
    (
        "forex_abbreviated_range",
        "EURUSD SELL 1.0850-60\nTP 1.0800\nSL 1.0900",
        {
            "base": "EUR",
            "quote": "USD",
            "side": "short",
            "entry": D("1.0850", "1.0860"),
            "targets": D("1.0800"),
        },
    ),
]


@pytest.mark.parametrize(
    ("text", "want"), [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES]
)
def test_entry_kinds_of_writing(text: str, want: dict[str, Any]) -> None:
    assert_entry(text, want)


UPDATE_CASES: list[tuple[str, str, UpdateType, int | None]] = [
    ("sl_moved_to_price", "SL moved to 88200", UpdateType.MOVE_SL, None),
    ("new_sl_price", "New SL: 88200", UpdateType.MOVE_SL, None),
    ("move_sl_to_entry", "Move SL to entry", UpdateType.MOVE_SL, None),
    ("tp3_keeps_index", "TP3 hit", UpdateType.TP_HIT, 3),
    ("all_targets_achieved", "all targets achieved", UpdateType.TP_HIT, None),
    ("ru_close", "#ETH закрываем сделку по рынку", UpdateType.CLOSE, None),
    ("ru_partial_close", "#ETH фиксируем половину позиции", UpdateType.PARTIAL_CLOSE, None),
    ("ru_move_stop", "#ETH стоп переносим в безубыток", UpdateType.MOVE_SL, None),
    ("ru_move_stop_price", "#ETH стоп на 3350", UpdateType.MOVE_SL, None),
    ("ru_cancel", "#ETH отмена сигнала", UpdateType.CANCEL, None),
    ("ru_tp_hit", "#ETH первая цель взята ✅", UpdateType.TP_HIT, 1),
    ("ru_tp_hit_and_close", "#ETH вторая цель взята, закрываем сделку", UpdateType.TP_HIT, 2),
    ("zh_close", "BTC 平仓", UpdateType.CLOSE, None),
    ("zh_partial_close", "BTC 减仓一半", UpdateType.PARTIAL_CLOSE, None),
    ("zh_move_stop", "BTC 止损移到成本价", UpdateType.MOVE_SL, None),
    ("zh_cancel", "BTC 取消挂单", UpdateType.CANCEL, None),
    ("zh_tp_hit", "BTC 第一目标已到", UpdateType.TP_HIT, 1),
    ("zh_tp_hit_close", "BTC 第二目标已到，平仓", UpdateType.TP_HIT, 2),
    ("tp_and_move", "#BTC TP1 hit ✅ move SL to entry", UpdateType.TP_HIT, 1),
]


@pytest.mark.parametrize(
    ("text", "utype", "index"), [c[1:] for c in UPDATE_CASES], ids=[c[0] for c in UPDATE_CASES]
)
def test_update_kinds_of_writing(text: str, utype: UpdateType, index: int | None) -> None:
    result = parse(text)
    assert result.kind is SignalKind.UPDATE, result
    assert result.update is not None
    assert (result.update.type, result.update.target_index) == (utype, index)


@pytest.mark.parametrize(
    ("text", "stop"),
    [("SL moved to 88200", "88200"), ("New SL: 88200", "88200"), ("#ETH стоп на 3350", "3350")],
)
def test_stop_move_carries_the_new_stop(text: str, stop: str) -> None:
    assert parse(text).stop_loss == Decimal(stop)


def test_stop_move_to_entry_is_not_a_stop_hit() -> None:
    result = parse("SL moved to entry")
    assert result.update is not None and result.update.type is UpdateType.MOVE_SL


def test_all_targets_marks_every_target() -> None:
    result = parse("#THETA/USDT all targets achieved 😎")
    assert result.update is not None and result.update.all_targets


def test_tp_hit_and_stop_move_reports_both() -> None:
    result = parse("#BTC TP1 hit ✅ move SL to entry")
    assert result.update is not None
    assert UpdateType.MOVE_SL in result.update.also


def test_tp_hit_that_closes_reports_the_close() -> None:
    result = parse("#ETH вторая цель взята, закрываем сделку")
    assert result.update is not None
    assert UpdateType.CLOSE in result.update.also


def test_inferred_side_is_marked_and_below_threshold() -> None:
    """The card can say the side was inferred: no span for it and ``inferred`` names it."""
    result = parse("#SOL/USDT 124-126 tp 130 sl 118")
    assert "side" in result.inferred
    assert "side" not in result.spans
    assert result.confidence < THRESHOLD


def test_short_entries_are_below_threshold() -> None:
    for text in ("BTC long 88000", "#SOL buy 124"):
        assert parse(text).confidence < THRESHOLD, text


@pytest.mark.parametrize(
    "text",
    [
        "ETH could go long above 2000, watching",
        "BTC long term outlook: 100000 by 2030",
        "I bought BTC at 88000 yesterday",
        "BTC 88000 now",
    ],
)
def test_commentary_is_not_a_short_entry(text: str) -> None:
    assert parse(text).kind is not SignalKind.ENTRY


CONFIDENCE_CASES: list[tuple[str, str]] = [
    ("long_targets_below", "#BTC/USDT LONG\nEntry: 42000\nTP: 41000 40000\nSL: 40500"),
    ("stop_wrong_side", "#BTC/USDT SHORT\nEntry: 42000\nTP: 41000\nSL: 41500"),
    ("fewer_targets_than_numbering", "#BTC/USDT LONG\nEntry: 42000\nTP3: 45000\nSL: 41000"),
]


@pytest.mark.parametrize(
    "text", [c[1] for c in CONFIDENCE_CASES], ids=[c[0] for c in CONFIDENCE_CASES]
)
def test_levels_that_do_not_fit_are_below_threshold(text: str) -> None:
    assert parse(text).confidence < THRESHOLD


def _labelled_texts() -> list[str]:
    root = Path(__file__).resolve().parents[3]
    files = [
        root.parent / "shared" / "corpus" / "dev.jsonl",
        *sorted(root.glob("tests/corpus/*.jsonl")),
    ]
    texts: list[str] = [c[1] for c in ENTRY_CASES] + [c[1] for c in UPDATE_CASES]
    for path in files:
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return texts


def test_no_labelled_post_trips_a_parser_bug() -> None:
    """``parse`` turns a bug into "other" at confidence 0; the steps themselves must not raise."""
    for text in _labelled_texts():
        parse_steps(text)
