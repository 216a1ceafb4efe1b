"""Binance USDT-M isolated-margin maths: maintenance margin brackets, liquidation price, the
highest leverage whose liquidation lies beyond a stop. Pure: no I/O, ``Decimal`` throughout.

Brackets (notional cap, maintenance margin rate, maintenance amount ``cum``, max leverage) are
Binance's ``GET /fapi/v1/leverageBracket`` as ccxt's ``fetch_leverage_tiers`` returns them,
copied from freqtrade's snapshot ``freqtrade/exchange/binance_leverage_tiers.json`` (repository
freqtrade/freqtrade, commit 3d9514d2660c42dfdbde517f7b421d1a5cf4f196, 2024-10-24). Pairs
outside the table get ``DEFAULT_BRACKETS``: the set most USDT-M contracts shared in that
snapshot (27 of them, e.g. ACHUSDT). Binance changes brackets now and then; a live account's
exchange computes its own liquidation price, this table serves the paper exchange and the risk
guard's estimate.

A bracket covers notionals above the previous cap up to and including its own cap. Isolated
margin, one-way mode (Binance's formula with the other side's terms zero)::

    LP = (WB + cum - s*Q*EP) / (Q*MMR - s*Q)      s = 1 long, -1 short
    WB = Q*EP/leverage + extra margin

with MMR and cum of the bracket the notional at the liquidation price (Q*LP) falls in: the
bracket of the entry notional first, then the one the result lands in. A long's liquidation
price is never below 0 (0: it cannot be liquidated).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.domain import Side

MAX_LEVERAGE: Final = 125


@dataclass(frozen=True, slots=True)
class Bracket:
    """One maintenance margin bracket: notionals up to ``cap`` (quote units)."""

    cap: Decimal
    mmr: Decimal  # maintenance margin rate
    cum: Decimal  # maintenance amount
    max_leverage: int


def _table(*rows: tuple[str, str, str, int]) -> tuple[Bracket, ...]:
    return tuple(Bracket(Decimal(c), Decimal(m), Decimal(k), lev) for c, m, k, lev in rows)


_BTC_ETH_HEAD: Final = (
    ("50000", "0.004", "0", 125),
    ("600000", "0.005", "50", 100),
    ("3000000", "0.0065", "950", 75),
    ("12000000", "0.01", "11450", 50),
)

BRACKETS: Final[dict[str, tuple[Bracket, ...]]] = {
    "BTC": _table(
        *_BTC_ETH_HEAD,
        ("70000000", "0.02", "131450", 25),
        ("100000000", "0.025", "481450", 20),
        ("230000000", "0.05", "2981450", 10),
        ("480000000", "0.1", "14481450", 5),
        ("600000000", "0.125", "26481450", 4),
        ("800000000", "0.15", "41481450", 3),
        ("1200000000", "0.25", "121481450", 2),
        ("1800000000", "0.5", "421481450", 1),
    ),
    "ETH": _table(
        *_BTC_ETH_HEAD,
        ("50000000", "0.02", "131450", 25),
        ("65000000", "0.025", "381450", 20),
        ("150000000", "0.05", "2006450", 10),
        ("320000000", "0.1", "9506450", 5),
        ("400000000", "0.125", "17506450", 4),
        ("530000000", "0.15", "27506450", 3),
        ("800000000", "0.25", "80506450", 2),
        ("1200000000", "0.5", "280506450", 1),
    ),
    "BNB": _table(
        ("10000", "0.005", "0", 75),
        ("50000", "0.006", "10", 50),
        ("200000", "0.01", "210", 40),
        ("1500000", "0.02", "2210", 25),
        ("3000000", "0.025", "9710", 20),
        ("15000000", "0.05", "84710", 10),
        ("30000000", "0.1", "834710", 5),
        ("37500000", "0.125", "1584710", 4),
        ("75000000", "0.25", "6272210", 2),
        ("150000000", "0.5", "25022210", 1),
    ),
    "SOL": _table(
        ("20000", "0.005", "0", 100),
        ("100000", "0.0065", "30", 75),
        ("800000", "0.01", "380", 50),
        ("4000000", "0.02", "8380", 25),
        ("8000000", "0.025", "28380", 20),
        ("40000000", "0.05", "228380", 10),
        ("80000000", "0.1", "2228380", 5),
        ("100000000", "0.125", "4228380", 4),
        ("200000000", "0.25", "16728380", 2),
        ("400000000", "0.5", "66728380", 1),
    ),
    "XRP": _table(
        ("10000", "0.005", "0", 75),
        ("20000", "0.0065", "15", 50),
        ("160000", "0.01", "85", 40),
        ("800000", "0.02", "1685", 25),
        ("1600000", "0.025", "5685", 20),
        ("8000000", "0.05", "45685", 10),
        ("16000000", "0.1", "445685", 5),
        ("20000000", "0.125", "845685", 4),
        ("40000000", "0.25", "3345685", 2),
        ("80000000", "0.5", "13345685", 1),
    ),
    "DOGE": _table(
        ("10000", "0.005", "0", 75),
        ("50000", "0.007", "20", 50),
        ("750000", "0.01", "170", 40),
        ("800000", "0.02", "7670", 25),
        ("1600000", "0.025", "11670", 20),
        ("8000000", "0.05", "51670", 10),
        ("16000000", "0.1", "451670", 5),
        ("20000000", "0.125", "851670", 4),
        ("40000000", "0.25", "3351670", 2),
        ("80000000", "0.5", "13351670", 1),
    ),
}

DEFAULT_BRACKETS: Final = _table(
    ("5000", "0.015", "0", 50),
    ("20000", "0.02", "25", 25),
    ("25000", "0.025", "125", 20),
    ("200000", "0.05", "750", 10),
    ("400000", "0.1", "10750", 5),
    ("500000", "0.125", "20750", 4),
    ("1000000", "0.25", "83250", 2),
    ("2000000", "0.5", "333250", 1),
)


def _base(symbol: str) -> str:
    """``BTC/USDT:USDT``, ``BTC/USDT``, ``BTCUSDT`` -> ``BTC``."""
    text = symbol.strip().upper()
    if "/" in text:
        return text.partition("/")[0]
    return text.removesuffix("USDT")


def brackets_for(symbol: str) -> tuple[Bracket, ...]:
    """The brackets of ``symbol``'s base asset (the default set for pairs not in the table)."""
    return BRACKETS.get(_base(symbol), DEFAULT_BRACKETS)


