"""handlers/signals_render.py: cards, updates and lists show channel text escaped in valid HTML."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import SignalStatus
from handlers import signals_render as sr
from handlers.paging import NAME_LIMIT
from handlers.signals_callbacks import SignalCallback
from services.signal_dto import CardKind, FieldOrigin, SignalDetail, SignalView
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows, shown, whole
from tests.unit.render.views import D, event, signal, source

Render = Callable[[str], str]
HTML = sr.SignalHtml()


def clipped(text: str) -> str:
    """A list row shows a name's first ``paging.NAME_LIMIT - 1`` characters (then "…"), the
    "@" of a username among them."""
    return text[: NAME_LIMIT - 2]


def pair_of(text: str) -> SignalView:
    return signal(base=text, quote=None)


HOSTILE_CASES = [
    # the SignalHtml port: what the services queue in the outbox
    pytest.param(
        lambda h: HTML.card(signal(source_name=h), CardKind.TRACKED), whole, id="card-source"
    ),
    pytest.param(lambda h: HTML.card(pair_of(h), CardKind.TRACKED), whole, id="card-pair"),
    pytest.param(lambda h: HTML.card(signal(parser=h), CardKind.TRACKED), whole, id="card-parser"),
    pytest.param(
        lambda h: HTML.card(signal(), CardKind.TRACKED, note=h), whole, id="card-tracked-note"
    ),
    pytest.param(
        lambda h: HTML.card(signal(is_tracked=False), CardKind.PRIVATE, note=h),
        whole,
        id="card-private-note",
    ),
    pytest.param(lambda h: HTML.new_signal(signal(source_name=h)), whole, id="new_signal"),
    pytest.param(lambda h: HTML.new_signal(pair_of(h)), whole, id="new_signal-pair"),
    pytest.param(lambda h: HTML.event(signal(source_name=h), event()), whole, id="event-source"),
    pytest.param(lambda h: HTML.event(signal(), event(kind=h)), whole, id="event-kind"),
    pytest.param(lambda h: HTML.event(signal(), event(linked_by=h)), whole, id="event-linked_by"),
    pytest.param(
        lambda h: HTML.event(signal(), event(kind="move_sl", details={"changes": {"sl": h}})),
        whole,
        id="event-changes",
    ),
    pytest.param(
        lambda h: HTML.event(signal(), event(kind="edit", details={"reason": h})),
        whole,
        id="event-edit-reason",
    ),
    pytest.param(lambda h: HTML.source_registered(source(title=h)), whole, id="source_registered"),
    # module functions the handlers call directly
    pytest.param(lambda h: sr.headline(pair_of(h)), whole, id="headline"),
    pytest.param(lambda h: sr.event_line(event(linked_by=h)), whole, id="event_line"),
    pytest.param(
        lambda h: sr.detail(SignalDetail(signal(source_name=h), (event(linked_by=h),))),
        whole,
        id="detail",
    ),
    pytest.param(lambda h: sr.detail(SignalDetail(pair_of(h), ())), whole, id="detail-no-events"),
    pytest.param(lambda h: sr.signal_list([signal(source_name=h)]), clipped, id="signal_list"),
    pytest.param(lambda h: sr.signal_list([pair_of(h)]), whole, id="signal_list-pair"),
    pytest.param(lambda h: sr.source_list([source(username=h)]), clipped, id="source_list"),
    pytest.param(lambda h: sr.edit_prompt(pair_of(h), "pair"), whole, id="edit_prompt"),
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize(("render_with", "visible"), HOSTILE_CASES)
def test_hostile_text_is_shown_as_written(render_with: Render, visible: Render, text: str) -> None:
    assert_shows(render_with(text), visible(text))


@pytest.mark.parametrize(
    ("view", "line"),
    [
        pytest.param(signal(), "Pair: BTC/USDT ✅", id="from-text"),
        pytest.param(
            signal(origins={"pair": FieldOrigin.INFERRED}),
            "Pair: BTC/USDT ❔ inferred",
            id="inferred",
        ),
        pytest.param(
            signal(origins={"pair": FieldOrigin.EDITED}), "Pair: BTC/USDT ✏️ edited", id="edited"
        ),
        pytest.param(signal(base=None), "Pair: - ❌ missing", id="missing"),
        pytest.param(signal(leverage=None), "Leverage: not stated", id="optional-unstated"),
        pytest.param(signal(entry_is_market=True), "Entry: market ✅", id="market-entry"),
        pytest.param(signal(entry_high=D(60000)), "Entry: 60,000 ✅", id="one-price"),
        pytest.param(signal(), "Confidence: 90% (rules)", id="confidence"),
    ],
)
def test_card_marks_where_each_field_came_from(view: SignalView, line: str) -> None:
    assert line in shown(sr.card(view, CardKind.TRACKED)).splitlines()


@pytest.mark.parametrize(
    ("kind", "first_line"),
    [
        pytest.param(CardKind.TRACKED, "Signal #7 BTC/USDT long from @calls", id="tracked"),
        pytest.param(CardKind.PRIVATE, "Private signal #7 BTC/USDT long", id="private"),
    ],
)
def test_card_header_says_whose_signal_it_is(kind: CardKind, first_line: str) -> None:
    assert shown(sr.card(signal(), kind)).splitlines()[0] == first_line


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        pytest.param(SignalStatus.PENDING, ["track", "edit", "ignore"], id="pending"),
        pytest.param(SignalStatus.HELD, ["track", "edit", "ignore"], id="held"),
        pytest.param(SignalStatus.IGNORED, ["track", "edit"], id="ignored"),
        pytest.param(SignalStatus.ACTIVE, ["edit"], id="active"),
        pytest.param(SignalStatus.CLOSED, [], id="closed"),
        pytest.param(SignalStatus.EXPIRED, [], id="expired"),
    ],
)
def test_card_buttons_follow_the_status(status: SignalStatus, buttons: list[str]) -> None:
    rows = HTML.card_buttons(signal(status=status))
    pressed = [SignalCallback.unpack(b["callback_data"]) for row in rows for b in row]
    assert [p.action for p in pressed] == buttons
    assert all(p.signal_id == 7 for p in pressed)
    assert [b["text"].lower() for row in rows for b in row] == buttons
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        pytest.param(signal(), "active", id="active"),
        pytest.param(signal(targets_hit=1), "active, 1/2 targets hit", id="targets-hit"),
        pytest.param(signal(targets_hit=1, targets=()), "active, 1/? targets hit", id="unknown"),
    ],
)
def test_status_text(view: SignalView, expected: str) -> None:
    assert sr.status_text(view) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("pair", "BTC/USDT", id="pair"),
        pytest.param("side", "long", id="side"),
        pytest.param("market", "spot", id="market"),
        pytest.param("entry", "60,000 - 61,000", id="entry-zone"),
        pytest.param("targets", "62,000; 64,000", id="targets"),
        pytest.param("stop_loss", "58,000", id="stop_loss"),
        pytest.param("leverage", None, id="leverage-missing"),
    ],
)
def test_field_value(name: str, expected: str | None) -> None:
    assert sr.field_value(signal(), name) == expected


def test_field_value_refuses_unknown_fields() -> None:
    with pytest.raises(KeyError):
        sr.field_value(signal(), "colour")


@pytest.mark.parametrize(
    ("view", "name", "text"),
    [
        pytest.param(signal(stop_loss=D("1.500")), "stop_loss", "1.50", id="price-decimals"),
        pytest.param(signal(stop_loss=D("1E+3")), "stop_loss", "1,000", id="exponent"),
        pytest.param(
            signal(targets=(D("0.00001234"), D("0.0000125"))),
            "targets",
            "0.00001234; 0.0000125",
            id="small-coin",
        ),
        pytest.param(
            signal(entry_low=D("88493.46607768"), entry_high=None), "entry", "88,493.47", id="cut"
        ),
        pytest.param(signal(leverage=D("12.50")), "leverage", "12.5x", id="leverage"),
    ],
)
def test_field_numbers_read_like_prices(view: SignalView, name: str, text: str) -> None:
    """Card numbers go through the one formatter: grouped, rounded to readable digits."""
    assert sr.field_value(view, name) == text


@pytest.mark.parametrize(
    ("kind", "index", "words"),
    [
        pytest.param("tp_hit", 2, "target 2 hit", id="tp_hit"),
        pytest.param("sl_hit", None, "stop loss hit", id="sl_hit"),
        pytest.param("cancel", None, "cancelled", id="cancel"),
        pytest.param("brand_new", None, "brand_new", id="unknown-kind"),
    ],
)
def test_event_line_words(kind: str, index: int | None, words: str) -> None:
    line = shown(sr.event_line(event(kind=kind, target_index=index)))
    assert line == f"2026-03-04 05:06 UTC {words}"


def test_edit_not_applied_says_why() -> None:
    line = shown(sr.event_line(event(kind="edit", details={"applied": False})))
    assert line.endswith("edited in the channel (not applied: kept as it was)")


@pytest.mark.parametrize(
    ("rendered", "empty_text"),
    [
        pytest.param(sr.signal_list([]), "No signals yet", id="signal_list"),
        pytest.param(sr.source_list([]), "No sources yet", id="source_list"),
    ],
)
def test_empty_lists_say_so(rendered: str, empty_text: str) -> None:
    assert shown(rendered).startswith(empty_text)


def test_signal_list_labels_the_time_zone() -> None:
    assert shown(sr.signal_list([signal()])).splitlines()[1] == (
        "#7 BTC/USDT long · active · @calls · 2026-03-04 05:06 UTC"
    )
