"""handlers/accounts_render.py: account, PIN and command replies escape names in valid HTML."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from core.domain import OrderStatus
from handlers import accounts_render as ar
from services.intents import Intent, IntentAction
from services.plain_language import CommandOutcome, CommandPlan
from services.trading_dto import AccountView
from tests.unit.render.telegram_html import (
    HOSTILE_TEXTS,
    assert_shows,
    first_32,
    shown,
    whole,
)
from tests.unit.render.views import D, account, balance, order, order_plan, price

Render = Callable[[str], str]
PAPER = account(label="paper", exchange_id="paper", is_paper=True, key_hint=None)


def plan_of(action: IntentAction, **fields: Any) -> CommandPlan:
    return CommandPlan(1, Intent(action), "grammar", **fields)


def outcome_of(action: IntentAction, **fields: Any) -> CommandOutcome:
    return CommandOutcome(1, action, "summary", **fields)


HOSTILE_CASES = [
    pytest.param(lambda h: ar.exchange_matches(h, 0), first_32, id="exchange_matches"),
    pytest.param(ar.network_prompt, whole, id="network_prompt"),
    pytest.param(lambda h: ar.key_prompt(h, True), whole, id="key_prompt"),
    pytest.param(lambda h: ar.connected(account(label=h)), whole, id="connected-label"),
    pytest.param(lambda h: ar.connected(account(key_hint=h)), whole, id="connected-key_hint"),
    pytest.param(lambda h: ar.accounts([account(label=h)]), whole, id="accounts-label"),
    pytest.param(lambda h: ar.accounts([account(exchange_id=h)]), whole, id="accounts-exchange"),
    pytest.param(lambda h: ar.accounts([account(key_hint=h)]), whole, id="accounts-key_hint"),
    pytest.param(
        lambda h: ar.accounts([account(label=h, is_paper=True)]), whole, id="accounts-paper"
    ),
    pytest.param(
        lambda h: ar.disconnect_question(account(label=h)), whole, id="disconnect_question"
    ),
    pytest.param(
        lambda h: ar.disconnect_question(account(exchange_id=h)),
        whole,
        id="disconnect_question-exchange",
    ),
    pytest.param(lambda h: ar.disconnected(account(label=h)), whole, id="disconnected"),
    pytest.param(ar.pin_prompt_current, whole, id="pin_prompt_current"),
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.BUY, order=order_plan(symbol=h))),
        whole,
        id="plan-order-symbol",
    ),
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.BUY, order=order_plan(account=account(label=h)))),
        whole,
        id="plan-order-account",
    ),
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.BUY, order=order_plan(quote=h))),
        whole,
        id="plan-order-quote",
    ),
    pytest.param(lambda h: ar.plan(plan_of(IntentAction.PRICE, symbol=h)), whole, id="plan-price"),
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.CANCEL_ALL, symbol=h)), whole, id="plan-cancel"
    ),
    pytest.param(lambda h: ar.order_line(order(symbol=h)), whole, id="order_line-symbol"),
    pytest.param(lambda h: ar.order_line(order(account_label=h)), whole, id="order_line-account"),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.BUY, order=order(symbol=h))),
        whole,
        id="outcome-order",
    ),
    pytest.param(
        lambda h: ar.outcome(
            outcome_of(IntentAction.BALANCE, balance=balance(assets=[(h, D(1), D(0))]))
        ),
        whole,
        id="outcome-balance-asset",
    ),
    pytest.param(
        lambda h: ar.outcome(
            outcome_of(IntentAction.BALANCE, balance=balance(account=account(label=h)))
        ),
        whole,
        id="outcome-balance-account",
    ),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.PRICE, price=price(source=h))),
        whole,
        id="outcome-price",
    ),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.ORDERS, orders=(order(symbol=h),))),
        whole,
        id="outcome-orders",
    ),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.CANCEL_ALL, orders=(order(symbol=h),))),
        whole,
        id="outcome-cancelled",
    ),
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize(("render_with", "visible"), HOSTILE_CASES)
def test_hostile_text_is_shown_as_written(render_with: Render, visible: Render, text: str) -> None:
    assert_shows(render_with(text), visible(text))


FIXED = [
    pytest.param(ar.exchange_prompt, id="exchange_prompt"),
    pytest.param(ar.secret_prompt, id="secret_prompt"),
    pytest.param(ar.passphrase_prompt, id="passphrase_prompt"),
    pytest.param(ar.delete_failed, id="delete_failed"),
    pytest.param(ar.pin_prompt_new, id="pin_prompt_new"),
    pytest.param(ar.cancelled, id="cancelled"),
    pytest.param(lambda: ar.accounts([]), id="accounts-none"),
    pytest.param(lambda: ar.exchange_matches("bin", 3), id="exchange_matches-some"),
]


@pytest.mark.parametrize("render_fixed", FIXED)
def test_fixed_texts_are_valid_html(render_fixed: Callable[[], str]) -> None:
    assert shown(render_fixed()).strip()


@pytest.mark.parametrize(
    ("view", "kind"),
    [
        pytest.param(PAPER, "paper", id="paper"),
        pytest.param(account(sandbox=True), "testnet", id="testnet"),
        pytest.param(account(), "live", id="live"),
    ],
)
def test_account_kind(view: AccountView, kind: str) -> None:
    assert ar.account_kind(view) == kind


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(None, "-", id="none"),
        pytest.param(Decimal("2.50"), "2.5", id="trailing-zero"),
        pytest.param(Decimal("1E+2"), "100", id="exponent"),
    ],
)
def test_num(value: Decimal | None, text: str) -> None:
    assert ar.num(value) == text


@pytest.mark.parametrize(
    ("planned", "text"),
    [
        pytest.param(
            plan_of(IntentAction.BUY, order=order_plan()),
            "Plan: buy 0.01 BTC/USDT at 60000\nAccount: main (LIVE)\n"
            "Estimated cost: ~600 USDT\nConfirm to place it.",
            id="live-limit",
        ),
        pytest.param(
            plan_of(IntentAction.BUY, order=order_plan(account=PAPER, price=None)),
            "Plan: buy 0.01 BTC/USDT at market\nAccount: paper (paper)\n"
            "Estimated cost: ~600 USDT\nConfirm to place it.",
            id="paper-market",
        ),
        pytest.param(plan_of(IntentAction.BALANCE), "Plan: Show your balance?", id="balance"),
        pytest.param(
            plan_of(IntentAction.ORDERS), "Plan: Show your open orders?", id="orders-all"
        ),
        pytest.param(
            plan_of(IntentAction.ORDERS, symbol="SOL/USDT"),
            "Plan: Show your open orders on SOL/USDT?",
            id="orders-symbol",
        ),
        pytest.param(
            CommandPlan(1, Intent(IntentAction.BALANCE), "ai"),
            "Plan (read by the AI model; check it): Show your balance?",
            id="read-by-model",
        ),
    ],
)
def test_plan_says_what_will_happen(planned: CommandPlan, text: str) -> None:
    assert shown(ar.plan(planned)) == text


@pytest.mark.parametrize(
    ("result", "text"),
    [
        pytest.param(
            outcome_of(IntentAction.CANCEL_ALL),
            "There were no open orders to cancel.",
            id="nothing-to-cancel",
        ),
        pytest.param(outcome_of(IntentAction.ORDERS), "No open orders.", id="no-orders"),
        pytest.param(
            outcome_of(IntentAction.BALANCE, balance=balance(assets=[])),
            "Balance of main (live)\nNothing held.",
            id="empty-balance",
        ),
        pytest.param(
            outcome_of(IntentAction.PRICE, price=price()),
            "BTC/USDT: 60000 (binance)",
            id="price",
        ),
        pytest.param(
            outcome_of(IntentAction.BUY, order=order(average=D(60010), status=OrderStatus.FILLED)),
            "Done. #9 buy 0.01 BTC/USDT @ 60010: filled (main)",
            id="order-filled",
        ),
    ],
)
def test_outcome_says_what_happened(result: CommandOutcome, text: str) -> None:
    assert shown(ar.outcome(result)) == text
