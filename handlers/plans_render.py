"""Trade plans as HTML: each step told to the follower (``PlanHtml``, the service's
``PlanMessages`` port), the confirm card and its buttons, refusals, /plans and /panic.

Pure functions of the views. Prices, amounts and money go through ``handlers.numbers``; every
symbol, source name, reason and note is escaped. A ``details`` value may be missing or of an
unexpected type (it comes from the engine's ``Notify``): it is then left out, never rendered as
``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, Literal

from core.domain import MarketType, Side
from handlers import numbers
from handlers.html import escape
from services.signal_dto import SignalView
from services.trade_plans.dto import PlanView, Refusal

Rows = list[list[dict[str, Any]]]

# The plan card's buttons: ``plan:<choice>:<token>`` (x execute, p paper, i ignore).
PLAN_PREFIX: Final = "plan"
PlanChoice = Literal["execute", "paper", "ignore"]  # TradePlanService.decide's choices
CHOICES: Final[dict[str, PlanChoice]] = {"x": "execute", "p": "paper", "i": "ignore"}
# why a stop moved (``legs.move_stop``'s reasons)
STOP_MOVES: Final = {
    "breakeven": "breakeven",
    "trailing": "trailing",
    "channel": "the channel moved it",
}
REASONS: Final = {
    "stop": "the stop was hit",
    "tp": "the last take-profit was hit",
    "channel": "the channel closed it",
    "panic": "you pressed /panic",
    "manual": "you closed it",
    "late_fill": "an entry filled after the plan ended",
    "expired": "its entries were not filled in time",
    "liquidation": "the position was liquidated",
}


def _dec(details: Mapping[str, object], key: str) -> Decimal | None:
    value = details.get(key)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return None


def _text(details: Mapping[str, object], key: str) -> str | None:
    value = details.get(key)
    return None if value is None else str(value)


def _reason(details: Mapping[str, object]) -> str:
    raw = _text(details, "reason") or ""
    return REASONS.get(raw, raw.replace("_", " "))


def r_multiple(value: Decimal | None) -> str:
    """``+1.50 R``; ``n/a`` when the plan had no stop to measure against."""
    if value is None or not value.is_finite():
        return "n/a"
    shown = value.quantize(Decimal("0.01"))
    return f"{'+' if shown > 0 else ''}{shown} R"


def headline(plan: PlanView) -> str:
    """``Plan #7 · LONG BTC/USDT:USDT 10x · paper-perp · from @alpha``."""
    side = "LONG" if plan.side is Side.LONG else "SHORT"
    leverage = f" {plan.leverage}x" if plan.market_type is MarketType.PERP else ""
    source = f" · from {escape(plan.source_name)}" if plan.source_name else ""
    return (
        f"<b>Plan #{plan.id}</b> · {side} {escape(plan.symbol)}{leverage} · "
        f"{escape(plan.account_label)}{source}"
    )


def _position(plan: PlanView, details: Mapping[str, object]) -> list[str]:
    """Held amount, average entry and realised P/L, when the event carries them."""
    lines = []
    held, avg = _dec(details, "held"), _dec(details, "avg_entry")
    if held is not None and held > 0:
        entry = f" at {numbers.price(avg)}" if avg is not None else ""
        lines.append(f"Held: {numbers.amount(held)} {escape(plan.base)}{entry}")
    pnl = _dec(details, "pnl")
    if pnl is not None and pnl:
        lines.append(f"Realised so far: {numbers.pnl(pnl, plan.quote)}")
    return lines


def _at(d: Mapping[str, object]) -> str:
    price = _dec(d, "price")
    return f" at {numbers.price(price)}" if price is not None else ""


def _size(plan: PlanView, d: Mapping[str, object], missing: str) -> str:
    amount = _dec(d, "amount")
    return f"{numbers.amount(amount)} {escape(plan.base)}" if amount is not None else missing


