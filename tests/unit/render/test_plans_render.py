"""Plan notes (``PlanHtml``, the plan service's ``PlanMessages``), the confirm card, refusals,
/plans and /panic: every Notify kind as a table, with hostile source names, account labels,
reasons and notes checked by the console's Telegram HTML parser."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.domain import MarketType, PlanStatus, Side
from handlers import plans_render as pr
from services.trade_plans.dto import PlanView, Refusal
from tests.unit.render.telegram_html import HOSTILE, HOSTILE_TEXTS, assert_shows, shown
from tests.unit.render.views import AT, signal

D = Decimal


def plan(**fields: Any) -> PlanView:
    base: dict[str, Any] = {
        "id": 9,
        "user_id": 1,
        "signal_id": 7,
        "source_name": "@calls",
        "account_label": "paper-perp",
        "mode": "auto",
        "symbol": "BTC/USDT:USDT",
        "market_type": MarketType.PERP,
        "side": Side.LONG,
        "leverage": 10,
        "status": PlanStatus.ACTIVE,
        "entry_low": D(60000),
        "entry_high": D(61000),
        "targets": (D(62000), D(64000)),
        "tp_weights": (D("0.5"), D("0.5")),
        "stop_price": D(58000),
        "initial_stop": D(58000),
        "quantity": D("0.01"),
        "filled_qty": D("0.01"),
        "avg_entry": D(60500),
        "closed_qty": D(0),
        "realized_pnl": D("35.5"),
        "fees": D("0.6"),
        "realized_r": D("1.25"),
        "targets_hit": 1,
        "close_reason": None,
        "notes": (),
        "expires_at": AT,
        "created_at": AT,
        "closed_at": None,
        "quote": "USDT",
    }
    return PlanView(**{**base, **fields})


FIGURES = {"held": D("0.005"), "avg_entry": D(60500), "pnl": D("35.5")}
EVENTS = [
    ("placed", {}, "Orders placed"),
    (
        "entry_filled",
        {"price": D(60500), "amount": D("0.01"), **FIGURES},
        "Entry filled: 0.01 BTC at 60,500",
    ),
    ("tp_hit", {"target": 1, "price": D(62000), **FIGURES}, "TP1 hit at 62,000"),
    (
        "stop_moved",
        {"old": D(58000), "new": D(60500), "reason": "breakeven"},
        "Stop moved from 58,000 to 60,500",
    ),
    ("closed", {"reason": "stop", "fees": D("0.6"), "r": D("1.25")}, "Realised P/L: +35.50 USDT"),
    (
        "expired",
        {"reason": "expired", "note": "kept"},
        "Expired: its entries were not filled in time",
    ),
    ("cancelled", {"reason": "channel", "entries": 2}, "Cancelled: the channel closed it"),
    (
        "liquidated",
        {"price": D(54000), "amount": D("0.01"), "r": D(-1)},
        "Liquidated: 0.01 BTC at 54,000",
    ),
    ("rejected", {"reason": "min notional", "leg": "tp2"}, "refused an order (tp2): min notional"),
    (
        "targets_changed",
        {"old": [D(62000)], "new": [D(63000), D(65000)]},
        "62,000 → 63,000, 65,000",
    ),
    ("not_applied", {"reason": "nothing held"}, "not applied: nothing held"),
]


@pytest.mark.parametrize(("kind", "details", "expected"), EVENTS, ids=[e[0] for e in EVENTS])
def test_every_plan_event_shows_its_figures(
    kind: str, details: dict[str, object], expected: str
) -> None:
    text = shown(pr.PlanHtml().plan_event(plan(), kind, details))
    assert "Plan #9 · LONG BTC/USDT:USDT 10x · paper-perp · from @calls" in text
    assert expected in text
    assert "None" not in text


def test_closed_shows_pnl_in_quote_and_r() -> None:
    text = shown(pr.plan_event(plan(), "closed", {"reason": "tp", "fees": D("0.6")}))
    assert "In R: +1.25 R" in text and "Fees: 0.60 USDT" in text
    assert "In R: n/a" in shown(pr.plan_event(plan(realized_r=None), "closed", {}))


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("kind", [e[0] for e in EVENTS])
def test_hostile_names_reasons_and_notes_are_escaped(kind: str, text: str) -> None:
    details = {"reason": text, "note": text, "leg": text, "target": text}
    html = pr.plan_event(plan(source_name=text, account_label=text), kind, details)
    assert_shows(html, text)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_card_refusal_lists_are_escaped(text: str) -> None:
    hostile = plan(source_name=text, account_label=text, notes=(text,))
    assert_shows(pr.plan_card(hostile, signal(source_name=text)), text)
    refusal = Refusal("too_far", text)
    assert_shows(pr.plan_refused(signal(), refusal), text)
    assert_shows(pr.plans_list([hostile], [hostile]), "Open plans")
    assert_shows(pr.panic_preview([hostile]), "Close every open plan")
    assert_shows(pr.decided(hostile, "execute"), text)


def test_card_shows_levels_weights_and_validity() -> None:
    text = shown(pr.plan_card(plan(status=PlanStatus.AWAITING_CONFIRM), signal()))
    for part in ("Entry: 60,000 – 61,000", "TP1: 62,000 (50%)", "Stop: 58,000", "Size: 0.01 BTC"):
        assert part in text
    assert "Valid until 2026-03-04 05:06 UTC" in text


def test_buttons_carry_the_token_in_the_handlers_format() -> None:
    [row] = pr.plan_buttons("tok-1_A", live=True)
    assert [b["callback_data"] for b in row] == [
        "plan:x:tok-1_A",
        "plan:p:tok-1_A",
        "plan:i:tok-1_A",
    ]
    assert row[0]["text"] == "Execute (live)"
    assert pr.plan_buttons("t", live=False)[0][0]["text"] == "Execute"


def test_closed_list_shows_pnl_and_r() -> None:
    closed = plan(status=PlanStatus.CLOSED, realized_pnl=D(-20), realized_r=D("-1"))
    text = shown(pr.plans_list([], [closed]))
    assert "No open plans." in text and "-20.00 USDT" in text and "-1.00 R" in text
    assert HOSTILE not in text
