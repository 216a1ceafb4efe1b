"""Keyword scanning: word lists from ``lexicon`` compiled into trie regexes, and letter bounds.

Owns ``Scanner`` (every keyword of a table found in one C-level pass, with its kind) and the
pieces other pattern modules build on (``LB``/``RB`` letter boundaries, ``trie``). Invariant:
a ``Scanner`` finds the longest keyword at each place, and a keyword written in a
letter-based script only where no letter touches it on either side (CJK words anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final, NamedTuple

# not preceded / followed by a letter of any script (digits and CJK are handled separately)
LB: Final = r"(?<![^\W\d_])"
RB: Final = r"(?![^\W\d_])"
_CJK: Final = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def trie(items: Iterable[str]) -> str:
    """A regex alternation shaped as a trie: Python's ``re`` tries long flat alternations one
    by one at every position, a trie branches on the first character instead (3-5x faster)."""
    root: dict[str, Any] = {}
    for word in items:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_node(root)


def _trie_node(node: dict[str, Any]) -> str:
    end = "" in node
    branches = []
    for ch in sorted((c for c in node if c), key=lambda c: -len(node[c])):
        atom = r"[ \t]+" if ch == " " else re.escape(ch)  # a phrase stays on its line
        branches.append(atom + _trie_node(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # longest match first: the optional tail is tried before stopping here
    return "(?:" + body + ")?" if end else body


class Hit(NamedTuple):
    """One keyword found: its kind (the table's value), the word as written, its span."""

    kind: str
    word: str
    start: int
    end: int


# ``Hit(kind, word, start, end)`` without the Python frame of a named tuple's ``__new__`` (the
# same object): ``new_hit(Hit, (kind, word, start, end))``, a few per post on a hot path
new_hit: Final = tuple.__new__
_NO_INFO: Final = ("", False)


class Scanner:
    """Finds keywords fast: one trie regex with no leading assertion (so ``re`` can skip on the
    first character), letter boundaries for non-CJK words checked in Python."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self._map = {" ".join(k.split()): v for k, v in mapping.items()}
        # word -> (kind, whether letter boundaries apply); words with inner whitespace are looked
        # up again after collapsing it
        self._info = {k: (v, k[0].isalpha() and not _CJK.match(k)) for k, v in self._map.items()}
        self._rx = re.compile("(?:" + trie(mapping) + ")")

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every keyword in ``text[start:end]``, in order."""
        n = len(text)
        info = self._info
        out: list[Hit] = []
        for m in self._rx.finditer(text, start, n if end is None else end):
            word = m.group()
            got = info.get(word)
            if got is None:
                got = info.get(" ".join(word.split()), _NO_INFO)
            s, e = m.span()
            if got[1] and ((s > 0 and text[s - 1].isalpha()) or (e < n and text[e].isalpha())):
                continue
            out.append(new_hit(Hit, (got[0], word, s, e)))
        return out

    def search(self, text: str, start: int = 0, end: int | None = None) -> Hit | None:
        """The first keyword in ``text[start:end]``, or None."""
        n = len(text)
        info = self._info
        for m in self._rx.finditer(text, start, n if end is None else end):
            word = m.group()
            got = info.get(word)
            if got is None:
                got = info.get(" ".join(word.split()), _NO_INFO)
            s, e = m.span()
            if got[1] and ((s > 0 and text[s - 1].isalpha()) or (e < n and text[e].isalpha())):
                continue
            return new_hit(Hit, (got[0], word, s, e))
        return None