def _placed(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    return ["Orders placed: the plan is working.", *plan_levels(plan)]


def _entry_filled(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    return [f"Entry filled: {_size(plan, d, 'an entry')}{_at(d)}.", *_position(plan, d)]


def _tp_hit(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    return [f"TP{escape(_text(d, 'target') or '?')} hit{_at(d)}.", *_position(plan, d)]


def _stop_moved(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    old, new = _dec(d, "old"), _dec(d, "new")
    was = f" from {numbers.price(old)}" if old is not None else ""
    to = numbers.price(new) if new is not None else "?"
    why = (
        f" ({escape(STOP_MOVES.get(str(d.get('reason')), _reason(d)))})" if d.get("reason") else ""
    )
    return [f"Stop moved{was} to {to}{why}."]


def _closed(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    lines = [
        f"Closed: {escape(_reason(d))}.",
        f"Realised P/L: {numbers.pnl(plan.realized_pnl, plan.quote)}",
        f"In R: {r_multiple(plan.realized_r)}",
    ]
    fees = _dec(d, "fees")
    if fees is not None and fees:
        lines.append(f"Fees: {numbers.money(fees, plan.quote)}")
    return lines


def _liquidated(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    pnl = numbers.pnl(plan.realized_pnl, plan.quote)
    return [
        f"Liquidated: {_size(plan, d, 'the position')}{_at(d)}.",
        f"Realised P/L: {pnl} ({r_multiple(plan.realized_r)})",
    ]


def _ended(word: str) -> Any:
    def lines(plan: PlanView, d: Mapping[str, object]) -> list[str]:
        note = _text(d, "note")
        extra = [escape(note)] if note else []
        return [f"{word}: {escape(_reason(d))}.", *extra, *_position(plan, d)]

    return lines


def _rejected(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    leg = _text(d, "leg")
    which = f" ({escape(leg)})" if leg else ""
    return [f"The exchange refused an order{which}: {escape(_reason(d))}."]


def _targets_changed(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    return [f"Targets changed by the channel: {_prices(d.get('old'))} → {_prices(d.get('new'))}."]


def _not_applied(plan: PlanView, d: Mapping[str, object]) -> list[str]:
    return [f"A channel update was not applied: {escape(_reason(d))}."]


EVENTS: Final[dict[str, Any]] = {
    "placed": _placed,
    "entry_filled": _entry_filled,
    "tp_hit": _tp_hit,
    "stop_moved": _stop_moved,
    "closed": _closed,
    "liquidated": _liquidated,
    "expired": _ended("Expired"),
    "cancelled": _ended("Cancelled"),
    "rejected": _rejected,
    "targets_changed": _targets_changed,
    "not_applied": _not_applied,
}


def _prices(values: object) -> str:
    if not isinstance(values, list | tuple) or not values:
        return "none"
    return ", ".join(numbers.price(v) for v in values if isinstance(v, Decimal)) or "none"


def plan_event(plan: PlanView, kind: str, details: Mapping[str, object]) -> str:
    render = EVENTS.get(kind)
    lines = render(plan, details) if render else [escape(kind.replace("_", " ").capitalize())]
    return "\n".join([headline(plan), *lines])


def plan_levels(plan: PlanView) -> list[str]:
    """Entry zone, targets with their share, stop and size."""
    lines = []
    if plan.entry_low is not None:
        high = plan.entry_high if plan.entry_high is not None else plan.entry_low
        zone = numbers.price(plan.entry_low)
        if high != plan.entry_low:
            zone += f" – {numbers.price(high)}"
        lines.append(f"Entry: {zone}")
    else:
        lines.append("Entry: at the market")
    for index, target in enumerate(plan.targets, start=1):
        weight = plan.tp_weights[index - 1] if index - 1 < len(plan.tp_weights) else None
        share = f" ({(weight * 100).quantize(Decimal(1))}%)" if weight is not None else ""
        lines.append(f"TP{index}: {numbers.price(target)}{share}")
    stop = numbers.price(plan.stop_price) if plan.stop_price is not None else "none"
    lines.append(f"Stop: {stop}")
    lines.append(f"Size: {numbers.amount(plan.quantity)} {escape(plan.base)}")
    return lines


def plan_card(plan: PlanView, signal: SignalView) -> str:
    source = escape(signal.source_name) if signal.source_name else "a channel"
    lines = [
        f"New signal #{signal.id} from {source}: your plan, waiting for you.",
        headline(plan),
        *plan_levels(plan),
    ]
    lines += [f"<i>{escape(note)}</i>" for note in plan.notes]
    if plan.expires_at is not None:
        lines.append(
            f"Valid until {numbers.moment(plan.expires_at)} "
            "or until the price moves past the entry."
        )
    return "\n".join(lines)


def plan_buttons(token: str, *, live: bool) -> Rows:
    def button(text: str, code: str) -> dict[str, Any]:
        return {"text": text, "callback_data": f"{PLAN_PREFIX}:{code}:{token}"}

    execute = "Execute (live)" if live else "Execute"
    return [[button(execute, "x"), button("Paper", "p"), button("Ignore", "i")]]


def plan_refused(signal: SignalView, refusal: Refusal) -> str:
    pair = escape(signal.pair or "?")
    side = f" {signal.side.value}" if signal.side is not None else ""
    return f"Signal #{signal.id} ({pair}{side}) was not traded for you: {escape(refusal.message)}"


class PlanHtml:
    """``services.trade_plans.ports.PlanMessages`` in Telegram HTML."""

    def plan_event(self, plan: PlanView, kind: str, details: Mapping[str, object]) -> str:
        return plan_event(plan, kind, details)

    def plan_card(self, plan: PlanView, signal: SignalView) -> str:
        return plan_card(plan, signal)

    def plan_buttons(self, token: str, *, live: bool) -> Rows:
        return plan_buttons(token, live=live)

    def plan_refused(self, signal: SignalView, refusal: Refusal) -> str:
        return plan_refused(signal, refusal)


# -- /plans and /panic ---------------------------------------------------------------------------


def _summary(plan: PlanView) -> str:
    side = "LONG" if plan.side is Side.LONG else "SHORT"
    held = f" · held {numbers.amount(plan.held)}" if plan.held > 0 else ""
    entry = f" @ {numbers.price(plan.avg_entry)}" if plan.avg_entry is not None else ""
    return f"#{plan.id} {side} {escape(plan.symbol)} · {escape(plan.status.value)}{held}{entry}"


def plans_list(open_plans: list[PlanView], closed: list[PlanView]) -> str:
    if not open_plans and not closed:
        return "No plans yet: follow a source in confirm or auto mode (/follow) to get some."
    lines = ["<b>Open plans</b>" if open_plans else "No open plans."]
    lines += [_summary(plan) for plan in open_plans]
    if closed:
        lines.append("\n" + closed_plans(closed))
    return "\n".join(lines)


def closed_plans(closed: list[PlanView]) -> str:
    """The last closed plans with their realised P/L in quote and in R (/plans, /history)."""
    lines = ["<b>Last closed plans</b>"]
    for plan in closed:
        lines.append(
            f"#{plan.id} {escape(plan.symbol)} · {escape(plan.status.value)} · "
            f"{numbers.pnl(plan.realized_pnl, plan.quote)} · {r_multiple(plan.realized_r)}"
        )
    return "\n".join(lines)


def panic_preview(plans: list[PlanView]) -> str:
    if not plans:
        return "You have no open plan: nothing to close."
    lines = ["<b>Close every open plan at market?</b>", *(_summary(plan) for plan in plans)]
    lines.append("Working orders are cancelled and what is held is sold (or bought back) at once.")
    return "\n".join(lines)


def panic_done(plans: list[PlanView]) -> str:
    if not plans:
        return "Nothing was open: nothing closed."
    lines = [f"<b>Closing {len(plans)} plan{'s' if len(plans) != 1 else ''} at market</b>"]
    lines += [_summary(plan) for plan in plans]
    lines.append("Each close is confirmed in its own message.")
    return "\n".join(lines)


def decided(plan: PlanView | None, choice: str) -> str:
    if plan is None or choice == "ignore":
        return "Ignored: nothing was placed."
    where = "on paper" if choice == "paper" else f"on {escape(plan.account_label)}"
    return f"Placed {where}.\n{headline(plan)}"
