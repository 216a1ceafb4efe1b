"""What a channel's update post means for the plans of its signal.

``channel_event`` maps the parser's update type (and the post's words and numbers, read by the
parser's own number reader so a number is read one way everywhere) to a plan event:

- ``move_sl``: "to entry" / "breakeven" / "BE" -> the stop to the average entry; otherwise the
  last price in the post (the new stop); with no price -> an update the plan says it cannot apply;
- ``close`` and ``sl_hit`` (the channel says its stop was hit: the follower closes too, at
  market, rather than hold a position the channel has left) -> close everything;
- ``partial_close`` -> close the percentage the post gives ("close 30%"), half by default;
- ``cancel`` -> unfilled entries cancelled;
- ``tp_hit`` and the rest -> None: the plan's own take-profit orders decide, not the claim.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from core.domain import UpdateType
from services.signal_parser.normalize import normalize, to_decimal
from services.signal_parser.prices import numbers
from services.trade_plans.model import ChannelUpdate

_TO_ENTRY: Final = re.compile(
    r"\b(?:entry|entries|breakeven|break[\s-]?even|b\.?e\.?|bep|безубыток|вход)\b"
    r"|保本|成本价|开仓价|入场价",  # Chinese has no word boundaries: "保本损" is breakeven
    re.IGNORECASE,
)
_PERCENT: Final = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%")
_HALF: Final = re.compile(r"\b(?:half|50/50|половин\w*)\b", re.IGNORECASE)


def channel_event(kind: UpdateType, text: str) -> ChannelUpdate | None:
    if kind is UpdateType.MOVE_SL:
        if _TO_ENTRY.search(text):
            return ChannelUpdate(UpdateType.MOVE_SL, to_entry=True)
        return ChannelUpdate(UpdateType.MOVE_SL, price=_last_price(text))
    if kind in (UpdateType.CLOSE, UpdateType.SL_HIT):
        return ChannelUpdate(UpdateType.CLOSE)
    if kind is UpdateType.PARTIAL_CLOSE:
        return ChannelUpdate(UpdateType.PARTIAL_CLOSE, fraction=_fraction(text))
    if kind is UpdateType.CANCEL:
        return ChannelUpdate(UpdateType.CANCEL)
    return None


def _last_price(text: str) -> Decimal | None:
    found = numbers(normalize(text), 0, len(text))
    prices = [n.value for n in found if n.value > 0]
    return prices[-1] if prices else None


def _fraction(text: str) -> Decimal | None:
    if _HALF.search(text):
        return Decimal("0.5")
    match = _PERCENT.search(text)
    if match is None:
        return None
    value = to_decimal(match.group(1).replace(",", "."))
    if value is None or not 0 < value <= 100:
        return None
    return value / 100
