"""Pure rendering of trading views to Telegram HTML; every exchange/user string is escaped.

``OrderHtml`` is the ``OrderMessages`` port the trading service renders its notifications with.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from core.domain import MarketType, OrderSide, OrderStatus, OrderType, Side
from handlers import numbers
from handlers.html import escape
from services.exchange.base import Position
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView

PAPER_PERPS: Final = "paper perps"


def account_name(account: AccountView) -> str:
    if account.is_paper:
        return PAPER_PERPS if account.market_type is MarketType.PERP else "paper"
    sandbox = ", testnet" if account.sandbox else ""
    return f"{escape(account.label)} ({escape(account.exchange_id)}{sandbox})"


def price(view: PriceView) -> str:
    quote = _quote_of(view.symbol)
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
    base = view.symbol.partition("/")[0]
    quote = _quote_of(view.symbol)
    if view.type is OrderType.MARKET:
        at = "at market"
    elif view.type is OrderType.STOP:
        at = f"stop at {numbers.price(view.price or Decimal(0))} {escape(quote)}"
    else:
        at = f"limit {numbers.price(view.price or Decimal(0))} {escape(quote)}"
    lines = [
        f"<b>Confirm live order</b> on {account_name(view.account)}",
        f"{view.side.value.upper()} {numbers.amount(view.amount)} {escape(base)} "
        f"({escape(view.symbol)}) {at}",
    ]
    if view.leverage is not None:
        lines += perp_terms(view)
    else:
        lines.append(f"{estimate_label(view.side)} ≈ {numbers.money(view.est_cost, view.quote)}")
    lines.append(f"<i>The buttons work for {ttl_s} s.</i>")
    return "\n".join(lines)


def perp_terms(view: OrderPlan) -> list[str]:
    """A perp plan's lines: side and leverage, margin, notional, estimated liquidation, and
    the opposite position it closes first (one-way mode)."""
    side = Side.LONG if view.side is OrderSide.BUY else Side.SHORT
    lines = [
        f"{side.value.capitalize()} at {view.leverage}x: margin "
        f"{numbers.money(view.margin or Decimal(0), view.quote)} × {view.leverage} = "
        f"notional ≈ {numbers.money(view.est_cost, view.quote)}"
    ]
    if view.reduces:
        held = Side.SHORT if side is Side.LONG else Side.LONG
        lines.append(
            f"It first closes {numbers.amount(view.reduces)} of your open {held.value} "
            "(one-way mode)."
        )
    if view.liquidation_price is not None:
        lines.append(
            f"Liquidation ≈ {numbers.price(view.liquidation_price)} "
            f"{escape(_quote_of(view.symbol))} (isolated margin)"
        )
    return lines


def perp_order_result(order: OrderView, plan: OrderPlan) -> str:
    """What a perp order did, then the terms it was placed on (paper perps have no card); when
    the exchange kept another leverage, the plan's terms do not hold: /positions has the real."""
    if order.leverage_asked is not None:
        return f"{order_result(order)} /positions shows the position as it is."
    return "\n".join([order_result(order), *perp_terms(plan)])


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
    base, quote = view.symbol.partition("/")[0], _quote_of(view.symbol)
    where = _where(view)
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
    ) + _kept_leverage(view)


def _where(view: OrderView) -> str:
    """``paper``, ``paper perps`` at ``10x``, or the live account's (escaped) label."""
    where = escape(view.account_label)
    if view.is_paper:
        where = PAPER_PERPS if ":" in view.symbol else "paper"
    return f"{where} at {view.leverage}x" if view.leverage is not None else where


def _kept_leverage(view: OrderView) -> str:
    if view.leverage_asked is None:
        return ""
    return (
        f" The exchange kept {view.leverage}x instead of the {view.leverage_asked}x you asked "
        "for, as a position is open in this market."
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
    return f"{text} (order #{view.id}).{_kept_leverage(view)}"


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
    base, quote = view.symbol.partition("/")[0], _quote_of(view.symbol)
    where = _where(view)
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
    if pos.side is not None or pos.leverage is not None:
        return _perp_position_line(pos)
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


def _perp_position_line(pos: Position) -> str:
    """``BTC/USDT:USDT long 0.5 BTC at 10x: entry 60,000, mark 61,000, liquidation 54,300,
    margin 3,000.00 USDT, P/L +500.00 USDT (+16.67%)`` (the percent is of the margin)."""
    quote = _quote_of(pos.symbol)
    side = pos.side or (Side.LONG if pos.amount > 0 else Side.SHORT)
    line = (
        f"{escape(pos.symbol)} <b>{side.value}</b> {numbers.amount(abs(pos.amount))} "
        f"{escape(pos.symbol.partition('/')[0])}"
    )
    if pos.leverage is not None:
        line += f" at {pos.leverage}x"
    parts = [
        ("entry", pos.entry_price),
        ("mark", pos.mark_price),
        ("liquidation", pos.liquidation_price),
    ]
    shown = [f"{name} {numbers.price(value)}" for name, value in parts if value is not None]
    if pos.margin is not None:
        shown.append(f"margin {numbers.money(pos.margin, quote)}")
    if pos.unrealized_pnl is not None:
        shown.append(f"P/L {numbers.pnl(pos.unrealized_pnl, quote, pos.margin)}")
    return f"{line}: {', '.join(shown)}" if shown else line


def pin_prompt(message: str) -> str:
    return f"{escape(message)}\n<i>I delete your PIN message as soon as I read it.</i>"
