"""Pure rendering of the signals feature: DTOs in, Telegram HTML out. Every channel or user
string is escaped; ``SignalHtml`` renders what the services queue in the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from core.domain import SignalStatus
from handlers import numbers
from handlers.html import escape
from handlers.paging import clip
from handlers.plural import plural
from handlers.signals_callbacks import SignalCallback
from services.signal_dto import (
    CardKind,
    EventView,
    FieldOrigin,
    SignalDetail,
    SignalView,
    SourceView,
    StopMove,
    UnplacedUpdate,
)

LABELS: Final = {
    "pair": "Pair",
    "side": "Side",
    "market": "Market",
    "entry": "Entry",
    "targets": "Targets",
    "stop_loss": "Stop loss",
    "leverage": "Leverage",
}
OPTIONAL: Final = frozenset({"market", "leverage"})
MARKS: Final = {
    FieldOrigin.TEXT: "✅",
    FieldOrigin.INFERRED: "❔ inferred",
    FieldOrigin.EDITED: "✏️ edited",
    FieldOrigin.MISSING: "❌ missing",
}
PROMPTS: Final = {
    "pair": "the pair (e.g. BTC/USDT)",
    "side": "the side (long or short)",
    "entry": "the entry (market, one price or a zone like 60000-61000)",
    "targets": "the targets (e.g. 62000 64000 66000)",
    "stop_loss": "the stop loss (a price, or none)",
    "leverage": "the leverage (e.g. 10, or none)",
}
STOP_MOVES: Final = {
    StopMove.PRICE: "🔁 moved by the channel",
    StopMove.ENTRY: "🔁 moved to entry (the entry price)",
    StopMove.ZONE_MIDDLE: "🔁 moved to entry (the middle of the entry zone)",
}
AWAITING: Final = frozenset({SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.IGNORED})
EVENT_WORDS: Final = {
    "tp_hit": "target hit",
    "sl_hit": "stop loss hit",
    "move_sl": "stop loss moved",
    "close": "closed",
    "partial_close": "partially closed",
    "cancel": "cancelled",
    "entry_filled": "entry filled",
    "other": "update",
    "edit": "edited in the channel",
    "manual_edit": "edited",
    "repost": "posted again",
}


def field_value(signal: SignalView, name: str) -> str | None:
    """The plain-text value of a card field, or None when missing."""
    if name == "pair":
        return signal.pair
    if name == "side":
        return signal.side.value if signal.side else None
    if name == "market":
        return signal.market.value if signal.market else None
    if name == "entry":
        if signal.entry_is_market:
            return "market"
        if signal.entry_low is None:
            return None
        if signal.entry_high is None or signal.entry_high == signal.entry_low:
            return numbers.price(signal.entry_low)
        return f"{numbers.price(signal.entry_low)} - {numbers.price(signal.entry_high)}"
    if name == "targets":
        return "; ".join(numbers.price(t) for t in signal.targets) or None
    if name == "stop_loss":
        return numbers.price(signal.stop_loss) if signal.stop_loss is not None else None
    if name == "leverage":
        return f"{numbers.amount(signal.leverage)}x" if signal.leverage is not None else None
    raise KeyError(name)


def headline(signal: SignalView) -> str:
    parts = [f"#{signal.id}", signal.pair or "?"]
    if signal.side:
        parts.append(signal.side.value)
    return escape(" ".join(parts))


def status_text(signal: SignalView) -> str:
    text = signal.status.value
    if signal.targets_hit:
        text += f", {signal.targets_hit}/{len(signal.targets) or '?'} targets hit"
    return text


def card(signal: SignalView, kind: CardKind, note: str | None = None) -> str:
    """The confidence card: every field with where it came from, the overall confidence."""
    if kind is CardKind.PRIVATE:
        header = f"<b>Private signal {headline(signal)}</b>\n⚠️ Not tracked for any channel"
        if note:
            header += f": {escape(note)}"
        header += "."
    else:
        source = escape(signal.source_name or "unknown channel")
        header = f"<b>Signal {headline(signal)}</b> from {source}"
    return "\n".join([header, *card_body(signal, kind, note)])


def card_body(signal: SignalView, kind: CardKind, note: str | None = None) -> list[str]:
    """The card's lines under its header: confidence, fields, status (and a tracked note)."""
    lines = [f"Confidence: {signal.confidence:.0%} ({escape(signal.parser)})"]
    for name, label in LABELS.items():
        value = field_value(signal, name)
        if value is None and name in OPTIONAL:  # many posts leave these out; nothing is wrong
            lines.append(f"{label}: not stated")
            continue
        origin = signal.origin(name) if value is not None else FieldOrigin.MISSING
        shown = escape(value) if value is not None else "-"
        lines.append(f"{label}: <b>{shown}</b> {_mark(signal, name, origin)}")
        if name == "targets" and signal.targets_dropped:
            lines.append(
                f"<i>{signal.targets_dropped} more targets in the post were dropped "
                f"(the first {len(signal.targets)} are kept).</i>"
            )
    lines.append(f"Status: {escape(status_text(signal))}")
    if kind is CardKind.TRACKED and note:
        lines.append(f"<i>{escape(note)}</i>")
    return lines


