"""The paper exchange's USDT-margined perpetual side: isolated margin, one-way mode.

One ``PaperPerpEngine`` per process, held by the ``PaperEngine`` (``engine.perp``), whose
feed, fee rate, slippage and quote asset it shares; ``PaperPerpExchange`` is the
``ExchangeClient`` of one perp paper account. Symbols are ccxt swap symbols
(``BTC/USDT:USDT``); ``BTC/USDT`` names the same contract. The mark price is the feed's price
of the perp symbol, or of the spot pair when the feed has no perp price.

- The wallet is the account's ``PaperBalance`` row of the quote asset: ``used`` is the
  positions' margins plus what resting opening orders reserve.
- A position is the ``PerpPosition`` row of (account, symbol): side, size, entry, leverage and
  isolated margin. ``set_leverage`` stores 1..the bracket's maximum; while a position is open a
  change is refused and the current leverage returned.
- Opening (or growing) takes margin = notional / leverage plus the fee (``fee_rate`` of the
  notional) from the free wallet; a resting opening limit or stop reserves both at its price.
  An order against the position closes it first (realised P/L and the released margin back to
  the wallet, less the fee; a loss beyond the margin is not charged, as Binance's insurance fund
  takes it), and what is left opens the other side, unless it is reduce-only: reduce-only
  orders never grow or flip a position, are capped to it, and are refused without one.
- Market orders fill at the mark, ``slippage`` worse; limits and stops as on the spot side. The
  Order row is the order and its fill one transaction: exactly once per client order id.
- ``check_resting()`` (the trading maintenance loop's paper pass) fills crossed perp orders,
  then liquidates every position whose mark reached its liquidation price (``liquidation``,
  Binance's isolated formula and brackets): closed at that price, its margin lost, recorded as
  a filled reduce-only market order ``liq-<account>-<position>-<n>`` whose error says
  "liquidated at <price>", and its resting reduce-only orders cancelled.
- Funding payments are left out: positions pay and earn no funding.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import ExchangeAccount, Order
from core.db.repositories.orders import OrderRepository
from core.db.repositories.paper import PaperBalanceRepository, PaperOrderRepository
from core.db.repositories.perp import PerpPositionRepository
from core.db.session import Database
from core.domain import MarketType, OrderSide, OrderStatus, OrderType, Side
from core.errors import NotFound, OrderRejected, UserError
from services.exchange.base import Balance, MarketInfo, OrderRequest, OrderResult, Position, Ticker
from services.exchange.liquidation import MAX_LEVERAGE, maintenance_margin, max_leverage
from services.exchange.paper_orders import (
    AMOUNT_STEP,
    PAPER_EXCHANGE_ID,
    RESTING,
    PaperOrderReads,
    Refused,
    crossed,
    money,
    order_result,
    paper_id,
)
from services.exchange.paper_perp_ledger import (
    PaperHost,
    PerpLedger,
    closing_side,
    position_liquidation,
    sign,
)
from services.symbols import fmt_number, price_step_for, round_to

log = structlog.get_logger(__name__)


class PaperPerpEngine(PaperOrderReads):
    """The perp side of the paper exchange; see the module docstring."""

    def __init__(self, db: Database, host: PaperHost) -> None:
        super().__init__(db, MarketType.PERP)
        self._db = db
        self._host = host
        self._ledger = PerpLedger(host)

    # -- markets --------------------------------------------------------------------------------

    def perp_symbol(self, symbol: str) -> str:
        """``BTC/USDT`` or ``BTC/USDT:USDT`` -> ``BTC/USDT:USDT``."""
        text = symbol.strip().upper()
        return text if ":" in text else f"{text}:{self._host.quote}"

    async def symbols(self) -> list[str]:
        """Perp symbols the feed prices, and one per spot pair in the quote asset."""
        found = set()
        for symbol in await self._host.feed_symbols():
            if ":" in symbol:
                found.add(symbol)
            elif symbol.endswith(f"/{self._host.quote}"):
                found.add(self.perp_symbol(symbol))
        return sorted(found)

    async def ticker(self, symbol: str) -> Ticker:
        """The mark: the feed's price of the perp symbol, else of its spot pair."""
        perp = self.perp_symbol(symbol)
        try:
            return await self._host.feed.ticker(perp)
        except UserError:
            spot = await self._host.feed.ticker(perp.partition(":")[0])
            return dataclasses.replace(spot, symbol=perp)

    async def market(self, symbol: str) -> MarketInfo:
        """Raises ``UserError`` when the feed prices neither the contract nor its spot pair."""
        perp = self.perp_symbol(symbol)
        known = await self.symbols()
        if known and perp not in known:
            raise UserError(f"Paper perps do not list {perp}.")
        ticker = await self.ticker(perp)
        base, _, rest = perp.partition("/")
        return MarketInfo(
            symbol=perp,
            base=base,
            quote=rest.partition(":")[0],
            amount_step=AMOUNT_STEP,
            price_step=price_step_for(ticker.last),
            min_amount=AMOUNT_STEP,
            min_cost=self._host.min_notional,
            spot=False,
        )

    async def markets(self) -> dict[str, MarketInfo]:
        return {symbol: await self.market(symbol) for symbol in await self.symbols()}

    async def set_leverage(self, account_id: int, symbol: str, leverage: int) -> int:
        """Store ``leverage`` (capped to the bracket's maximum) for ``symbol``; returns the
        leverage in force, the current one while a position is open."""
        market = await self.market(symbol)
        if leverage < 1:
            raise UserError("The leverage must be at least 1x.")
        wanted = min(leverage, max_leverage(market.symbol, Decimal(0)), MAX_LEVERAGE)
        async with self._db.transaction() as session:
            position = await PerpPositionRepository(session).for_update(account_id, market.symbol)
            if position.size > 0 and position.leverage != wanted:
                log.info("paper_leverage_kept", symbol=market.symbol, leverage=position.leverage)
                return position.leverage
            position.leverage = wanted
            return wanted

    # -- orders ---------------------------------------------------------------------------------

    async def create_order(self, account_id: int, request: OrderRequest) -> OrderResult:
        """Execute or rest the order whose row carries ``request.client_order_id``.

        Idempotent: a row already past ``pending``/``unknown`` is answered as it stands.
        Raises ``OrderRejected`` (margin, reduce-only) after marking the row rejected.
        """
        market = await self.market(request.symbol)
        if request.amount <= 0:
            raise UserError("The amount must be above zero.")
        if request.type is not OrderType.MARKET and (request.price is None or request.price <= 0):
            raise UserError(f"A {request.type.value} order needs a price above zero.")
        ticker = await self.ticker(market.symbol)
        refused: str | None = None
        async with self._db.transaction() as session:
            row = await OrderRepository(session).by_client_id(request.client_order_id, lock=True)
            if row is None:
                row = await self._new_row(session, account_id, request, market.symbol)
            if row.account_id != account_id:
                raise UserError("That client order id belongs to another account.")
            if row.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                return order_result(row)
            row.exchange_order_id = f"paper-{row.id}"
            try:
                await self._place(session, row, ticker)
            except Refused as exc:
                row.status = OrderStatus.REJECTED
                row.error = exc.reason
                refused = exc.reason
            result = order_result(row)
        if refused is not None:
            raise OrderRejected(refused)
        log.info(
            "paper_perp_order_placed", order_id=result.exchange_order_id, status=result.status
        )
        return result

    async def _new_row(
        self, session: AsyncSession, account_id: int, req: OrderRequest, symbol: str
    ) -> Order:
        account = await session.get(ExchangeAccount, account_id)
        if account is None or not account.is_paper or account.market_type is not MarketType.PERP:
            raise NotFound("No such paper perp account.")
        row = Order(
            user_id=account.user_id,
            account_id=account_id,
            client_order_id=req.client_order_id,
            symbol=symbol,
            side=req.side,
            type=req.type,
            amount=req.amount,
            price=req.price,
            status=OrderStatus.PENDING,
            reduce_only=req.reduce_only,
        )
        session.add(row)
        await session.flush()
        return row

    async def _place(self, session: AsyncSession, row: Order, ticker: Ticker) -> None:
        position = await PerpPositionRepository(session).for_update(row.account_id, row.symbol)
        if row.reduce_only:
            self._ledger.cap_reduce_only(row, position)
        row.leverage = position.leverage
        last = ticker.last
        if row.type is OrderType.MARKET:
            await self._ledger.fill(
                session, row, position, self._ledger.slipped(row.side, last), ticker.source
            )
            return
        assert row.price is not None
        if row.type is OrderType.STOP and crossed(row, last):
            raise Refused(
                f"The {row.side.value} stop at {fmt_number(row.price)} would trigger at once: "
                f"the mark is at {fmt_number(last)}."
            )
        if crossed(row, last):  # marketable limit: taker fill, never past the limit
            taker = self._ledger.slipped(row.side, last)
            price = min(taker, row.price) if row.side is OrderSide.BUY else max(taker, row.price)
            await self._ledger.fill(session, row, position, price, ticker.source)
            return
        await self._ledger.reserve(session, row, position)
        row.status = OrderStatus.OPEN

    async def cancel_order(self, account_id: int, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` unless the order is resting on this account."""
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(paper_id(exchange_order_id), lock=True)
            if row is None or row.account_id != account_id or row.status not in RESTING:
                raise NotFound("That order is not open on the paper exchange.")
            await self._ledger.release(session, row)
            row.status = OrderStatus.CANCELLED
            return order_result(row)

    # -- the periodic pass ----------------------------------------------------------------------

    async def _mark(self, symbol: str, cache: dict[str, Ticker | None]) -> Ticker | None:
        if symbol not in cache:
            try:
                cache[symbol] = await self.ticker(symbol)
            except (UserError, OrderRejected) as exc:
                log.warning("paper_price_missing", symbol=symbol, error=str(exc))
                cache[symbol] = None
        return cache[symbol]

    async def check_resting(self) -> list[int]:
        """Fill the resting perp orders the mark crossed, then liquidate; returns the ids of
        the orders filled, liquidation orders included. Unpriced symbols wait a pass."""
        async with self._db.session() as session:
            resting = await PaperOrderRepository(session).resting(MarketType.PERP)
            waiting = [(o.id, o.symbol) for o in resting]
        marks: dict[str, Ticker | None] = {}
        filled: list[int] = []
        for order_id, symbol in waiting:
            ticker = await self._mark(symbol, marks)
            if ticker is not None and await self._fill_if_crossed(order_id, ticker):
                filled.append(order_id)
        async with self._db.session() as session:
            positions = await PerpPositionRepository(session).open_positions()
            open_ids = [(p.id, p.symbol) for p in positions]
        for position_id, symbol in open_ids:
            ticker = await self._mark(symbol, marks)
            liquidation = None if ticker is None else await self._liquidate(position_id, ticker)
            if liquidation is not None:
                filled.append(liquidation)
        return filled

    async def _fill_if_crossed(self, order_id: int, ticker: Ticker) -> bool:
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            if row is None or row.status not in RESTING or not crossed(row, ticker.last):
                return False
            assert row.price is not None
            price = (
                row.price
                if row.type is OrderType.LIMIT
                else self._ledger.slipped(row.side, ticker.last)
            )
            positions = PerpPositionRepository(session)
            position = await positions.for_update(row.account_id, row.symbol)
            try:
                await self._ledger.fill(session, row, position, price, ticker.source)
            except Refused as exc:
                # _fill released the hold before finding it short; nothing else moved
                row.status = OrderStatus.CANCELLED
                row.error = exc.reason
            log.info("paper_perp_order_triggered", order_id=row.id, status=row.status.value)
            return row.status is OrderStatus.FILLED

    async def _liquidate(self, position_id: int, ticker: Ticker) -> int | None:
        """Close the position at its liquidation price if the mark reached it; the new
        order's id, or None."""
        async with self._db.transaction() as session:
            position = await PerpPositionRepository(session).locked(position_id)
            side = None if position is None else closing_side(position)
            if position is None or side is None:
                return None
            assert position.side is not None and position.entry_price is not None
            mark = ticker.last
            equity = position.margin + sign(position.side) * position.size * (
                mark - position.entry_price
            )
            # Binance liquidates when the margin balance falls to the maintenance margin at
            # the mark, which is the mark reaching the liquidation price
            if equity > maintenance_margin(position.symbol, position.size * mark):
                return None
            exact = position_liquidation(position)
            price = round_to(exact, price_step_for(exact))
            account = await session.get(ExchangeAccount, position.account_id)
            assert account is not None  # the position row references it
            orders = PaperOrderRepository(session)
            prefix = f"liq-{account.id}-{position.id}-"
            row = Order(
                user_id=account.user_id,
                account_id=account.id,
                client_order_id=f"{prefix}{await orders.count_client_prefix(prefix) + 1}",
                symbol=position.symbol,
                side=side,
                type=OrderType.MARKET,
                amount=position.size,
                filled=position.size,
                average=price,
                fee_asset=self._host.quote,
                status=OrderStatus.FILLED,
                priced_by=ticker.source,
                error=f"liquidated at {fmt_number(price)}",
                reduce_only=True,
                leverage=position.leverage,
            )
            session.add(row)
            await session.flush()
            row.exchange_order_id = f"paper-{row.id}"
            wallet = await self._ledger.wallet(session, account.id)
            wallet.used -= position.margin
            position.realized_pnl -= position.margin
            position.side, position.size, position.entry_price = None, Decimal(0), None
            position.margin = Decimal(0)
            for resting in await orders.resting_reduce_only(account.id, position.symbol):
                await self._ledger.release(session, resting)
                resting.status = OrderStatus.CANCELLED
                resting.error = f"position liquidated at {fmt_number(price)}"
            log.warning("paper_position_liquidated", position_id=position.id, price=str(price))
            return row.id

    # -- reads ----------------------------------------------------------------------------------

    async def balances(self, account_id: int) -> list[Balance]:
        async with self._db.session() as session:
            rows = await PaperBalanceRepository(session).for_account(account_id)
        return [Balance(r.asset, r.free, r.used) for r in rows if r.free or r.used]

    async def positions(self, account_id: int) -> list[Position]:
        async with self._db.session() as session:
            rows = await PerpPositionRepository(session).for_account(account_id)
        marks: dict[str, Ticker | None] = {}
        result = []
        for row in rows:
            assert row.side is not None and row.entry_price is not None  # size > 0
            ticker = await self._mark(row.symbol, marks)
            mark = None if ticker is None else ticker.last
            pnl = (
                None
                if mark is None
                else money(sign(row.side) * row.size * (mark - row.entry_price))
            )
            amount = row.size if row.side is Side.LONG else -row.size
            liq = position_liquidation(row)
            result.append(
                Position(
                    row.symbol,
                    amount,
                    row.entry_price,
                    mark,
                    pnl,
                    side=row.side,
                    leverage=row.leverage,
                    liquidation_price=round_to(liq, price_step_for(liq)),
                    margin=row.margin,
                )
            )
        return result


@dataclasses.dataclass
class PaperPerpExchange:
    """``ExchangeClient`` of one perp paper account (see ``PaperPerpEngine``)."""

    engine: PaperPerpEngine
    account_id: int
    name: str = PAPER_EXCHANGE_ID

    async def markets(self) -> dict[str, MarketInfo]:
        return await self.engine.markets()

    async def market(self, symbol: str) -> MarketInfo:
        return await self.engine.market(symbol)

    async def ticker(self, symbol: str) -> Ticker:
        return await self.engine.ticker(symbol)

    async def balances(self) -> list[Balance]:
        return await self.engine.balances(self.account_id)

    async def create_order(self, request: OrderRequest) -> OrderResult:
        return await self.engine.create_order(self.account_id, request)

    async def cancel_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        return await self.engine.cancel_order(self.account_id, exchange_order_id)

    async def fetch_order(self, symbol: str, exchange_order_id: str) -> OrderResult:
        return await self.engine.order(self.account_id, exchange_order_id)

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderResult | None:
        return await self.engine.order_by_client_id(self.account_id, client_order_id)

    async def open_orders(self, symbol: str | None = None) -> list[OrderResult]:
        wanted = None if symbol is None else self.engine.perp_symbol(symbol)
        return await self.engine.open_orders(self.account_id, wanted)

    async def positions(self) -> list[Position]:
        return await self.engine.positions(self.account_id)

    async def withdrawals_enabled(self) -> bool | None:
        return False

    async def ip_restricted(self) -> bool | None:
        return None  # no keys

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        return await self.engine.set_leverage(self.account_id, symbol, leverage)

    async def close(self) -> None:
        return None
