"""handlers/accounts_render.py: account, PIN and command replies escape names in valid HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.domain import OrderSide, OrderStatus
from handlers import accounts_render as ar
from handlers import trading_render as tr
from handlers.commands import CommandSpec
from services.intents import Intent, IntentAction
from services.plain_language_dto import CommandOutcome, CommandPlan
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
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.CANCEL_ALL, symbol=h)), whole, id="plan-cancel"
    ),
    pytest.param(
        lambda h: ar.plan(plan_of(IntentAction.CANCEL, target=order(account_label=h))),
        whole,
        id="plan-cancel-one",
    ),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.BUY, order=order(account_label=h))),
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
        lambda h: ar.outcome(outcome_of(IntentAction.ORDERS, orders=(order(account_label=h),))),
        whole,
        id="outcome-orders",
    ),
    pytest.param(
        lambda h: ar.outcome(
            outcome_of(IntentAction.CANCEL_ALL, orders=(order(account_label=h),))
        ),
        whole,
        id="outcome-cancelled",
    ),
    pytest.param(
        lambda h: ar.outcome(outcome_of(IntentAction.HISTORY, orders=(order(error=h),))),
        whole,
        id="outcome-history",
    ),
    pytest.param(
        lambda h: ar.outcome(
            outcome_of(IntentAction.POSITIONS, positions=((account(label=h), ()),))
        ),
        whole,
        id="outcome-positions",
    ),
    pytest.param(
        lambda h: ar.not_understood(CommandSpec("buy", h, "trade", args=h)),
        whole,
        id="not_understood",
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
    ("planned", "text"),
    [
        pytest.param(
            plan_of(IntentAction.BUY, order=order_plan()),
            "Plan: buy 0.01 BTC/USDT at 60,000\nAccount: main (LIVE)\n"
            "Estimated cost: ~600.00 USDT\nConfirm to place it.",
            id="live-limit",
        ),
        pytest.param(
            plan_of(IntentAction.BUY, order=order_plan(account=PAPER, price=None)),
            "Plan: buy 0.01 BTC/USDT at market\nAccount: paper (paper)\n"
            "Estimated cost: ~600.00 USDT\nConfirm to place it.",
            id="paper-market",
        ),
        pytest.param(
            plan_of(
                IntentAction.SELL,
                order=order_plan(
                    side=OrderSide.SELL,
                    amount=D("1250.5"),
                    price=D("88493.46607768"),
                    est_cost=D("110660866.8"),
                ),
            ),
            "Plan: sell 1,250.5 BTC/USDT at 88,493.47\nAccount: main (LIVE)\n"
            "Estimated proceeds: ~110,660,866.80 USDT\nConfirm to place it.",
            id="sell-proceeds-grouped",
        ),
        pytest.param(
            plan_of(IntentAction.CANCEL_ALL), "Plan: Cancel all your open orders?", id="cancel-all"
        ),
        pytest.param(
            plan_of(IntentAction.CANCEL_ALL, symbol="SOL/USDT"),
            "Plan: Cancel all your open orders on SOL/USDT?",
            id="cancel-all-symbol",
        ),
        pytest.param(
            CommandPlan(1, Intent(IntentAction.CANCEL_ALL), "ai"),
            "Plan (read by the AI model; check it): Cancel all your open orders?",
            id="read-by-model",
        ),
    ],
)
def test_plan_says_what_will_happen(planned: CommandPlan, text: str) -> None:
    assert shown(ar.plan(planned)) == text


HELD = ((account(), ()),)
ORDERS = (order(),)


@pytest.mark.parametrize(
    ("result", "same_as"),
    [
        pytest.param(
            outcome_of(IntentAction.CANCEL_ALL), tr.cancelled(()), id="nothing-to-cancel"
        ),
        pytest.param(
            outcome_of(IntentAction.CANCEL_ALL, orders=ORDERS), tr.cancelled(ORDERS), id="cancel"
        ),
        pytest.param(outcome_of(IntentAction.ORDERS), tr.open_orders(()), id="no-orders"),
        pytest.param(
            outcome_of(IntentAction.ORDERS, orders=ORDERS), tr.open_orders(ORDERS), id="orders"
        ),
        pytest.param(
            outcome_of(IntentAction.HISTORY, orders=ORDERS), tr.history(ORDERS), id="history"
        ),
        pytest.param(
            outcome_of(IntentAction.POSITIONS, positions=HELD), tr.positions(HELD), id="positions"
        ),
        pytest.param(
            outcome_of(IntentAction.BALANCE, balance=balance(assets=[])),
            tr.balance(balance(assets=[])),
            id="empty-balance",
        ),
        pytest.param(outcome_of(IntentAction.PRICE, price=price()), tr.price(price()), id="price"),
        pytest.param(
            outcome_of(IntentAction.BUY, order=order(status=OrderStatus.FILLED)),
            tr.order_result(order(status=OrderStatus.FILLED)),
            id="order-filled",
        ),
        pytest.param(
            outcome_of(IntentAction.CANCEL, order=order(status=OrderStatus.CANCELLED)),
            tr.order_result(order(status=OrderStatus.CANCELLED)),
            id="order-cancelled",
        ),
    ],
)
def test_outcome_reads_as_the_slash_command_reads(result: CommandOutcome, same_as: str) -> None:
    """Plain language answers with the renderers the commands use: one text for one thing."""
    assert ar.outcome(result) == same_as


def test_plan_to_cancel_one_names_the_order() -> None:
    planned = plan_of(IntentAction.CANCEL, target=order(id=9))
    assert shown(ar.plan(planned)).startswith("Plan: Cancel order #9?\n")
    assert tr.order_headline(order(id=9)) in ar.plan(planned)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        pytest.param(
            CommandSpec("buy", "buy a coin", "trade", args="<pair> <amount>"),
            "I did not understand that. Did you mean /buy <pair> <amount> (buy a coin)? "
            "/help buy shows how to use it, /help lists all commands.",
            id="with-args",
        ),
        pytest.param(
            CommandSpec("history", "your recent orders", "trade"),
            "I did not understand that. Did you mean /history (your recent orders)? "
            "/help history shows how to use it, /help lists all commands.",
            id="no-args",
        ),
    ],
)
def test_not_understood_suggests_the_command(spec: CommandSpec, text: str) -> None:
    assert shown(ar.not_understood(spec)) == text


def test_not_understood_without_a_suggestion_points_to_help() -> None:
    text = shown(ar.not_understood(None))
    assert text.startswith("I did not understand that. Send /help")