def _mark(signal: SignalView, name: str, origin: FieldOrigin) -> str:
    """Where a card field came from; a stop an update moved says how."""
    if origin is FieldOrigin.EDITED:
        return MARKS[origin]
    if name == "stop_loss" and signal.stop_moved is not None:
        return STOP_MOVES[signal.stop_moved]
    if name == "side" and "side" in signal.inferred:
        return "❔ side inferred from targets and stop"
    return MARKS[origin]


def card_buttons(signal: SignalView) -> list[list[dict[str, Any]]]:
    """Track / Edit / Ignore while undecided; Edit only once active; nothing after."""

    def button(text: str, action: str) -> dict[str, Any]:
        return {
            "text": text,
            "callback_data": SignalCallback(action=action, signal_id=signal.id).pack(),
        }

    if signal.status in AWAITING:
        row = [button("Track", "track"), button("Edit", "edit")]
        if signal.status is not SignalStatus.IGNORED:
            row.append(button("Ignore", "ignore"))
        return [row]
    if signal.status is SignalStatus.ACTIVE:
        return [[button("Edit", "edit")]]
    return []


def new_signal(signal: SignalView) -> str:
    return (
        f"🔔 <b>New signal</b> from {escape(signal.source_name or 'a followed channel')}\n"
        + "\n".join(card_body(signal, CardKind.TRACKED))
        + f"\n/signal {signal.id} for details"
    )


def _event_what(event: EventView) -> str:
    """The plain words of what an event reports (escaped by the caller)."""
    details = event.details
    what = EVENT_WORDS.get(event.kind, event.kind)
    if event.kind == "tp_hit" and event.target_index is not None:
        what = f"target {event.target_index} hit"
    if event.kind == "move_sl" and details.get("to_entry"):
        what += " to entry"
    reported = details.get("reported_index")
    if reported is not None:
        what += (
            f" (TP{reported} reported; the signal lists {event.target_index} targets: "
            "all targets hit)"
        )
    elif details.get("all_targets"):
        what = "all targets hit: the signal is closed"
    return what


def event_line(event: EventView) -> str:
    text = f"{numbers.moment(event.created_at)} {escape(_event_what(event))}"
    changes = event.details.get("changes")
    if isinstance(changes, dict) and changes:
        text += ": " + escape("; ".join(f"{k} {v}" for k, v in changes.items()))
    not_applied = event.details.get("not_applied")
    if event.kind != "edit" and not_applied:
        text += escape(f" (not applied: {not_applied})")
    if event.kind == "edit" and not event.details.get("applied"):
        text += escape(f" (not applied: {event.details.get('reason') or 'kept as it was'})")
    if event.linked_by:
        text += f" <i>(linked by {escape(event.linked_by)})</i>"
    return text


def event(signal: SignalView, event: EventView) -> str:
    source = escape(signal.source_name or "a followed channel")
    return (
        f"📣 <b>Update</b> on signal {headline(signal)} from {source}\n"
        f"{event_line(event)}\nStatus: {escape(status_text(signal))}"
    )


def source_registered(source: SourceView) -> str:
    return (
        f"📡 <b>{escape(source.name)}</b> is now a signal source and you are its owner.\n"
        "I read its posts; those I am not sure about come to you to confirm first."
    )


