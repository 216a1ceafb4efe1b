"""Pure rendering for accounts, the PIN and plain-language commands (HTML, escaped)."""

from __future__ import annotations

from decimal import Decimal

from handlers.html import escape
from services.intents import IntentAction
from services.plain_language import CommandOutcome, CommandPlan
from services.trading_dto import AccountView, OrderView

SAFE_KEYS = (
    "Before you create the key, set it up safely:\n"
    "1. Permission: <b>trading only</b> (spot).\n"
    "2. <b>Withdrawals off</b>: I refuse keys that can withdraw.\n"
    "3. <b>IP whitelist</b> on where the exchange offers it."
)


def num(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = format(value.normalize(), "f")
    return text


def exchange_prompt() -> str:
    return "Which exchange? Type part of its name (for example <code>bin</code>), or /cancel."


def exchange_matches(query: str, count: int) -> str:
    if count == 0:
        return f"No offered exchange matches {escape(query[:32])!s}. Type another part of a name."
    return "Pick your exchange:"


def network_prompt(exchange_id: str) -> str:
    return f"{escape(exchange_id)} has a testnet. Connect the live exchange or the testnet?"


def key_prompt(exchange_id: str, sandbox: bool) -> str:
    where = f"{escape(exchange_id)}{' testnet' if sandbox else ''}"
    return (
        f"{SAFE_KEYS}\n\nNow send the <b>API key</b> for {where}. "
        "I delete every message holding a key as soon as I read it."
    )


def secret_prompt() -> str:
    return "Got it (message deleted). Now send the <b>API secret</b>."


def passphrase_prompt() -> str:
    return "Got it (message deleted). This exchange also needs the key's <b>passphrase</b>."


def delete_failed() -> str:
    return (
        "I could not delete your message holding a key: please delete it yourself now, "
        "and consider creating a new key."
    )


def connected(account: AccountView) -> str:
    net = " (testnet)" if account.sandbox else ""
    return (
        f"Connected <b>{escape(account.label)}</b>{net}, key {escape(account.key_hint or '')}. "
        "Keys are stored encrypted. /accounts lists your accounts."
    )


def account_kind(account: AccountView) -> str:
    if account.is_paper:
        return "paper"
    return "testnet" if account.sandbox else "live"


def accounts(items: list[AccountView]) -> str:
    if not items:
        return "No accounts yet. /connect adds an exchange account."
    lines = ["<b>Your accounts</b>"]
    for a in items:
        hint = f", key {escape(a.key_hint)}" if a.key_hint else ""
        if a.is_paper:
            lines.append(f"• <b>{escape(a.label)}</b>: paper trading, simulated fills")
        else:
            lines.append(
                f"• <b>{escape(a.label)}</b>: {escape(a.exchange_id)}, {account_kind(a)}{hint}"
            )
    lines.append("/connect adds one; /disconnect &lt;label&gt; removes one.")
    return "\n".join(lines)


def disconnect_question(account: AccountView) -> str:
    return (
        f"Disconnect <b>{escape(account.label)}</b> ({escape(account.exchange_id)}, "
        f"{account_kind(account)})? Its keys will be deleted."
    )


def disconnected(account: AccountView) -> str:
    return f"Disconnected {escape(account.label)}; its keys are deleted."


def pin_prompt_new() -> str:
    return (
        "Send your new trading PIN: 4 to 12 digits. I delete the message at once. "
        "Live orders will ask for it."
    )


def pin_prompt_current(purpose: str) -> str:
    return f"Send your current PIN to {escape(purpose)} it (the message is deleted at once)."


def plan(p: CommandPlan) -> str:
    intent = p.intent
    via = " (read by the AI model; check it)" if p.parser == "ai" else ""
    if p.order is not None:
        o = p.order
        price = f"at {num(o.price)}" if o.price is not None else "at market"
        kind = "paper" if o.account.is_paper else ("testnet" if o.account.sandbox else "LIVE")
        return (
            f"<b>Plan{via}</b>: {o.side.value} {num(o.amount)} {escape(o.symbol)} {price}\n"
            f"Account: {escape(o.account.label)} ({kind})\n"
            f"Estimated cost: ~{num(o.est_cost)} {escape(o.quote)}\n"
            "Confirm to place it."
        )
    symbol = escape(p.symbol) if p.symbol else ""
    questions = {
        IntentAction.BALANCE: "Show your balance?",
        IntentAction.PRICE: f"Show the price of {symbol}?",
        IntentAction.ORDERS: f"Show your open orders{' on ' + symbol if symbol else ''}?",
        IntentAction.CANCEL_ALL: (
            f"Cancel all your open orders{' on ' + symbol if symbol else ''}?"
        ),
    }
    return f"<b>Plan{via}</b>: {questions.get(intent.action, 'Do it?')}"


def order_line(o: OrderView) -> str:
    price = num(o.average or o.price) if (o.average or o.price) else "market"
    return (
        f"#{o.id} {o.side.value} {num(o.amount)} {escape(o.symbol)} @ {price}: "
        f"{o.status.value} ({escape(o.account_label)})"
    )


def outcome(result: CommandOutcome) -> str:
    if result.order is not None:
        return "Done. " + order_line(result.order)
    if result.balance is not None:
        b = result.balance
        lines = [f"<b>Balance of {escape(b.account.label)}</b> ({account_kind(b.account)})"]
        lines += [f"{escape(a)}: {num(f)} free, {num(u)} in orders" for a, f, u in b.assets]
        if not b.assets:
            lines.append("Nothing held.")
        return "\n".join(lines)
    if result.price is not None:
        pr = result.price
        return f"{escape(pr.symbol)}: {num(pr.price)} ({escape(pr.source)})"
    if result.action is IntentAction.CANCEL_ALL:
        if not result.orders:
            return "There were no open orders to cancel."
        return "Cancelled:\n" + "\n".join(order_line(o) for o in result.orders)
    if not result.orders:
        return "No open orders."
    return "<b>Open orders</b>\n" + "\n".join(order_line(o) for o in result.orders)


def cancelled() -> str:
    return "Cancelled; nothing was done."
