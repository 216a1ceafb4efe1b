"""Plain-language commands ("buy 0.1 btc at market", "what is my balance"): parse, then answer
at once, or plan -> (Confirm) -> outcome; each step recorded in the ``ai_commands`` table.

``handle`` answers a read-only command (balance, price, open orders, positions, history) at once
with the data the matching slash command shows: it changes nothing, so there is nothing to
confirm. Whatever changes something runs only behind the button: an order becomes an
``OrderPlan`` from the trading service (its token is kept with the command); "cancel order 3"
and "cancel all" become plans that name what they will cancel. Confirm and Cancel move the
command row with a compare-and-set on its status, so a second press (or a press racing the
first) does nothing; the trading token underneath is single-use as well. Text that is not
understood is recorded and handed back as ``NotUnderstood``, for the reply to suggest a
command. Every command is recorded with its parser ("grammar" | "ai") and outcome; the values
handed back live in ``services.plain_language_dto``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Protocol

import structlog

from core.clock import Clock, utc_now
from core.db.repositories.ai_commands import AICommandRepository
from core.db.session import Database
from core.domain import OrderSide
from core.errors import AppError, Conflict, Forbidden, NotFound, UserError
from core.permissions import role_allows
from services.dto import UserView
from services.exchange.base import Position
from services.intents import NOT_UNDERSTOOD, AIIntentParser, Intent, IntentAction, parse_intent
from services.intents.doubts import doubt_question
from services.numbers import AmbiguousNumber
from services.plain_language_dto import (
    CommandOutcome,
    CommandPlan,
    Holdings,
    NotUnderstood,
    Reply,
)
from services.trading import PinRequired
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView

log = structlog.get_logger(__name__)

MAX_STORED_TEXT: Final = 1000
PLANNED, CONFIRMED, CANCELLED, FAILED, NOT_UNDERSTOOD_STATUS, ANSWERED = (
    "planned",
    "confirmed",
    "cancelled",
    "failed",
    "not_understood",
    "answered",  # read-only: shown at once, never planned
)


class PlainLanguageTrading(Protocol):
    """What plain-language commands need of ``TradingService``."""

    async def resolve_symbol(self, text: str, account: AccountView | None = None) -> str: ...

    async def price(self, user: UserView, symbol_text: str) -> PriceView: ...

    async def balance(self, user: UserView, account_label: str | None = None) -> BalanceView: ...

    async def positions(self, user: UserView) -> list[tuple[AccountView, list[Position]]]: ...

    async def history(self, user: UserView, limit: int = 20) -> list[OrderView]: ...

    async def prepare_order(
        self,
        user: UserView,
        *,
        symbol: str,
        side: OrderSide,
        amount: Decimal | None,
        amount_in_quote: bool = False,
        price: Decimal | None = None,
        account_label: str | None = None,
        signal_id: int | None = None,
        share: Decimal | None = None,
        perp: bool = False,
        leverage: int | None = None,
    ) -> OrderPlan: ...

    async def confirm(self, user: UserView, token: str, pin: str | None = None) -> OrderView: ...

    async def cancel_plan(self, user: UserView, token: str) -> None: ...

    async def open_orders(self, user: UserView, symbol: str | None = None) -> list[OrderView]: ...

    async def cancel_order(self, user: UserView, order_id: int) -> OrderView: ...

    async def cancel_all(self, user: UserView, symbol: str | None = None) -> list[OrderView]: ...


class PinCheck(Protocol):
    """What plain-language commands need of the account service: the trading PIN."""

    async def has_pin(self, user: UserView) -> bool: ...

    async def verify_pin(self, user: UserView, pin: str) -> None: ...


class PlainLanguageService:
    """Turns a trader's sentence into a confirmed action; see the module docstring."""

    def __init__(
        self,
        db: Database,
        trading: PlainLanguageTrading,
        *,
        pins: PinCheck,
        ai: AIIntentParser | None = None,
        ttl_s: int = 120,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._trading = trading
        self._pins = pins
        self._ai = ai
        self._ttl = timedelta(seconds=ttl_s)
        self._clock = clock

    async def handle(self, user: UserView, text: str) -> Reply:
        """Understand ``text``: a read-only command is answered at once (``CommandOutcome``),
        one that changes something is planned (``CommandPlan``), the rest is ``NotUnderstood``.
        Raises ``UserError`` (after recording the command) when it cannot be answered or
        planned (not allowed, unknown pair, nothing to sell, no such open order...), and
        ``AmbiguousNumber`` asking back when an order's number reads two ways (``buy 1,000
        btc``): nothing is planned."""
        intent, parser = await self._understand(text)
        if intent.action is IntentAction.UNKNOWN:
            command_id = await self._record(
                user, text, None, parser, NOT_UNDERSTOOD_STATUS, NOT_UNDERSTOOD
            )
            return NotUnderstood(command_id, text)
        question = doubt_question(intent, text)  # "buy 1,000 btc": a thousand, or one?
        if question is not None:
            await self._record(user, text, intent.to_json(), parser, FAILED, question)
            raise AmbiguousNumber(question)
        try:
            self._check_role(user, intent)
            symbol = await self._resolve(intent)
            if intent.action.is_read_only:
                return await self._answer(user, text, intent, parser, symbol)
            order, target = await self._prepare(user, intent, symbol)
        except AppError as exc:
            await self._record(user, text, intent.to_json(), parser, FAILED, exc.user_message)
            raise
        return await self._plan(user, text, intent, parser, symbol, order, target)

    async def _answer(
        self, user: UserView, text: str, intent: Intent, parser: str, symbol: str | None
    ) -> CommandOutcome:
        """Show what a read-only command asks for, then record it as answered."""
        shown = await self._read(user, intent, symbol)
        command_id = await self._record(
            user, text, intent.to_json(), parser, ANSWERED, shown.summary
        )
        log.info("plain_language_command_answered", command_id=command_id)
        return replace(shown, command_id=command_id)

    async def _plan(
        self,
        user: UserView,
        text: str,
        intent: Intent,
        parser: str,
        symbol: str | None,
        order: OrderPlan | None,
        target: OrderView | None,
    ) -> CommandPlan:
        plan_data: dict[str, Any] = {"symbol": symbol}
        if order is not None:
            plan_data.update(
                token=order.token,
                is_paper=order.account.is_paper,
                account=order.account.label,
                amount=str(order.amount),
            )
        command_id = await self._record(
            user, text, {**intent.to_json(), "plan": plan_data}, parser, PLANNED, None
        )
        log.info(
            "plain_language_command_planned", command_id=command_id, action=intent.action.value
        )
        return CommandPlan(
            command_id=command_id,
            intent=intent,
            parser=parser,
            symbol=symbol,
            order=order,
            expires_at=order.expires_at if order else self._clock() + self._ttl,
            target=target,
        )

    async def confirm(
        self, user: UserView, command_id: int, pin: str | None = None
    ) -> CommandOutcome:
        """Run a planned command once. Raises ``PinRequired`` for a live order of a user with
        a PIN when ``pin`` is None, ``UserError`` for a wrong PIN (the plan stays), ``Conflict``
        when it was already confirmed/cancelled or expired, ``NotFound`` for another's command.
        """
        intent, plan = await self._load_planned(user, command_id)
        token = plan.get("token")
        self._check_role(user, intent)  # the role may have changed since the plan
        live = token is not None and not plan.get("is_paper", True)
        if live and await self._pins.has_pin(user):  # the DB, not the cached view
            if pin is None:
                raise PinRequired()
            await self._pins.verify_pin(user, pin)  # a wrong PIN leaves the plan planned
        async with self._db.transaction() as session:
            if not await AICommandRepository(session).transition(command_id, PLANNED, CONFIRMED):
                raise Conflict("This command was already handled.")
        try:
            outcome = await self._run(user, command_id, intent, plan, pin)
        except AppError as exc:
            await self._finish(command_id, FAILED, exc.user_message)
            raise
        await self._finish(command_id, CONFIRMED, outcome.summary)
        log.info("plain_language_command_confirmed", command_id=command_id)
        return outcome

    async def cancel(self, user: UserView, command_id: int) -> None:
        """Drop a planned command (and its order plan); ``Conflict`` when already handled."""
        _intent, plan = await self._load_planned(user, command_id, allow_expired=True)
        async with self._db.transaction() as session:
            if not await AICommandRepository(session).transition(
                command_id, PLANNED, CANCELLED, outcome="cancelled by the user"
            ):
                raise Conflict("This command was already handled.")
        token = plan.get("token")
        if token is not None:
            try:
                await self._trading.cancel_plan(user, token)
            except UserError as exc:  # expired or gone already: nothing will run either way
                log.info("plain_language_plan_cancel_noop", reason=type(exc).__name__)

    # -- steps ------------------------------------------------------------------------------

    async def _understand(self, text: str) -> tuple[Intent, str]:
        """The grammar's reading, else the model's (when one is set up and its coin exists)."""
        intent = parse_intent(text)
        if intent.action is IntentAction.UNKNOWN and self._ai is not None:
            ai_intent = await self._ai.ask(text)
            if ai_intent is not None and await self._symbol_resolves(ai_intent):
                return ai_intent, "ai"
        return intent, "grammar"

    async def _symbol_resolves(self, intent: Intent) -> bool:
        if intent.symbol is None:
            return True
        try:
            await self._trading.resolve_symbol(intent.symbol)
        except UserError:
            log.info("ai_intent_rejected", reason="symbol does not resolve")
            return False
        return True

    @staticmethod
    def _check_role(user: UserView, intent: Intent) -> None:
        needed = "market.read" if intent.action is IntentAction.PRICE else "trade"
        if not role_allows(user.role, needed):
            raise Forbidden("Only traders can do that; ask an admin for the trader role.")

    async def _resolve(self, intent: Intent) -> str | None:
        if intent.symbol is None:
            return None
        return await self._trading.resolve_symbol(intent.symbol)

    async def _prepare(
        self, user: UserView, intent: Intent, symbol: str | None
    ) -> tuple[OrderPlan | None, OrderView | None]:
        """The order plan of a buy/sell, or the open order a cancel names (``NotFound``)."""
        if intent.action is IntentAction.CANCEL:
            assert intent.order_id is not None  # the grammar reads a cancel only with an id
            target = next(
                (o for o in await self._trading.open_orders(user) if o.id == intent.order_id),
                None,
            )
            if target is None:
                raise NotFound(f"You have no open order #{intent.order_id}; /orders lists them.")
            return None, target
        if not intent.action.is_order:
            return None, None
        assert symbol is not None  # the grammar and the AI validation both demand one
        side = OrderSide.BUY if intent.action is IntentAction.BUY else OrderSide.SELL
        # "half", "all": a share of the free balance, sized by the trading service as /sell 50%
        order = await self._trading.prepare_order(
            user,
            symbol=symbol,
            side=side,
            amount=intent.amount,
            amount_in_quote=intent.amount_in_quote,
            price=intent.price,
            share=intent.fraction,
            perp=intent.perp,
            leverage=intent.leverage,
        )
        return order, None

    async def _run(
        self,
        user: UserView,
        command_id: int,
        intent: Intent,
        plan: dict[str, Any],
        pin: str | None,
    ) -> CommandOutcome:
        """Carry out a confirmed plan: place the order, cancel one order or all of them."""
        action, symbol = intent.action, plan.get("symbol")
        if action.is_order:
            order = await self._trading.confirm(user, str(plan["token"]), pin)
            summary = (
                f"order {order.id} {order.side.value} {order.amount} {order.symbol}: "
                f"{order.status.value}"
            )
            return CommandOutcome(command_id, action, summary, order=order)
        if action is IntentAction.CANCEL and intent.order_id is not None:
            order = await self._trading.cancel_order(user, intent.order_id)
            summary = f"order {order.id}: {order.status.value}"
            return CommandOutcome(command_id, action, summary, order=order)
        if action is IntentAction.CANCEL_ALL:
            cancelled = tuple(await self._trading.cancel_all(user, symbol))
            summary = f"cancelled {len(cancelled)} orders"
            return CommandOutcome(command_id, action, summary, orders=cancelled)
        raise UserError(NOT_UNDERSTOOD)  # only these are ever planned; kept for completeness

    async def _read(self, user: UserView, intent: Intent, symbol: str | None) -> CommandOutcome:
        """What a read-only command shows, the same data as its slash command (its
        ``command_id`` is set once it is recorded)."""
        action, command_id = intent.action, 0
        if action is IntentAction.BALANCE:
            balance = await self._trading.balance(user)
            summary = f"balance of {balance.account.label}: {len(balance.assets)} assets"
            return CommandOutcome(command_id, action, summary, balance=balance)
        if action is IntentAction.PRICE and symbol is not None:
            price = await self._trading.price(user, symbol)
            return CommandOutcome(command_id, action, f"{price.symbol} {price.price}", price=price)
        if action is IntentAction.ORDERS:
            orders = tuple(await self._trading.open_orders(user, symbol))
            return CommandOutcome(command_id, action, f"{len(orders)} open orders", orders=orders)
        if action is IntentAction.HISTORY:
            orders = tuple(await self._trading.history(user))
            summary = f"{len(orders)} orders in the history"
            return CommandOutcome(command_id, action, summary, orders=orders)
        if action is IntentAction.POSITIONS:
            held = _holdings(await self._trading.positions(user), symbol)
            count = sum(len(positions) for _account, positions in held)
            return CommandOutcome(command_id, action, f"{count} positions", positions=held)
        raise UserError(NOT_UNDERSTOOD)  # every read-only action is above

    # -- storage ----------------------------------------------------------------------------

    async def _record(
        self,
        user: UserView,
        text: str,
        intent: dict[str, Any] | None,
        parser: str,
        status: str,
        outcome: str | None,
    ) -> int:
        async with self._db.transaction() as session:
            command = await AICommandRepository(session).add(
                user_id=user.id,
                text=text[:MAX_STORED_TEXT],
                intent=intent,
                parser=parser,
                status=status,
                outcome=outcome,
            )
            return command.id

    async def _finish(self, command_id: int, status: str, outcome: str) -> None:
        async with self._db.transaction() as session:
            await AICommandRepository(session).finish(command_id, status, outcome[:1000])

    async def _load_planned(
        self, user: UserView, command_id: int, *, allow_expired: bool = False
    ) -> tuple[Intent, dict[str, Any]]:
        async with self._db.session() as session:
            command = await AICommandRepository(session).get(command_id)
            if command is None or command.user_id != user.id or command.intent is None:
                raise NotFound("This button is no longer valid.")
            status, created_at, data = command.status, command.created_at, dict(command.intent)
        if status != PLANNED:
            raise Conflict(f"This command was already handled ({status.replace('_', ' ')}).")
        if not allow_expired and _aware(created_at) + self._ttl < self._clock():
            async with self._db.transaction() as session:
                await AICommandRepository(session).transition(
                    command_id, PLANNED, FAILED, outcome="expired before confirmation"
                )
            raise Conflict("This plan expired; send the command again.")
        plan = dict(data.pop("plan", None) or {})
        return Intent.from_json(data), plan


def _holdings(
    per_account: list[tuple[AccountView, list[Position]]], symbol: str | None
) -> Holdings:
    """The positions, only those in ``symbol``'s coin when one is named ("my btc position")."""
    base = symbol.partition("/")[0] if symbol else None
    return tuple(
        (account, tuple(p for p in held if base is None or p.symbol.partition("/")[0] == base))
        for account, held in per_account
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
