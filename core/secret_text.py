"""Recognise text that looks like a credential pasted into a chat: API keys, private keys, tokens.

``looks_like_secret`` is pure and cheap (regular expressions and one entropy sum per long
token), so it can run on every private message before anything stores or forwards it. It errs
on the side of a secret for key-shaped tokens (a user re-sends a false positive; a leaked key
cannot be taken back) but never matches the words, symbols, prices and links of signal posts
and plain-language commands: a long token needs both mixed character classes and high entropy.

What counts as a secret:
- a PEM block (``-----BEGIN ...``: private keys, certificates);
- a known key prefix with its body: ``sk-``/``sk_live_`` (OpenAI, Stripe), ``AKIA`` (AWS),
  ``xprv``/``tprv`` (BIP32 extended private keys), ``ghp_``/``github_pat_`` (GitHub),
  ``xox?-`` (Slack), a Telegram bot token;
- 32 or more hex digits, or a UUID (raw private keys, OKX and KuCoin keys and secrets; a ``0x``
  transaction hash too, as wallet private keys are pasted in the same shape), but not a ``0x``
  wallet address of 40 hex digits, which is public;
- outside links, any other run of 32 or more ``[A-Za-z0-9+/=_-]`` with letters and digits
  mixed, few separators and a Shannon entropy of at least 4 bits per character (exchange API
  keys and secrets, base64 blobs).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Final

_PEM: Final = re.compile(r"-----BEGIN[ A-Z0-9]*-----")
_PREFIXED: Final = re.compile(
    r"""(?<![A-Za-z0-9])(?:
        sk-[A-Za-z0-9_-]{20,}
      | sk_(?:live|test)_[A-Za-z0-9]{16,}
      | A(?:KIA|SIA)[A-Z0-9]{16}
      | [xt]prv[1-9A-HJ-NP-Za-km-z]{100,}
      | ghp_[A-Za-z0-9]{30,}
      | github_pat_[A-Za-z0-9_]{30,}
      | xox[abpors]-[A-Za-z0-9-]{10,}
      | [0-9]{8,10}:[A-Za-z0-9_-]{35}
    )""",
    re.VERBOSE,
)
_HEX_KEY: Final = re.compile(
    r"(?<![0-9A-Za-z])(?:0x)?(?:[0-9a-fA-F]{32,}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![0-9A-Za-z])"
)
_ADDRESS: Final = re.compile(r"\b0x[0-9a-fA-F]{40}\b")  # a wallet address: public
_URL: Final = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_TOKEN: Final = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
_SEPARATORS: Final = frozenset("+/=_-")

MIN_ENTROPY: Final = 4.0  # bits per character; English words and tickers stay well below


def looks_like_secret(text: str) -> bool:
    """True when ``text`` holds something shaped like a key, token or private key."""
    if _PEM.search(text) or _PREFIXED.search(text):
        return True
    plain = _URL.sub(" ", _ADDRESS.sub(" ", text))
    if _HEX_KEY.search(plain):
        return True
    return any(_random_token(match.group()) for match in _TOKEN.finditer(plain))


def _random_token(token: str) -> bool:
    """A long token that reads like random characters, not words joined by ``-``, ``_`` or
    ``/`` (a file path, a slug: a separator every few characters, where base64 has one in 32)."""
    if sum(c in _SEPARATORS for c in token) * 16 > len(token):
        return False
    if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
        return False
    if not (any(c.isupper() for c in token) or sum(c.isdigit() for c in token) >= 8):
        return False
    return _entropy(token) >= MIN_ENTROPY


def _entropy(token: str) -> float:
    """Shannon entropy of the token's characters, in bits per character."""
    counts = Counter(token)
    size = len(token)
    return -sum(n / size * math.log2(n / size) for n in counts.values())
