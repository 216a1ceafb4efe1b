"""``TradingService``: the one object handlers and other services call for trading.

It owns no logic of its own beyond ``price``: each method hands over to the collaborator that
owns the concern (see the package docstring), all built here from the same database, exchange
factory, locks and clock. Build it once, in the composition root.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.cache import Locks
from core.clock import Clock, utc_now
from core.config import ExchangeSettings
from core.db.session import Database
from core.domain import OrderSide, OrderType
from core.metrics import Metrics
from services.dto import UserView
from services.exchange.base import Position
from services.exchange.factory import ExchangeFactory
from services.exchange.feeds import PriceFeed
from services.pin_attempts import PinAttempts
from services.ports import Notifier
from services.trading.accounts import TradingAccounts
from services.trading.market import MarketData, PaperPairs, PriceBoard
from services.trading.orders import UserOrders
from services.trading.pin import PinGuard
from services.trading.plans import OrderPlans
from services.trading.reconcile import OrderMessages, Reconciler
from services.trading.submit import OrderSubmitter
from services.trading_dto import AccountView, BalanceView, OrderPlan, OrderView, PriceView


class TradingService:
    """Use cases behind /price, /balance, /buy ... and signal auto-trading."""

    def __init__(
        self,
        db: Database,
        factory: ExchangeFactory,
        *,
        locks: Locks,
        pin_attempts: PinAttempts,
        notifier: Notifier,
        messages: OrderMessages,
        settings: ExchangeSettings,
        confirm_ttl_s: int,
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._paper = factory.paper
        self._confirm_ttl_s = confirm_ttl_s
        self._accounts = TradingAccounts(db, factory, self._paper)
        submitter = OrderSubmitter(db, self._accounts, locks, metrics)
        self._plans = OrderPlans(
            db,
            self._accounts,
            submitter,
            PinGuard(db, pin_attempts),
            settings=settings,
            confirm_ttl=timedelta(seconds=confirm_ttl_s),
            clock=clock,
        )
        self._orders = UserOrders(db, self._accounts, submitter, locks)
        self._reconciler = Reconciler(
            db,
            self._accounts,
            submitter,
            paper=self._paper,
            locks=locks,
            notifier=notifier,
            messages=messages,
            settings=settings,
            clock=clock,
        )
        self._market = MarketData(self._accounts, self._paper, self._reconciler)

    @property
    def price_feed(self) -> PriceFeed:
        return self._paper.feed

    @property
    def confirm_ttl_s(self) -> int:
        return self._confirm_ttl_s

    # -- accounts and market data (accounts.py) ---------------------------------------------------

    async def ensure_paper_account(self, user: UserView) -> AccountView:
        """The user's paper account, created (and credited once) on first use."""
        return await self._accounts.ensure_paper_account(user)

    async def accounts(self, user: UserView) -> list[AccountView]:
        """Every active account of the user, paper first."""
        return await self._accounts.active(user)

    async def resolve_symbol(self, text: str, account: AccountView | None = None) -> str:
        """``btc`` -> ``BTC/USDT`` as the account's exchange lists it (``UserError`` if not)."""
        return await self._accounts.resolve_symbol(text, account)

    async def price(self, user: UserView, symbol_text: str) -> PriceView:
        """The feed's price; also fills paper orders the price has crossed."""
        _, market = await self._accounts.market(symbol_text, None)
        ticker = await self._paper.feed.ticker(market.symbol)
        await self._reconciler.run_paper_pass()
        return PriceView(market.symbol, ticker.last, ticker.source, market.price_step)

    async def prices(self, words: list[str]) -> PriceBoard:
        """The feed's prices of the pairs ``words`` name (market.py); fills crossed paper
        orders. ``UserError`` when none of them names a pair."""
        return await self._market.prices(words)

    async def pairs(self) -> PaperPairs:
        """The pairs paper trading can trade, and the replayed moment on a replay feed."""
        return await self._market.pairs()

    async def balance(self, user: UserView, account_label: str | None = None) -> BalanceView:
        """The balances of the account called ``account_label`` (paper when None)."""
        return await self._accounts.balance(user, account_label)

    async def positions(self, user: UserView) -> list[tuple[AccountView, list[Position]]]:
        """Holdings per reachable account."""
        return await self._accounts.positions(user)

    # -- order plans (plans.py) -------------------------------------------------------------------

    async def prepare_order(
        self,
        user: UserView,
        *,
        symbol: str,
        side: OrderSide,
        amount: Decimal | None = None,
        amount_in_quote: bool = False,
        price: Decimal | None = None,
        account_label: str | None = None,
        signal_id: int | None = None,
        order_type: OrderType | None = None,
        share: Decimal | None = None,
        perp: bool = False,
        leverage: int | None = None,
    ) -> OrderPlan:
        """Check and size an order and keep it behind a Confirm token; nothing is sent. Give
        ``amount`` (coins, or money when ``amount_in_quote``) or ``share`` (0 < share <= 1)
        of the free balance the order gives away: the base to sell, the quote to spend.
        ``perp`` or a ``leverage`` (1-125) makes it a perpetual-futures order, on the paper
        perp account unless a live account is named; its money is margin (plans.py)."""
        return await self._plans.prepare(
            user,
            symbol=symbol,
            side=side,
            amount=amount,
            amount_in_quote=amount_in_quote,
            price=price,
            account_label=account_label,
            signal_id=signal_id,
            order_type=order_type,
            share=share,
            perp=perp,
            leverage=leverage,
        )

    async def confirm(
        self, user: UserView, token: str, pin: str | None = None, *, pin_checked: bool = False
    ) -> OrderView:
        """Place the plan behind ``token`` exactly once (``PinRequired`` for a live order of a
        user with a PIN when ``pin`` is None, unless ``pin_checked``: the PIN was given when
        the API key placing it was made)."""
        return await self._plans.confirm(user, token, pin, pin_checked=pin_checked)

    async def execute_now(self, user: UserView, plan: OrderPlan) -> OrderView:
        """Place a paper plan at once (paper needs no confirmation)."""
        return await self._plans.execute_now(user, plan)

    async def cancel_plan(self, user: UserView, token: str) -> None:
        """Drop a plan before it is confirmed (owner only)."""
        await self._plans.cancel(user, token)

    # -- placed orders (orders.py) ----------------------------------------------------------------

    async def open_orders(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Orders not yet final, newest first."""
        return await self._orders.open_orders(user, symbol)

    async def history(self, user: UserView, limit: int = 20) -> list[OrderView]:
        """The user's latest orders, newest first."""
        return await self._orders.history(user, limit)

    async def cancel_order(self, user: UserView, order_id: int) -> OrderView:
        """Cancel one open order of the user's."""
        return await self._orders.cancel(user, order_id)

    async def cancel_all(self, user: UserView, symbol: str | None = None) -> list[OrderView]:
        """Cancel every open order (of one pair); returns the orders cancelled."""
        return await self._orders.cancel_all(user, symbol)

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]:
        """Those of ``signal_ids`` that have an order."""
        return await self._orders.traded_signal_ids(signal_ids)

    # -- reconciliation and notifications (reconcile.py) ------------------------------------------

    async def run_paper_pass(self) -> list[int]:
        """Fill resting paper orders the price crossed, and tell their owners."""
        return await self._reconciler.run_paper_pass()

    async def run_maintenance(self) -> None:
        """One pass of everything periodic: paper fills, reconciliation, notifications."""
        await self._reconciler.run_maintenance()

    async def reconcile(self, limit: int = 100) -> int:
        """Settle orders whose outcome is not known yet; returns how many changed status."""
        return await self._reconciler.reconcile(limit)

    async def notify_changes(self, limit: int = 100) -> int:
        """Queue one outbox message per (order, new status) the owner was not told about."""
        return await self._reconciler.notify_changes(limit)
