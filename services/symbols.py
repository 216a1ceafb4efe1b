"""Trading text: pairs in any form, order arguments, and numbers as people read them.

Pure functions, no I/O: ``pair_candidates("btc")`` -> ``["BTC/USDT", ...]``,
``parse_order_args("btc 100usdt 60000")``, ``fmt_number(Decimal("64012.50"))`` -> ``64,012.5``.
Each raises ``UserError`` with one sentence for input that can never work; ``UsageError`` (a
``UserError``) when the words do not fit the command's form, so the handler adds its usage;
``AmbiguousNumber`` (a ``UserError``) asking back when an amount or price reads two ways
(``/buy btc 1,000``). Numbers are read by ``services.numbers`` (``0,5`` is 0.5, ``64k``,
``1e-5``), quotes come from ``services.quotes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Final

from core.domain import OrderType
from core.errors import UserError
from services.numbers import (
    Ambiguous,
    AmbiguousNumber,
    Role,
    Value,
    ask_back,
    join_groups,
    read,
    read_number,
)
from services.quotes import MONEY_WORDS, is_dollars, split_glued

MAX_AMOUNT: Final = Decimal(10) ** 12  # anything above is a typo, not an order
MAX_PRICE: Final = Decimal(10) ** 12
_ASSET: Final = re.compile(r"[A-Z0-9]{1,20}")
_SEPARATORS: Final = re.compile(r"[/\-_:]")


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
    candidates = [f"{base}/{quote}" for base, quote in split_glued(glued)]
    candidates.append(f"{glued}/{default_quote.upper()}")
    return list(dict.fromkeys(candidates))


_UNIT_WORD: Final = re.compile(r"^(?:\$|[a-z]{2,7})$", re.IGNORECASE)
_PRICE_WORDS: Final = {"stop": OrderType.STOP, "limit": OrderType.LIMIT, "at": None, "@": None}


class UsageError(UserError):
    """The words do not fit the command's form. The message says what was wrong; the handler
    adds the command's usage line (``handlers/usage.py``)."""


def parse_decimal(text: str, what: str, role: Role = Role.PRICE) -> Value:
    """A positive, sane number as ``services.numbers`` reads it in ``role`` (``0,5``,
    ``1,000.5``, ``64k``, ``1e-5``, ``$100``); an ``Ambiguous`` one is handed back for the
    caller to ask about (``sure``). Raises ``UsageError`` when it is not a number,
    ``UserError`` when it is not above zero or too large to be real."""
    value = read_number(text.strip(), role)
    if value is None:
        raise UsageError(f"The {what} {text[:32]!r} is not a number.")
    return _checked(value, text, what)


def _checked(value: Value, text: str, what: str) -> Value:
    low = value.decimal if isinstance(value, Ambiguous) else value
    if low <= 0:
        raise UserError(f"The {what} must be above zero, got {text[:32]}.")
    if low > MAX_AMOUNT:
        raise UserError(f"The {what} {text[:32]} is too large to be real.")
    return value


def sure(value: Value, unit: str, retry: str) -> Decimal:
    """``value`` when it reads one way; else ``AmbiguousNumber`` asking which was meant
    (``retry``: the command as typed with ``{}`` where the number goes)."""
    if isinstance(value, Ambiguous):
        raise AmbiguousNumber(ask_back(value, unit, retry))
    return value


def parse_share(text: str) -> Decimal:
    """``all`` -> 1, ``50%`` -> 0.5, ``12,5%`` -> 0.125: a share of what the user holds,
    above 0 and at most 1."""
    word = text.strip()
    if word.lower() == "all":
        return Decimal(1)
    percent = read_number(word[:-1], Role.PRICE) if word.endswith("%") else None
    if not isinstance(percent, Decimal):
        raise UsageError(f"{text[:32]!r} is not a share; use e.g. 25%, 50% or all.")
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


@dataclass(frozen=True, slots=True)
class _Typed:
    """The command as the user typed it, to name the two ways to send a doubtful number."""

    side: str
    text: str

    def retry(self, value: Value) -> str:
        """``/buy btc {}``: the command with ``{}`` where the doubtful ``value`` was written
        (``""`` when ``value`` reads one way: nothing to ask)."""
        if not isinstance(value, Ambiguous):
            return ""
        words = " ".join(self.text.split())
        return f"/{self.side} {words.replace(value.written, '{}', 1)}"


