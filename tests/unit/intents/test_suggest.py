"""closest_command: the command text that was not understood most likely meant."""

from __future__ import annotations

import pytest

from services.intents import closest_command

TRADER = ["start", "help", "cancel", "price", "balance", "buy", "sell", "orders", "positions",
          "history", "connect", "accounts"]  # fmt: skip
VIEWER = ["start", "help", "cancel", "price"]

CASES = [
    ("positons", TRADER, "positions"),
    ("/histroy", TRADER, "history"),
    ("show my balanse", TRADER, "balance"),
    ("ordrs", TRADER, "orders"),
    ("buy btc", TRADER, "buy"),  # understood word, missing amount
    ("portfolio value?", TRADER, "balance"),
    ("cancel the order abc", TRADER, "orders"),  # /cancel leaves a form; /orders says how
    ("close everything", TRADER, "sell"),
    ("купить биток", TRADER, "buy"),
    ("покажи историю сделок", TRADER, "history"),
    ("bakiyem ne kadar", TRADER, "balance"),
    ("我的余额多少", TRADER, "balance"),
    ("buy btc", VIEWER, None),  # a viewer is not pointed to /buy
    ("prise of btc", VIEWER, "price"),
    ("hello there", TRADER, None),
    ("what is the weather", TRADER, None),
    ("link", TRADER, None),
    ("", TRADER, None),
    ("x" * 10_000, TRADER, None),
]


@pytest.mark.parametrize(("text", "commands", "expected"), CASES, ids=[c[0][:30] for c in CASES])
def test_closest_command(text: str, commands: list[str], expected: str | None) -> None:
    assert closest_command(text, commands) == expected
