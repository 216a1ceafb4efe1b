"""handlers/trading_render.py: order, balance and position replies escape names in valid HTML."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import OrderSide, OrderStatus, OrderType
from handlers import trading_render as tr
from services.exchange.base import Position
from services.trading_dto import AccountView, OrderView, PriceView
from tests.unit.render.telegram_html import HOSTILE_TEXTS, assert_shows, shown, whole
from tests.unit.render.views import D, account, balance, order, order_plan, price

Render = Callable[[str], str]
HTML = tr.OrderHtml()


def position(symbol: str = "BTC/USDT") -> Position:
    return Position(symbol, D("0.5"), D(60000), D(61000), D("500.456"))


def base_of(text: str) -> str:
    """A symbol with ``text`` as its base (an exchange's base never holds the "/")."""
    return f"{no_slash(text)}/USDT"


def no_slash(text: str) -> str:
    return text.replace("/", "")


HOSTILE_CASES = [
    pytest.param(lambda h: tr.account_name(account(label=h)), whole, id="account_name-label"),
    pytest.param(
        lambda h: tr.account_name(account(exchange_id=h)), whole, id="account_name-exchange"
    ),
    pytest.param(lambda h: tr.price(price(symbol=base_of(h))), no_slash, id="price-symbol"),
    pytest.param(lambda h: tr.price(price(symbol=f"BTC/{h}")), whole, id="price-quote"),
    pytest.param(lambda h: tr.price(price(source=h)), whole, id="price-source"),
    pytest.param(
        lambda h: tr.balance(balance(assets=[(h, D(1), D("0.5"))])), whole, id="balance-asset"
    ),
    pytest.param(
        lambda h: tr.balance(balance(account=account(label=h))), whole, id="balance-account"
    ),
    pytest.param(lambda h: tr.plan(order_plan(symbol=base_of(h)), 60), no_slash, id="plan-base"),
    pytest.param(
        lambda h: tr.plan(order_plan(symbol=f"BTC/{h}", type=OrderType.STOP), 60),
        whole,
        id="plan-stop-quote",
    ),
    pytest.param(lambda h: tr.plan(order_plan(quote=h), 60), whole, id="plan-cost-quote"),
    pytest.param(
        lambda h: tr.plan(order_plan(account=account(label=h)), 60), whole, id="plan-account"
    ),
    pytest.param(
        lambda h: HTML.order_update(order(symbol=base_of(h))), no_slash, id="order_update-base"
    ),
    pytest.param(
        lambda h: HTML.order_update(order(account_label=h)), whole, id="order_update-account"
    ),
    pytest.param(
        lambda h: HTML.order_update(order(status=OrderStatus.REJECTED, error=h)),
        whole,
        id="order_update-rejected-error",
    ),
    pytest.param(
        lambda h: tr.order_result(
            order(status=OrderStatus.FILLED, average=D(1), fee=D(1), fee_asset=h)
        ),
        whole,
        id="order_result-fee-asset",
    ),
    pytest.param(
        lambda h: tr.order_result(order(status=OrderStatus.FILLED, priced_by=h)),
        whole,
        id="order_result-priced_by",
    ),
    pytest.param(
        lambda h: tr.order_result(
            order(status=OrderStatus.FILLED, symbol=f"BTC/{h}", average=D(1))
        ),
        whole,
        id="order_result-quote",
    ),
    pytest.param(lambda h: tr.open_orders([order(account_label=h)]), whole, id="open_orders"),
    pytest.param(
        lambda h: tr.open_orders([order(symbol=base_of(h))]), no_slash, id="open_orders-base"
    ),
    pytest.param(
        lambda h: tr.cancelled([order(status=OrderStatus.CANCELLED, error=h)]),
        whole,
        id="cancelled",
    ),
    pytest.param(lambda h: tr.history([order(error=h)]), whole, id="history-error"),
    pytest.param(
        lambda h: tr.history([order(fee=D(1), fee_asset=h)]), whole, id="history-fee-asset"
    ),
    pytest.param(lambda h: tr.positions([(account(), [position(h)])]), whole, id="positions"),
    pytest.param(lambda h: tr.positions([(account(label=h), [])]), whole, id="positions-account"),
]
if hasattr(tr, "pin_prompt"):  # the PIN prompt may live with the one PIN step instead
    HOSTILE_CASES.append(pytest.param(tr.pin_prompt, whole, id="pin_prompt"))


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize(("render_with", "visible"), HOSTILE_CASES)
def test_hostile_text_is_shown_as_written(render_with: Render, visible: Render, text: str) -> None:
    assert_shows(render_with(text), visible(text))


@pytest.mark.parametrize(
    ("view", "headline"),
    [
        pytest.param(
            order(status=OrderStatus.FILLED, average=D(60010), fee=D("0.6"), fee_asset="USDT"),
            "✅ Bought 0.01 BTC on main: filled at 60,010 USDT, fee 0.60 USDT (order #9).",
            id="filled",
        ),
        pytest.param(
            order(status=OrderStatus.FILLED, side=OrderSide.SELL, is_paper=True, priced_by="feed"),
            "✅ Sold 0.01 BTC on paper, priced by feed (order #9).",
            id="filled-paper",
        ),
        pytest.param(
            order(status=OrderStatus.PARTIALLY_FILLED, filled=D("0.004")),
            "◐ order #9 on main: buy 0.01 BTC at 60,000 USDT is partly filled (0.004 BTC so far).",
            id="partly-filled",
        ),
        pytest.param(
            order(),
            "⏳ order #9 on main: buy 0.01 BTC at 60,000 USDT is open and waits for the price.",
            id="open",
        ),
        pytest.param(
            order(type=OrderType.STOP),
            "⏳ order #9 on main: buy 0.01 BTC stop at 60,000 USDT "
            "is open and waits for the price.",
            id="open-stop",
        ),
        pytest.param(
            order(status=OrderStatus.CANCELLED, price=None),
            "✖ order #9 on main: buy 0.01 BTC was cancelled.",
            id="cancelled",
        ),
        pytest.param(
            order(status=OrderStatus.REJECTED, error="insufficient funds"),
            "⛔ order #9 on main: buy 0.01 BTC at 60,000 USDT was rejected. insufficient funds",
            id="rejected",
        ),
        pytest.param(
            order(status=OrderStatus.PENDING),
            "… order #9 on main: buy 0.01 BTC at 60,000 USDT is being placed.",
            id="pending",
        ),
    ],
)
def test_order_headline_per_status(view: OrderView, headline: str) -> None:
    assert shown(tr.order_headline(view)) == headline


def test_unknown_status_promises_a_check_not_a_resend() -> None:
    text = shown(tr.order_headline(order(status=OrderStatus.UNKNOWN)))
    assert "did not confirm" in text
    assert "it will not be sent again" in text


@pytest.mark.parametrize(
    ("rendered", "text"),
    [
        pytest.param(tr.open_orders([]), "No open orders.", id="open_orders"),
        pytest.param(tr.cancelled([]), "No open orders to cancel.", id="cancelled"),
        pytest.param(tr.history([]), "No orders yet.", id="history"),
        pytest.param(
            tr.balance(balance(assets=[])), "Balance · main (binance)\nNo funds.", id="balance"
        ),
        pytest.param(
            tr.positions([(account(), [])]), "Positions\nmain (binance)\nnone", id="positions"
        ),
    ],
)
def test_empty_views_say_so(rendered: str, text: str) -> None:
    assert shown(rendered).startswith(text)


@pytest.mark.parametrize(
    ("view", "name"),
    [
        pytest.param(account(is_paper=True), "paper", id="paper"),
        pytest.param(account(sandbox=True), "main (binance, testnet)", id="testnet"),
        pytest.param(account(), "main (binance)", id="live"),
    ],
)
def test_account_name(view: AccountView, name: str) -> None:
    assert tr.account_name(view) == name


def test_plan_states_order_cost_and_button_lifetime() -> None:
    assert shown(tr.plan(order_plan(type=OrderType.MARKET), 45)) == (
        "Confirm live order on main (binance)\n"
        "BUY 0.01 BTC (BTC/USDT) at market\n"
        "Estimated cost ≈ 600.00 USDT\n"
        "The buttons work for 45 s."
    )


def test_sell_plan_states_estimated_proceeds() -> None:
    text = shown(tr.plan(order_plan(side=OrderSide.SELL, est_cost=D("884.9347")), 45))
    assert "Estimated proceeds ≈ 884.93 USDT" in text.splitlines()
    assert "cost" not in text


def test_positions_show_profit_with_its_sign() -> None:
    text = shown(tr.positions([(account(), [position()])]))
    assert text.endswith("BTC/USDT: 0.5, entry 60,000, now 61,000, P/L +500.46 USDT (+1.67%)")


def test_positions_show_a_loss_with_its_currency() -> None:
    loss = Position("ETH/BTC", D(2), D("0.05"), D("0.045"), D("-0.01"))
    assert shown(tr.positions([(account(), [loss])])).endswith(
        "ETH/BTC: 2, entry 0.05, now 0.045, P/L -0.01 BTC (-10.00%)"
    )


def test_balance_splits_free_and_in_orders() -> None:
    text = shown(tr.balance(balance()))
    assert "BTC: 0.6 (0.5 free, 0.1 in open orders)" in text.splitlines()
    assert "USDT: 100.00" in text.splitlines()


@pytest.mark.parametrize(
    ("view", "text"),
    [
        pytest.param(
            price(price=D("88493.46607768")),
            "BTC/USDT: 88,493.47 USDT\npriced by binance",
            id="no-tick",
        ),
        pytest.param(
            price(price=D("88493.5")), "BTC/USDT: 88,493.50 USDT\npriced by binance", id="cents"
        ),
        pytest.param(
            price(price=D("187.4512"), price_step=D("0.0001")),
            "BTC/USDT: 187.4512 USDT\npriced by binance",
            id="market-tick",
        ),
        pytest.param(
            price(price=D("88493.46607768"), price_step=D("0.1")),
            "BTC/USDT: 88,493.5 USDT\npriced by binance",
            id="coarse-tick",
        ),
        pytest.param(
            price(symbol="SHIB/USDT", price=D("0.000012345678")),
            "SHIB/USDT: 0.0000123457 USDT\npriced by binance",
            id="small-coin",
        ),
    ],
)
def test_price_reads_at_the_market_tick_or_readable_digits(view: PriceView, text: str) -> None:
    assert shown(tr.price(view)) == text


def test_history_labels_the_time_zone_and_fee_currency() -> None:
    filled = order(status=OrderStatus.FILLED, average=D("88493.46607768"), fee=D("0.88493466"))
    assert shown(tr.history([filled])).splitlines()[1] == (
        "2026-03-04 05:06 UTC #9 buy 0.01 BTC/USDT @ 88,493.47 · filled · main · fee 0.88 USDT"
    )
