"""The paper exchange: simulated fills on a price feed, balances and orders in the database.

``PaperEngine`` is one per process (database, feed, fee and slippage);
``engine.client(id, market_type)`` gives the ``ExchangeClient`` of one paper account: this
module's spot ``PaperExchange``, or for a perp account the ``PaperPerpExchange`` of the engine's
``perp`` side (``paper_perp``), which shares the feed, fees and slippage. The ledger is
``PaperBalance`` rows (free and used per asset) and the orders are the ``Order`` rows
themselves: a fill changes the order row and the balances in one transaction, so a paper
order is executed exactly once however often ``create_order`` is called with its client
order id.

- market orders fill at once at the feed's price, ``slippage`` worse, paying ``fee_rate`` of
  the cost in the quote asset;
- limit orders that are not marketable rest, holding back what they need (quote for buys, base
  for sells), and fill at their limit when the price crosses it;
- stop orders rest until the price reaches the trigger, then fill as market orders; one whose
  trigger the price has already reached is refused (a buy stop at or below the market, a sell
  stop at or above), as exchanges refuse a stop that would trigger immediately;
- ``check_resting()`` fills what crossed, spot and perp, and liquidates perp positions: the
  feature runs it periodically and on every price request. Every fill names the feed that
  priced it (``priced_by``).
- the spot side trades the feed's spot symbols (``BTC/USDT``); perp symbols
  (``BTC/USDT:USDT``) the feed lists are the perp side's.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.config import ExchangeSettings
from core.db.models import ExchangeAccount, Order, PaperBalance
from core.db.repositories.orders import OrderRepository
from core.db.repositories.paper import PaperBalanceRepository, PaperOrderRepository
from core.db.session import Database
from core.domain import MarketType, OrderSide, OrderStatus, OrderType
from core.errors import NotFound, OrderRejected, UserError
from services.exchange.base import (
    Balance,
    MarketInfo,
    OrderRequest,
    OrderResult,
    Position,
    Ticker,
)
from services.exchange.feeds import PriceFeed
from services.exchange.paper_orders import (
    AMOUNT_STEP,
    PAPER_EXCHANGE_ID,
    RESTING,
    PaperOrderReads,
    crossed,
    order_result,
    paper_id,
    slipped,
)
from services.exchange.paper_orders import Refused as _Refused
from services.exchange.paper_orders import money as _q
from services.exchange.paper_perp import PaperPerpEngine, PaperPerpExchange
from services.symbols import fmt_number, price_step_for

__all__ = ["PAPER_EXCHANGE_ID", "PaperEngine", "PaperExchange"]

log = structlog.get_logger(__name__)


def _split(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote


class PaperEngine(PaperOrderReads):
    """Simulated exchange shared by every paper account."""

    def __init__(
        self,
        db: Database,
        feed: PriceFeed,
        settings: ExchangeSettings,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(db, MarketType.SPOT)
        self._db = db
        self.feed = feed
        self.fee_rate = settings.paper_fee_rate
        self.slippage = settings.paper_slippage
        self.quote = settings.paper_quote.upper()
        self.start_balance = settings.paper_start_balance
        self.min_notional = settings.paper_min_notional
        self._clock = clock
        self._symbols_loaded = False
        self.perp = PaperPerpEngine(db, self)

    @property
    def buy_cost_factor(self) -> Decimal:
        """At most what one unit of quote spent at the price costs, slippage and fee added."""
        return (1 + self.slippage) * (1 + self.fee_rate)

    def client(
        self, account_id: int, market_type: MarketType = MarketType.SPOT
    ) -> PaperExchange | PaperPerpExchange:
        """The client of one paper account: spot, or perp for a perp account."""
        if market_type is MarketType.PERP:
            return PaperPerpExchange(self.perp, account_id)
        return PaperExchange(self, account_id)

    # -- markets --------------------------------------------------------------------------------

    async def feed_symbols(self) -> list[str]:
        """Every symbol the feed prices, spot and perp (loaded once where the feed loads)."""
        symbols = self.feed.symbols()
        load = getattr(self.feed, "load_symbols", None)
        if not symbols and load is not None and not self._symbols_loaded:
            symbols = await load()
            self._symbols_loaded = True
        return symbols

    async def symbols(self) -> list[str]:
        """The spot symbols the feed prices."""
        return [s for s in await self.feed_symbols() if ":" not in s]

    async def market(self, symbol: str) -> MarketInfo:
        """Raises ``UserError`` when the feed does not price ``symbol``."""
        known = await self.symbols()
        if known and symbol not in known:
            raise UserError(f"Paper trading does not list {symbol}.")
        ticker = await self.feed.ticker(symbol)
        base, quote = _split(symbol)
        return MarketInfo(
            symbol=symbol,
            base=base,
            quote=quote,
            amount_step=AMOUNT_STEP,
            price_step=price_step_for(ticker.last),
            min_amount=AMOUNT_STEP,
            min_cost=self.min_notional,
        )

    async def markets(self) -> dict[str, MarketInfo]:
        return {symbol: await self.market(symbol) for symbol in await self.symbols()}

    # -- orders ---------------------------------------------------------------------------------

    async def create_order(self, account_id: int, request: OrderRequest) -> OrderResult:
        """Execute or rest the order whose row carries ``request.client_order_id``.

        Idempotent: a row already past ``pending``/``unknown`` is answered as it stands.
        Raises ``OrderRejected`` (insufficient funds) after marking the row rejected.
        """
        market = await self.market(request.symbol)
        if request.amount <= 0:
            raise UserError("The amount must be above zero.")
        if request.type is not OrderType.MARKET and (request.price is None or request.price <= 0):
            raise UserError(f"A {request.type.value} order needs a price above zero.")
        ticker = await self.feed.ticker(request.symbol)
        refused: str | None = None
        async with self._db.transaction() as session:
            orders = OrderRepository(session)
            row = await orders.by_client_id(request.client_order_id, lock=True)
            if row is None:
                row = await self._new_row(session, account_id, request)
            if row.account_id != account_id:
                raise UserError("That client order id belongs to another account.")
            if row.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                return order_result(row)
            row.exchange_order_id = f"paper-{row.id}"
            try:
                await self._place(session, row, market, ticker)
            except _Refused as exc:
                row.status = OrderStatus.REJECTED
                row.error = exc.reason
                refused = exc.reason
            result = order_result(row)
        if refused is not None:
            raise OrderRejected(refused)
        log.info(
            "paper_order_placed",
            order_id=result.exchange_order_id,
            status=result.status.value,
            symbol=request.symbol,
        )
        return result

    async def _new_row(self, session: AsyncSession, account_id: int, req: OrderRequest) -> Order:
        account = await session.get(ExchangeAccount, account_id)
        if account is None or not account.is_paper or account.market_type is not MarketType.SPOT:
            raise NotFound("No such paper spot account.")
        row = Order(
            user_id=account.user_id,
            account_id=account_id,
            client_order_id=req.client_order_id,
            symbol=req.symbol,
            side=req.side,
            type=req.type,
            amount=req.amount,
            price=req.price,
            status=OrderStatus.PENDING,
        )
        session.add(row)
        await session.flush()
        return row

    @property
    def db(self) -> Database:
        return self._db

    async def place_row(
        self, session: AsyncSession, row: Order, market: MarketInfo, ticker: Ticker
    ) -> None:
        """Fill, rest or refuse (``Refused``) a stored pending row in the caller's transaction:
        the rules of ``create_order``, for a batch (``services.exchange.paper_batch``)."""
        await self._place(session, row, market, ticker)

    async def _place(
        self, session: AsyncSession, row: Order, market: MarketInfo, ticker: Ticker
    ) -> None:
        last = ticker.last
        if row.type is OrderType.MARKET:
            await self._fill(session, row, self._slipped(row.side, last), ticker.source)
            return
        assert row.price is not None
        if row.type is OrderType.STOP and crossed(row, last):
            # as exchanges do ("stop price would trigger immediately"): a stop is for a
            # price not reached yet; the service refuses it earlier with the same reason
            raise _Refused(
                f"The {row.side.value} stop at {fmt_number(row.price)} would trigger at once: "
                f"the market is at {fmt_number(last)}."
            )
        if crossed(row, last):  # marketable limit: taker fill, never past the limit
            slipped = self._slipped(row.side, last)
            price = (
                min(slipped, row.price) if row.side is OrderSide.BUY else max(slipped, row.price)
            )
            await self._fill(session, row, price, ticker.source)
            return
        await self._reserve(session, row, market)
        row.status = OrderStatus.OPEN

    def _slipped(self, side: OrderSide, price: Decimal) -> Decimal:
        return slipped(side, price, self.slippage)

    def _reserve_amount(self, row: Order) -> tuple[str, Decimal]:
        base, quote = _split(row.symbol)
        assert row.price is not None
        if row.side is OrderSide.SELL:
            return base, row.amount
        price = row.price if row.type is OrderType.LIMIT else row.price * (1 + self.slippage)
        return quote, _q(row.amount * price * (1 + self.fee_rate))

    async def _reserve(self, session: AsyncSession, row: Order, market: MarketInfo) -> None:
        asset, amount = self._reserve_amount(row)
        balance = await PaperBalanceRepository(session).for_update(row.account_id, asset)
        if balance.free < amount:
            raise _Refused(self._insufficient(row, asset, amount, balance.free))
        balance.free -= amount
        balance.used += amount
        row.reserved = amount

    async def _release(self, session: AsyncSession, row: Order) -> None:
        if not row.reserved:
            return
        base, quote = _split(row.symbol)
        asset = base if row.side is OrderSide.SELL else quote
        balance = await PaperBalanceRepository(session).for_update(row.account_id, asset)
        balance.used -= row.reserved
        balance.free += row.reserved
        row.reserved = None

    async def _fill(self, session: AsyncSession, row: Order, price: Decimal, source: str) -> None:
        """Fill the whole order at ``price``; raises ``_Refused`` when funds do not cover it."""
        base, quote = _split(row.symbol)
        repo = PaperBalanceRepository(session)
        # Lock in a fixed order (base, quote sorted) so two fills never deadlock.
        balances: dict[str, PaperBalance] = {}
        for asset in sorted({base, quote}):
            balances[asset] = await repo.for_update(row.account_id, asset)
        base_balance, quote_balance = balances[base], balances[quote]
        await self._release(session, row)
        cost = _q(row.amount * price)
        fee = _q(cost * self.fee_rate)
        if row.side is OrderSide.BUY:
            need = cost + fee
            if quote_balance.free < need:
                raise _Refused(self._insufficient(row, quote, need, quote_balance.free))
            held = base_balance.free + base_balance.used
            old_cost = (base_balance.avg_price or Decimal(0)) * held
            quote_balance.free -= need
            base_balance.free += row.amount
            base_balance.avg_price = _q((old_cost + need) / (held + row.amount))
        else:
            if base_balance.free < row.amount:
                raise _Refused(self._insufficient(row, base, row.amount, base_balance.free))
            base_balance.free -= row.amount
            quote_balance.free += cost - fee
            if base_balance.free + base_balance.used == 0:
                base_balance.avg_price = None
        row.status = OrderStatus.FILLED
        row.filled = row.amount
        row.average = price
        row.fee = fee
        row.fee_asset = quote
        row.priced_by = source
        row.error = None

    def _insufficient(self, row: Order, asset: str, need: Decimal, free: Decimal) -> str:
        base, _ = _split(row.symbol)
        return (
            f"Insufficient funds: tried to {row.side.value} {fmt_number(row.amount)} {base}, "
            f"which needs {fmt_number(need)} {asset}; you have {fmt_number(free)} {asset} free."
        )

    async def cancel_order(self, account_id: int, exchange_order_id: str) -> OrderResult:
        """Raises ``NotFound`` unless the order is resting on this account."""
        order_id = paper_id(exchange_order_id)
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            if row is None or row.account_id != account_id or row.status not in RESTING:
                raise NotFound("That order is not open on the paper exchange.")
            await self._release(session, row)
            row.status = OrderStatus.CANCELLED
            return order_result(row)

    async def check_resting(self) -> list[int]:
        """Fill resting orders the price has crossed, spot then perp, and liquidate perp
        positions; returns the ids of the orders filled (liquidations included).

        A symbol the feed cannot price right now is skipped (tried again next pass).
        """
        async with self._db.session() as session:
            resting = await PaperOrderRepository(session).resting(MarketType.SPOT)
            waiting = [(o.id, o.symbol) for o in resting]
        tickers: dict[str, Ticker | None] = {}
        filled: list[int] = []
        for order_id, symbol in waiting:
            if symbol not in tickers:
                try:
                    tickers[symbol] = await self.feed.ticker(symbol)
                except (UserError, OrderRejected) as exc:
                    log.warning("paper_price_missing", symbol=symbol, error=str(exc))
                    tickers[symbol] = None
            ticker = tickers[symbol]
            if ticker is None:
                continue
            if await self._fill_if_crossed(order_id, ticker):
                filled.append(order_id)
        return filled + await self.perp.check_resting()

    async def _fill_if_crossed(self, order_id: int, ticker: Ticker) -> bool:
        async with self._db.transaction() as session:
            row = await OrderRepository(session).get(order_id, lock=True)
            if row is None or row.status not in RESTING or not crossed(row, ticker.last):
                return False
            assert row.price is not None
            if row.type is OrderType.LIMIT:
                price = row.price
            else:
                price = self._slipped(row.side, ticker.last)
            try:
                await self._fill(session, row, price, ticker.source)
            except _Refused as exc:
                # _fill released the hold before finding the funds short; nothing else moved
                row.status = OrderStatus.CANCELLED
                row.error = exc.reason
            log.info("paper_order_triggered", order_id=row.id, status=row.status.value)
            return row.status is OrderStatus.FILLED

    # -- reads ----------------------------------------------------------------------------------

    async def balances(self, account_id: int) -> list[Balance]:
        async with self._db.session() as session:
            rows = await PaperBalanceRepository(session).for_account(account_id)
        return [Balance(r.asset, r.free, r.used) for r in rows if r.free or r.used]

    async def positions(self, account_id: int) -> list[Position]:
        async with self._db.session() as session:
            rows = await PaperBalanceRepository(session).for_account(account_id)
        result = []
        for row in rows:
            amount = row.free + row.used
            if row.asset == self.quote or amount <= 0:
                continue
            symbol = f"{row.asset}/{self.quote}"
            mark: Decimal | None
            try:
                mark = (await self.feed.ticker(symbol)).last
            except UserError:
                mark = None
            pnl = None
            if mark is not None and row.avg_price is not None:
                pnl = _q((mark - row.avg_price) * amount)
            result.append(Position(symbol, amount, row.avg_price, mark, pnl))
        return result


@dataclasses.dataclass
class PaperExchange:
    """``ExchangeClient`` of one paper account (see ``PaperEngine``)."""

    engine: PaperEngine
    account_id: int
    name: str = PAPER_EXCHANGE_ID

    async def markets(self) -> dict[str, MarketInfo]:
        return await self.engine.markets()

    async def market(self, symbol: str) -> MarketInfo:
        return await self.engine.market(symbol)

    async def ticker(self, symbol: str) -> Ticker:
        return await self.engine.feed.ticker(symbol)

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
        return await self.engine.open_orders(self.account_id, symbol)

    async def positions(self) -> list[Position]:
        return await self.engine.positions(self.account_id)

    async def withdrawals_enabled(self) -> bool | None:
        return False

    async def ip_restricted(self) -> bool | None:
        return None  # no keys

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        raise UserError("A paper spot account has no leverage; follow with a perp account.")

    async def close(self) -> None:
        return None
