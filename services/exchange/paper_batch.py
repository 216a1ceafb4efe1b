"""Many paper spot orders in the caller's transaction: the first orders of a signal's
followers.

A channel post followed by a thousand traders on paper would otherwise cost a thousand
transactions of a handful of statements each. ``place_in`` stores every order row in one
statement, creates and locks every balance row the fills touch in two more (in id order, so two
batches never deadlock), then runs the paper engine's own placement rules row by row on the
locked rows (``PaperEngine.place_row``: the same fill, rest and refusal rules as one order).
The caller commits once, with what the orders belong to (plans, legs, notes): all of it happened
or none of it did, so a crash cannot leave an order without its plan or the reverse.

A refused order (insufficient funds, a bad amount) is stored ``rejected`` with the reason and
the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import ExchangeAccount, Order
from core.db.repositories.paper import PaperBalanceRepository
from core.domain import MarketType, OrderStatus, OrderType
from services.exchange.base import MarketInfo, OrderRequest, OrderResult, Ticker
from services.exchange.paper import PaperEngine
from services.exchange.paper_orders import Refused, order_result

log = structlog.get_logger(__name__)

Quotes = dict[str, tuple[MarketInfo, Ticker]]


@dataclass(frozen=True, slots=True)
class PaperIntent:
    """One order of the batch and the rows it belongs to."""

    account_id: int
    request: OrderRequest
    signal_id: int | None = None
    plan_id: int | None = None


async def quotes_for(engine: PaperEngine, symbols: set[str]) -> Quotes:
    """The market and the price of each symbol, read once for a batch."""
    out: Quotes = {}
    for symbol in sorted(symbols):
        out[symbol] = (await engine.market(symbol), await engine.feed.ticker(symbol))
    return out


async def place_in(
    engine: PaperEngine,
    session: AsyncSession,
    intents: Sequence[PaperIntent],
    quotes: Quotes,
    *,
    accounts: dict[int, ExchangeAccount] | None = None,
) -> dict[str, OrderResult | str]:
    """Place every intent (spot paper accounts only) in the caller's transaction, which
    stores what the orders belong to (all of it happens, or none of it); per client order id,
    the order as the exchange answers it or the reason it was refused. The client order ids
    must be new (made in this transaction). ``accounts``: the intents' account rows when the
    caller has them (by id)."""
    out: dict[str, OrderResult | str] = {}
    if accounts is None:
        wanted = select(ExchangeAccount).where(
            ExchangeAccount.id.in_({i.account_id for i in intents})
        )
        accounts = {a.id: a for a in await session.scalars(wanted)}
    rows: list[tuple[Order, PaperIntent]] = []
    for intent in intents:
        cid = intent.request.client_order_id
        account = accounts.get(intent.account_id)
        refusal = _refusal(intent.request, account)
        if refusal is not None:
            out[cid] = refusal
            continue
        assert account is not None
        rows.append((_row(account, intent), intent))
    session.add_all([row for row, _ in rows])
    await session.flush()
    pairs = set()
    for row, _ in rows:
        row.exchange_order_id = f"paper-{row.id}"
        base, _, quote = row.symbol.partition("/")
        pairs |= {(row.account_id, base), (row.account_id, quote)}
    await PaperBalanceRepository(session).lock_many(pairs)
    for row, intent in rows:
        market, ticker = quotes[intent.request.symbol]
        try:
            await engine.place_row(session, row, market, ticker)
        except Refused as exc:
            row.status = OrderStatus.REJECTED
            row.error = exc.reason
        row.notified_status = row.status.value  # its owner hears of it from the caller
        out[row.client_order_id] = (
            order_result(row) if row.status is not OrderStatus.REJECTED else str(row.error)
        )
    log.info("paper_orders_placed", count=len(rows), asked=len(intents))
    return out


def _refusal(request: OrderRequest, account: ExchangeAccount | None) -> str | None:
    if account is None or not account.is_paper or account.market_type is not MarketType.SPOT:
        return "No such paper spot account."
    if request.amount <= 0:
        return "The amount must be above zero."
    if request.type is not OrderType.MARKET and (request.price is None or request.price <= 0):
        return f"A {request.type.value} order needs a price above zero."
    return None


def _row(account: ExchangeAccount, intent: PaperIntent) -> Order:
    request = intent.request
    return Order(
        user_id=account.user_id,
        account_id=account.id,
        signal_id=intent.signal_id,
        plan_id=intent.plan_id,
        client_order_id=request.client_order_id,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        amount=request.amount,
        price=request.price,
        reduce_only=request.reduce_only,
        status=OrderStatus.PENDING,
    )
