"""Plain-language commands -> a typed ``Intent``: a small grammar first, a model as fallback.

``model`` holds ``Intent`` / ``IntentAction``; ``tokens`` reads numbers (through
``services.numbers``) and amounts as people write them (``0,5``, ``1k``, ``$50``, ``50 usdt``,
``25%``) and words in any script;
``lexicon`` lists the words, and the other languages' words as tables into English;
``grammar.parse_intent`` turns the tokens into an ``Intent`` (never raises; ``UNKNOWN`` when a
word is left unexplained); ``ai.AIIntentParser`` asks a model for the same schema and keeps its
answer only when every number and portion word it gives is written in the text;
``suggest.closest_command`` names the command text that was not understood most likely meant;
``doubts.doubt_question`` asks back an order whose number reads two ways (``buy 1,000 btc``),
whichever of the two read it.
"""

from __future__ import annotations

from services.intents.ai import AIIntentAnswer, AIIntentParser, intent_from_answer
from services.intents.grammar import parse_intent
from services.intents.model import (
    AI_CONFIDENCE,
    GRAMMAR_CONFIDENCE,
    MAX_COMMAND_CHARS,
    NOT_UNDERSTOOD,
    UNKNOWN,
    Intent,
    IntentAction,
)
from services.intents.suggest import closest_command
from services.intents.tokens import Token, numbers_in, tokenize
from services.llm import AnswerRejected

__all__ = [
    "AI_CONFIDENCE",
    "GRAMMAR_CONFIDENCE",
    "MAX_COMMAND_CHARS",
    "NOT_UNDERSTOOD",
    "UNKNOWN",
    "AIIntentAnswer",
    "AIIntentParser",
    "AnswerRejected",
    "Intent",
    "IntentAction",
    "Token",
    "closest_command",
    "intent_from_answer",
    "numbers_in",
    "parse_intent",
    "tokenize",
]
