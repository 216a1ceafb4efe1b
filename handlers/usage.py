"""A command's usage, from the command registry: the answer to words that do not fit its form.

``usage("buy")`` is ``Usage: /buy <pair> <amount> ...`` built from the ``args`` the command was
registered with (``handlers/commands.py``), plus a few examples of the forms it takes. A parser
raises ``services.symbols.UsageError`` saying what was wrong; ``showing_usage("buy")`` turns it
into a ``UserError`` carrying that sentence and the usage, so every usage error reads the same
and the usage text cannot drift from the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from core.errors import UserError
from handlers.commands import COMMANDS
from services.symbols import UsageError

# Examples of the forms a command takes, shown under its usage line.
EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "price": ("/price btc", "/price btc eth sol", "/price ETH/USDT"),
    "buy": (
        "/buy btc 0.01",
        "/buy btc 10 usdt",
        "/buy btc $50",
        "/buy btc 50%",
        "/buy eth 0.5 3000",
        "/buy btc 0.01 stop 100000",  # a breakout buy: the stop sits above the market
        "/buy btc 100usdt 10x",  # a paper perp long: 100 USDT margin, 1,000 USDT position
        "/buy eth 0.5 perp",
    ),
    "sell": (
        "/sell btc all",
        "/sell eth 50%",
        "/sell btc 0.01",
        "/sell btc 100usdt",
        "/sell eth 1 4000",
        "/sell btc 0.01 stop 60000",
        "/sell eth 0.5 at 3100 5x",  # a paper perp short, resting at 3100
    ),
    "cancel": ("/cancel 7", "/cancel all", "/cancel all btc"),
    "follow": (
        "/follow 1",
        "/follow @channel",
        "/follow 1 auto",
        "/follow 1 confirm 25",
        "/follow 1 auto $100",
    ),
}


def usage(name: str) -> str:
    """``Usage: /name <args>`` and its examples (plain text: the error handler escapes it)."""
    spec = COMMANDS.get(name)
    args = f" {spec.args}" if spec is not None and spec.args else ""
    lines = [f"Usage: /{name}{args}"]
    if name in EXAMPLES:
        lines.append("For example: " + ", ".join(EXAMPLES[name]))
    return "\n".join(lines)


@contextmanager
def showing_usage(name: str) -> Iterator[None]:
    """Re-raise a ``UsageError`` from the block as a ``UserError`` with ``name``'s usage."""
    try:
        yield
    except UsageError as exc:
        raise UserError(f"{exc.user_message}\n{usage(name)}") from None
