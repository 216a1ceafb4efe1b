"""What the trade-plan service needs rendered, as a Protocol the handler layer implements
(``handlers/plans_render.PlanHtml``): services return data, handlers write HTML."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from services.signal_dto import SignalView
from services.trade_plans.dto import PlanView, Refusal


class PlanMessages(Protocol):
    def plan_event(self, plan: PlanView, kind: str, details: Mapping[str, object]) -> str:
        """One step of a plan for its follower; ``kind`` and ``details`` as in
        ``services.trade_plans.model.Notify`` plus ``placed`` (the plan's orders are out)."""
        ...

    def plan_card(self, plan: PlanView, signal: SignalView) -> str:
        """Confirm mode: the plan the follower is asked to execute."""
        ...

    # Button rows in the outbox's shape: InlineKeyboardButton fields.
    def plan_buttons(self, token: str, *, live: bool) -> list[list[dict[str, Any]]]:
        """Execute (the plan's account) / Paper / Ignore, bound to ``token``."""
        ...

    def plan_refused(self, signal: SignalView, refusal: Refusal) -> str:
        """Why the signal was not traded for this follower, with the figures."""
        ...
