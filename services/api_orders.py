"""Orders placed through the REST API (issue 12), under the chat's confirmation rules.

A paper order goes out at once, as ``/buy`` does. A live order is stored as a plan behind a
Confirm card sent to the owner's Telegram chat (the chat's own card and buttons, rendered by
the handler layer through ``OrderCards``) and stays pending until pressed there, unless the
request comes with the live right: a trade key made with the owner's trading PIN. Then it is
confirmed at once with the PIN step counted as done when the key was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from core.domain import OrderSide, OrderType
from services.dto import UserView
from services.ports import Notifier
from services.trading import TradingService
from services.trading_dto import OrderPlan, OrderView

Buttons = list[list[dict[str, Any]]]


class OrderCards(Protocol):
    """The chat's Confirm card of a live order plan (HTML and its buttons)."""

    def confirm_card(self, plan: OrderPlan, ttl_s: int) -> tuple[str, Buttons]: ...


@dataclass(frozen=True, slots=True)
class OrderAsk:
    symbol: str
    side: OrderSide
    amount: Decimal
    amount_in_quote: bool = False
    price: Decimal | None = None
    order_type: OrderType | None = None
    account_label: str | None = None


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    plan: OrderPlan
    order: OrderView | None  # None: waiting for the Confirm in Telegram


class ApiOrderService:
    def __init__(self, trading: TradingService, notifier: Notifier, cards: OrderCards) -> None:
        self._trading = trading
        self._notifier = notifier
        self._cards = cards

    async def place(self, user: UserView, ask: OrderAsk, *, live_right: bool) -> PlacedOrder:
        """Check and size the order like ``/buy``; paper goes out now, live per the module
        docstring. Raises what ``TradingService.prepare_order`` and ``confirm`` raise."""
        plan = await self._trading.prepare_order(
            user,
            symbol=ask.symbol,
            side=ask.side,
            amount=ask.amount,
            amount_in_quote=ask.amount_in_quote,
            price=ask.price,
            account_label=ask.account_label,
            order_type=ask.order_type,
        )
        if plan.account.is_paper:
            return PlacedOrder(plan, await self._trading.execute_now(user, plan))
        if live_right:
            order = await self._trading.confirm(user, plan.token, pin_checked=True)
            return PlacedOrder(plan, order)
        text, buttons = self._cards.confirm_card(plan, self._trading.confirm_ttl_s)
        await self._notifier.notify(
            user.telegram_id,
            text,
            buttons=buttons,
            dedupe_key=f"api-order:{plan.token}",
            user_id=user.id,
        )
        return PlacedOrder(plan, None)
