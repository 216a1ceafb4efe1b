"""handlers/numbers.py: the one formatter every renderer uses, as a table per kind of number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from handlers import numbers
from tests.unit.render.views import D


@pytest.mark.parametrize(
    ("value", "step", "text"),
    [
        pytest.param(D("88493.46607768"), None, "88,493.47", id="btc-average-no-tick"),
        pytest.param(D("88493.46607768"), D("0.01"), "88,493.47", id="btc-tick"),
        pytest.param(D("88493.5"), D("0.01"), "88,493.50", id="tick-keeps-cents"),
        pytest.param(D("60000"), D("0.01"), "60,000", id="whole-on-tick"),
        pytest.param(D("60000"), None, "60,000", id="whole"),
        pytest.param(D("1234567.891"), None, "1,234,567.89", id="millions"),
        pytest.param(D("187.4512"), D("0.0001"), "187.4512", id="fine-tick"),
        pytest.param(D("187.4512"), None, "187.451", id="six-significant"),
        pytest.param(D("0.5"), D("0.0001"), "0.50", id="two-decimals-at-least"),
        pytest.param(D("0.51234567"), D("0.0001"), "0.5123", id="rounded-to-tick"),
        pytest.param(D("0.00001234"), None, "0.00001234", id="small-coin"),
        pytest.param(D("0.000012345678"), None, "0.0000123457", id="small-coin-rounded"),
        pytest.param(D("0.00001234"), D("0.00000001"), "0.00001234", id="small-coin-tick"),
        pytest.param(D("1E-20"), None, "0", id="dust"),
        pytest.param(D("88490"), D("5"), "88,490", id="tick-of-five"),
        pytest.param(D("88492.6"), D("5"), "88,495", id="tick-of-five-rounds"),
        pytest.param(D("2.5E+4"), None, "25,000", id="exponent"),
        pytest.param(D(0), None, "0", id="zero"),
        pytest.param(D("NaN"), None, "n/a", id="nan"),
    ],
)
def test_price(value: D, step: D | None, text: str) -> None:
    assert numbers.price(value, step) == text


@pytest.mark.parametrize(
    ("value", "step", "text"),
    [
        pytest.param(D("0.01"), None, "0.01", id="plain"),
        pytest.param(D("0.01000000"), None, "0.01", id="trailing-zeros"),
        pytest.param(D("0.123456789"), None, "0.12345678", id="eight-places-down"),
        pytest.param(D("0.123456789"), D("0.001"), "0.123", id="step"),
        pytest.param(D("0.999"), D("0.01"), "0.99", id="never-rounds-up"),
        pytest.param(D("1250.5"), None, "1,250.5", id="grouped"),
        pytest.param(D("1000000"), D(1), "1,000,000", id="whole-step"),
        pytest.param(D("-0.5"), None, "-0.5", id="short"),
        pytest.param(D("1E+2"), None, "100", id="exponent"),
        pytest.param(D("Infinity"), None, "n/a", id="infinite"),
    ],
)
def test_amount(value: D, step: D | None, text: str) -> None:
    assert numbers.amount(value, step) == text


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        pytest.param(D("10000"), "USDT", "10,000.00 USDT", id="whole-cash"),
        pytest.param(D("884.9347"), "USDT", "884.93 USDT", id="cents"),
        pytest.param(D("884.935"), "USDT", "884.94 USDT", id="half-even-up"),
        pytest.param(D("1234567.891"), "usd", "1,234,567.89 usd", id="any-case"),
        pytest.param(D("0.00088493"), "USDT", "0.00088493 USDT", id="under-a-cent"),
        pytest.param(D("0"), "USDT", "0.00 USDT", id="zero"),
        pytest.param(D("-0.001"), "EUR", "-0.001 EUR", id="negative-under-a-cent"),
        pytest.param(D("-12.345"), "USDT", "-12.34 USDT", id="negative"),
        pytest.param(D("0.05230000"), "BTC", "0.0523 BTC", id="crypto-quote"),
        pytest.param(D("1"), "<b>", "1 &lt;b&gt;", id="currency-escaped"),
        pytest.param(D("NaN"), "USDT", "n/a USDT", id="nan"),
    ],
)
def test_money(value: D, currency: str, text: str) -> None:
    assert numbers.money(value, currency) == text


@pytest.mark.parametrize(
    ("value", "asset", "text"),
    [
        pytest.param(D("9900.123456"), "USDT", "9,900.12", id="cash"),
        pytest.param(D("0.00112999"), "BTC", "0.00112999", id="coin"),
        pytest.param(D("1500000"), "SHIB", "1,500,000", id="many-coins"),
    ],
)
def test_holding(value: D, asset: str, text: str) -> None:
    assert numbers.holding(value, asset) == text


@pytest.mark.parametrize(
    ("value", "cost", "text"),
    [
        pytest.param(D("500.456"), D(30000), "+500.46 USDT (+1.67%)", id="profit"),
        pytest.param(D("-120"), D(30000), "-120.00 USDT (-0.40%)", id="loss"),
        pytest.param(D("0"), D(30000), "0.00 USDT (0.00%)", id="flat"),
        pytest.param(D("300"), D(6000), "+300.00 USDT (+5.00%)", id="whole-percent"),
        pytest.param(D("12.5"), None, "+12.50 USDT", id="cost-unknown"),
        pytest.param(D("12.5"), D(0), "+12.50 USDT", id="cost-zero"),
        pytest.param(D("-50"), D(-1000), "-50.00 USDT (-5.00%)", id="short-cost"),
    ],
)
def test_pnl(value: D, cost: D | None, text: str) -> None:
    assert numbers.pnl(value, "USDT", cost) == text


@pytest.mark.parametrize(
    ("at", "text"),
    [
        pytest.param(
            datetime(2026, 12, 7, 9, 41, 59, tzinfo=UTC), "2026-12-07 09:41 UTC", id="utc"
        ),
        pytest.param(
            datetime(2026, 12, 7, 12, 41, tzinfo=timezone(timedelta(hours=3))),
            "2026-12-07 09:41 UTC",
            id="other-zone",
        ),
        pytest.param(datetime(2026, 12, 7, 9, 41), "2026-12-07 09:41 UTC", id="naive-is-utc"),
    ],
)
def test_moment(at: datetime, text: str) -> None:
    assert numbers.moment(at) == text
