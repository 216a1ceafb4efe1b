"""The Edit form's field parsers: what a person types for one card field, validated.

Each parser raises ``UserError`` with a message that tells the person what to type instead, so
the handler can ask the same question again. Numbers are ``Decimal``, positive and bounded;
nothing here touches the database. ``check_levels`` is the one rule across fields: stop and
targets on the right sides of the entry.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final, TypedDict

from core.domain import Side
from core.errors import UserError
from services.numbers import Ambiguous, AmbiguousNumber, Role, ask_back, join_groups, read_number
from services.quotes import QUOTES
from services.signal_dto import SignalView

MAX_TARGETS: Final = 10
MAX_LEVERAGE: Final = Decimal(200)
KNOWN_QUOTES: Final = QUOTES  # the one table of quotes (services/quotes.py)


class EditValues(TypedDict, total=False):
    """The signal columns one Edit-form answer sets (every key is also a ``SignalView`` field)."""

    base: str
    quote: str | None
    side: Side
    entry_low: Decimal | None
    entry_high: Decimal | None
    entry_is_market: bool
    targets: tuple[Decimal, ...]
    stop_loss: Decimal | None
    leverage: Decimal | None


def parse_decimal(text: str, what: str) -> Decimal:
    """A positive price-like number as ``services.numbers`` reads a typed price (``0,5``,
    ``61,250.5``, ``64k``); UserError naming ``what`` otherwise, ``AmbiguousNumber`` asking
    back for one that reads two ways (``64.000``)."""
    value = read_number(text.strip(), Role.PRICE)
    if isinstance(value, Ambiguous):
        raise AmbiguousNumber(ask_back(value, "", "{}"))
    if value is None or value <= 0 or value > Decimal("1e15"):
        raise UserError(f"The {what} must be a positive number, e.g. 61250.5.")
    return value


def _numbers(text: str, what: str) -> list[Decimal]:
    joined = re.sub(r"(?<=\d)\s*[-\u2013~]\s*(?=\d)", " ", join_groups(text.strip()))  # "1 - 2"
    parts = [p for p in re.split(r"[\s;/|]+", joined) if p]
    return [parse_decimal(p, what) for p in parts]


def parse_pair(text: str) -> tuple[str, str | None]:
    """``btc``, ``BTCUSDT``, ``BTC/USDT``, ``#btc_usdt`` -> (base, quote or None)."""
    raw = text.strip().upper().lstrip("#$")
    match = re.fullmatch(r"([A-Z0-9]{2,15})(?:\s*[/_\-: ]\s*([A-Z]{2,6}))?", raw)
    if not match:
        raise UserError("Give the pair like BTC/USDT, BTCUSDT or BTC.")
    base, quote = match.group(1), match.group(2)
    if quote is None:
        for known in KNOWN_QUOTES:
            if base.endswith(known) and len(base) > len(known) + 1:
                base, quote = base[: -len(known)], known
                break
    if base.isdigit():
        raise UserError("Give the pair like BTC/USDT, BTCUSDT or BTC.")
    return base, quote


def parse_side(text: str) -> Side:
    """``long``/``buy``/``l`` or ``short``/``sell``/``s``."""
    word = text.strip().lower()
    if word in {"long", "buy", "l"}:
        return Side.LONG
    if word in {"short", "sell", "s"}:
        return Side.SHORT
    raise UserError("The side is long or short.")


def parse_entry(text: str) -> tuple[Decimal | None, Decimal | None, bool]:
    """``market``, one price, or a zone ``60000-61000`` -> (low, high, is_market)."""
    if text.strip().lower() in {"market", "cmp", "now", "m"}:
        return None, None, True
    values = _numbers(text, "entry")
    if not values or len(values) > 2:
        raise UserError("The entry is market, one price, or a zone like 60000-61000.")
    return min(values), max(values), False


def parse_targets(text: str) -> tuple[Decimal, ...]:
    """One to ``MAX_TARGETS`` prices, in the order written."""
    values = _numbers(text, "target")
    if not values:
        raise UserError("Give at least one target, e.g. 62000 63000 65000.")
    if len(values) > MAX_TARGETS:
        raise UserError(f"At most {MAX_TARGETS} targets.")
    return tuple(values)


def parse_optional(text: str, what: str) -> Decimal | None:
    """A price, or ``none`` / ``no`` / ``0`` to clear the field."""
    if text.strip().lower() in {"none", "no", "0"}:
        return None
    return parse_decimal(text, what)


def parse_leverage(text: str) -> Decimal | None:
    """``10``, ``10x`` or ``x10`` between 1 and ``MAX_LEVERAGE``; ``none`` clears it."""
    raw = text.strip().lower().removesuffix("x").removeprefix("x").strip()
    value = parse_optional(raw, "leverage")
    if value is not None and (value < 1 or value > MAX_LEVERAGE):
        raise UserError(f"Leverage is between 1 and {MAX_LEVERAGE}.")
    return value


def parse_edit_value(name: str, text: str) -> EditValues:
    """Validate one field of the Edit form; return the column values it sets."""
    if name == "pair":
        base, quote = parse_pair(text)
        return {"base": base, "quote": quote}
    if name == "side":
        return {"side": parse_side(text)}
    if name == "entry":
        low, high, is_market = parse_entry(text)
        return {"entry_low": low, "entry_high": high, "entry_is_market": is_market}
    if name == "targets":
        return {"targets": parse_targets(text)}
    if name == "stop_loss":
        return {"stop_loss": parse_optional(text, "stop loss")}
    if name == "leverage":
        return {"leverage": parse_leverage(text)}
    raise UserError("That field cannot be edited.")


def check_levels(view: SignalView) -> None:
    """Stop and targets must sit on the right sides of the entry for the side."""
    if view.side is None or view.entry_is_market or view.entry_low is None:
        return
    low, high = view.entry_low, view.entry_high or view.entry_low
    long = view.side is Side.LONG
    if view.stop_loss is not None and (
        (long and view.stop_loss >= low) or (not long and view.stop_loss <= high)
    ):
        where = "below" if long else "above"
        raise UserError(f"For a {view.side.value} the stop loss must be {where} the entry.")
    for target in view.targets:
        if (long and target <= high) or (not long and target >= low):
            where = "above" if long else "below"
            raise UserError(f"For a {view.side.value} every target must be {where} the entry.")
