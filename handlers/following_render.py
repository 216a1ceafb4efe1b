"""Follow settings as HTML: the settings card, its menu, the choices of one setting, the prompt
for a typed value, /following, the live auto-trading warning and the kill switches' answers.

Pure functions of the views; every source name, account label and value is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from core.domain import SubscriptionMode
from handlers import numbers
from handlers.following_callbacks import FollowMenuCallback, FollowSetCallback
from handlers.html import escape
from handlers.paging import clip
from services.trade_plans.dto import FollowingView
from services.trade_plans.settings import (
    ACCOUNT_AUTO,
    ACCOUNT_PAPER_PERP,
    ACCOUNT_PAPER_SPOT,
    DuplicateRule,
    EntryStrategy,
    FollowSettings,
    LiquidationRule,
    Sizing,
    StopPolicy,
    TpSplit,
)

Rows = list[list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # the FollowSettings field
    label: str
    choices: tuple[str, ...] = ()  # empty: the user types the value
    hint: str = ""  # what to type


def _values(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


# The menu, in this order; a button carries the index (``following_callbacks.SettingIndex``).
SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("mode", "Mode", _values(SubscriptionMode)),
    Setting("account", "Account", (ACCOUNT_AUTO, ACCOUNT_PAPER_SPOT, ACCOUNT_PAPER_PERP)),
    Setting("sizing", "Sizing", _values(Sizing)),
    Setting("size", "Size", hint="USDT per trade, or a % of the balance, e.g. 50"),
    Setting("max_leverage", "Max leverage", hint="1 to 125, e.g. 10"),
    Setting("entry", "Entry", _values(EntryStrategy)),
    Setting("entry_legs", "Split entries", hint="2 to 10 limits across the zone"),
    Setting("tp_split", "TP split", _values(TpSplit)),
    Setting("tp_weights", "TP weights", hint="weights per target, e.g. 50 30 20"),
    Setting("stop", "Stop", _values(StopPolicy)),
    Setting("default_stop_pct", "Default stop %", hint="0.1 to 50, e.g. 5"),
    Setting("breakeven_after", "Breakeven after TP", hint="1 to 10, or off"),
    Setting("trailing_from", "Trailing from TP", hint="0 (from the fill) to 10, or off"),
    Setting("trailing_pct", "Trailing %", hint="0.1 to 50, e.g. 2"),
    Setting("expiry_hours", "Expiry (h)", hint="1 to 720 hours, e.g. 48"),
    Setting("max_age_minutes", "Max signal age (min)", hint="1 to 1440 minutes"),
    Setting("max_entry_distance_pct", "Max entry distance %", hint="0.1 to 100, e.g. 10"),
    Setting("liquidation", "Liquidation rule", _values(LiquidationRule)),
    Setting("duplicates", "Duplicates", _values(DuplicateRule)),
    Setting("pairs_allowed", "Pairs allowed", hint="coins, e.g. BTC ETH SOL (none: every pair)"),
    Setting("pairs_denied", "Pairs denied", hint="coins, e.g. DOGE PEPE (none: no pair)"),
)
ACCOUNT_SETTING: Final = 1
WORDS: Final[dict[str, str]] = {
    "notify": "notify (tell me)",
    "confirm": "confirm (ask me first)",
    "auto": "auto (trade for me)",
    "paper_spot": "paper spot",
    "paper_perp": "paper perp",
    "quote": "fixed USDT",
    "balance_pct": "% of balance",
    "risk_pct": "% risked at the stop",
    "edge": "limit at the zone edge",
    "split": "split across the zone",
    "first_heavy": "first-heavy",
    "signal_only": "the signal's (skip without)",
    "signal": "the signal's (default % without)",
    "default": "default %",
}


def setting_index(name: str) -> int:
    return next(i for i, s in enumerate(SETTINGS) if s.name == name)


def value_text(settings: FollowSettings, name: str) -> str:
    """One setting's value in words (not escaped)."""
    value = getattr(settings, name)
    if value is None:
        return "off"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) or "none"
    if name == "size":
        if settings.sizing is Sizing.QUOTE:
            return f"{numbers.holding(value, 'USDT')} USDT"
        return f"{value} %"
    if isinstance(value, Decimal):
        return f"{value}"
    return WORDS.get(str(value), str(value))


VALUE_LIMIT: Final = 200  # a setting's value on the card (a long pair list is cut, with …)
NOTE_LIMIT: Final = 1000  # the note above it (what was just saved or refused)


def settings_card(view: FollowingView, note: str = "") -> str:
    s = view.settings
    lines = [f"<b>{escape(clip(view.source.name))}</b>: your settings"]
    if note:
        lines.insert(0, escape(clip(note, NOTE_LIMIT)))
    lines.append(f"Mode: <b>{escape(value_text(s, 'mode'))}</b>")
    if view.paused:
        lines.append("Paused: <b>yes</b> (/resume to trade it again)")
    lines.append(f"Account: {escape(clip(view.account_label))}")
    for setting in SETTINGS[2:]:  # one message, edited in place: every value bounded
        shown = clip(value_text(s, setting.name), VALUE_LIMIT)
        lines.append(f"{escape(setting.label)}: {escape(shown)}")
    return "\n".join(lines)


