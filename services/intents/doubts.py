"""Which number of an order read from plain language is written two ways in its place.

An ``Intent`` carries numbers, not where they came from, and may come from the grammar or the
model; so the check runs on the intent and its text, for both: a number token of the text
whose reading in the role it took in the order (coins for an amount of coins, price for a
price or a sum of money, ``services.numbers.Role``) is ``Ambiguous``, and one of whose readings
is the intent's number, makes the order doubtful. ``1,000 btc`` is; ``1,000 usdt`` and
``at 64,000`` are not; ``at 64.000`` is. A doubtful order is asked back (``doubt_question``),
never planned.
"""

from __future__ import annotations

from decimal import Decimal

from services.intents.model import Intent
from services.intents.tokens import number_tokens
from services.numbers import Ambiguous, Role, ask_back, read_number


def doubt_question(intent: Intent, text: str) -> str | None:
    """The question to ask back when the order ``intent`` read from ``text`` has a number
    written two ways (``Did you mean 1000 BTC or 1 BTC? ... Send buy 1000 btc or buy 1
    btc.``), or None when every number reads one way."""
    doubt = doubtful_number(intent, text)
    if doubt is None:
        return None
    coins = not intent.amount_in_quote and _is_one_of(intent.amount, doubt)
    unit = (intent.symbol or "").partition("/")[0] if coins else ""
    return ask_back(doubt, unit, retry_text(text, doubt))


def doubtful_number(intent: Intent, text: str) -> Ambiguous | None:
    """The first number of the order ``intent`` that ``text`` writes two ways in its role,
    or None (also for anything that is not an order)."""
    if not intent.action.is_order:
        return None
    coins = intent.amount if not intent.amount_in_quote else None
    money = intent.amount if intent.amount_in_quote else None
    for written in number_tokens(text):
        for role, taken in ((Role.COINS, coins), (Role.PRICE, money), (Role.PRICE, intent.price)):
            value = read_number(written, role)
            if isinstance(value, Ambiguous) and _is_one_of(taken, value):
                return value
    return None


def retry_text(text: str, number: Ambiguous) -> str:
    """``text`` with ``{}`` where ``number`` was written, to say how to send it again; ``""``
    when it is not written there as read (full-width digits, a no-break space)."""
    words = " ".join(text.split())
    return words.replace(number.written, "{}", 1) if number.written in words else ""


def _is_one_of(taken: Decimal | None, value: Ambiguous) -> bool:
    return taken is not None and taken in (value.grouped, value.decimal)
