"""Pure rendering of trading views to Telegram HTML; every exchange/user string is escaped.

``OrderHtml`` is the ``OrderMessages`` port the trading service renders its notifications with.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from core.domain import OrderSide, OrderStatus, OrderType
from handlers import numbers
from handlers.html import escape
from services.exchange.base import Position
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView


def account_name(account: AccountView) -> str:
    if account.is_paper:
        return "paper"
    sandbox = ", testnet" if account.sandbox else ""
    return f"{escape(account.label)} ({escape(account.exchange_id)}{sandbox})"


def price(view: PriceView) -> str:
    base, _, quote = view.symbol.partition("/")
    return (
        f"<b>{escape(view.symbol)}</b>: {numbers.price(view.price, view.price_step)} "
        f"{escape(quote)}\n"
        f"<i>priced by {escape(view.source)}</i>"
    )


def balance(view: BalanceView) -> str:
    lines = [f"<b>Balance</b> · {account_name(view.account)}"]
    if not view.assets:
        lines.append("No funds.")
    for asset, free, used in view.assets:
        line = f"{escape(asset)}: {numbers.holding(free + used, asset)}"
        if used:
            line += (
                f" ({numbers.holding(free, asset)} free,"
                f" {numbers.holding(used, asset)} in open orders)"
            )
        lines.append(line)
    return "\n".join(lines)


def plan(view: OrderPlan, ttl_s: int) -> str:
    base, _, quote = view.symbol.partition("/")
    if view.type is OrderType.MARKET:
        at = "at market"
    elif view.type is OrderType.STOP:
        at = f"stop at {numbers.price(view.price or Decimal(0))} {escape(quote)}"
    else:
        at = f"limit {numbers.price(view.price or Decimal(0))} {escape(quote)}"
    return (
        f"<b>Confirm live order</b> on {account_name(view.account)}\n"
        f"{view.side.value.upper()} {numbers.amount(view.amount)} {escape(base)} "
        f"({escape(view.symbol)}) {at}\n"
        f"{estimate_label(view.side)} ≈ {numbers.money(view.est_cost, view.quote)}\n"
        f"<i>The buttons work for {ttl_s} s.</i>"
    )


def estimate_label(side: OrderSide) -> str:
    """What the plan's quote sum is: a buy costs it, a sell brings it in."""
    return "Estimated cost" if side is OrderSide.BUY else "Estimated proceeds"


# {lead} is "order #7 on paper: buy 0.1 BTC at 60,000 USDT"; every part of it is escaped.
_STATUS_LINE: Final = {
    OrderStatus.PARTIALLY_FILLED: "◐ {lead} is partly filled ({filled} so far).",
    OrderStatus.OPEN: "⏳ {lead} is open and waits for the price.",
    OrderStatus.CANCELLED: "✖ {lead} was cancelled.{reason}",
    OrderStatus.REJECTED: "⛔ {lead} was rejected.{reason}",
    OrderStatus.NOT_FOUND: (
        "∅ {lead} was never placed: the exchange has no record of it, so nothing was traded."
    ),
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
    amount = f"{numbers.amount(view.amount)} {escape(base)}"
    if view.status is OrderStatus.FILLED:
        return _filled_headline(view, amount, where, quote)
    at = ""
    if view.price is not None:
        kind = "stop at" if view.type is OrderType.STOP else "at"
        at = f" {kind} {numbers.price(view.price)} {escape(quote)}"
    return _STATUS_LINE.get(view.status, _BEING_PLACED).format(
        lead=f"order #{view.id} on {where}: {view.side.value} {amount}{at}",
        filled=f"{numbers.amount(view.filled)} {escape(base)}",
        reason=f" {escape(view.error)}" if view.error else "",
    )


def _filled_headline(view: OrderView, amount: str, where: str, quote: str) -> str:
    verb = "Bought" if view.side is OrderSide.BUY else "Sold"
    text = f"✅ {verb} {amount} on {where}"
    if view.average is not None:
        text += f": filled at {numbers.price(view.average)} {escape(quote)}"
    if view.fee:
        text += f", fee {_fee(view)}"
    if view.priced_by:
        text += f", priced by {escape(view.priced_by)}"
    return f"{text} (order #{view.id})."


def _fee(view: OrderView) -> str:
    """The fee with its asset (the quote when the exchange did not say)."""
    return numbers.money(view.fee, view.fee_asset or _quote_of(view.symbol))


def _quote_of(symbol: str) -> str:
    """The currency a pair is priced in (``BTC/USDT:USDT``, a contract, settles in USDT)."""
    return symbol.partition("/")[2].partition(":")[0]


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
        price_text = f" @ {numbers.price(view.average)}"
    elif view.price is not None:
        kind = "stop " if view.type is OrderType.STOP else ""
        price_text = f" {kind}@ {numbers.price(view.price)}"
    return (
        f"#{view.id} {view.side.value} {numbers.amount(view.amount)} "
        f"{escape(base)}/{escape(quote)}"
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
        line = f"{numbers.moment(view.created_at)} {_order_line(view)}"
        if view.fee:
            line += f" · fee {_fee(view)}"
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
        lines.extend(_position_line(pos) for pos in held)
    return "\n".join(lines)


def _position_line(pos: Position) -> str:
    """``BTC/USDT: 0.5, entry 60,000, now 61,000, P/L +500.00 USDT (+1.67%)``."""
    quote = _quote_of(pos.symbol)
    line = f"{escape(pos.symbol)}: {numbers.amount(pos.amount)}"
    if pos.entry_price is not None:
        line += f", entry {numbers.price(pos.entry_price)}"
    if pos.mark_price is not None:
        line += f", now {numbers.price(pos.mark_price)}"
    if pos.unrealized_pnl is not None:
        cost = pos.entry_price * pos.amount if pos.entry_price is not None else None
        line += f", P/L {numbers.pnl(pos.unrealized_pnl, quote, cost)}"
    return line


def pin_prompt(message: str) -> str:
    return f"{escape(message)}\n<i>I delete your PIN message as soon as I read it.</i>"
