"""Pure rendering for accounts, the PIN and plain-language commands (HTML, escaped)."""

from __future__ import annotations

from handlers import numbers, trading_render
from handlers.commands import CommandSpec
from handlers.html import escape
from services import accounts as accounts_service
from services.intents import IntentAction
from services.plain_language_dto import CommandOutcome, CommandPlan
from services.trading_dto import AccountView

SAFE_KEYS = (
    "Before you create the key, set it up safely:\n"
    "1. Permission: <b>trading only</b> (spot).\n"
    "2. <b>Withdrawals off</b>: I refuse keys that can withdraw.\n"
    "3. <b>IP whitelist</b> on where the exchange offers it."
)


def exchange_prompt() -> str:
    return "Which exchange? Type part of its name (for example <code>bin</code>), or /cancel."


def exchange_matches(query: str, count: int) -> str:
    if count == 0:
        return f"No offered exchange matches {escape(query[:32])!s}. Type another part of a name."
    return "Pick your exchange:"


def network_prompt(exchange_id: str) -> str:
    return f"{escape(exchange_id)} has a testnet. Connect the live exchange or the testnet?"


def unchecked_refused(exchange_id: str) -> str:
    return escape(accounts_service.unchecked_refused(exchange_id))


def unchecked_warning(exchange_id: str) -> str:
    name = escape(exchange_id)
    return (
        f"<b>I cannot check this key.</b> {name} does not tell whether an API key may "
        "withdraw funds, so I cannot refuse one that may, as I do on other exchanges. A leaked "
        "key that may withdraw could empty the account.\n\n"
        f"Create the {name} key with <b>trading only: withdrawals off</b>, bound to the bot "
        "server's IP address. Is your key like that?"
    )


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


def connect_retry(exchange_id: str) -> str:
    return (
        f"{escape(exchange_id)} did not answer while I was checking your keys, so nothing was "
        "stored yet. I kept the keys (encrypted) with this form: you need not send them again. "
        "Press <b>Try again</b> when you like, or <b>Cancel</b> to forget them."
    )


def connect_checking(exchange_id: str) -> str:
    return f"Checking your keys with {escape(exchange_id)} again…"


def connect_waiting() -> str:
    return (
        "I still have your keys for this form: press <b>Try again</b> under my last message, "
        "or /cancel to forget them."
    )


def connect_cancelled() -> str:
    return "Cancelled; your keys are forgotten and nothing was stored."


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
    """The question behind Confirm/Cancel: the order, or what will be cancelled."""
    intent = p.intent
    via = " (read by the AI model; check it)" if p.parser == "ai" else ""
    if p.order is not None:
        o = p.order
        price = f"at {numbers.price(o.price)}" if o.price is not None else "at market"
        kind = "paper" if o.account.is_paper else ("testnet" if o.account.sandbox else "LIVE")
        terms = (
            "\n".join(trading_render.perp_terms(o))
            if o.leverage is not None
            else f"{trading_render.estimate_label(o.side)}: ~{numbers.money(o.est_cost, o.quote)}"
        )
        return (
            f"<b>Plan{via}</b>: {o.side.value} {numbers.amount(o.amount)} {escape(o.symbol)} "
            f"{price}\nAccount: {escape(o.account.label)} ({kind})\n{terms}\n"
            "Confirm to place it."
        )
    if p.target is not None:
        return (
            f"<b>Plan{via}</b>: Cancel order #{p.target.id}?\n"
            f"{trading_render.order_headline(p.target)}"
        )
    on = f" on {escape(p.symbol)}" if p.symbol else ""
    if intent.action is IntentAction.CANCEL_ALL:
        return f"<b>Plan{via}</b>: Cancel all your open orders{on}?"
    return f"<b>Plan{via}</b>: {escape(intent.action.value)}{on}?"  # only the above are planned


def outcome(result: CommandOutcome) -> str:
    """What a command did or shows, as the slash command for it would say it."""
    if result.order is not None:
        return trading_render.order_result(result.order)
    if result.balance is not None:
        return trading_render.balance(result.balance)
    if result.price is not None:
        return trading_render.price(result.price)
    if result.action is IntentAction.POSITIONS:
        return trading_render.positions(result.positions)
    if result.action is IntentAction.HISTORY:
        return trading_render.history(result.orders)
    if result.action is IntentAction.CANCEL_ALL:
        return trading_render.cancelled(result.orders)
    return trading_render.open_orders(result.orders)


def not_understood(suggestion: CommandSpec | None) -> str:
    """A friendly "did you mean": the closest command with its usage, and /help."""
    if suggestion is None:
        return (
            "I did not understand that. Send /help for the commands, or write what you want, "
            "for example: <i>my balance</i>, <i>price of btc</i>, <i>buy 0.01 btc</i>."
        )
    usage = f"/{escape(suggestion.name)}"
    if suggestion.args:
        usage += f" {escape(suggestion.args)}"
    return (
        f"I did not understand that. Did you mean <code>{usage}</code> "
        f"({escape(suggestion.description)})? <code>/help {escape(suggestion.name)}</code> "
        "shows how to use it, /help lists all commands."
    )


def cancelled() -> str:
    return "Cancelled; nothing was done."