def settings_buttons(view: FollowingView) -> Rows:
    source_id = view.source.id
    buttons = [
        {
            "text": setting.label,
            "callback_data": FollowMenuCallback(
                action="pick", source_id=source_id, setting=index
            ).pack(),
        }
        for index, setting in enumerate(SETTINGS)
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    toggle = "resume" if view.paused else "pause"
    rows.append(
        [
            {
                "text": "Resume this source" if view.paused else "Pause this source",
                "callback_data": FollowMenuCallback(action=toggle, source_id=source_id).pack(),
            }
        ]
    )
    return rows


def choice_buttons(
    view: FollowingView, index: int, extra: list[tuple[str, str]] | None = None
) -> Rows:
    """One button per choice of setting ``index`` (``extra``: the user's live accounts as
    (value, words)), and Back."""
    setting = SETTINGS[index]
    choices = [(c, WORDS.get(c, c)) for c in setting.choices] + list(extra or [])
    rows = [
        [
            {
                "text": ("• " if value == str(getattr(view.settings, setting.name)) else "")
                + words,
                "callback_data": FollowSetCallback(
                    source_id=view.source.id, setting=index, value=value
                ).pack(),
            }
        ]
        for value, words in choices
    ]
    rows.append([back_button(view.source.id)])
    return rows


def back_button(source_id: int) -> dict[str, Any]:
    return {
        "text": "Back",
        "callback_data": FollowMenuCallback(action="show", source_id=source_id).pack(),
    }


def choose_prompt(view: FollowingView, index: int) -> str:
    setting = SETTINGS[index]
    now = value_text(view.settings, setting.name)
    return (
        f"<b>{escape(view.source.name)}</b> · {escape(setting.label)} "
        f"(now: <b>{escape(now)}</b>): choose one."
    )


def value_prompt(view: FollowingView, index: int) -> str:
    setting = SETTINGS[index]
    now = value_text(view.settings, setting.name)
    return (
        f"<b>{escape(view.source.name)}</b> · {escape(setting.label)} "
        f"(now: <b>{escape(now)}</b>)\nSend the new value: {escape(setting.hint)}.\n"
        "/cancel to keep it."
    )


def live_warning(
    view: FollowingView, warning: str, source_id: int, value: str
) -> tuple[str, Rows]:
    """The warning before the first live auto-trading, with Yes / No."""
    text = f"<b>Live auto-trading for {escape(view.source.name)}</b>\n{escape(warning)}"
    yes = FollowSetCallback(
        source_id=source_id, setting=setting_index("account"), value=value, ack=True
    )
    rows = [
        [
            {"text": "Yes, trade my live account", "callback_data": yes.pack()},
            {"text": "No", "callback_data": back_button(source_id)["callback_data"]},
        ]
    ]
    return text, rows


def followed(view: FollowingView) -> str:
    s = view.settings
    if s.mode is SubscriptionMode.NOTIFY:
        how = "you will be told about every new signal and update"
    else:
        how = f"{s.mode.value} mode: {value_text(s, 'size')} per signal on {view.account_label}"
    return f"You follow {escape(view.source.name)} ({escape(how)})."


def following_list(
    views: Sequence[FollowingView], paused_all: bool, page: str = ""
) -> tuple[str, Rows]:
    """One page of /following (``page`` as ``paging.Page.label``) and its settings buttons."""
    if not views:
        return (
            "You follow no source yet: /sources lists them, /follow &lt;number&gt; follows one.",
            [],
        )
    lines = [f"<b>Following</b> · {escape(page)}" if page else "<b>Following</b>"]
    if paused_all:
        lines.append("All your trading is paused (/resume to trade again).")
    rows: Rows = []
    for view in views:
        s = view.settings
        state = " · paused" if view.paused else ""
        size = "" if s.mode is SubscriptionMode.NOTIFY else f" · {value_text(s, 'size')}"
        lines.append(
            f"{view.source.id}. {escape(clip(view.source.name))} · {escape(s.mode.value)} · "
            f"{escape(clip(view.account_label))}{escape(size)}{state}"
        )
        rows.append(
            [
                {
                    "text": f"Settings: {view.source.name}"[:60],
                    "callback_data": FollowMenuCallback(
                        action="show", source_id=view.source.id
                    ).pack(),
                }
            ]
        )
    return "\n".join(lines), rows


def paused_note(source_name: str | None, *, paused: bool) -> str:
    if source_name is None:
        if paused:
            return (
                "Paused: no new plans from any source until /resume. Open plans keep their "
                "take-profits and stops (/panic closes them)."
            )
        return "Resumed: your followed sources in confirm and auto mode trade again."
    if paused:
        name = escape(source_name)
        return f"Paused {name}: no new plans from it until /resume {name}."
    return f"Resumed {escape(source_name)}."


def maintenance_note(on: bool) -> str:
    if on:
        return "Maintenance is on: no new plan is placed for anyone until /maintenance off."
    return "Maintenance is off: plans are placed again."
