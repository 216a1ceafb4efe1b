"""Trading text: pairs in any form, order arguments, and numbers as people read them.

Pure functions, no I/O: ``pair_candidates("btc")`` -> ``["BTC/USDT", ...]``,
``parse_order_args("btc 100usdt 60000")``, ``fmt_number(Decimal("64012.50"))`` -> ``64,012.5``.
Each raises ``UserError`` with one sentence for input that can never work; ``UsageError`` (a
``UserError``) when the words do not fit the command's form, so the handler adds its usage.
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
    r"^(?P<dollar>\$)?(?P<number>[0-9][0-9,_]*(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<unit>[a-z]{2,7})|(?P<trailing>\$))?$",
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


# Words for money in the pair's quote asset (``10 usdt``, ``$10``, ``10 dollars``).
MONEY_UNITS: Final = frozenset({"USDT", "USD", "USDC", "$", "DOLLAR", "DOLLARS"})
_SHARE: Final = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)%$")
_UNIT_WORD: Final = re.compile(r"^(?:\$|[a-z]{2,7})$", re.IGNORECASE)
_PRICE_WORDS: Final = {"stop": OrderType.STOP, "limit": OrderType.LIMIT, "at": None, "@": None}


class UsageError(UserError):
    """The words do not fit the command's form. The message says what was wrong; the handler
    adds the command's usage line (``handlers/usage.py``)."""


def parse_decimal(text: str, what: str) -> Decimal:
    """A positive, finite, sane number (``1,000.5`` and ``1_000`` allowed)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UsageError(f"The {what} {text[:32]!r} is not a number.") from None
    if not value.is_finite():
        raise UsageError(f"The {what} {text[:32]!r} is not a number.")
    if value <= 0:
        raise UserError(f"The {what} must be above zero, got {text[:32]}.")
    if value > MAX_AMOUNT:
        raise UserError(f"The {what} {text[:32]} is too large to be real.")
    return value


def parse_share(text: str) -> Decimal:
    """``all`` -> 1, ``50%`` -> 0.5: a share of what the user holds, above 0 and at most 1."""
    if text.strip().lower() == "all":
        return Decimal(1)
    match = _SHARE.match(text.strip())
    if match is None:
        raise UsageError(f"{text[:32]!r} is not a share; use e.g. 25%, 50% or all.")
    percent = Decimal(match["number"])
    if not 0 < percent <= 100:  # noqa: PLR2004 - a percentage
        raise UserError(f"A share is above 0% and at most 100%, got {text[:32]}.")
    return percent / 100


def is_share(text: str) -> bool:
    """``all`` or ``<number>%``: an amount given as a share of a holding."""
    word = text.strip().lower()
    return word == "all" or word.endswith("%")


@dataclass(frozen=True, slots=True)
class OrderArgs:
    """An order as typed. Exactly one of ``amount`` (coins, or money when
    ``amount_in_quote``) and ``share`` (0 < share <= 1 of the free balance it spends) is set."""

    symbol_text: str
    amount: Decimal | None
    amount_in_quote: bool
    price: Decimal | None
    order_type: OrderType | None
    account_label: str | None
    share: Decimal | None = None


def parse_order_args(text: str | None, side: str) -> OrderArgs:
    """``btc 100usdt [60000 | stop 60000 | at 60000] [@label]`` -> ``OrderArgs``.

    The amount is ``0.01`` or ``0.01 btc`` (coins), ``100usdt``, ``100 usdt``, ``$100`` or
    ``100$`` (money), ``50%`` or ``all`` (a share of the free balance the order gives away).
    Raises ``UsageError`` for words that do not fit, ``UserError`` for values that cannot be.
    """
    words = (text or "").split()
    label = None
    if words and words[-1].startswith("@") and len(words[-1]) > 1 and not _is_number(words[-1]):
        label = words.pop()[1:]
    if len(words) < 2:  # noqa: PLR2004 - pair and amount
        raise UsageError(f"/{side} needs a pair and an amount.")
    symbol_text, amount_text, *rest = words
    if rest and rest[0] == "%":  # "50 %"
        amount_text += rest.pop(0)
    amount: Decimal | None = None
    share: Decimal | None = None
    in_quote = False
    if is_share(amount_text):
        share = parse_share(amount_text)
    else:
        amount, in_quote = _amount_in(amount_text, rest, symbol_text)
    order_type, price = _price_words(rest)
    return OrderArgs(symbol_text, amount, in_quote, price, order_type, label, share)


def _amount_in(text: str, rest: list[str], symbol_text: str) -> tuple[Decimal, bool]:
    """The amount and whether it is money, taking a unit word after it (``10 usdt``) off
    ``rest``. A unit must be the pair's coin or its money."""
    match = _AMOUNT.match(text.strip())
    if match is None:
        if text.strip().startswith("-"):
            raise UserError(f"The amount must be above zero, got {text[:32]}.")
        raise UsageError(
            f"The amount {text[:32]!r} is not a number; use 0.01 (coins), 100usdt or $100 "
            "(money), or 50% / all (of what you hold)."
        )
    amount = parse_decimal(match["number"], "amount")
    unit = "$" if match["dollar"] or match["trailing"] else (match["unit"] or "").upper()
    if not unit and rest and _UNIT_WORD.match(rest[0]) and rest[0].lower() not in _PRICE_WORDS:
        unit = rest.pop(0).upper()
    if not unit:
        return amount, False
    if unit in MONEY_UNITS:
        return amount, True
    pairs = [candidate.split("/") for candidate in pair_candidates(symbol_text)]
    if unit in {base for base, _ in pairs}:
        return amount, False
    if unit in {quote for _, quote in pairs}:
        return amount, True
    raise UsageError(
        f"{match['number']} {unit[:7]} does not fit {symbol_text[:32]}: give coins (0.01) "
        "or money (100usdt, $100)."
    )


