"""Trading text: pairs in any form, order arguments, and numbers as people read them.

Pure functions, no I/O: ``pair_candidates("btc")`` -> ``["BTC/USDT", ...]``,
``parse_order_args("btc 100usdt 60000")``, ``fmt_number(Decimal("64012.50"))`` -> ``64,012.5``.
Each raises ``UserError`` with one sentence for input that can never work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

from core.domain import OrderType
from core.errors import UserError

# Quotes recognised at the end of a glued pair ("BTCUSDT"), longest first.
KNOWN_QUOTES: Final = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "EUR", "USD", "BTC", "ETH", "BNB")
MAX_AMOUNT: Final = Decimal(10) ** 12  # anything above is a typo, not an order
MAX_PRICE: Final = Decimal(10) ** 12
_ASSET: Final = re.compile(r"[A-Z0-9]{1,20}")
_SEPARATORS: Final = re.compile(r"[/\-_:]")
_AMOUNT: Final = re.compile(
    r"^(?P<dollar>\$)?(?P<number>[0-9][0-9,_]*(?:\.[0-9]*)?|\.[0-9]+)(?P<unit>[a-z]{2,6})?$",
    re.IGNORECASE,
)


def _asset(text: str, original: str) -> str:
    if not _ASSET.fullmatch(text):
        raise UserError(f"{original[:32]!r} is not a trading pair; try btc, BTCUSDT or BTC/USDT.")
    return text


def pair_candidates(text: str, default_quote: str = "USDT") -> list[str]:
    """Unified symbols ``text`` may mean, most likely first (``btc`` -> ``BTC/USDT``).

    Accepts ``btc``, ``$btc``, ``#BTC``, ``BTCUSDT``, ``BTC/USDT``, ``btc-usdt``, ``BTC_USDT``.
    Raises ``UserError`` when it cannot be a pair at all.
    """
    original = text.strip()
    cleaned = original.lstrip("$#").upper()
    if not cleaned:
        raise UserError("Which pair? For example: btc, BTCUSDT or BTC/USDT.")
    parts = [p for p in _SEPARATORS.split(cleaned) if p]
    if _SEPARATORS.search(cleaned):
        if len(parts) != 2:
            raise UserError(
                f"{original[:32]!r} is not a trading pair; try btc, BTCUSDT or BTC/USDT."
            )
        return [f"{_asset(parts[0], original)}/{_asset(parts[1], original)}"]
    glued = _asset(cleaned, original)
    candidates = []
    for quote in KNOWN_QUOTES:
        if glued.endswith(quote) and len(glued) > len(quote):
            candidates.append(f"{glued[: -len(quote)]}/{quote}")
    candidates.append(f"{glued}/{default_quote.upper()}")
    return list(dict.fromkeys(candidates))


def parse_decimal(text: str, what: str) -> Decimal:
    """A positive, finite, sane number (``1,000.5`` and ``1_000`` allowed)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UserError(f"The {what} {text[:32]!r} is not a number.") from None
    if not value.is_finite():
        raise UserError(f"The {what} {text[:32]!r} is not a number.")
    if value <= 0:
        raise UserError(f"The {what} must be above zero, got {text[:32]}.")
    if value > MAX_AMOUNT:
        raise UserError(f"The {what} {text[:32]} is too large to be real.")
    return value


def parse_amount(
    text: str, quote_units: tuple[str, ...] = ("USDT", "USD", "USDC")
) -> tuple[Decimal, bool]:
    """``0.01`` -> base units; ``100usdt`` or ``$100`` -> quote units. Returns (amount, in_quote).

    A unit naming a base asset (``0.01btc``) is accepted as base units.
    """
    match = _AMOUNT.match(text.strip())
    if match is None:
        if text.strip().startswith("-"):
            raise UserError(f"The amount must be above zero, got {text[:32]}.")
        raise UserError(
            f"The amount {text[:32]!r} is not a number; use 0.01 (coins) or 100usdt / $100."
        )
    amount = parse_decimal(match["number"], "amount")
    unit = (match["unit"] or "").upper()
    in_quote = bool(match["dollar"]) or unit in quote_units
    return amount, in_quote


@dataclass(frozen=True, slots=True)
class OrderArgs:
    symbol_text: str
    amount: Decimal
    amount_in_quote: bool
    price: Decimal | None
    order_type: OrderType | None
    account_label: str | None


ORDER_USAGE: Final = (
    "Usage: /{side} <pair> <amount> [price] [@account], e.g. /{side} btc 0.01, "
    "/{side} btc 100usdt, /{side} eth $50 3000, /{side} btc 0.01 stop 70000."
)


def parse_order_args(text: str | None, side: str) -> OrderArgs:
    """``btc 100usdt [60000 | stop 60000 | @ 60000] [@label]`` -> ``OrderArgs``."""
    words = (text or "").split()
    usage = ORDER_USAGE.format(side=side)
    label = None
    if words and words[-1].startswith("@") and len(words[-1]) > 1 and not _is_number(words[-1]):
        label = words.pop()[1:]
    if len(words) < 2:
        raise UserError(usage)
    symbol_text, amount_text, *rest = words
    amount, in_quote = parse_amount(amount_text)
    order_type: OrderType | None = None
    price: Decimal | None = None
    if rest and rest[0].lower() in {"stop", "limit", "at", "@"}:
        keyword = rest.pop(0).lower()
        order_type = OrderType.STOP if keyword == "stop" else OrderType.LIMIT
        if not rest:
            raise UserError(f"Give a price after {keyword!r}. {usage}")
    if rest:
        price = parse_decimal(rest.pop(0).lstrip("$"), "price")
        if price > MAX_PRICE:
            raise UserError(f"The price {fmt_number(price)} is too large to be real.")
        order_type = order_type or OrderType.LIMIT
    if rest:
        raise UserError(f"I did not understand {' '.join(rest)[:40]!r}. {usage}")
    return OrderArgs(symbol_text, amount, in_quote, price, order_type, label)


def _is_number(word: str) -> bool:
    try:
        Decimal(word.lstrip("@$").replace(",", ""))
    except InvalidOperation:
        return False
    return True


# -- numbers ---------------------------------------------------------------------------------


def truncate(value: Decimal, step: Decimal | None) -> Decimal:
    """Round down to a multiple of ``step`` (amounts: never more than asked)."""
    if not step:
        return value
    return ((value / step).to_integral_value(rounding=ROUND_DOWN) * step).normalize()


def round_to(value: Decimal, step: Decimal | None) -> Decimal:
    """Round half-even to a multiple of ``step`` (prices)."""
    if not step:
        return value
    return ((value / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step).normalize()


def price_step_for(price: Decimal, significant: int = 7) -> Decimal:
    """A tick with ``significant`` digits at ``price``'s magnitude: 64012 -> 0.01, 0.2 -> 1e-7."""
    if price <= 0:
        return Decimal("1e-8")
    return Decimal(1).scaleb(price.adjusted() - (significant - 1))


def fmt_number(value: Decimal, max_decimals: int = 8) -> str:
    """``64,012.5``, ``0.00156``, ``10,000``: grouped, no exponent, no trailing zeros."""
    quantized = value.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_EVEN)
    if quantized == quantized.to_integral_value():
        return f"{quantized.to_integral_value():,f}"
    return f"{quantized.normalize():,f}"
