"""Perp order sizing (issue 9), pure: money is margin and the position margin x leverage, the
bracket's maximum leverage, the liquidation price of what the order opens (one-way mode: an
opposite position is closed first), and the plan payload round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.domain import OrderSide, OrderType, Side
from core.errors import UserError
from services.exchange.base import MarketInfo, Position, Ticker
from services.exchange.liquidation import liquidation_price
from services.trading.perp_sizing import PerpTerms, perp_fields, size_perp_order

D = Decimal
BTC = MarketInfo("BTC/USDT:USDT", "BTC", "USDT", D("0.001"), D("0.1"), D("0.001"), D(5))
AT = datetime(2026, 12, 7, tzinfo=UTC)


def ticker(last: str) -> Ticker:
    return Ticker(BTC.symbol, D(last), None, None, AT, "static")


def sized(
    amount: str,
    *,
    in_quote: bool,
    leverage: int,
    side: OrderSide = OrderSide.BUY,
    price: str | None = None,
    held: Position | None = None,
) -> tuple[Decimal, Decimal, PerpTerms]:
    order, terms = size_perp_order(
        BTC,
        ticker("64000"),
        side=side,
        amount=D(amount),
        margin_in_quote=in_quote,
        price=None if price is None else D(price),
        kind=OrderType.MARKET if price is None else OrderType.LIMIT,
        leverage=leverage,
        held=held,
        max_deviation=D(10),
        client_order_id="-",
    )
    return order.request.amount, order.est_cost, terms


def test_money_is_margin_and_the_position_is_margin_times_leverage() -> None:
    amount, notional, terms = sized("100", in_quote=True, leverage=10)
    # 100 USDT x 10 = 1,000 USDT of BTC at 64,000 = 0.015625, truncated to the 0.001 step
    assert amount == D("0.015") and notional == D(960)
    assert terms.margin == D(96) and terms.leverage == 10 and terms.reduces == 0
    # by hand: (96 - 960) / (0.015 * 0.004 - 0.015) = 57,831.3253...
    assert terms.liquidation_price == D("57831.32530120")


def test_coins_are_the_position_size_and_a_short_liquidates_above() -> None:
    amount, notional, terms = sized(
        "0.5", in_quote=False, leverage=5, side=OrderSide.SELL, price="64000"
    )
    assert (amount, notional, terms.margin) == (D("0.5"), D(32000), D(6400))
    expected = liquidation_price(BTC.symbol, Side.SHORT, D("0.5"), D(64000), 5)
    assert terms.liquidation_price == expected.quantize(D("1e-8")) > D(64000)


def test_an_opposite_position_is_closed_first() -> None:
    short = Position(BTC.symbol, D("-0.01"), D(65000), D(64000), D(10), side=Side.SHORT)
    _, _, closing = sized("0.01", in_quote=False, leverage=10, held=short)
    assert closing.reduces == D("0.01") and closing.liquidation_price is None
    _, _, flipping = sized("0.03", in_quote=False, leverage=10, held=short)
    assert flipping.reduces == D("0.01") and flipping.liquidation_price is not None
    _, _, adding = sized("0.01", in_quote=False, leverage=10, side=OrderSide.SELL, held=short)
    assert adding.reduces == 0


def test_leverage_above_the_bracket_maximum_is_refused() -> None:
    # 1,000 USDT x 100 = 100,000 USDT of BTC: Binance's 50,000-600,000 bracket allows 100x
    assert sized("1000", in_quote=True, leverage=100)[2].leverage == 100
    with pytest.raises(UserError, match="at most 100x"):
        sized("1000", in_quote=True, leverage=125)


def test_the_terms_survive_the_plan_payload() -> None:
    terms = PerpTerms(10, D(96), D("57831.3253012"), D("0.01"))
    assert perp_fields(terms.payload()) == {
        "leverage": 10,
        "margin": D(96),
        "liquidation_price": D("57831.3253012"),
        "reduces": D("0.01"),
    }
    assert perp_fields({"symbol": "BTC/USDT"}) == {}
