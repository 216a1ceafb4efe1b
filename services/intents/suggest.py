"""The closest command to text that was not understood, for a "did you mean" in the reply.

``closest_command`` looks at each word of the text and finds the command it names or is
closest to (``difflib``) among the commands the caller may use: a command's own name
("positons" -> positions) or a word that asks for it in any language the lexicon reads
("portfolio" -> balance, "купить" -> buy, "close" -> sell). An exact word wins over a near
one, the first in the text over later ones. Pure; None when nothing is close.
"""

from __future__ import annotations

from collections.abc import Collection
from difflib import SequenceMatcher, get_close_matches
from typing import Final

from services.intents.lexicon import (
    BALANCE_WORDS,
    BUY_WORDS,
    CANCEL_WORDS,
    CLOSE_WORDS,
    HISTORY_WORDS,
    ORDER_WORDS,
    POSITION_WORDS,
    PRICE_WORDS,
    SELL_WORDS,
    TRANSLATIONS,
)
from services.intents.model import MAX_COMMAND_CHARS
from services.intents.tokens import tokenize, words_of

# English words -> the command that does what they ask ("cancel 3" is /cancel <id>, listed
# with /orders, which says how)
_ENGLISH: Final = {
    "buy": BUY_WORDS,
    "sell": SELL_WORDS | CLOSE_WORDS,
    "balance": BALANCE_WORDS,
    "price": PRICE_WORDS,
    "orders": ORDER_WORDS | CANCEL_WORDS,
    "positions": POSITION_WORDS,
    "history": HISTORY_WORDS,
}
KEYWORD_COMMANDS: Final = {word: command for command, ws in _ENGLISH.items() for word in ws}
KEYWORD_COMMANDS.update(
    {
        foreign[0]: KEYWORD_COMMANDS[english[0]]
        for foreign, english in TRANSLATIONS.items()
        if len(foreign) == 1 and len(english) == 1 and english[0] in KEYWORD_COMMANDS
    }
)
CUTOFF: Final = 0.75  # "balanse" -> balance (0.86), "link" -> pin (0.57) is no suggestion
MIN_FUZZY_CHARS: Final = 4  # shorter words are too easily near anything
MAX_WORD_CHARS: Final = 30


def closest_command(text: str, commands: Collection[str]) -> str | None:
    """The command in ``commands`` that ``text`` most likely meant, or None."""
    vocabulary = {c: c for c in commands}
    # a keyword wins over a command of the same name: "cancel" in a sentence is about
    # orders, while /cancel leaves a form
    vocabulary.update({w: c for w, c in KEYWORD_COMMANDS.items() if c in commands})
    words = [w for w in words_of(tokenize(text[:MAX_COMMAND_CHARS])) if len(w) <= MAX_WORD_CHARS]
    for word in words:
        if word in vocabulary:
            return vocabulary[word]
    best: tuple[float, str] | None = None
    for word in words:
        if len(word) < MIN_FUZZY_CHARS:
            continue
        for near in get_close_matches(word, vocabulary, n=1, cutoff=CUTOFF):
            score = SequenceMatcher(None, word, near).ratio()
            if best is None or score > best[0]:
                best = (score, vocabulary[near])
    return best[1] if best else None
