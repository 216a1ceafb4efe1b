"""Signals: read each channel post once, link updates to their signal, apply edits, hold
low-confidence posts for their owner, fan out to followers, auto-trade for auto followers.

Idempotency is in the database: a post is unique on (chat id, message id) (a forward counts as
its origin post), an update or edit event on (chat id, message id, kind, version), and every
notification carries a dedupe key per signal/event and user. Notifications are queued in the
same transaction as the change they announce.

Where things are:

- ``service``: ``SignalService``, the facade handlers call; it delegates to the modules below.
- ``intake`` (``attribution``, ``updates``): channel posts, forwards, update posts.
- ``channel_edits``: edited channel posts. ``decisions``: Track / Ignore / the Edit form,
  whose field parsers are ``edit_form``. ``follows``: /follow, /unfollow. ``queries``: reads.
- ``fan_out``: followers' notes, held cards, auto-trading. ``access``: who decides on a signal.
- ``columns`` (parse -> row), ``views`` (row -> view), ``context`` (the shared collaborators),
  ``ports`` (the Protocols the feature needs).
"""

from services.signals.edit_form import (
    EditValues,
    check_levels,
    parse_edit_value,
    parse_entry,
    parse_pair,
    parse_targets,
)
from services.signals.ports import SignalMessages, SignalTrading
from services.signals.service import SignalService

__all__ = [
    "EditValues",
    "SignalMessages",
    "SignalService",
    "SignalTrading",
    "check_levels",
    "parse_edit_value",
    "parse_entry",
    "parse_pair",
    "parse_targets",
]
