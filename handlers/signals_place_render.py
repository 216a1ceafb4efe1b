"""Rendering of what the bot could not place, for the source's owner to decide: an update
linked to no single open signal (or read too unsure), with a Link button per open signal and
Ignore; a held short entry's Link buttons; and the answers to those presses. Every channel
string is escaped."""

from __future__ import annotations

from typing import Any, Final

from handlers import numbers
from handlers.html import escape
from handlers.paging import clip
from handlers.signals_callbacks import EntryLinkCallback, UpdatePlaceCallback
from handlers.signals_render import EVENT_WORDS, headline, status_text
from services.signal_dto import PlacedUpdate, SignalView, Unplaced, UnplacedUpdate

POST_CHARS: Final = 300  # of the post quoted on the card
REASONS: Final = {
    Unplaced.NO_PAIR: "it names no pair and replies to no signal",
    Unplaced.NO_MATCH: "no open signal of the channel is on its pair",
    Unplaced.AMBIGUOUS: "several open signals are on its pair",
    Unplaced.LOW_CONFIDENCE: "it was read below the confidence threshold",
}


def _read_as(update: UnplacedUpdate) -> str:
    """The plain words of how the post was read (escaped by the caller)."""
    event = update.event
    what = EVENT_WORDS.get(event.kind, event.kind)
    if event.kind == "tp_hit" and event.target_index is not None:
        what = f"target {event.target_index} hit"
    if event.kind == "move_sl" and update.stop is not None:
        what += f" to {numbers.price(update.stop)}"
    return what


def unplaced(update: UnplacedUpdate) -> str:
    lines = [
        f"📣 <b>An update from {escape(clip(update.source_name))}</b> that I could not place: "
        f"{REASONS[update.reason]}.",
        f"<blockquote>{escape(clip(update.text, POST_CHARS))}</blockquote>",
        f"Read as: <b>{escape(_read_as(update))}</b> (confidence {update.confidence:.0%}).",
    ]
    if update.choices:
        lines.append("Which signal is it about? Nothing happens until you choose.")
        lines.extend(
            f"{headline(s)} · {escape(status_text(s))} · {numbers.moment(s.first_seen_at)}"
            for s in update.choices
        )
    else:
        lines.append("The channel has no open signal to link it to.")
    return "\n".join(lines)


def place_buttons(update: UnplacedUpdate) -> list[list[dict[str, Any]]]:
    event_id = update.event.id
    rows = [
        [
            {
                "text": f"Link to #{s.id} {clip(s.pair or '?', 24)}",
                "callback_data": UpdatePlaceCallback(event_id=event_id, signal_id=s.id).pack(),
            }
        ]
        for s in update.choices
    ]
    ignore = UpdatePlaceCallback(event_id=event_id).pack()
    rows.append([{"text": "Ignore", "callback_data": ignore}])
    return rows


def placed(outcome: PlacedUpdate) -> str:
    """The card's text once a button was pressed (the first time or again)."""
    what = escape(EVENT_WORDS.get(outcome.event.kind, outcome.event.kind))
    if outcome.signal is None:
        done = f"Ignored: the update ({what}) changes nothing."
    else:
        signal = outcome.signal
        done = (
            f"Linked to signal {headline(signal)}: {what} applied; "
            f"status {escape(status_text(signal))}."
        )
    if outcome.already:
        done = "Already done: " + done
    return done


def entry_linked(signal: SignalView) -> str:
    return (
        f"Linked to signal {headline(signal)}: the post is recorded there as posted again, "
        "and nothing new is announced or traded."
    )


def placed_alert(outcome: PlacedUpdate) -> str:
    """The short plain-text answer to the press (a callback answer takes no HTML)."""
    done = "Ignored." if outcome.signal is None else f"Linked to signal #{outcome.signal.id}."
    return f"Already done: {done}" if outcome.already else done


def link_buttons(
    signal: SignalView, choices: tuple[SignalView, ...]
) -> list[list[dict[str, Any]]]:
    """A held entry's "it is about #12" buttons, one per open signal it may restate."""
    return [
        [
            {
                "text": f"Link to #{c.id} {clip(c.pair or '?', 24)}",
                "callback_data": EntryLinkCallback(signal_id=signal.id, to_id=c.id).pack(),
            }
        ]
        for c in choices
    ]