def detail(item: SignalDetail) -> str:
    signal = item.signal
    kind = CardKind.TRACKED if signal.is_tracked else CardKind.PRIVATE
    lines = [card(signal, kind)]
    if item.events:
        lines.append("\n<b>Events</b>")
        lines.extend(event_line(e) for e in item.events)
    else:
        lines.append("\nNo updates yet.")
    return "\n".join(lines)


def _list_title(title: str, page: str) -> str:
    """A list's bold title, with its page ("page 2 of 3") when it has several."""
    return f"<b>{title}</b> · {escape(page)}" if page else f"<b>{title}</b>"


def signal_list(signals: Sequence[SignalView], page: str = "") -> str:
    """One page of /signals (``page`` as ``paging.Page.label``)."""
    if not signals:
        return "No signals yet from the sources you follow. /sources lists what you can follow."
    lines = [_list_title("Recent signals", page)]
    for signal in signals:
        lines.append(
            f"{headline(signal)} · {escape(status_text(signal))} · "
            f"{escape(clip(signal.source_name or '?'))} · {numbers.moment(signal.first_seen_at)}"
        )
    lines.append("/signal &lt;id&gt; for one of them")
    return "\n".join(lines)


def source_list(sources: Iterable[SourceView], page: str = "") -> str:
    """One page of /sources (``page`` as ``paging.Page.label``)."""
    rows = list(sources)
    if not rows:
        return "No sources yet. Add the bot to a channel as an administrator to register one."
    lines = [_list_title("Sources", page)]
    for source in rows:
        state = "active" if source.is_active else "stopped"
        if source.verified:  # only this: Telegram said the owner administers the channel
            state += ", owner checked as channel admin"
        if not source.approved:
            state += ", <i>not approved yet (only its owner and invitees see it)</i>"
        lines.append(
            f"{source.id}. {escape(clip(source.name))} · {state} · "
            f"{plural(source.followers, 'follower')} · {plural(source.signals, 'signal')}"
        )
    lines.append("/follow &lt;number&gt; to follow one")
    return "\n".join(lines)


def source_silent(source: SourceView, hours: int, since: datetime) -> str:
    return (
        f"🔕 <b>{escape(source.name)}</b> has been silent for {hours} h (nothing since "
        f"{escape(numbers.moment(since))}).\nIf the channel did post, the bot may have lost "
        "its administrator right there (or, in a group, privacy mode hides the posts): add "
        "the bot again as an administrator. Its followers get no signals until then."
    )


def edit_prompt(signal: SignalView, name: str) -> str:
    now = field_value(signal, name)
    current = escape(now) if now is not None else "missing"
    return (
        f"Signal #{signal.id}: send {escape(PROMPTS[name])}.\n"
        f"Now: <b>{current}</b>. Send - to keep it, /cancel to stop."
    )


class SignalHtml:
    """The renderer the services use for outbox messages (``SignalMessages`` port)."""

    def card(self, signal: SignalView, kind: CardKind, note: str | None = None) -> str:
        return card(signal, kind, note)

    def card_buttons(self, signal: SignalView) -> list[list[dict[str, Any]]]:
        return card_buttons(signal)

    def new_signal(self, signal: SignalView) -> str:
        return new_signal(signal)

    def event(self, signal: SignalView, event_view: EventView) -> str:
        return event(signal, event_view)

    def source_registered(self, source: SourceView) -> str:
        return source_registered(source)

    def source_silent(self, source: SourceView, hours: int, since: datetime) -> str:
        return source_silent(source, hours, since)

    # signals_place_render builds on this module's helpers, hence the imports inside
    def link_buttons(
        self, signal: SignalView, choices: tuple[SignalView, ...]
    ) -> list[list[dict[str, Any]]]:
        from handlers.signals_place_render import link_buttons  # noqa: PLC0415 - see above

        return link_buttons(signal, choices)

    def unplaced(self, update: UnplacedUpdate) -> str:
        from handlers.signals_place_render import unplaced  # noqa: PLC0415 - see above

        return unplaced(update)

    def place_buttons(self, update: UnplacedUpdate) -> list[list[dict[str, Any]]]:
        from handlers.signals_place_render import place_buttons  # noqa: PLC0415 - see above

        return place_buttons(update)
