"""Which coin a post trades: the pair (``BTC/USDT``, ``BTC-USDT-PERP``, ``BTCUSDT``) or a ticker.

Owns the pair patterns and the order they are tried in, most explicit first: a written pair
(slash, dash), a glued symbol, a "Pair:" label, a ``#TAG``; then, only in a post with level
labels, a ticker after a side word, after "开", or leading the post. Base and quote come back
upper case; offsets are into the normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from services.signal_parser import lexicon as lx
from services.signal_parser import lexicon_coins as lc
from services.signal_parser.keywords import LB, RB, Scanner, trie
from services.signal_parser.leads import ci_lead, led_pattern
from services.signal_parser.normalize import Normalized

_Q: Final = "|".join(lx.QUOTES)
SLASH_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?\s?(?P<base>[A-Za-z0-9]{1,15})\s*/\s*[#$]?(?P<quote>(?i:" + _Q + r"))"
    r"(?![A-Za-z0-9])",
)
DASH_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?(?P<base>[A-Za-z0-9]{1,15})[-_:](?P<quote>(?i:" + _Q + r"))"
    r"(?:[-_]?(?i:perp(?:etual)?|swap))?(?![A-Za-z0-9])"
)
GLUED_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?(?P<base>[A-Za-z0-9]{2,15}?)(?P<quote>(?i:" + _Q + r"))"
    r"(?P<perp>\.p|\.P|[-_.]?(?i:perp(?:etual)?)|_(?i:swap))?(?![A-Za-z0-9])"
)
TAG_RE: Final = re.compile(
    r"[#$](?P<base>[A-Za-z][A-Za-z0-9]{1,14}|\d{1,7}[A-Za-z][A-Za-z0-9]{1,14})(?![A-Za-z0-9])"
)
PAIR_LABELS: Final = Scanner(dict.fromkeys(lx.PAIR_LABELS, "pair"))
PAIR_AFTER_RE: Final = re.compile(
    r"[ \t]*(?P<sep>[:：=#$]|->?|>|→)?[ \t]*[#$]?(?P<base>[A-Za-z0-9]{2,15})(?![A-Za-z0-9])"
)
# a ticker ends where the word ends: "LOẠI GIAO DỊCH" does not open with the coin LO
LEAD_TOKEN_RE: Final = re.compile(r"^[^\w\n]*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![^\W_])")
_SIDE_TOKEN_WORDS: Final = ("buy", "sell", "long", "short", "лонг", "шорт")
SIDE_TOKEN_RE: Final = re.compile(
    r"(?i:" + "|".join(_SIDE_TOKEN_WORDS) + r")\s+[#$]?(?P<base>[A-Z][A-Z0-9]{1,9})(?![A-Za-z0-9])"
)
SIDE_TOKEN: Final = led_pattern(SIDE_TOKEN_RE, ci_lead(_SIDE_TOKEN_WORDS))
OPEN_TOKEN_RE: Final = re.compile(
    r"(?:开|開)\s*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![A-Za-z0-9])"
)
_FX: Final = "|".join(lx.FIAT)
_FOREX_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?(?P<base>(?i:" + _FX + "|" + "|".join(lx.METALS) + r"))"
    r"(?:[ \t]*/[ \t]*|[ \t]|-)?(?P<quote>(?i:" + _FX + r"))(?![A-Za-z0-9])"
)
_FX_CODES: Final = tuple(c.lower() for c in (*lx.FIAT, *lx.METALS))
# led by the first letters of the table (and "#", "$"): ``re`` skips ahead in C to them
FOREX_PAIR: Final = led_pattern(
    _FOREX_PAIR_RE,
    "#$" + "".join(sorted({c for w in (*lx.FIAT, *lx.METALS) for c in (w[0], w[0].lower())})),
)
METAL_NAME_RE: Final = re.compile(
    r"(?<![^\W\d_])(?P<base>(?i:" + "|".join(lx.METAL_NAMES) + r"))(?![^\W\d_])"
)
# a ticker in a sentence: "The long liquidation of SOL accounts for 96%"
PROSE_TICKER_RE: Final = re.compile(r"(?<![^\W_])[#$]?(?P<base>[A-Z]{2,6})(?![^\W_])")
# a lower-case word beside it makes it part of a sentence, not of an all-caps heading
WORD_AFTER_RE: Final = re.compile(r"[ \t]+[a-z]{2,}")
WORD_BEFORE_RE: Final = re.compile(r"[a-z]{2,}[ \t]+$")
_COIN_NAME_RE: Final = r"(?P<base>(?i:" + "|".join(lc.COIN_NAMES) + r"))"
NAMED_PAIR_RE: Final = re.compile(
    LB + _COIN_NAME_RE + r"[ \t]*/[ \t]*(?P<quote>(?i:" + "|".join(lc.QUOTE_NAMES) + r"))" + RB
)
NAMED_COIN_RE: Final = re.compile(LB + _COIN_NAME_RE + RB)
# the patterns tried on the whole post that start with a lookbehind or a case-insensitive
# word, led by the characters their matches start with (``leads``): ``re`` skips ahead in C
_COIN_NAME_LEAD: Final = ci_lead(lc.COIN_NAMES)
NAMED_PAIR: Final = led_pattern(NAMED_PAIR_RE, _COIN_NAME_LEAD)
NAMED_COIN: Final = led_pattern(NAMED_COIN_RE, _COIN_NAME_LEAD)
PROSE_TICKER: Final = led_pattern(PROSE_TICKER_RE, "#$A-Z")
_LABEL_TOKEN: Final = re.compile(r"(?:tp|sl|tps|target|entry|stop)\d*")
# Where a pair match can start at the earliest. The three pair patterns are led by a lookbehind,
# so ``re`` tries them at every position; each match holds a separator or a quote, and its base
# (at most 15 characters, after at most "#"/"$" and a space) ends right before it. Searching
# from that far before the first separator or quote finds the same matches, and a post without
# one is not searched at all.
_BEFORE_BASE: Final = 17
_DASH_QUOTE_RE: Final = re.compile(r"[-_:](?=(?i:" + _Q + "))")
# a quote in the lower-cased text: (?i:...) also reads "ſ" as "s", so then no shortcut
_LOW_QUOTE_RE: Final = re.compile(trie(q.lower() for q in lx.QUOTES))
_LONG_S: Final = "\u017f"


@dataclass(slots=True)
class Pair:
    """The coin found: base, quote when written, the base's span, the quote's span."""

    base: str
    quote: str | None
    start: int
    end: int
    quote_span: tuple[int, int] | None
    perp: bool = False


def find_pair(n: Normalized, with_labels: bool) -> Pair | None:
    """The pair or ticker of the post; the weak forms only when it has level labels."""
    t = n.text
    found = (
        _forex_pair(t, n.lower)
        or _written_pair(t)
        or _named_pair(t, n.lower)
        or _glued_pair(t, n.lower)
        or _labelled_coin(n)
        or _tagged_coin(t)
        or _metal(t, n.lower)
    )
    if found is not None or not with_labels:
        return found
    return (
        _coin_after_side_word(t)
        or _coin_after_open_verb(t)
        or _leading_coin(t)
        or _prose_ticker(t)
        or _named_coin(t)
    )


def _upper_or_lower(token: str) -> bool:
    return token.isupper() or token.islower() or token.isdigit()


def _is_word(base: str) -> bool:
    """Not a coin: a base without a letter, or a word of ``NOT_TICKERS``."""
    return base.lower() in lc.NOT_TICKERS or not any(c.isalpha() for c in base)


def _coin(m: re.Match[str], offset: int = 0) -> Pair:
    """A ticker without a quote, upper-cased, from group ``base``."""
    return Pair(
        m.group("base").upper(), None, offset + m.start("base"), offset + m.end("base"), None
    )


def _written_pair(t: str) -> Pair | None:
    """ "BTC/USDT", then "BTC-USDT" / "BTC_USDT_PERP" / "BTC:USDT"."""
    for rx in (SLASH_PAIR_RE, DASH_PAIR_RE):
        start = _slash_from(t) if rx is SLASH_PAIR_RE else _dash_from(t)
        if start < 0:
            continue
        for m in rx.finditer(t, start):
            base = m.group("base")
            low_base = base.lower()
            if not any(c.isalpha() for c in base) or low_base in lc.NEVER_BASES:
                continue
            if (
                low_base in lc.NOT_TICKERS
                and low_base not in lc.PAIR_TICKERS
                and not (rx is SLASH_PAIR_RE and base.isupper())
            ):
                continue  # "signal/usdt"; but "PERP/USDT" is the PERP token
            if not (_upper_or_lower(base) or base.istitle()):
                continue  # "Bnb/usdt" is fine, "SiGnAl/USDT" is not
            return Pair(
                base.upper(),
                m.group("quote").upper(),
                m.start("base"),
                m.end("base"),
                m.span("quote"),
                perp=rx is DASH_PAIR_RE and "perp" in m.group().lower(),
            )
    return None


def _slash_from(t: str) -> int:
    """Where a "BTC / USDT" match can start at the earliest, or -1 when ``t`` has no "/": the
    first slash, back over the spaces before it, back over a base."""
    i = t.find("/")
    if i < 0:
        return -1
    while i > 0 and t[i - 1].isspace():
        i -= 1
    return max(0, i - _BEFORE_BASE)


def _dash_from(t: str) -> int:
    """Where a "BTC-USDT" match can start at the earliest, or -1 when no separator is followed
    by a quote."""
    m = _DASH_QUOTE_RE.search(t)
    return -1 if m is None else max(0, m.start() - _BEFORE_BASE)


def _forex_pair(t: str, low: str) -> Pair | None:
    """Two currencies of ``FIAT`` (or a metal, then a currency) in any case, glued or split:
    "EURUSD", "UsdChf", "eur/jpy", "EUR USD", "XAUUSD". The table is strict, so any case is
    safe; "USD USD" is not a pair."""
    # two codes at least: most posts have none (``map`` of a bound method: no Python frame a code)
    if sum(map(low.__contains__, _FX_CODES)) < 2:
        return None
    for _, _, m in FOREX_PAIR.finditer(t):
        base, quote = m.group("base").upper(), m.group("quote").upper()
        if base == quote:
            continue
        return Pair(base, quote, m.start("base"), m.end("base"), m.span("quote"))
    return None


def _metal(t: str, low: str) -> Pair | None:
    """A metal by name: "GOLD BUY FROM CMP 1331" trades XAU (no quote written)."""
    if not any(map(low.__contains__, lx.METAL_NAMES)):
        return None
    m = METAL_NAME_RE.search(t)
    if m is None:
        return None
    return Pair(lx.METAL_NAMES[m.group("base").lower()], None, m.start(), m.end(), None)


def _glued_pair(t: str, low: str) -> Pair | None:
    """ "BTCUSDT", "btcusdt" (strong quotes only), "SUSHIUSDTPERP", "ETHUSDT.P"."""
    start = 0
    if _LONG_S not in low:
        q = _LOW_QUOTE_RE.search(low)
        if q is None:
            return None
        start = max(0, q.start() - _BEFORE_BASE)
    for m in GLUED_PAIR_RE.finditer(t, start):
        base, quote = m.group("base"), m.group("quote")
        token = base + quote
        if not any(c.isalpha() for c in base) or (
            base.upper() in lx.CASH_QUOTES and base != "EUR"
        ):
            continue
        if not token.isupper() and not (token.islower() and quote in lx.STRONG_QUOTES):
            continue
        if token.lower() in lc.NOT_TICKERS and token.upper() != "BTCUSDT":
            continue
        return Pair(
            base.upper(),
            quote.upper(),
            m.start("base"),
            m.end("base"),
            m.span("quote"),
            perp=m.group("perp") is not None,
        )
    return None


def _labelled_coin(n: Normalized) -> Pair | None:
    """ "Pair: SOL", "Coin - ARB": the ticker after a pair label."""
    for h in PAIR_LABELS.finditer(n.lower):
        m = PAIR_AFTER_RE.match(n.text, h.end)
        if m is None or _is_word(m.group("base")) or not _upper_or_lower(m.group("base")):
            continue
        # "Pair: sol" names a coin; "the pair dropped back" does not
        if m.group("base").isupper() or m.group("sep"):
            return _coin(m)
    return None


def _tagged_coin(t: str) -> Pair | None:
    """ "#SOL", "$PEPE", "#1000SATS"."""
    for m in TAG_RE.finditer(t):
        base = m.group("base")
        if base.lower() not in lc.NOT_TICKERS and _upper_or_lower(base):
            return _coin(m)
    return None


def _coin_after_side_word(t: str) -> Pair | None:
    """ "Long SOL", "SELL #ARB": an upper-case ticker after a side word, kept as written."""
    for _, _, m in SIDE_TOKEN.finditer(t):
        base = m.group("base")
        if base.lower() not in lc.NOT_TICKERS:
            return Pair(base, None, m.start("base"), m.end("base"), None)
    return None


def _coin_after_open_verb(t: str) -> Pair | None:
    """ "开ETH多": the ticker after "开" / "開" (open)."""
    for m in OPEN_TOKEN_RE.finditer(t):
        base = m.group("base")
        if base.lower() not in lc.NOT_TICKERS and _upper_or_lower(base):
            return _coin(m)
    return None


def _leading_coin(t: str) -> Pair | None:
    """ "SOL\\nEntry: ...": a ticker opening the post, not a label such as "TP1"."""
    first = t.lstrip()
    m = LEAD_TOKEN_RE.match(first)
    if m is None:
        return None
    base = m.group("base")
    if (
        base.lower() in lc.NOT_TICKERS
        or not _upper_or_lower(base)
        or _LABEL_TOKEN.fullmatch(base.lower())
    ):
        return None
    return _coin(m, offset=len(t) - len(first))


def _named_pair(t: str, low: str) -> Pair | None:
    """ "Bitcoin / TetherUS" (a chart's title): a coin and a quote by their names."""
    if "/" not in t or not any(q in low for q in lc.QUOTE_NAMES):
        return None
    m = NAMED_PAIR.fast.search(t)
    if m is None:
        return None
    base = lc.COIN_NAMES[m.group("base").lower()]
    quote = lc.QUOTE_NAMES[m.group("quote").lower()]
    return Pair(base, quote, m.start("base"), m.end("base"), m.span("quote"))


def _prose_ticker(t: str) -> Pair | None:
    """The first upper-case ticker in a sentence ("DOGE is showing clear signs", "the long
    liquidation of SOL accounts"): a lower-case word must stand beside it, so an all-caps
    heading ("LOẠI GIAO DỊCH") or a verdict ("– VENDA (apenas") gives none."""
    for s, e, m in PROSE_TICKER.finditer(t):
        base = m.group("base")
        low = base.lower()
        if low in lc.NOT_TICKERS or low in lc.PROSE_NOT_TICKERS:
            continue
        if WORD_AFTER_RE.match(t, e) or WORD_BEFORE_RE.search(t, max(0, s - 30), s):
            return _coin(m)
    return None


def _named_coin(t: str) -> Pair | None:
    """A coin named by its name ("Эфириум продолжает двигаться вверх"), no quote."""
    m = NAMED_COIN.fast.search(t)
    if m is None:
        return None
    name = m.group("base")  # matched ignoring case, so also "ſolana": casefold reads it
    base = lc.COIN_NAMES.get(name.lower()) or lc.COIN_NAMES.get(name.casefold())
    return None if base is None else Pair(base, None, *m.span("_m"), None)


def update_coin(t: str) -> Pair | None:
    """The coin an update names without a pair or tag: an upper-case ticker opening the post
    ("⚠️ XRP sinal cancelado"); upper case only, so a plain word is never taken."""
    found = _leading_coin(t)
    return found if found is not None and t[found.start : found.end].isupper() else None