def parse_order_args(text: str | None, side: str, typed: str | None = None) -> OrderArgs:
    """``btc 100usdt [60000 | stop 60000 | at 60000] [@label]`` -> ``OrderArgs``.

    The amount is ``0.01`` or ``0.01 btc`` (coins), ``100usdt``, ``100 usdt``, ``$100`` or
    ``100$`` (money), ``50%`` or ``all`` (a share of the free balance the order gives away).
    Raises ``UsageError`` for words that do not fit, ``UserError`` for values that cannot be,
    ``AmbiguousNumber`` for an amount or price that reads two ways (``1,000`` coins), naming
    both ways to send it (``typed``: the arguments as written, when ``text`` is what is left
    of them once perp words are taken out).
    """
    words = join_groups(text or "").split()  # "64 000" (no-break space) is one word
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
    as_typed = _Typed(side, join_groups(typed if typed is not None else text or ""))
    if is_share(amount_text):
        share = parse_share(amount_text)
    else:
        amount, in_quote = _amount_in(amount_text, rest, symbol_text, as_typed)
    order_type, price = _price_words(rest, symbol_text, as_typed)
    return OrderArgs(symbol_text, amount, in_quote, price, order_type, label, share)


def _amount_in(
    text: str, rest: list[str], symbol_text: str, as_typed: _Typed
) -> tuple[Decimal, bool]:
    """The amount and whether it is money, taking a unit word after it (``10 usdt``) off
    ``rest``. A unit must be the pair's coin, its quote or dollars."""
    reading = read(text, Role.COINS)
    if reading is None:
        raise UsageError(
            f"The amount {text[:32]!r} is not a number; use 0.01 (coins), 100usdt or $100 "
            "(money), or 50% / all (of what you hold)."
        )
    number = text[: -len(reading.unit)] if reading.unit else text
    unit = reading.unit or ""
    if not unit and rest and _UNIT_WORD.match(rest[0]) and rest[0].lower() not in _PRICE_WORDS:
        unit = rest.pop(0).upper()
        reading = read(f"{text} {unit}", Role.COINS) or reading  # money: 1,000 usdt is 1000
    value = _checked(reading.value, text, "amount")
    base, quote = pair_candidates(symbol_text)[0].split("/")
    pairs = [candidate.split("/") for candidate in pair_candidates(symbol_text)]
    if not unit or unit in {b for b, _ in pairs}:
        return sure(value, unit or base, as_typed.retry(value)), False
    if is_dollars(unit) or unit in {q for _, q in pairs}:
        named = quote if unit in MONEY_WORDS else unit
        return sure(value, named, as_typed.retry(value)), True
    raise UsageError(
        f"{number[:32]} {unit[:7]} does not fit {symbol_text[:32]}: give coins (0.01) "
        "or money (100usdt, $100)."
    )


def _price_words(
    rest: list[str], symbol_text: str, as_typed: _Typed
) -> tuple[OrderType | None, Decimal | None]:
    """``[stop|limit|at] <price>`` after the amount: (order type, price); none at market."""
    order_type: OrderType | None = None
    if rest and rest[0].lower() in _PRICE_WORDS:
        keyword = rest.pop(0).lower()
        order_type = _PRICE_WORDS[keyword]
        if not rest:
            raise UsageError(f"Give a price after {keyword!r}.")
    price: Decimal | None = None
    if rest:
        value = parse_decimal(rest.pop(0), "price")
        quote = pair_candidates(symbol_text)[0].split("/")[1]
        price = sure(value, quote, as_typed.retry(value))
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
    """Money in ``quote``: ``100``, ``100usdt``, ``100 usdt``, ``$100``, ``100$``, ``1,000``.
    Raises ``UsageError`` when it is not a positive number of ``quote`` or dollars,
    ``UserError`` for zero, ``AmbiguousNumber`` when it reads two ways (``1.000``)."""
    words = text.split()
    reading = read(" ".join(words), Role.PRICE) if 1 <= len(words) <= 2 else None  # noqa: PLR2004
    if reading is not None and (
        reading.unit is None or reading.unit == quote.upper() or is_dollars(reading.unit)
    ):
        value = _checked(reading.value, text, what) if _not_negative(reading.value) else None
        if value is not None:
            return sure(value, quote.upper(), f"{{}} {quote.upper()}")
    raise UsageError(
        f"The {what} must be a positive number of {quote}, e.g. 50, $50 or 50{quote.lower()}."
    )


def _not_negative(value: Value) -> bool:
    return (value.decimal if isinstance(value, Ambiguous) else value) >= 0


def _is_number(word: str) -> bool:
    return read_number(word.lstrip("@"), Role.PRICE) is not None


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