def _price_words(rest: list[str]) -> tuple[OrderType | None, Decimal | None]:
    """``[stop|limit|at] <price>`` after the amount: (order type, price); none at market."""
    order_type: OrderType | None = None
    if rest and rest[0].lower() in _PRICE_WORDS:
        keyword = rest.pop(0).lower()
        order_type = _PRICE_WORDS[keyword]
        if not rest:
            raise UsageError(f"Give a price after {keyword!r}.")
    price: Decimal | None = None
    if rest:
        price = parse_decimal(rest.pop(0).strip("$"), "price")
        if price > MAX_PRICE:
            raise UserError(f"The price {fmt_number(price)} is too large to be real.")
        order_type = order_type or OrderType.LIMIT
    if rest:
        raise UsageError(f"I did not understand {' '.join(rest)[:40]!r}.")
    return order_type, price


def parse_pairs(text: str | None, limit: int = 10) -> list[str]:
    """``btc eth, sol`` -> ``["btc", "eth", "sol"]``: the pair words of /price, once each."""
    words = list(dict.fromkeys(w for w in re.split(r"[\s,;]+", text or "") if w))
    if not words:
        raise UsageError("Which pair? For example: /price btc or /price btc eth sol.")
    if len(words) > limit:
        raise UserError(f"At most {limit} pairs at once, got {len(words)}.")
    return words


def parse_quote_amount(text: str, what: str, quote: str = "USDT") -> Decimal:
    """Money in ``quote``: ``100``, ``100usdt``, ``100 usdt``, ``$100``, ``100$``. Raises
    ``UsageError`` when it is not a number or names another asset."""
    words = text.split()
    match = _AMOUNT.match(words[0]) if 1 <= len(words) <= 2 else None  # noqa: PLR2004
    if match is not None:
        dollar = "$" if match["dollar"] or match["trailing"] else ""
        written = [dollar, (match["unit"] or "").upper(), *(w.upper() for w in words[1:])]
        units = [unit for unit in written if unit]
        if len(units) <= 1 and set(units) <= MONEY_UNITS | {quote.upper()}:
            return parse_decimal(match["number"], what)
    raise UsageError(
        f"The {what} must be a positive number of {quote}, e.g. 50, $50 or 50{quote.lower()}."
    )


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
