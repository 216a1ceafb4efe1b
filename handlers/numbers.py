"""How numbers and times read in every reply: the one formatter all renderers use.

Decimal in, str out, never a float on the way. The rules, whatever the renderer:

- grouping is ``,`` for thousands and ``.`` for the decimal point; never an exponent;
- a **price** is rounded half-even to the market's tick when it is known, else to
  ``PRICE_DIGITS`` significant digits (so ``88,493.47`` and ``0.0000123457`` both read well);
  it shows at least two decimals unless it is a whole number (``60,000``, ``60,000.50``);
- an **amount** is rounded down to the market's amount step when known, else to
  ``AMOUNT_DECIMALS`` places (a balance never reads as more than there is), trailing zeros
  dropped (``0.01``);
- **money** in a cash currency (``CASH_ASSETS``: USDT, USD, EUR ...) has exactly two decimals
  and its currency (``1,234.50 USDT``); a non-zero sum under a cent keeps significant digits
  instead of reading ``0.00``; money in any other currency (BTC as a quote) reads as an amount;
- **P/L** is signed, with its currency and, when the cost is known, its percent
  (``+500.46 USDT (+1.67%)``);
- **times** are shown in UTC and say so (``2026-12-07 09:41 UTC``); a naive time is UTC.

What comes back is HTML-safe: the only text that is not digits, the currency, is escaped here,
so callers must not escape it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal
from typing import Final

from handlers.html import escape
from services.trading_dto import CASH_ASSETS

PRICE_DIGITS: Final = 6  # significant digits of a price whose tick is not known
AMOUNT_DECIMALS: Final = 8  # places of an amount whose step is not known (satoshis)
CASH_DECIMALS: Final = 2
MAX_DECIMALS: Final = 12  # below this a price is dust, not a price
CENT: Final = Decimal("0.01")
UNKNOWN: Final = "n/a"  # NaN or infinity: never reaches a reply from valid data
_WIDE: Final = Context(prec=60)  # quantize never fails for lack of digits (1e12 to 12 places)


def price(value: Decimal, step: Decimal | None = None) -> str:
    """``88,493.47``: on the market's tick ``step`` when known, else ``PRICE_DIGITS``
    significant digits; at least two decimals unless whole."""
    if not value.is_finite():
        return UNKNOWN
    if step is not None and step > 0:
        decimals = _decimals_of(step)
        ticked = (value / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step
        return _fixed(ticked, decimals, ROUND_HALF_EVEN, keep=min(CASH_DECIMALS, decimals))
    return _fixed(value, _significant(value), ROUND_HALF_EVEN, keep=CASH_DECIMALS)


def amount(value: Decimal, step: Decimal | None = None) -> str:
    """``1,250.5``, ``0.01``: rounded down to the amount ``step`` (else 8 places), no
    trailing zeros."""
    if not value.is_finite():
        return UNKNOWN
    if step is not None and step > 0:
        stepped = (value / step).to_integral_value(rounding=ROUND_DOWN) * step
        return _fixed(stepped, _decimals_of(step), ROUND_DOWN, keep=0)
    return _fixed(value, AMOUNT_DECIMALS, ROUND_DOWN, keep=0)


def holding(value: Decimal, asset: str) -> str:
    """The number alone of ``value`` units of ``asset``: money for a cash asset, else an
    amount (``10,000.00`` USDT, ``0.5`` BTC)."""
    if asset.upper() not in CASH_ASSETS:
        return amount(value)
    if not value.is_finite():
        return UNKNOWN
    if value and abs(value) < CENT:  # a fee of 0.0009 USDT is not "0.00"
        decimals = min(_significant(value), AMOUNT_DECIMALS)
        return _fixed(value, decimals, ROUND_HALF_EVEN, keep=CASH_DECIMALS)
    return _fixed(value, CASH_DECIMALS, ROUND_HALF_EVEN, keep=CASH_DECIMALS, pad_whole=True)


def money(value: Decimal, currency: str) -> str:
    """``1,234.50 USDT``: the sum with its (escaped) currency."""
    return f"{holding(value, currency)} {escape(currency)}"


def pnl(value: Decimal, currency: str, cost: Decimal | None = None) -> str:
    """``+500.46 USDT (+1.67%)``: signed profit or loss, with its percent of ``cost`` when
    the cost is known and not zero."""
    text = _signed(value, money(value, currency))
    if cost is not None and cost.is_finite() and cost and value.is_finite():
        share = value / abs(cost) * 100
        text += f" ({_signed(share, _fixed(share, 2, ROUND_HALF_EVEN, keep=2, pad_whole=True))}%)"
    return text


def moment(at: datetime) -> str:
    """``2026-12-07 09:41 UTC``: the time in UTC, labelled (a naive time is taken as UTC)."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return f"{utc:%Y-%m-%d %H:%M} UTC"


# -- helpers ---------------------------------------------------------------------------------


def _decimals_of(step: Decimal) -> int:
    """Places a step implies: 0.01 -> 2, 0.5 -> 1, 5 -> 0."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _significant(value: Decimal) -> int:
    """Places that keep ``PRICE_DIGITS`` significant digits of ``value`` (2 to 12)."""
    if not value:
        return CASH_DECIMALS
    return max(CASH_DECIMALS, min(MAX_DECIMALS, PRICE_DIGITS - 1 - value.adjusted()))


def _fixed(
    value: Decimal, decimals: int, rounding: str, *, keep: int, pad_whole: bool = False
) -> str:
    """``value`` rounded to ``decimals`` places, grouped, trailing zeros dropped down to
    ``keep`` places; a whole number shows none unless ``pad_whole``."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=rounding, context=_WIDE)
    if not rounded:
        rounded = abs(rounded)  # "-0.00" reads as "0.00"
    whole, _, fraction = f"{rounded:,f}".partition(".")
    fraction = fraction.rstrip("0")
    if not fraction and not pad_whole:
        return whole
    return f"{whole}.{fraction.ljust(keep, '0')}" if fraction or keep else whole


def _signed(value: Decimal, text: str) -> str:
    return f"+{text}" if value > 0 else text
