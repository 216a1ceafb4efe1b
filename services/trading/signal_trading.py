"""Trading a followed signal for one user: a market buy of a quote amount on the user's paper
account, or on the live account they chose.

Idempotent per (signal, user): the client order id is ``tsb-<user>-s<signal>``, so a second call
returns the first order. A signal that is not tradable for this user (role, a short on spot, a
size that is not above zero, an account that is not theirs, a pair or amount the exchange
refuses) returns None with the reason logged as ``signal_not_traded``. A chosen account that no
longer exists at all is ``NotFound``.
"""

from __future__ import annotations

from decimal import Decimal

import structlog

from core.db.models import User
from core.db.repositories.orders import OrderRepository
from core.db.session import Database
from core.domain import OrderSide, OrderType, Side
from core.errors import ExchangeError, OrderRejected, UserError
from core.permissions import role_allows
from services.exchange.base import OrderRequest
from services.trading.accounts import TradingAccounts
from services.trading.plans import OrderPlans
from services.trading.submit import OrderSubmitter
from services.trading.views import client_order_id
from services.trading_dto import AccountView, OrderView

log = structlog.get_logger(__name__)


class SignalTrader:
    """Places the order a followed signal asks for, once per (signal, user)."""

    def __init__(
        self,
        db: Database,
        accounts: TradingAccounts,
        plans: OrderPlans,
        submitter: OrderSubmitter,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._plans = plans
        self._submitter = submitter

    async def trade(
        self,
        user_id: int,
        *,
        signal_id: int,
        symbol: str,
        side: Side,
        quote_amount: Decimal,
        account_id: int | None = None,
    ) -> OrderView | None:
        """Market-buy ``quote_amount`` of a long signal (paper unless ``account_id``); the first
        order when it was traded before; None when it is not tradable for this user. The caller
        tells the user about the result; later changes (fills, cancels) are notified."""
        cid = client_order_id(user_id, f"s{signal_id}")
        async with self._db.session() as session:
            user = await session.get(User, user_id)
            existing = await OrderRepository(session).by_client_id(cid)
        if existing is not None:
            return await self._submitter.view(existing.id)
        refusal = _refusal(user, side, quote_amount)
        if refusal is not None:
            _not_traded(signal_id, user_id, refusal)
            return None
        account = await self._account(user_id, account_id)
        if account is None:
            _not_traded(signal_id, user_id, "account")
            return None
        try:
            sized = await self._plans.size(
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
            _not_traded(signal_id, user_id, exc.user_message)
            return None
        return await self._place(user_id, account, sized.request, signal_id)

    async def _account(self, user_id: int, account_id: int | None) -> AccountView | None:
        """The paper account (made on first use), or the chosen one if it is usable."""
        if account_id is None:
            return await self._accounts.ensure_paper(user_id)
        return await self._accounts.usable_by(user_id, account_id)

    async def _place(
        self, user_id: int, account: AccountView, request: OrderRequest, signal_id: int
    ) -> OrderView | None:
        """Submit; after a refusal, the rejected order if one was stored."""
        try:
            return await self._submitter.submit(
                user_id, account, request, signal_id=signal_id, token=None
            )
        except (OrderRejected, UserError):
            async with self._db.session() as session:
                row = await OrderRepository(session).by_client_id(request.client_order_id)
            return None if row is None else await self._submitter.view(row.id)


def _refusal(user: User | None, side: Side, quote_amount: Decimal) -> str | None:
    """Why the signal is not tradable for this user whatever the market says, or None."""
    if user is None or user.is_banned or not role_allows(user.role, "trade"):
        return "role"
    if side is not Side.LONG:
        return "short on spot"
    if not quote_amount.is_finite() or quote_amount <= 0:
        return "size"
    return None


def _not_traded(signal_id: int, user_id: int, reason: str) -> None:
    log.info("signal_not_traded", signal_id=signal_id, user_id=user_id, reason=reason)
