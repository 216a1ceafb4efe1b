"""Validation of the model's answers: numbers and portions must be written in the text."""

from __future__ import annotations

from typing import Any

import pytest

from services.intents import AIIntentAnswer, AnswerRejected, IntentAction, intent_from_answer


def answer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "action": "buy",
        "symbol": "SOL",
        "amount": None,
        "amount_in_quote": False,
        "portion": None,
        "percent": None,
        "price": None,
    }
    return {**base, **fields}


VALIDATION = [
    (answer(amount="0.5"), "buy 0.5 sol", IntentAction.BUY),
    (answer(action="sell", portion="half"), "dump half of my sol", IntentAction.SELL),
    (answer(action="sell", percent="30"), "sell 30 percent sol", IntentAction.SELL),
    (answer(action="price", symbol="BTC"), "btc?", IntentAction.PRICE),
    (answer(action="positions", symbol=None), "what am i holding", IntentAction.POSITIONS),
    (answer(action="history", symbol=None), "what did i trade lately", IntentAction.HISTORY),
    (answer(action="sell", portion="half"), "слей половину sol", IntentAction.SELL),
    (answer(action="sell", portion="all"), "sol 全部 卖掉", IntentAction.SELL),
]
REJECTED = [
    (answer(amount="5"), "buy 0.5 sol"),
    (answer(action="sell", portion="half"), "sell some sol"),
    (answer(action="sell", percent="130"), "sell 130 percent sol"),
    (answer(amount="0.5", price="99"), "buy 0.5 sol"),
    (answer(symbol=None, amount="0.5"), "buy 0.5"),
    (answer(action="balance", symbol=None, amount="3"), "balance 3"),
    (answer(action="unknown", symbol=None), "hmm"),
    (answer(amount="NaN"), "buy NaN sol"),
    (answer(action="history", symbol=None, amount="5"), "last 5 trades"),
    (answer(action="sell", portion="half"), "слей немного sol"),
]


@pytest.mark.parametrize(("raw", "text", "action"), VALIDATION)
def test_answer_validation_accepts(raw: dict[str, Any], text: str, action: IntentAction) -> None:
    assert intent_from_answer(AIIntentAnswer.model_validate(raw), text).action is action


@pytest.mark.parametrize(("raw", "text"), REJECTED)
def test_answer_validation_rejects(raw: dict[str, Any], text: str) -> None:
    with pytest.raises(AnswerRejected):
        intent_from_answer(AIIntentAnswer.model_validate(raw), text)
