"""Pure rendering of trading views to Telegram HTML; every exchange/user string is escaped.

``OrderHtml`` is the ``OrderMessages`` port the trading service renders its notifications with.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from core.domain import OrderSide, OrderStatus, OrderType
from handlers.html import escape
from services.exchange.base import Position
from services.symbols import fmt_number
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView


def account_name(account: AccountView) -> str:
    if account.is_paper:
        return "paper"
    sandbox = ", testnet" if account.sandbox else ""
    return f"{escape(account.label)} ({escape(account.exchange_id)}{sandbox})"


def price(view: PriceView) -> str:
    base, _, quote = view.symbol.partition("/")
    return (
        f"<b>{escape(view.symbol)}</b>: {fmt_number(view.price)} {escape(quote)}\n"
        f"<i>priced by {escape(view.source)}</i>"
    )


def balance(view: BalanceView) -> str:
    lines = [f"<b>Balance</b> · {account_name(view.account)}"]
    if not view.assets:
        lines.append("No funds.")
    for asset, free, used in view.assets:
        line = f"{escape(asset)}: {fmt_number(free + used)}"
        if used:
            line += f" ({fmt_number(free)} free, {fmt_number(used)} in open orders)"
        lines.append(line)
    return "\n".join(lines)


def plan(view: OrderPlan, ttl_s: int) -> str:
    base, _, quote = view.symbol.partition("/")
    if view.type is OrderType.MARKET:
        at = "at market"
    elif view.type is OrderType.STOP:
        at = f"stop at {fmt_number(view.price or Decimal(0))} {escape(quote)}"
    else:
        at = f"limit {fmt_number(view.price or Decimal(0))} {escape(quote)}"
    return (
        f"<b>Confirm live order</b> on {account_name(view.account)}\n"
        f"{view.side.value.upper()} {fmt_number(view.amount)} {escape(base)} "
        f"({escape(view.symbol)}) {at}\n"
        f"Estimated cost ≈ {fmt_number(view.est_cost)} {escape(view.quote)}\n"
        f"<i>The buttons work for {ttl_s} s.</i>"
    )


# {lead} is "order #7 on paper: buy 0.1 BTC at 60,000 USDT"; every part of it is escaped.
_STATUS_LINE: Final = {
    OrderStatus.PARTIALLY_FILLED: "◐ {lead} is partly filled ({filled} so far).",
    OrderStatus.OPEN: "⏳ {lead} is open and waits for the price.",
    OrderStatus.CANCELLED: "✖ {lead} was cancelled.{reason}",
    OrderStatus.REJECTED: "⛔ {lead} was rejected.{reason}",
    OrderStatus.UNKNOWN: (
        "❔ {lead} was sent but the exchange did not confirm it. "
        "I will check by its client order id and tell you; it will not be sent again."
    ),
}
_BEING_PLACED: Final = "… {lead} is being placed."


def order_headline(view: OrderView) -> str:
    """One HTML line: what happened to the order, with the fill and who priced it."""
    base, _, quote = view.symbol.partition("/")
    where = "paper" if view.is_paper else escape(view.account_label)
    amount = f"{fmt_number(view.amount)} {escape(base)}"
    if view.status is OrderStatus.FILLED:
        return _filled_headline(view, amount, where, quote)
    at = ""
    if view.price is not None:
        kind = "stop at" if view.type is OrderType.STOP else "at"
        at = f" {kind} {fmt_number(view.price)} {escape(quote)}"
    return _STATUS_LINE.get(view.status, _BEING_PLACED).format(
        lead=f"order #{view.id} on {where}: {view.side.value} {amount}{at}",
        filled=f"{fmt_number(view.filled)} {escape(base)}",
        reason=f" {escape(view.error)}" if view.error else "",
    )


def _filled_headline(view: OrderView, amount: str, where: str, quote: str) -> str:
    verb = "Bought" if view.side is OrderSide.BUY else "Sold"
    text = f"✅ {verb} {amount} on {where}"
    if view.average is not None:
        text += f": filled at {fmt_number(view.average)} {escape(quote)}"
    if view.fee:
        text += f", fee {fmt_number(view.fee)} {escape(view.fee_asset or quote)}"
    if view.priced_by:
        text += f", priced by {escape(view.priced_by)}"
    return f"{text} (order #{view.id})."


def order_result(view: OrderView) -> str:
    return order_headline(view)


class OrderHtml:
    """The renderer the trading service queues order notifications with (``OrderMessages``)."""

    def order_update(self, order: OrderView) -> str:
        return order_headline(order)


def _order_line(view: OrderView) -> str:
    base, _, quote = view.symbol.partition("/")
    where = "paper" if view.is_paper else escape(view.account_label)
    price_text = ""
    if view.average is not None:
        price_text = f" @ {fmt_number(view.average)}"
    elif view.price is not None:
        kind = "stop " if view.type is OrderType.STOP else ""
        price_text = f" {kind}@ {fmt_number(view.price)}"
    return (
        f"#{view.id} {view.side.value} {fmt_number(view.amount)} {escape(base)}/{escape(quote)}"
        f"{price_text} · {view.status.value.replace('_', ' ')} · {where}"
    )


def open_orders(views: Sequence[OrderView]) -> str:
    if not views:
        return "No open orders."
    lines = ["<b>Open orders</b>", *(_order_line(v) for v in views)]
    lines.append("<i>Cancel one with /cancel &lt;id&gt;, all with /cancel all.</i>")
    return "\n".join(lines)


def cancelled(views: Sequence[OrderView]) -> str:
    if not views:
        return "No open orders to cancel."
    return "\n".join(order_headline(v) for v in views)


def history(views: Sequence[OrderView]) -> str:
    if not views:
        return "No orders yet. Try /buy btc 100usdt on your paper account."
    lines = ["<b>Recent orders</b>"]
    for view in views:
        line = f"{view.created_at:%Y-%m-%d %H:%M} {_order_line(view)}"
        if view.fee:
            line += f" · fee {fmt_number(view.fee)} {escape(view.fee_asset or '')}".rstrip()
        if view.error:
            line += f"\n    {escape(view.error)}"
        lines.append(line)
    return "\n".join(lines)


def positions(per_account: Sequence[tuple[AccountView, Sequence[Position]]]) -> str:
    lines = ["<b>Positions</b>"]
    for account, held in per_account:
        lines.append(f"<u>{account_name(account)}</u>")
        if not held:
            lines.append("none")
        for pos in held:
            line = f"{escape(pos.symbol)}: {fmt_number(pos.amount)}"
            if pos.entry_price is not None:
                line += f", entry {fmt_number(pos.entry_price)}"
            if pos.mark_price is not None:
                line += f", now {fmt_number(pos.mark_price)}"
            if pos.unrealized_pnl is not None:
                sign = "+" if pos.unrealized_pnl >= 0 else ""
                line += f", P/L {sign}{fmt_number(pos.unrealized_pnl, 2)}"
            lines.append(line)
    return "\n".join(lines)


def pin_prompt(message: str) -> str:
    return f"{escape(message)}\n<i>I delete your PIN message as soon as I read it.</i>"
