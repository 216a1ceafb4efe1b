"""Trading: accounts, prices, order plans behind Confirm buttons, placement exactly once, and the
reconciler that settles orders whose outcome is unknown.

Placement (``_submit``) is the one road to an exchange: under the user's lock, the order row is
committed as ``pending`` with a deterministic client order id (``tsb-<user>-<token>`` for a
confirmed plan, ``tsb-<user>-s<signal>`` for a signal) *before* the exchange is called. A timeout
or 5xx leaves it ``unknown``; it is never sent again. ``reconcile()`` (at start and periodically)
looks such orders up by client order id and settles them; ``notify_changes()`` tells owners about
fills and cancellations through the outbox, once per (order, status).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog

from core.cache import Locks
from core.config import ExchangeSettings
from core.db.models import ActionToken, ExchangeAccount, Order, User
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.base import Repository
from core.db.repositories.orders import OrderRepository
from core.db.repositories.paper import PaperBalanceRepository
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.domain import OrderSide, OrderStatus, OrderType, Side
from core.errors import (
    Conflict,
    ExchangeError,
    Forbidden,
    NotFound,
    OrderRejected,
    ServiceUnavailable,
    TemporaryExchangeError,
    UserError,
)
from core.metrics import Metrics
from core.permissions import role_allows
from core.security import new_token, verify_secret
from services.dto import UserView
from services.exchange.base import (
    Balance,
    ExchangeClient,
    MarketInfo,
    OrderRequest,
    OrderResult,
    Position,
)
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import PriceFeed
from services.exchange.paper import PAPER_EXCHANGE_ID, PaperEngine
from services.ports import ClockFn, Notifier, utc_now
from services.symbols import (
    MAX_AMOUNT,
    fmt_number,
    pair_candidates,
    round_to,
    truncate,
)
from services.text import escape
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView

log = structlog.get_logger(__name__)

PAPER_LABEL: Final = "paper"
TOKEN_KIND: Final = "order"  # noqa: S105 - an action kind, not a secret
MAX_PIN_FAILURES: Final = 3
LOCK_TIMEOUT_S: Final = 30.0
RECONCILE_LOCK_WAIT_S: Final = 2.0
NOT_FINAL: Final = (
    OrderStatus.PENDING,
    OrderStatus.UNKNOWN,
    OrderStatus.OPEN,
    OrderStatus.PARTIALLY_FILLED,
)
NOTIFY: Final = (
    OrderStatus.FILLED,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
)
STABLE_QUOTES: Final = frozenset({"USDT", "USDC", "USD", "BUSD", "FDUSD", "TUSD", "DAI", "EUR"})


class PinRequired(UserError):
    """The user has a trading PIN and the order is live: ask for it, then confirm again."""

    default_message = "Send your trading PIN to confirm this live order (or /cancel)."


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
    if len(cid) > 36:
        raise ValueError(f"client order id too long: {cid!r}")
    return cid


# -- text shared by replies and notifications -------------------------------------------------


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


@dataclasses.dataclass(frozen=True, slots=True)
class _Check:
    """What the reconciler needs of one order, read outside any transaction."""

    id: int
    user_id: int
    account_id: int
    symbol: str
    client_order_id: str
    exchange_order_id: str | None
    status: OrderStatus
    created_at: datetime
    is_paper: bool


class TradingService:
    """Use cases behind /price, /balance, /buy ... and signal auto-trading."""

    def __init__(
        self,
        db: Database,
        factory: ExchangeFactory,
        *,
        locks: Locks,
        notifier: Notifier,
        settings: ExchangeSettings,
        confirm_ttl_s: int,
        metrics: Metrics | None = None,
        clock: ClockFn = utc_now,
    ) -> None:
        self._db = db
        self._factory = factory
        self._paper: PaperEngine = factory.paper
        self._locks = locks
        self._notifier = notifier
        self._settings = settings
        self._confirm_ttl = timedelta(seconds=confirm_ttl_s)
        self._metrics = metrics
        self._clock = clock

    @property
    def price_feed(self) -> PriceFeed:
        return self._paper.feed

    @property
    def confirm_ttl_s(self) -> int:
        return int(self._confirm_ttl.total_seconds())

    # -- accounts -------------------------------------------------------------------------------

    @staticmethod
    def _require_trader(user: UserView) -> None:
        if user.is_banned or not role_allows(user.role, "trade"):
            raise Forbidden("You are not allowed to trade.")

    async def ensure_paper_account(self, user: UserView) -> AccountView:
        """The user's paper account, created (and credited once) on first use."""
        self._require_trader(user)
        return await self._ensure_paper(user.id)

    async def _ensure_paper(self, user_id: int) -> AccountView:
        async with self._db.transaction() as session:
            repo = AccountRepository(session)
            for account in await repo.for_user(user_id, active_only=False):
                if account.is_paper:
                    if not account.is_active:
                        account.is_active = True
                    return account_view(account)
            new_id = await Repository(session).insert_ignore(
                ExchangeAccount,
                {
                    "user_id": user_id,
                    "exchange_id": PAPER_EXCHANGE_ID,
                    "label": PAPER_LABEL,
                    "is_paper": True,
                    "sandbox": False,
                },
                ["user_id", "label"],
            )
            if new_id is not None:
                await PaperBalanceRepository(session).credit_once(
                    new_id, self._paper.quote, self._paper.start_balance
                )
                log.info("paper_account_created", user_id=user_id, account_id=new_id)
            account = await repo.by_label(user_id, PAPER_LABEL)
            if account is None or not account.is_paper:
                raise Conflict("Your account label 'paper' is taken by a live account.")
            return account_view(account)

    async def accounts(self, user: UserView) -> list[AccountView]:
        """Every active account of the user, paper first."""
        await self.ensure_paper_account(user)
        async with self._db.session() as session:
            rows = await AccountRepository(session).for_user(user.id)
        views = [account_view(a) for a in rows]
        return sorted(views, key=lambda a: (not a.is_paper, a.id))

    async def _account(self, user: UserView, label: str | None) -> AccountView:
        """The account called ``label`` (paper when None); ``NotFound`` for another user's."""
        paper = await self.ensure_paper_account(user)
        if label is None or label.strip().lower() in {PAPER_LABEL, ""}:
            return paper
        wanted = label.strip().lstrip("@").lower()
        async with self._db.session() as session:
            rows = await AccountRepository(session).for_user(user.id)
        for account in rows:
            if account.label.lower() == wanted:
                return account_view(account)
        names = ", ".join(sorted(a.label for a in rows)) or PAPER_LABEL
        raise NotFound(f"You have no account called {label[:32]!r}; yours: {names}.")

    async def _account_by_id(self, account_id: int) -> AccountView:
        async with self._db.session() as session:
            account = await AccountRepository(session).get(account_id)
        if account is None:
            raise NotFound("That exchange account does not exist (any more).")
        return account_view(account)

    async def _client(self, account: AccountView | None) -> ExchangeClient:
        if account is None or account.is_paper:
            return self._paper.client(account.id if account else 0)
        return await self._factory.client_for_account(account.id)

    # -- market data ----------------------------------------------------------------------------

    async def resolve_symbol(self, text: str, account: AccountView | None = None) -> str:
        """``btc``, ``$btc``, ``BTCUSDT``, ``BTC/USDT`` -> ``BTC/USDT`` as listed on the account's
        exchange (paper by default). Raises ``UserError`` for a pair it does not list."""
        _, market = await self._market(text, account)
        return market.symbol

    async def _market(
        self, text: str, account: AccountView | None
    ) -> tuple[ExchangeClient, MarketInfo]:
        client = await self._client(account)
        for symbol in pair_candidates(text, self._paper.quote):
            try:
                return client, await client.market(symbol)
            except UserError:
                continue
        where = "paper trading" if account is None or account.is_paper else account.exchange_id
        raise UserError(f"I don't know the pair {text.strip()[:32]!r} on {where}.")

    async def price(self, user: UserView, symbol_text: str) -> PriceView:
        """The feed's price; also fills paper orders the price has crossed."""
        symbol = await self.resolve_symbol(symbol_text)
        ticker = await self._paper.feed.ticker(symbol)
        await self.run_paper_pass()
        return PriceView(symbol=symbol, price=ticker.last, source=ticker.source)

    async def balance(self, user: UserView, account_label: str | None = None) -> BalanceView:
        self._require_trader(user)
        account = await self._account(user, account_label)
        client = await self._client(account)
        balances = await client.balances()
        quote = self._paper.quote

        def order(b: Balance) -> tuple[int, str]:
            return (0 if b.asset == quote else 1, b.asset)

        return BalanceView(
            account=account,
            assets=[(b.asset, b.free, b.used) for b in sorted(balances, key=order)],
        )

    # -- order plans ----------------------------------------------------------------------------

    async def prepare_order(
        self,
        user: UserView,
        *,
        symbol: str,
        side: OrderSide,
        amount: Decimal,
        amount_in_quote: bool = False,
        price: Decimal | None = None,
        account_label: str | None = None,
        signal_id: int | None = None,
        order_type: OrderType | None = None,
    ) -> OrderPlan:
        """Validate an order and store its plan behind an opaque token (nothing is sent).

        Raises ``UserError`` for an unknown pair, an amount that is not above zero, absurd or
        below the exchange minimum, or a price more than ``MAX_PRICE_DEVIATION`` times away
        from the market.
        """
        self._require_trader(user)
        if not amount.is_finite() or amount <= 0:
            raise UserError("The amount must be above zero.")
        if amount > MAX_AMOUNT:
            raise UserError(f"The amount {fmt_number(amount)} is too large to be real.")
        if price is not None and (not price.is_finite() or price <= 0):
            raise UserError("The price must be above zero.")
        kind = order_type or (OrderType.LIMIT if price is not None else OrderType.MARKET)
        if kind is not OrderType.MARKET and price is None:
            raise UserError(f"A {kind.value} order needs a price.")
        if kind is OrderType.MARKET:
            price = None
        account = await self._account(user, account_label)
        if kind is OrderType.STOP and not account.is_paper:
            raise UserError("Stop orders work on the paper account only for now.")
        request, est_cost, quote = await self._build_request(
            account, symbol, side, amount, amount_in_quote, price, kind, client_order_id="-"
        )
        token = new_token(12)
        expires_at = self._clock() + self._confirm_ttl
        payload = {
            "account_id": account.id,
            "symbol": request.symbol,
            "side": request.side.value,
            "type": request.type.value,
            "amount": str(request.amount),
            "price": None if request.price is None else str(request.price),
            "est_cost": str(est_cost),
            "quote": quote,
            "signal_id": signal_id,
            "pin_failures": 0,
        }
        async with self._db.transaction() as session:
            await TokenRepository(session).add(
                ActionToken(
                    id=token,
                    user_id=user.id,
                    kind=TOKEN_KIND,
                    payload=payload,
                    status="pending",
                    expires_at=expires_at,
                    created_at=self._clock(),
                )
            )
        return OrderPlan(
            token=token,
            account=account,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            amount=request.amount,
            price=request.price,
            est_cost=est_cost,
            quote=quote,
            expires_at=expires_at,
        )

    async def _build_request(
        self,
        account: AccountView,
        symbol_text: str,
        side: OrderSide,
        amount: Decimal,
        amount_in_quote: bool,
        price: Decimal | None,
        kind: OrderType,
        *,
        client_order_id: str,
    ) -> tuple[OrderRequest, Decimal, str]:
        """Resolve, price-check and size an order: (request, estimated cost, quote asset)."""
        client, market = await self._market(symbol_text, account)
        if not market.active:
            raise UserError(f"{market.symbol} is not trading right now.")
        ticker = await client.ticker(market.symbol)
        last = ticker.last
        side_price = (ticker.ask if side is OrderSide.BUY else ticker.bid) or last
        if price is not None:
            deviation = self._settings.max_price_deviation
            if price > last * deviation or price < last / deviation:
                raise UserError(
                    f"A price of {fmt_number(price)} {market.quote} is more than "
                    f"{fmt_number(deviation)}× away from the market "
                    f"({fmt_number(last)} {market.quote}); check for a typo."
                )
            price = round_to(price, market.price_step)
        reference = price if price is not None else side_price
        base_amount = amount / reference if amount_in_quote else amount
        if base_amount > MAX_AMOUNT:
            raise UserError(f"The amount {fmt_number(base_amount)} is too large to be real.")
        sized = truncate(base_amount, market.amount_step)
        minimum = market.min_amount or market.amount_step
        if sized <= 0 or (minimum is not None and sized < minimum):
            raise UserError(
                f"{fmt_number(base_amount)} {market.base} is below the minimum of "
                f"{fmt_number(minimum or Decimal(0))} {market.base} for {market.symbol}."
            )
        est_cost = sized * reference
        if market.min_cost is not None and est_cost < market.min_cost:
            raise UserError(
                f"An order worth {fmt_number(est_cost)} {market.quote} is below the minimum of "
                f"{fmt_number(market.min_cost)} {market.quote} for {market.symbol}."
            )
        request = OrderRequest(
            symbol=market.symbol,
            side=side,
            type=kind,
            amount=sized,
            client_order_id=client_order_id,
            price=price,
        )
        return request, est_cost.quantize(Decimal("1e-8")).normalize(), market.quote

    async def _load_plan(
        self, user: UserView, token: str
    ) -> tuple[ActionToken, AccountView, OrderPlan]:
        """The token, re-checked for owner, status and freshness, with its plan."""
        async with self._db.session() as session:
            row = await TokenRepository(session).get(token)
            if row is None or row.kind != TOKEN_KIND:
                raise UserError("This button is no longer valid.")
            if row.user_id != user.id:
                raise Forbidden("This button is not yours; nothing was done.")
            if row.status == "used":
                order = await OrderRepository(session).by_client_id(
                    client_order_id(user.id, token)
                )
                ref = f" as order #{order.id}" if order is not None else ""
                raise Conflict(f"This order was already placed{ref}; it is not sent twice.")
            if row.status != "pending":
                raise UserError("This order was cancelled; nothing was sent.")
            if row.expires_at <= self._clock():
                raise UserError(
                    "This confirmation expired; nothing was sent. Place the order again."
                )
            account = await AccountRepository(session).get(int(row.payload["account_id"]))
            if account is None or not account.is_active or account.user_id != user.id:
                raise UserError("The account of this order is gone; nothing was sent.")
            payload = dict(row.payload)
            view = account_view(account)
        plan = OrderPlan(
            token=token,
            account=view,
            symbol=str(payload["symbol"]),
            side=OrderSide(payload["side"]),
            type=OrderType(payload["type"]),
            amount=Decimal(payload["amount"]),
            price=None if payload.get("price") is None else Decimal(payload["price"]),
            est_cost=Decimal(payload["est_cost"]),
            quote=str(payload["quote"]),
            expires_at=row.expires_at,
        )
        return row, view, plan

    async def confirm(self, user: UserView, token: str, pin: str | None = None) -> OrderView:
        """Place the order behind ``token`` exactly once.

        Re-checks the owner, that the token is unused and fresh, and the trading PIN for live
        orders of a user who set one (``PinRequired`` without it; three wrong PINs cancel the
        plan). Raises ``UserError``/``Forbidden``/``Conflict`` with nothing sent.
        """
        self._require_trader(user)
        row, account, plan = await self._load_plan(user, token)
        if not account.is_paper:
            await self._check_pin(user, token, pin)
        signal_id = row.payload.get("signal_id")
        return await self._submit(
            user.id,
            account,
            OrderRequest(
                symbol=plan.symbol,
                side=plan.side,
                type=plan.type,
                amount=plan.amount,
                client_order_id=client_order_id(user.id, token),
                price=plan.price,
            ),
            signal_id=None if signal_id is None else int(signal_id),
            token=token,
        )

    async def _check_pin(self, user: UserView, token: str, pin: str | None) -> None:
        async with self._db.session() as session:
            db_user = await session.get(User, user.id)
        pin_hash = db_user.pin_hash if db_user is not None else None
        if pin_hash is None:
            return
        if pin is None or not pin.strip():
            raise PinRequired()
        if await verify_secret(pin.strip(), pin_hash):
            return
        async with self._db.transaction() as session:
            row = await TokenRepository(session).get(token, lock=True)
            failures = 0
            if row is not None:
                failures = int(row.payload.get("pin_failures", 0)) + 1
                row.payload = {**row.payload, "pin_failures": failures}
                if failures >= MAX_PIN_FAILURES and row.status == "pending":
                    row.status = "cancelled"
        log.warning("trading_pin_wrong", user_id=user.id, failures=failures)
        if failures >= MAX_PIN_FAILURES:
            raise UserError("Wrong PIN three times: this order is cancelled; nothing was sent.")
        raise UserError("Wrong PIN; nothing was sent. Press Confirm to try again.")

    async def cancel_plan(self, user: UserView, token: str) -> None:
        """Drop a plan before it is confirmed (owner only)."""
        async with self._db.transaction() as session:
            repo = TokenRepository(session)
            row = await repo.get(token, lock=True)
            if row is None or row.kind != TOKEN_KIND:
                raise UserError("This button is no longer valid.")
            if row.user_id != user.id:
                raise Forbidden("This button is not yours; nothing was done.")
            if row.status == "used":
                raise Conflict("This order was already placed; cancel it with /cancel <id>.")
            if row.status == "pending":
                await repo.transition(token, "pending", "cancelled")

    async def execute_now(self, user: UserView, plan: OrderPlan) -> OrderView:
        """Place a paper plan at once (paper needs no confirmation)."""
        if not plan.account.is_paper:
            raise UserError("Live orders need your confirmation: press Confirm.")
        return await self.confirm(user, plan.token)

    # -- placement (exactly once) ---------------------------------------------------------------

    async def _submit(
        self,
        user_id: int,
        account: AccountView,
        request: OrderRequest,
        *,
        signal_id: int | None,
        token: str | None,
    ) -> OrderView:
        async with self._locks.lock(f"trade:{user_id}", LOCK_TIMEOUT_S):
            async with self._db.transaction() as session:
                if token is not None and not await TokenRepository(session).transition(
                    token, "pending", "used"
                ):
                    raise Conflict("This order was already placed; it is not sent twice.")
                orders = OrderRepository(session)
                order_id = await orders.insert_pending(
                    {
                        "user_id": user_id,
                        "account_id": account.id,
                        "signal_id": signal_id,
                        "client_order_id": request.client_order_id,
                        "symbol": request.symbol,
                        "side": request.side,
                        "type": request.type,
                        "amount": request.amount,
                        "price": request.price,
                    }
                )
                if order_id is None:  # placed before with this client order id: reuse it
                    existing = await orders.by_client_id(request.client_order_id)
                    assert existing is not None
                    return await self._view(existing.id)
            self._count(account, OrderStatus.PENDING)
            log.info(
                "order_intent_stored",
                order_id=order_id,
                client_order_id=request.client_order_id,
                exchange=account.exchange_id,
            )
            client = await self._client(account)
            try:
                result = await client.create_order(request)
            except TemporaryExchangeError as exc:
                await self._mark(order_id, account, OrderStatus.UNKNOWN, exc.user_message)
                return await self._view(order_id)
            except (OrderRejected, UserError) as exc:
                await self._mark(
                    order_id, account, OrderStatus.REJECTED, exc.user_message, notified=True
                )
                raise
            except ExchangeError as exc:  # e.g. a clock-skew refusal: outcome unclear, check
                await self._mark(order_id, account, OrderStatus.UNKNOWN, exc.user_message)
                return await self._view(order_id)
            await self._apply(order_id, account, result, notified=True, known=OrderStatus.PENDING)
        return await self._view(order_id)

    async def _mark(
        self,
        order_id: int,
        account: AccountView,
        status: OrderStatus,
        error: str | None,
        *,
        notified: bool = False,
    ) -> None:
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            assert row is not None
            if not row.status.is_final:  # the paper engine may have written it already
                row.status = status
                row.error = error
            status = row.status
            if notified:
                row.notified_status = status.value
        self._count(account, status)
        log.info("order_status", order_id=order_id, status=status.value)

    async def _apply(
        self,
        order_id: int,
        account: AccountView,
        result: OrderResult,
        *,
        notified: bool,
        known: OrderStatus | None = None,
    ) -> OrderStatus:
        """Copy what the exchange says into the row; returns the status now stored. ``known``:
        the status this process last saw (the paper engine writes the row itself)."""
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            assert row is not None
            before = known or row.status
            status = result.status
            if status is OrderStatus.UNKNOWN:
                status = before
            row.status = status
            row.exchange_order_id = result.exchange_order_id or row.exchange_order_id
            row.filled = result.filled
            row.average = result.average if result.average is not None else row.average
            row.fee = result.fee
            row.fee_asset = result.fee_asset or row.fee_asset
            row.priced_by = result.priced_by or row.priced_by
            if row.price is None and result.price is not None:
                row.price = result.price
            if status is not OrderStatus.REJECTED:
                row.error = None if status is not OrderStatus.CANCELLED else row.error
            row.reconcile_attempts = 0
            if notified:
                row.notified_status = status.value
        if status is not before:
            self._count(account, status)
            log.info("order_status", order_id=order_id, status=status.value)
        return status

    def _count(self, account: AccountView, status: OrderStatus) -> None:
        if self._metrics is not None:
            self._metrics.orders.labels(account.exchange_id, status.value).inc()

    async def _view(self, order_id: int) -> OrderView:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            assert order is not None
            account = await AccountRepository(session).get(order.account_id)
            assert account is not None
            return order_view(order, account)

    # -- orders -----------------------------------------------------------------------------------

    async def open_orders(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Orders not yet final (open, partly filled, or being checked), newest first."""
        self._require_trader(user)
        resolved = await self.resolve_symbol(symbol) if symbol else None
        async with self._db.session() as session:
            rows = await OrderRepository(session).with_accounts(
                user.id, statuses=NOT_FINAL, symbol=resolved, limit=100
            )
            return [order_view(o, a) for o, a in rows]

    async def history(self, user: UserView, limit: int = 20) -> list[OrderView]:
        self._require_trader(user)
        async with self._db.session() as session:
            rows = await OrderRepository(session).with_accounts(user.id, limit=max(1, limit))
            return [order_view(o, a) for o, a in rows]

    async def cancel_order(self, user: UserView, order_id: int) -> OrderView:
        """Cancel one open order of the user's. ``NotFound`` for someone else's order;
        ``Conflict`` when it is no longer open (then its real state is fetched)."""
        self._require_trader(user)
        async with self._db.session() as session:
            row = await OrderRepository(session).get(order_id)
            if row is None or row.user_id != user.id:
                raise NotFound(f"You have no order #{order_id}.")
            account_row = await AccountRepository(session).get(row.account_id)
            assert account_row is not None
            account = account_view(account_row)
            status, symbol, exchange_id = row.status, row.symbol, row.exchange_order_id
        if status.is_final:
            raise Conflict(f"Order #{order_id} is already {status.value}; nothing to cancel.")
        if status in (OrderStatus.PENDING, OrderStatus.UNKNOWN) or exchange_id is None:
            raise Conflict(
                f"Order #{order_id} is still being checked with the exchange; "
                "try again in a minute."
            )
        async with self._locks.lock(f"trade:{user.id}", LOCK_TIMEOUT_S):
            client = await self._client(account)
            try:
                result = await client.cancel_order(symbol, exchange_id)
            except NotFound:
                found = await self._lookup(client, symbol, exchange_id, None)
                if found is not None:
                    await self._apply(order_id, account, found, notified=True)
                view = await self._view(order_id)
                raise Conflict(
                    f"Order #{order_id} was no longer open: it is {view.status.value}."
                ) from None
            await self._apply(order_id, account, result, notified=True)
        return await self._view(order_id)

    async def cancel_all(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Cancel every open order (of one pair); returns the orders cancelled."""
        cancelled = []
        for order in await self.open_orders(user, symbol):
            if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                continue
            try:
                cancelled.append(await self.cancel_order(user, order.id))
            except Conflict:
                continue
        return cancelled

    async def positions(self, user: UserView) -> list[tuple[AccountView, list[Position]]]:
        """Holdings per account: paper from its ledger, live from the exchange (spot: the
        non-stable balances, marked at the exchange's price). An unreachable exchange is
        skipped (and logged)."""
        result = []
        for account in await self.accounts(user):
            try:
                client = await self._client(account)
                positions = await client.positions()
                if not positions and not account.is_paper:
                    positions = await self._spot_holdings(client)
            except (ExchangeError, UserError) as exc:
                log.warning("positions_unavailable", account_id=account.id, error=str(exc))
                continue
            result.append((account, positions))
        return result

    async def _spot_holdings(self, client: ExchangeClient) -> list[Position]:
        holdings = []
        for balance in await client.balances():
            if balance.asset in STABLE_QUOTES or balance.total <= 0:
                continue
            symbol = f"{balance.asset}/{self._paper.quote}"
            try:
                mark: Decimal | None = (await client.ticker(symbol)).last
            except UserError:
                mark = None
            holdings.append(Position(symbol, balance.total, None, mark, None))
        return holdings

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]:
        async with self._db.session() as session:
            return await OrderRepository(session).signal_ids_with_orders(signal_ids)

    async def trade_signal(
        self,
        user_id: int,
        *,
        signal_id: int,
        symbol: str,
        side: Side,
        quote_amount: Decimal,
        account_id: int | None = None,
    ) -> OrderView | None:
        """Market-buy ``quote_amount`` of a long signal on the user's account (paper unless
        ``account_id``). Idempotent per (signal, user): the client order id is
        ``tsb-<user>-s<signal>``, so a second call returns the first order. Returns None, with
        the reason logged, when the signal is not tradable for this user. The caller tells the
        user about the result; later changes (fills, cancels) are notified here."""
        cid = client_order_id(user_id, f"s{signal_id}")
        async with self._db.session() as session:
            user = await session.get(User, user_id)
            existing = await OrderRepository(session).by_client_id(cid)
        if existing is not None:
            return await self._view(existing.id)
        if user is None or user.is_banned or not role_allows(user.role, "trade"):
            log.info("signal_not_traded", signal_id=signal_id, user_id=user_id, reason="role")
            return None
        if side is not Side.LONG:
            log.info(
                "signal_not_traded", signal_id=signal_id, user_id=user_id, reason="short on spot"
            )
            return None
        if not quote_amount.is_finite() or quote_amount <= 0:
            log.info("signal_not_traded", signal_id=signal_id, user_id=user_id, reason="size")
            return None
        if account_id is None:
            account = await self._ensure_paper(user_id)
        else:
            account = await self._account_by_id(account_id)
            async with self._db.session() as session:
                row = await AccountRepository(session).get(account_id)
            if row is None or row.user_id != user_id or not row.is_active:
                log.info(
                    "signal_not_traded", signal_id=signal_id, user_id=user_id, reason="account"
                )
                return None
        try:
            request, _, _ = await self._build_request(
                account,
                symbol,
                OrderSide.BUY,
                quote_amount,
                True,
                None,
                OrderType.MARKET,
                client_order_id=cid,
            )
        except (UserError, ExchangeError) as exc:
            log.info(
                "signal_not_traded",
                signal_id=signal_id,
                user_id=user_id,
                reason=exc.user_message,
            )
            return None
        try:
            return await self._submit(user_id, account, request, signal_id=signal_id, token=None)
        except (OrderRejected, UserError):
            async with self._db.session() as session:
                row_after = await OrderRepository(session).by_client_id(cid)
            return None if row_after is None else await self._view(row_after.id)

    # -- reconciliation and notifications ---------------------------------------------------------

    async def run_paper_pass(self) -> list[int]:
        """Fill resting paper orders the price crossed, and tell their owners."""
        filled = await self._paper.check_resting()
        if filled:
            await self.notify_changes()
        return filled

    async def run_maintenance(self) -> None:
        """One pass of everything periodic: paper fills, reconciliation, notifications."""
        await self._paper.check_resting()
        await self.reconcile()
        await self.notify_changes()

    async def reconcile(self, limit: int = 100) -> int:
        """Settle orders whose outcome is not known yet by asking the exchange about their
        client order id; never sends an order. Returns how many orders changed status.

        An order still being placed is safe: placement holds the user's lock until the
        exchange answered, and the reconciler takes the same lock (or skips the order).
        """
        async with self._db.session() as session:
            rows = await OrderRepository(session).to_reconcile(NOT_FINAL, limit=limit)
            checks = []
            for row in rows:
                account = await AccountRepository(session).get(row.account_id)
                if account is None:
                    continue
                if account.is_paper and row.status not in (
                    OrderStatus.PENDING,
                    OrderStatus.UNKNOWN,
                ):
                    continue  # resting paper orders are filled by the paper pass
                checks.append(
                    _Check(
                        row.id,
                        row.user_id,
                        row.account_id,
                        row.symbol,
                        row.client_order_id,
                        row.exchange_order_id,
                        row.status,
                        row.created_at,
                        account.is_paper,
                    )
                )
        changed = 0
        for check in checks:
            try:
                async with self._locks.lock(f"trade:{check.user_id}", RECONCILE_LOCK_WAIT_S):
                    changed += await self._reconcile_one(check)
            except ServiceUnavailable:
                continue  # a placement for this user is in flight; next pass
            except (ExchangeError, UserError) as exc:
                log.warning("order_reconcile_failed", order_id=check.id, error=str(exc))
        return changed

    async def _reconcile_one(self, check: _Check) -> int:
        account = await self._account_by_id(check.account_id)
        client = await self._client(account)
        try:
            found = await self._lookup(
                client, check.symbol, check.exchange_order_id, check.client_order_id
            )
        except TemporaryExchangeError as exc:
            log.info("order_reconcile_deferred", order_id=check.id, error=str(exc))
            return 0
        if found is not None:
            status = await self._apply(check.id, account, found, notified=False)
            return int(status is not check.status)
        age = (self._clock() - check.created_at).total_seconds()
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(check.id, lock=True)
            if row is None or row.status is not check.status:
                return 0
            row.reconcile_attempts += 1
            attempts = row.reconcile_attempts
            # Absence proves nothing while the exchange may lag (F6). Paper is transactional:
            # under the user's lock, a row it never executed will never be executed.
            give_up = check.is_paper or (
                attempts >= self._settings.reconcile_max_attempts
                and age >= self._settings.reconcile_give_up_s
            )
            if give_up:
                row.status = OrderStatus.REJECTED
                row.error = "The exchange never received this order; nothing was traded."
        log.info(
            "order_not_found_at_exchange",
            order_id=check.id,
            attempts=attempts,
            gave_up=give_up,
        )
        if give_up:
            self._count(account, OrderStatus.REJECTED)
            return 1
        return 0

    @staticmethod
    async def _lookup(
        client: ExchangeClient,
        symbol: str,
        exchange_order_id: str | None,
        cid: str | None,
    ) -> OrderResult | None:
        if exchange_order_id is not None:
            try:
                return await client.fetch_order(symbol, exchange_order_id)
            except NotFound:
                if cid is None:
                    return None
        if cid is None:
            return None
        return await client.fetch_order_by_client_id(symbol, cid)

    async def notify_changes(self, limit: int = 100) -> int:
        """Queue one outbox message per (order, new status) the owner was not told about."""
        async with self._db.session() as session:
            rows = await OrderRepository(session).unnotified(NOTIFY, limit=limit)
            pending: list[tuple[int, int, str, OrderView]] = []
            for row in rows:
                account = await AccountRepository(session).get(row.account_id)
                user = await session.get(User, row.user_id)
                if account is None or user is None:
                    continue
                view = order_view(row, account)
                pending.append((user.id, user.telegram_id, row.status.value, view))
        for user_id, chat_id, status, view in pending:
            await self._notifier.notify(
                chat_id,
                order_headline(view),
                dedupe_key=f"order:{view.id}:{status}",
                user_id=user_id,
            )
            async with self._db.transaction() as session:
                row = await OrderRepository(session).get(view.id, lock=True)
                if row is not None and row.status.value == status:
                    row.notified_status = status
        return len(pending)
