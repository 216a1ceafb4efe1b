"""Binance isolated USDT-M maths against prices worked out by hand from the bracket table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import Side
from services.exchange.liquidation import (
    DEFAULT_BRACKETS,
    liquidation_price,
    maintenance_margin,
    max_leverage,
    tier_for,
)

D = Decimal
CENT = D("0.01")

LIQUIDATION_CASES = [
    # LP = (WB + cum - s*Q*EP) / (Q*MMR - s*Q), WB = Q*EP/leverage + extra
    pytest.param(
        # bracket 1 (<= 50,000: MMR 0.4 %, cum 0); WB = 1,000
        # (1,000 + 0 - 10,000) / (0.004 - 1) = -9,000 / -0.996 = 9,036.1445...
        "BTC/USDT:USDT",
        Side.LONG,
        "1",
        "10000",
        10,
        "0",
        "9036.14",
        id="long-btc-10x",
    ),
    pytest.param(
        # (1,000 + 0 + 10,000) / (0.004 + 1) = 11,000 / 1.004 = 10,956.1752...
        "BTC/USDT:USDT",
        Side.SHORT,
        "1",
        "10000",
        10,
        "0",
        "10956.18",
        id="short-btc-10x",
    ),
    pytest.param(
        # extra margin 500: WB = 1,500; (1,500 - 10,000) / -0.996 = 8,534.1365...
        "BTC/USDT:USDT",
        Side.LONG,
        "1",
        "10000",
        10,
        "500",
        "8534.14",
        id="long-btc-extra-margin",
    ),
    pytest.param(
        # entry notional 52,000: bracket 2 (MMR 0.5 %, cum 50), WB 5,200:
        # (5,200 + 50 - 52,000) / (0.005 - 1) = 46,984.92 -> notional 46,985 is bracket 1:
        # (5,200 + 0 - 52,000) / (0.004 - 1) = 46,800 / 0.996 = 46,987.9518...
        "BTC/USDT:USDT",
        Side.LONG,
        "1",
        "52000",
        10,
        "0",
        "46987.95",
        id="long-crosses-down-a-bracket",
    ),
    pytest.param(
        # entry notional 48,000: bracket 1, WB 4,800: (4,800 + 48,000) / 1.004 = 52,589.64
        # -> notional 52,590 is bracket 2: (4,800 + 50 + 48,000) / 1.005 = 52,587.0646...
        "BTC/USDT:USDT",
        Side.SHORT,
        "1",
        "48000",
        10,
        "0",
        "52587.06",
        id="short-crosses-up-a-bracket",
    ),
    pytest.param(
        # 2 ETH at 3,000, 20x: notional 6,000 bracket 1 (0.4 %), WB 300
        # (300 - 6,000) / (2 * 0.004 - 2) = -5,700 / -1.992 = 2,861.4457...
        "ETH/USDT:USDT",
        Side.LONG,
        "2",
        "3000",
        20,
        "0",
        "2861.45",
        id="long-eth-20x",
    ),
    pytest.param(
        # DOGE bracket 1 (<= 10,000: 0.5 %); 10,000 DOGE at 0.2 (2,000), 5x, WB 400
        # (400 + 2,000) / (10,000 * 0.005 + 10,000) = 2,400 / 10,050 = 0.238805...
        "DOGE/USDT:USDT",
        Side.SHORT,
        "10000",
        "0.2",
        5,
        "0",
        "0.24",
        id="short-doge-5x",
    ),
    pytest.param(
        # not in the table: default bracket 1 (<= 5,000: 1.5 %); 1,000 ADA at 1, 20x, WB 50
        # (50 - 1,000) / (1,000 * 0.015 - 1,000) = -950 / -985 = 0.96446...
        "ADA/USDT:USDT",
        Side.LONG,
        "1000",
        "1",
        20,
        "0",
        "0.96",
        id="long-default-bracket",
    ),
    pytest.param(
        # 1x long: (10,000 - 10,000) / -0.996 = 0: never liquidated
        "BTC/USDT:USDT",
        Side.LONG,
        "1",
        "10000",
        1,
        "0",
        "0.00",
        id="long-1x-never",
    ),
]


@pytest.mark.parametrize(
    ("symbol", "side", "qty", "entry", "leverage", "extra", "expected"), LIQUIDATION_CASES
)
def test_liquidation_price(
    symbol: str, side: Side, qty: str, entry: str, leverage: int, extra: str, expected: str
) -> None:
    price = liquidation_price(symbol, side, D(qty), D(entry), leverage, D(extra))
    assert price.quantize(CENT) == D(expected)


def test_liquidation_price_exact_value() -> None:
    price = liquidation_price("BTC/USDT:USDT", Side.LONG, D(1), D(10000), 10)
    assert price == D(-9000) / D("-0.996")


def test_liquidation_price_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        liquidation_price("BTC/USDT:USDT", Side.LONG, D(0), D(10000), 10)
    with pytest.raises(ValueError):
        liquidation_price("BTC/USDT:USDT", Side.LONG, D(1), D(10000), 0)


@pytest.mark.parametrize(
    ("symbol", "notional", "mmr", "cum", "leverage"),
    [
        ("BTC/USDT:USDT", "0", "0.004", "0", 125),
        ("BTC/USDT:USDT", "50000", "0.004", "0", 125),  # the cap belongs to its bracket
        ("BTC/USDT:USDT", "50000.01", "0.005", "50", 100),
        ("BTC/USDT", "600001", "0.0065", "950", 75),  # a spot symbol names the same base
        ("BTCUSDT", "5000000000", "0.5", "421481450", 1),  # above the last cap: the last
        ("ETH/USDT:USDT", "60000000", "0.025", "381450", 20),
        ("BNB/USDT:USDT", "20000", "0.006", "10", 50),
        ("SOL/USDT:USDT", "20000", "0.005", "0", 100),
        ("XRP/USDT:USDT", "-15000", "0.0065", "15", 50),  # a short's notional: its size
        ("DOGE/USDT:USDT", "100000", "0.01", "170", 40),
        ("PEPE/USDT:USDT", "100", "0.015", "0", 50),
    ],
)
def test_tier_for(symbol: str, notional: str, mmr: str, cum: str, leverage: int) -> None:
    bracket = tier_for(symbol, D(notional))
    assert (bracket.mmr, bracket.cum, bracket.max_leverage) == (D(mmr), D(cum), leverage)
    assert max_leverage(symbol, D(notional)) == leverage


def test_maintenance_margin() -> None:
    # 100,000 in bracket 2: 100,000 * 0.5 % - 50 = 450
    assert maintenance_margin("BTC/USDT:USDT", D(100000)) == D(450)
    # the brackets join up: at the cap of bracket 1 both give 200
    assert maintenance_margin("BTC/USDT:USDT", D(50000)) == D(200)
    assert D(50000) * D("0.005") - D(50) == D(200)


def test_default_brackets_join_up() -> None:
    # cum_i = cum_(i-1) + cap_(i-1) * (MMR_i - MMR_(i-1)): maintenance margin is continuous
    for low, high in zip(DEFAULT_BRACKETS, DEFAULT_BRACKETS[1:], strict=False):
        assert high.cum == low.cum + low.cap * (high.mmr - low.mmr)
