"""The frozen views the trading package hands out, built from its ORM rows, and the client order
id scheme.

Views are built while the session that loaded the rows is open; ORM objects never leave the
package. Client order ids are deterministic (``tsb-<user>-<ref>``), so a repeat of the same
intent finds the first order instead of placing a second one.
"""

from __future__ import annotations

from typing import Final

from core.db.models import ExchangeAccount, Order
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
        market_type=account.market_type,
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
        leverage=order.leverage,
    )


def client_order_id(user_id: int, ref: str) -> str:
    """``tsb-<user>-<ref>``: at most 36 characters of [A-Za-z0-9_-] (Binance's rule)."""
    cid = f"tsb-{user_id}-{ref}"
    if len(cid) > MAX_CLIENT_ORDER_ID:
        raise ValueError(f"client order id too long: {cid!r}")
    return cid
