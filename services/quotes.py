"""The one table of quote currencies: what a pair may be priced in, and which of those is money.

Every place that splits ``BTCUSDT`` into ``BTC/USDT``, reads ``100 usdt`` as a sum of money, or
shows a balance as cash reads this table, so a quote added here is known everywhere at once.

Invariants:

- ``QUOTES`` is in the order a glued symbol is split and a regex alternation tries it: a code
  always comes before any shorter code it ends with or starts with (``FDUSD`` and ``USDT``
  before ``USD``), so ``BTCFDUSD`` is ``BTC/FDUSD``, never ``BTCFD/USD``;
- ``CASH_ASSETS`` (stablecoins and fiat) are the quotes whose sums are money: shown with two
  decimals, and written after a number they make it a sum to spend (``100 usdt``);
- ``MONEY_WORDS`` are the words and signs that mean money in the pair's own quote without
  naming one (``$100``, ``100 dollars``): they never change the pair.
"""

from __future__ import annotations

from typing import Final

# Stablecoins and fiat, longest first within a family of codes sharing letters.
CASH_QUOTES: Final = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "DAI", "USD", "EUR", "TRY")
# The quotes worth a US dollar each: money in an order on a dollar pair ("/buy btc 50 usdc").
DOLLAR_QUOTES: Final = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "DAI", "USD")
# Coins other coins are priced in.
COIN_QUOTES: Final = ("BTC", "ETH", "BNB")
QUOTES: Final = CASH_QUOTES + COIN_QUOTES
CASH_ASSETS: Final = frozenset(CASH_QUOTES)
# Money in the pair's quote, whatever it is: "$100", "100$", "100 usd", "100 dollars".
MONEY_WORDS: Final = frozenset({"$", "USD", "DOLLAR", "DOLLARS", "BUCKS"})


def is_money(unit: str) -> bool:
    """Whether ``unit`` (any case) written beside a number makes it a sum of money."""
    word = unit.upper()
    return word in CASH_ASSETS or word in MONEY_WORDS


def is_dollars(unit: str) -> bool:
    """Whether ``unit`` (any case) is dollars: a dollar stablecoin or a money word. An order
    on a dollar pair spends it as its quote (``/buy btc 50 usdc`` spends 50 of BTC/USDT's)."""
    word = unit.upper()
    return word in DOLLAR_QUOTES or word in MONEY_WORDS


def split_glued(symbol: str) -> list[tuple[str, str]]:
    """The (base, quote) splits of an upper-case glued symbol, most likely first:
    ``ETHBTC`` -> ``[("ETH", "BTC")]``; none when no known quote ends it."""
    return [
        (symbol[: -len(quote)], quote)
        for quote in QUOTES
        if symbol.endswith(quote) and len(symbol) > len(quote)
    ]
