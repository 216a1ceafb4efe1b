"""The words of plain-language commands: verbs, fillers, units, portions and coin names.

Every word a rule may skip or read is listed here; a word in none of these sets is a coin only
when it looks like a ticker (``coin``). ``RESERVED`` words are never read as coins, so "buy the
order" cannot name a coin called ORDER.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

QUOTE_UNITS: Final[dict[str, str | None]] = {
    "usdt": "USDT",
    "usdc": "USDC",
    "busd": "BUSD",
    "fdusd": "FDUSD",
    "usd": None,
    "dollar": None,
    "dollars": None,
    "bucks": None,
}
ALIASES: Final = {
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "ether": "ETH",
    "ethereum": "ETH",
    "solana": "SOL",
    "dogecoin": "DOGE",
    "ripple": "XRP",
    "cardano": "ADA",
    "litecoin": "LTC",
    "polkadot": "DOT",
}


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


FILLERS: Final = _wordset(
    "please pls plz kindly can could would will you u i id d want wanna like to me the a an some "
    "my of worth now right just go ahead hey hi hello bot ok okay then quickly asap thanks thank "
    "thx pleasee also let lets us"
)
BUY_WORDS: Final = frozenset({"buy", "purchase", "acquire"})
SELL_WORDS: Final = frozenset({"sell", "dump"})
ORDER_FILLERS: Final = frozenset({"order", "place", "make", "spot", "worth", "of"})
FRACTION_WORDS: Final = {
    "half": Decimal("0.5"),
    "all": Decimal(1),
    "everything": Decimal(1),
    "entire": Decimal(1),
    "whole": Decimal(1),
    "quarter": Decimal("0.25"),
}
PRICE_WORDS: Final = frozenset({"price", "prices", "quote", "rate", "trading", "cost", "costs"})
BALANCE_WORDS: Final = frozenset(
    {"balance", "balances", "portfolio", "wallet", "funds", "holdings", "assets", "bal"}
)
ORDER_WORDS: Final = frozenset({"orders", "order"})
CANCEL_WORDS: Final = frozenset({"cancel", "kill", "remove", "delete"})
READ_FILLERS: Final = _wordset(
    "what whats is are s show list display get check tell give see view how much many do have "
    "own hold current currently open pending active on for in at with all every everything "
    "there any"
)
RESERVED: Final = (
    FILLERS
    | BUY_WORDS
    | SELL_WORDS
    | ORDER_FILLERS
    | frozenset(FRACTION_WORDS)
    | PRICE_WORDS
    | BALANCE_WORDS
    | ORDER_WORDS
    | CANCEL_WORDS
    | READ_FILLERS
    | frozenset(QUOTE_UNITS)
    | frozenset({"market", "mkt", "limit", "at", "for", "with", "using", "and", "or", "not"})
)
_COIN_RE: Final = re.compile(r"[a-z][a-z0-9]{1,14}(?:[/\-][a-z][a-z0-9]{1,9})?")


def coin(word: str) -> str | None:
    """The symbol a word names ("btc" -> "BTC", "btc-usdt" -> "BTC/USDT"), or None."""
    if word in ALIASES:
        return ALIASES[word]
    if word in RESERVED or not _COIN_RE.fullmatch(word):
        return None
    return word.upper().replace("-", "/")
