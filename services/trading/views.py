"""The frozen views the trading package hands out, built from its ORM rows, and the client order
id scheme.

Views are built while the session that loaded the rows is open; ORM objects never leave the
package. Client order ids are deterministic (``tsb-<user>-<ref>``), so a repeat of the same
intent finds the first order instead of placing a second one.
"""

from __future__ import annotations

from typing import Final

from core.db.models import ExchangeAccount, Order
from core.domain import OrderSide, OrderStatus, OrderType
from services.symbols import fmt_number
from services.text import escape
from services.trading_dto import AccountView, OrderView

MAX_CLIENT_ORDER_ID: Final = 36  # Binance's limit, the strictest of the exchanges offered


def account_view(account: ExchangeAccount) -> AccountView:
    return AccountView(
        id=account.id,
        label=account.label,
        exchange_id=account.exchange_id,
        is_paper=account.is_paper,
        sandbox=account.sandbox,
        key_hint=account.key_hint,
    )


def order_view(order: Order, account: ExchangeAccount) -> OrderView:
    return OrderView(
        id=order.id,
        account_label=account.label,
        is_paper=account.is_paper,
        symbol=order.symbol,
        side=order.side,
        type=order.type,
        amount=order.amount,
        price=order.price,
        filled=order.filled,
        average=order.average,
        status=order.status,
        fee=order.fee,
        priced_by=order.priced_by,
        created_at=order.created_at,
        client_order_id=order.client_order_id,
        fee_asset=order.fee_asset,
        error=order.error,
    )


def client_order_id(user_id: int, ref: str) -> str:
    """``tsb-<user>-<ref>``: at most 36 characters of [A-Za-z0-9_-] (Binance's rule)."""
    cid = f"tsb-{user_id}-{ref}"
    if len(cid) > MAX_CLIENT_ORDER_ID:
        raise ValueError(f"client order id too long: {cid!r}")
    return cid


def order_headline(view: OrderView) -> str:
    """One HTML line: what happened to the order, with the fill and who priced it."""
    base, _, quote = view.symbol.partition("/")
    verb = "Bought" if view.side is OrderSide.BUY else "Sold"
    where = "paper" if view.is_paper else escape(view.account_label)
    ref = f"order #{view.id}"
    amount = f"{fmt_number(view.amount)} {escape(base)}"
    if view.status is OrderStatus.FILLED:
        text = f"✅ {verb} {amount} on {where}"
        if view.average is not None:
            text += f": filled at {fmt_number(view.average)} {escape(quote)}"
        if view.fee:
            text += f", fee {fmt_number(view.fee)} {escape(view.fee_asset or quote)}"
        if view.priced_by:
            text += f", priced by {escape(view.priced_by)}"
        return f"{text} ({ref})."
    action = f"{view.side.value} {amount}"
    at = ""
    if view.price is not None:
        kind = "stop at" if view.type is OrderType.STOP else "at"
        at = f" {kind} {fmt_number(view.price)} {escape(quote)}"
    if view.status is OrderStatus.PARTIALLY_FILLED:
        return (
            f"◐ {ref} on {where}: {action}{at} is partly filled "
            f"({fmt_number(view.filled)} {escape(base)} so far)."
        )
    if view.status is OrderStatus.OPEN:
        return f"⏳ {ref} on {where}: {action}{at} is open and waits for the price."
    if view.status is OrderStatus.CANCELLED:
        reason = f" {escape(view.error)}" if view.error else ""
        return f"✖ {ref} on {where}: {action}{at} was cancelled.{reason}"
    if view.status is OrderStatus.REJECTED:
        reason = f" {escape(view.error)}" if view.error else ""
        return f"⛔ {ref} on {where}: {action}{at} was rejected.{reason}"
    if view.status is OrderStatus.UNKNOWN:
        return (
            f"❔ {ref} on {where}: {action}{at} was sent but the exchange did not confirm it. "
            "I will check by its client order id and tell you; it will not be sent again."
        )
    return f"… {ref} on {where}: {action}{at} is being placed."
