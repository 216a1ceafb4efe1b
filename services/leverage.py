"""Leverage and perpetual-futures words as people write them: ``10x``, ``x10``, ``perp``.

Pure functions, no I/O, shared by the ``/buy``/``/sell`` arguments and the plain-language
grammar. A leverage is a whole number from ``MIN_LEVERAGE`` to ``MAX_LEVERAGE`` (Binance's
USDT-M range); anything else raises ``UserError`` with one sentence, so ``0x`` or ``200x`` is
answered and nothing is sent. Naming a leverage or ``perp`` means the order is for perpetual
futures; ``perp`` alone means the leverage of the position open in that market, else
``DEFAULT_LEVERAGE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from core.errors import UserError

MIN_LEVERAGE: Final = 1
MAX_LEVERAGE: Final = 125
DEFAULT_LEVERAGE: Final = 1  # "perp" without a leverage
PERP_WORDS: Final = frozenset({"perp", "perps", "perpetual", "futures", "future", "swap"})
_LEVERAGE_WORD: Final = re.compile(r"^(?:(?P<before>[0-9]+)x|x(?P<after>[0-9]+))$", re.IGNORECASE)
MAX_LEVERAGE_DIGITS: Final = 6  # "100000000x" is a typo, not a leverage: refused, not parsed


def leverage_word(word: str) -> str | None:
    """The digits of ``10x`` / ``x10`` / ``10X``, or None when the word is not a leverage."""
    match = _LEVERAGE_WORD.match(word.strip())
    if match is None:
        return None
    return match["before"] or match["after"]


def checked_leverage(value: int | str) -> int:
    """``value`` as a leverage, or ``UserError`` saying the range (nothing is done)."""
    text = str(value).strip()
    if (
        not text.isdigit()
        or len(text) > MAX_LEVERAGE_DIGITS
        or not (MIN_LEVERAGE <= int(text) <= MAX_LEVERAGE)
    ):
        raise UserError(
            f"Leverage is a whole number from {MIN_LEVERAGE}x to {MAX_LEVERAGE}x, "
            f"got {text[:12]}x; nothing was done."
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class PerpWords:
    """An order's words without its perp part: ``perp`` is True when a leverage or a perp
    word was given; ``leverage`` is the one given (None: not named)."""

    text: str
    perp: bool
    leverage: int | None


def split_perp_words(text: str | None) -> PerpWords:
    """``btc 100usdt 10x`` -> (``btc 100usdt``, perp, 10). Raises ``UserError`` for a leverage
    out of range or named twice."""
    kept: list[str] = []
    perp = False
    leverage: int | None = None
    for word in (text or "").split():
        digits = leverage_word(word)
        if digits is not None:
            if leverage is not None:
                raise UserError("Give the leverage once (e.g. 10x).")
            leverage = checked_leverage(digits)
            perp = True
        elif word.lower() in PERP_WORDS:
            perp = True
        else:
            kept.append(word)
    return PerpWords(" ".join(kept), perp, leverage)
