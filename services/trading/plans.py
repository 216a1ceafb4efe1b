"""Order plans: what a Confirm button stands for.

``prepare`` checks and sizes an order and stores it behind an opaque token (nothing is sent);
``confirm`` re-checks the token's owner, status and freshness, and the PIN of a live order,
then hands the order to the submitter, which uses the token up in the same transaction as the
order row, so a plan is placed at most once. ``cancel`` drops a plan that was not placed.

A perp order (``perp``, or a leverage named, or an account that trades perps) goes to the
trader's paper-perp account unless a live one is named; it is sized by ``perp_sizing`` (money
is margin, the position is margin x leverage) and its plan keeps the leverage, margin and
estimated liquidation price the Confirm card shows. The leverage is set when it is placed.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import ExchangeSettings
from core.db.models import ActionToken
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.orders import OrderRepository
from core.db.repositories.tokens import TokenRepository
from core.db.session import Database
from core.domain import MarketType, OrderSide, OrderType
from core.errors import Conflict, Forbidden, UserError
from core.security import new_token
from services.dto import UserView
from services.exchange.base import ExchangeClient, MarketInfo, OrderRequest
from services.leverage import DEFAULT_LEVERAGE, checked_leverage
from services.symbols import pair_candidates
from services.trading.accounts import TradingAccounts, require_trader
from services.trading.perp_sizing import PerpAsk, PerpTerms, perp_fields, size_perp_order
from services.trading.pin import PinGuard
from services.trading.sizing import SizedOrder, order_kind, size_order
from services.trading.submit import OrderSubmitter
from services.trading.views import account_view, client_order_id
from services.trading_dto import AccountView, OrderPlan, OrderView

TOKEN_KIND: Final = "order"  # noqa: S105 - an action kind, not a secret
# ccxt has no one way to place a stop that every exchange honours (Binance spot wants
# STOP_LOSS with stopPrice, others a trigger order type or triggerPrice), and a trigger order
# must be looked up differently when reconciling, so live accounts take no stops for now.
STOP_ON_LIVE: Final = (
    "Stop orders work on your paper account only: on a live exchange, use a limit price "
    "(without 'stop') or set the stop in the exchange's app."
)
PAPER_NAMES: Final = frozenset({"", "paper", "paper-perp"})
PERP_SHARE: Final = (
    "On perps, give the margin in money (100usdt, $100) or the size in coins (0.01); "
    "'all' and 50% work on spot."
)


class OrderPlans:
    """Plans behind Confirm buttons: prepare, confirm (exactly once), cancel."""

    def __init__(
        self,
        db: Database,
        accounts: TradingAccounts,
        submitter: OrderSubmitter,
        pins: PinGuard,
        *,
        settings: ExchangeSettings,
        confirm_ttl: timedelta,
        clock: Clock,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._submitter = submitter
        self._pins = pins
        self._settings = settings
        self._confirm_ttl = confirm_ttl
        self._clock = clock

    async def prepare(
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
        """Validate an order and store its plan behind an opaque token (nothing is sent).

        The size is ``amount`` (coins, or money when ``amount_in_quote``) or ``share`` of the
        free balance the order gives away (see ``TradingAccounts.share_of_free``). ``perp`` or
        a ``leverage`` makes it a perp order (see the module docstring): money is margin.

        Raises ``UserError`` for an unknown pair, an amount that is not above zero, absurd or
        below the exchange minimum, a price more than ``MAX_PRICE_DEVIATION`` times away from
        the market, a stop on the side the market already passed, or a stop on a live account;
        for perps, a leverage outside 1-125x or above the pair's bracket, or a share.
        """
        require_trader(user)
        kind, price = order_kind(amount, price, order_type, share)
        if leverage is not None:
            leverage = checked_leverage(leverage)
        account = await self._order_account(user, account_label, perp or leverage is not None)
        if kind is OrderType.STOP and not account.is_paper:
            raise UserError(STOP_ON_LIVE)
        if account.market_type is MarketType.PERP:
            if share is not None or amount is None:
                raise UserError(PERP_SHARE)
            return await self._prepare_perp(
                user.id,
                account,
                PerpAsk(symbol, side, amount, amount_in_quote, price, kind),
                leverage,
                signal_id,
            )
        client, market = await self._accounts.market(symbol, account)
        if share is not None:
            amount, amount_in_quote = await self._accounts.share_of_free(
                client, account, market, side, share
            )
        assert amount is not None  # order_kind: one of amount and share
        sized = await _sized(
            client,
            market,
            side,
            amount,
            amount_in_quote,
            price,
            kind,
            max_deviation=self._settings.max_price_deviation,
            client_order_id="-",
        )
        return await self._store(user.id, account, sized, signal_id)

    async def _order_account(self, user: UserView, label: str | None, perp: bool) -> AccountView:
        """The account an order goes to: the named one (paper by default); for a perp order
        without a live account named, the trader's paper-perp account."""
        if perp and (label is None or label.strip().lstrip("@").lower() in PAPER_NAMES):
            return await self._accounts.ensure_paper_perp(user.id)
        account = await self._accounts.by_label(user, label)
        if perp and account.market_type is not MarketType.PERP:
            raise UserError(
                f"{account.label} trades spot, so it takes no perp order (10x, perp); "
                "leave the account out for your paper perp account."
            )
        return account

    async def _prepare_perp(
        self,
        user_id: int,
        account: AccountView,
        ask: PerpAsk,
        leverage: int | None,
        signal_id: int | None,
    ) -> OrderPlan:
        """Size a perp order against its market, the price and the position held, and store
        its plan (see ``perp_sizing``). Without a leverage named, the open position's (the
        exchange would keep it anyway), else ``DEFAULT_LEVERAGE``."""
        client, market = await self._perp_market(client_for=account, text=ask.symbol)
        ticker = await client.ticker(market.symbol)
        held = next((p for p in await client.positions() if p.symbol == market.symbol), None)
        if leverage is None:
            leverage = (held.leverage if held is not None else None) or DEFAULT_LEVERAGE
        sized, terms = size_perp_order(
            market,
            ticker,
            side=ask.side,
            amount=ask.amount,
            margin_in_quote=ask.in_quote,
            price=ask.price,
            kind=ask.kind,
            leverage=leverage,
            held=held,
            max_deviation=self._settings.max_price_deviation,
            client_order_id="-",
        )
        return await self._store(user_id, account, sized, signal_id, terms)

    async def _perp_market(
        self, *, client_for: AccountView, text: str
    ) -> tuple[ExchangeClient, MarketInfo]:
        """The perpetual ``text`` names (``btc``, ``BTC/USDT`` -> ``BTC/USDT:USDT``) on the
        account's exchange; ``UserError`` when it lists none or the market is halted."""
        client = await self._accounts.client(client_for)
        pair = text.strip().partition(":")[0]
        for candidate in pair_candidates(pair):
            settle = candidate.partition("/")[2]
            try:
                market = await client.market(f"{candidate}:{settle}")
            except UserError:
                continue
            if not market.active:
                raise UserError(f"{market.symbol} is not trading right now.")
            return client, market
        where = "paper perps" if client_for.is_paper else client_for.exchange_id
        raise UserError(f"I don't know the perpetual {pair[:32]!r} on {where}.")

    async def size(
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
    ) -> SizedOrder:
        """Resolve the pair on the account's exchange, read its price, and size the order."""
        client, market = await self._accounts.market(symbol_text, account)
        return await _sized(
            client,
            market,
            side,
            amount,
            amount_in_quote,
            price,
            kind,
            max_deviation=self._settings.max_price_deviation,
            client_order_id=client_order_id,
        )

    async def _store(
        self,
        user_id: int,
        account: AccountView,
        sized: SizedOrder,
        signal_id: int | None,
        perp: PerpTerms | None = None,
    ) -> OrderPlan:
        """Keep the plan behind a new token until it expires."""
        request = sized.request
        token = new_token(12)
        expires_at = self._clock() + self._confirm_ttl
        payload = {
            "account_id": account.id,
            "symbol": request.symbol,
            "side": request.side.value,
            "type": request.type.value,
            "amount": str(request.amount),
            "price": None if request.price is None else str(request.price),
            "est_cost": str(sized.est_cost),
            "quote": sized.quote,
            "signal_id": signal_id,
            "pin_failures": 0,
        }
        if perp is not None:
            payload.update(perp.payload())
        async with self._db.transaction() as session:
            await TokenRepository(session).add(
                ActionToken(
                    id=token,
                    user_id=user_id,
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
            est_cost=sized.est_cost,
            quote=sized.quote,
            expires_at=expires_at,
            **perp_fields(payload),
        )

    async def confirm(
        self, user: UserView, token: str, pin: str | None = None, *, pin_checked: bool = False
    ) -> OrderView:
        """Place the order behind ``token`` exactly once.

        Re-checks the owner, that the token is unused and fresh, and the trading PIN for live
        orders of a user who set one (``PinRequired`` without it; three wrong PINs cancel the
        plan), unless ``pin_checked``: the PIN was given when the API key placing it was made.
        Raises ``UserError``/``Forbidden``/``Conflict`` with nothing sent.
        """
        require_trader(user)
        plan, signal_id = await self._load(user, token)
        if not plan.account.is_paper and not pin_checked:
            await self._pins.check(user.id, token, pin)
        request = OrderRequest(
            symbol=plan.symbol,
            side=plan.side,
            type=plan.type,
            amount=plan.amount,
            client_order_id=client_order_id(user.id, token),
            price=plan.price,
        )
        view = await self._submitter.submit(
            user.id,
            plan.account,
            request,
            signal_id=signal_id,
            token=token,
            leverage=plan.leverage,
        )
        if plan.leverage is not None and view.leverage not in {None, plan.leverage}:
            return dataclasses.replace(view, leverage_asked=plan.leverage)
        return view

    async def execute_now(self, user: UserView, plan: OrderPlan) -> OrderView:
        """Place a paper plan at once (paper needs no confirmation)."""
        if not plan.account.is_paper:
            raise UserError("Live orders need your confirmation: press Confirm.")
        return await self.confirm(user, plan.token)

    async def cancel(self, user: UserView, token: str) -> None:
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

    async def _load(self, user: UserView, token: str) -> tuple[OrderPlan, int | None]:
        """The plan behind ``token``, re-checked for owner, status and freshness, and the id of
        the signal it trades (if any)."""
        async with self._db.session() as session:
            row = await self._usable_token(session, user, token)
            account = await AccountRepository(session).get(int(row.payload["account_id"]))
            if account is None or not account.is_active or account.user_id != user.id:
                raise UserError("The account of this order is gone; nothing was sent.")
            plan = _plan_of(token, row, account_view(account))
            signal_id = row.payload.get("signal_id")
        return plan, None if signal_id is None else int(signal_id)

    async def _usable_token(
        self, session: AsyncSession, user: UserView, token: str
    ) -> ActionToken:
        """The token row if it is an order plan of ``user``'s, unused, not cancelled and fresh;
        otherwise the error saying which of these it is not (nothing is sent)."""
        row = await TokenRepository(session).get(token)
        if row is None or row.kind != TOKEN_KIND:
            raise UserError("This button is no longer valid.")
        if row.user_id != user.id:
            raise Forbidden("This button is not yours; nothing was done.")
        if row.status == "used":
            order = await OrderRepository(session).by_client_id(client_order_id(user.id, token))
            ref = f" as order #{order.id}" if order is not None else ""
            raise Conflict(f"This order was already placed{ref}; it is not sent twice.")
        if row.status != "pending":
            raise UserError("This order was cancelled; nothing was sent.")
        if row.expires_at <= self._clock():
            raise UserError("This confirmation expired; nothing was sent. Place the order again.")
        return row


async def _sized(
    client: ExchangeClient,
    market: MarketInfo,
    side: OrderSide,
    amount: Decimal,
    amount_in_quote: bool,
    price: Decimal | None,
    kind: OrderType,
    *,
    max_deviation: Decimal,
    client_order_id: str,
) -> SizedOrder:
    """The order sized against the market's current price (``UserError`` when it is halted)."""
    if not market.active:
        raise UserError(f"{market.symbol} is not trading right now.")
    ticker = await client.ticker(market.symbol)
    return size_order(
        market,
        ticker,
        side=side,
        amount=amount,
        amount_in_quote=amount_in_quote,
        price=price,
        kind=kind,
        max_deviation=max_deviation,
        client_order_id=client_order_id,
    )


def _plan_of(token: str, row: ActionToken, account: AccountView) -> OrderPlan:
    payload: dict[str, Any] = row.payload
    return OrderPlan(
        token=token,
        account=account,
        symbol=str(payload["symbol"]),
        side=OrderSide(payload["side"]),
        type=OrderType(payload["type"]),
        amount=Decimal(payload["amount"]),
        price=None if payload.get("price") is None else Decimal(payload["price"]),
        est_cost=Decimal(payload["est_cost"]),
        quote=str(payload["quote"]),
        expires_at=row.expires_at,
        **perp_fields(payload),
    )