def _index(brackets: tuple[Bracket, ...], notional: Decimal) -> int:
    for i, bracket in enumerate(brackets):
        if notional <= bracket.cap:
            return i
    return len(brackets) - 1  # above the last cap: the last bracket's terms


def tier_for(symbol: str, notional: Decimal) -> Bracket:
    """The bracket a position of ``notional`` (quote units, absolute) falls in."""
    brackets = brackets_for(symbol)
    return brackets[_index(brackets, abs(notional))]


def maintenance_margin(symbol: str, notional: Decimal) -> Decimal:
    """Binance's maintenance margin of a position of ``notional``: notional * MMR - cum."""
    bracket = tier_for(symbol, notional)
    return abs(notional) * bracket.mmr - bracket.cum


def max_leverage(symbol: str, notional: Decimal) -> int:
    """The highest leverage Binance allows for a position of ``notional``."""
    return tier_for(symbol, notional).max_leverage


def _sign(side: Side) -> int:
    return 1 if side is Side.LONG else -1


def _price_with(
    bracket: Bracket, s: int, qty: Decimal, entry: Decimal, wallet: Decimal
) -> Decimal:
    return (wallet + bracket.cum - s * qty * entry) / (qty * bracket.mmr - s * qty)


def liquidation_price(
    symbol: str,
    side: Side,
    qty: Decimal,
    entry: Decimal,
    leverage: int,
    extra_margin: Decimal = Decimal(0),
) -> Decimal:
    """Binance's isolated liquidation price of ``qty`` (> 0) bought (long) or sold (short) at
    ``entry`` with ``leverage``; ``extra_margin`` is margin added beyond ``qty*entry/leverage``.
    See the module docstring; raises ``ValueError`` for a non-positive qty, entry or leverage."""
    if qty <= 0 or entry <= 0 or leverage < 1:
        raise ValueError("qty, entry and leverage must be positive")
    s = _sign(side)
    wallet = qty * entry / leverage + extra_margin
    brackets = brackets_for(symbol)
    index = _index(brackets, qty * entry)
    price = _price_with(brackets[index], s, qty, entry, wallet)
    # The bracket that counts is the one of the notional at the liquidation price: walk
    # towards it (down for a long, whose price falls; up for a short) until the result stays.
    for _ in range(len(brackets)):
        landed = _index(brackets, max(qty * price, Decimal(0)))
        if landed == index:
            break
        index = landed
        price = _price_with(brackets[index], s, qty, entry, wallet)
    return price if price > 0 else Decimal(0)
