"""Every renderer in ``handlers/*_render.py``, fuzzed (threat T9, issue 13 defect 8).

Hypothesis builds each public render function's arguments from its type hints: every string
is random or hostile text (markup, entities, stray ``<`` and ``&``, a link, markdown marks,
RTL and zero-width characters, emoji, walls of them), numbers are random, lists have many
rows. Each text a renderer returns, after the split the product does (``split_message`` for
what the outbox sends and ``paging.answer_long`` replies; a page of ``PAGE_SIZE`` rows for the
paged lists; the text as it is for the rest) must pass the Bot API emulator's entity check
(``html_to_plain``) and fit Telegram's 4096 characters; every button's data fits 64 bytes.
New renderer modules and functions are picked up by themselves.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Any, Final, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console.api import MAX_TEXT_LENGTH, utf16_len
from bot.console.html_check import html_to_plain
from handlers import following_render, signals_render, tracking_render
from handlers.paging import PAGE_SIZE
from services.text import split_message
from services.tracking.dto import OutcomeView
from services.tracking.model import TrackEvent

HANDLERS: Final = Path(__file__).parents[3] / "handlers"
MODULES: Final = sorted(f"handlers.{path.stem}" for path in HANDLERS.glob("*_render.py"))

PIECES: Final = [
    "<b>", "</b>", "<i>x</i>", "&", "&amp;", "&lt;", "&#65;", "&#x110000;", "<", ">", '"', "'",
    '<a href="https://evil.example">claim</a>', "_*[`~", "\u202e", "\u200b", "\u2066", "😀",
    "\n", "  ", "<script>alert(1)</script>", "</pre>", "<tg-spoiler>",
]  # fmt: skip
SNIPPET: Final = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=10)), max_size=12
).map("".join)
# A wall of one piece, as long as the longest name the bot stores (sources.title, 256).
LONGEST: Final = 256
WALL: Final = st.builds(
    lambda piece, times: (piece * times)[:LONGEST], st.sampled_from(PIECES), st.integers(1, 150)
)
TEXT: Final = st.one_of(*[SNIPPET] * 7, WALL)  # now and then a wall, many rows stay quick
MANY_ROWS: Final = 30

# What the product sends through split_message: the outbox (services/notifications.enqueue:
# SignalHtml, PlanHtml, tracker and source notes) and handlers/paging.answer_long replies.
SPLIT: Final = {
    "signals_render": {"card", "new_signal", "event", "detail", "source_registered"},
    "plans_render": {
        "plan_event", "plan_card", "plan_refused", "plans_list", "closed_plans",
        "panic_preview", "panic_done",
    },
    "trading_render": {"open_orders", "cancelled", "history", "positions"},
    "market_render": {"prices", "pairs"},
    "reports_render": {
        "status", "profit", "periods", "performance", "trades", "settings", "table",
    },
    "tracking_render": {"tracked_event", "step", "stats", "top"},
}  # fmt: skip
# Plain text by design (their callers escape it, or it is a button's text).
PLAIN: Final = {
    "signals_render": {"field_value", "status_text"},
    "following_render": {"value_text"},
    "trading_render": {"estimate_label"},
    "apikeys_render": {"revoke_button"},  # a button's text
}
# Helpers whose arguments are not free data: a fixed-shape dict or table.
SKIP: Final = {
    "backtest_render": {"summary", "chart_caption"},  # the backtest's own JSON document
    "reports_render": {"table"},  # rows as long as the header, built by the renderer itself
}
# Arguments that are keys or choices the handlers pass, not data.
ARGUMENTS: Final[dict[str, st.SearchStrategy[Any]]] = {
    "following_render.index": st.integers(0, len(following_render.SETTINGS) - 1),
    "following_render.value_text.name": st.sampled_from(
        [s.name for s in following_render.SETTINGS]
    ),
    "following_render.setting_index.name": st.sampled_from(
        [s.name for s in following_render.SETTINGS]
    ),
    "following_render.choice_buttons.extra": st.lists(
        st.tuples(st.integers(1, 10**9).map(str), TEXT), max_size=5
    ),  # the user's live accounts: (account id, label)
    "following_render.live_warning.value": st.integers(1, 10**9).map(str),  # an account id
    "plans_render.plan_buttons.token": st.from_regex(r"[A-Za-z0-9_-]{8,22}", fullmatch=True),
    "signals_render.name": st.sampled_from(sorted(signals_render.PROMPTS)),
    "tracking_render.chart_buttons.kind": st.sampled_from(["signal", "source"]),
}


def renderers() -> list[Any]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        short = module_name.removeprefix("handlers.")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ != module_name or name.startswith("_"):
                continue
            if name in SKIP.get(short, set()):
                continue
            found.append(pytest.param(short, name, func, id=f"{short}.{name}"))
    return found


BASIC: Final[dict[Any, st.SearchStrategy[Any]]] = {
    str: TEXT,
    int: st.integers(1, 10**9),
    float: st.floats(0, 1),
    Decimal: st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=8, allow_nan=False
    ),
    datetime: st.datetimes(timezones=st.just(UTC)),
}
# DTOs whose ``kind`` is an internal word from a fixed set (the tracker writes it).
KINDS: Final[dict[type, list[str]]] = {
    OutcomeView: ["price", "followed"],
    TrackEvent: [*tracking_render.STEPS, "tp"],
}


def strategy_for(hint: Any, rows: int) -> st.SearchStrategy[Any]:
    """Hostile text, bounded numbers and lists of many rows, down through the DTOs' fields."""
    if hint in BASIC:
        return BASIC[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin in {list, Sequence, Iterable} or (origin is tuple and args[1:] == (Ellipsis,)):
        return st.lists(strategy_for(args[0], rows), max_size=rows)
    if origin is tuple:
        return st.tuples(*(strategy_for(arg, rows) for arg in args))
    if origin in {Union, UnionType}:
        return st.one_of(*(strategy_for(arg, rows) for arg in args))
    if hint is type(None):
        return st.none()
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = get_type_hints(hint)
        fields = {f.name: strategy_for(hints[f.name], rows) for f in dataclasses.fields(hint)}
        if hint in KINDS:
            fields["kind"] = st.sampled_from(KINDS[hint])
        return st.builds(hint, **fields)
    return st.from_type(hint)


def arguments(short: str, func: Callable[..., Any]) -> st.SearchStrategy[dict[str, Any]]:
    hints = get_type_hints(func)
    rows = MANY_ROWS if func.__name__ in SPLIT.get(short, set()) else PAGE_SIZE
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for param in inspect.signature(func).parameters.values():
        keys = (f"{short}.{func.__name__}.{param.name}", f"{short}.{param.name}")
        chosen = next((ARGUMENTS[k] for k in keys if k in ARGUMENTS), None)
        fields[param.name] = strategy_for(hints[param.name], rows) if chosen is None else chosen
    return st.fixed_dictionaries(fields)


def outputs(value: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The texts and the buttons in what a renderer returned (nested in tuples and rows)."""
    if isinstance(value, str):
        return [value], []
    if isinstance(value, dict) and "callback_data" in value:
        return [], [value]
    texts: list[str] = []
    buttons: list[dict[str, Any]] = []
    if isinstance(value, (list, tuple)):
        for item in value:
            more_texts, more_buttons = outputs(item)
            texts += more_texts
            buttons += more_buttons
    return texts, buttons


@pytest.mark.parametrize(("short", "name", "func"), renderers())
def test_renderer_output_is_valid_telegram_html(
    short: str, name: str, func: Callable[..., Any]
) -> None:
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(arguments(short, func))
    def check(kwargs: dict[str, Any]) -> None:
        texts, buttons = outputs(func(**kwargs))
        for text in texts:
            if name in PLAIN.get(short, set()):
                continue
            chunks = split_message(text) if name in SPLIT.get(short, set()) else [text]
            for chunk in chunks:
                assert utf16_len(html_to_plain(chunk)) <= MAX_TEXT_LENGTH, chunk[:200]
        for button in buttons:
            assert 1 <= len(button["callback_data"].encode()) <= 64, button

    check()
