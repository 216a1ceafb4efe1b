"""Where an order goes: the user's accounts (the paper spot account, and the paper perp
account, are each created and credited once on first use), the exchange client of each, the
pairs each exchange lists, and what each holds.

A user only ever reaches their own accounts: a label or id of someone else's is ``NotFound``.
The label ``paper`` always means the paper spot account and ``paper-perp`` the paper
perpetual-futures account; a live account cannot take them.

The balance and positions views (/balance, /positions, the API's portfolio) are cached for a
minute in the exchange factory's cache, tagged with the user: any change to one of the user's
own orders (placed, filled, cancelled: ``holdings_changed``) drops them in every process. The
order path never reads them: ``share_of_free`` and the exchange itself see the live balance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import structlog

from core.cache import Cache
from core.cached import cached, invalidate_tag
from core.db.models import ExchangeAccount
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.base import Repository
from core.db.repositories.paper import PaperBalanceRepository
from core.db.session import Database
from core.domain import MarketType, OrderSide
from core.errors import Conflict, ExchangeError, Forbidden, NotFound, UserError
from core.permissions import role_allows
from services.dto import UserView
from services.exchange.base import Balance, ExchangeClient, MarketInfo, Position
from services.exchange.factory import ExchangeFactory
from services.exchange.paper import PAPER_EXCHANGE_ID, PaperEngine
from services.symbols import fmt_number, pair_candidates
from services.trading.views import account_view
from services.trading_dto import CASH_ASSETS, AccountView, BalanceView

log = structlog.get_logger(__name__)

PAPER_LABEL: Final = "paper"


def is_perp(symbol: str | None) -> bool:
    """A ccxt swap symbol ("BTC/USDT:USDT") names a perpetual; a spot pair has no settle."""
    return symbol is not None and ":" in symbol


PAPER_PERP_LABEL: Final = "paper-perp"
HOLDINGS_TTL_S: Final = 60.0  # the balance and positions views
MAX_PAIRS_NAMED: Final = 20  # more than this and an unknown pair points to /pairs instead


def require_trader(user: UserView) -> None:
    """``Forbidden`` unless the user may trade (not banned, a role with ``trade``)."""
    if user.is_banned or not role_allows(user.role, "trade"):
        raise Forbidden("You are not allowed to trade.")


def holdings_tag(user_id: int) -> str:
    """The cache tag of one user's balance and positions views."""
    return f"holdings:{user_id}"


def _balance_key(user: UserView, account_label: str | None) -> str:
    return f"{user.id}:{account_label or ''}"


def _balance_tags(user: UserView, account_label: str | None) -> list[str]:
    del account_label  # every account of the user: one order moves its quote and base
    return [holdings_tag(user.id)]


def _positions_key(user: UserView) -> str:
    return str(user.id)


def _positions_tags(user: UserView) -> list[str]:
    return [holdings_tag(user.id)]


class TradingAccounts:
    """The user's accounts, their exchange clients and markets, balances and positions."""

    def __init__(self, db: Database, factory: ExchangeFactory, paper: PaperEngine) -> None:
        self._db = db
        self._factory = factory
        self._paper = paper
        self._cache: Cache | None = factory.cache
        self._balance = self._read_balance
        self._positions = self._read_positions
        if self._cache is not None:
            self._balance = cached(
                self._cache,
                ttl=HOLDINGS_TTL_S,
                key=_balance_key,
                tags=_balance_tags,
                returns=BalanceView,
                namespace="trading.balance",
            )(self._read_balance)
            self._positions = cached(
                self._cache,
                ttl=HOLDINGS_TTL_S,
                key=_positions_key,
                tags=_positions_tags,
                returns=list[tuple[AccountView, list[Position]]],
                namespace="trading.positions",
            )(self._read_positions)

    async def holdings_changed(self, user_id: int) -> None:
        """One of the user's own orders changed: their cached balance and positions go."""
        if self._cache is not None:
            await invalidate_tag(self._cache, holdings_tag(user_id))

    # -- accounts -------------------------------------------------------------------------------

    async def ensure_paper_account(self, user: UserView) -> AccountView:
        """The user's paper account, created (and credited once) on first use."""
        require_trader(user)
        return await self.ensure_paper(user.id)

    async def ensure_paper(self, user_id: int) -> AccountView:
        """``ensure_paper_account`` without the role check (signal trading checks it itself).
        ``Conflict`` when a live account took the label ``paper``."""
        return await self._ensure_paper_kind(user_id, MarketType.SPOT, PAPER_LABEL)

    async def ensure_paper_perp(self, user_id: int) -> AccountView:
        """The user's paper perpetual-futures account (label ``paper-perp``, its own wallet of
        PAPER_START_BALANCE in the paper quote), created and credited once on first use.
        ``Conflict`` when a live account took the label."""
        return await self._ensure_paper_kind(user_id, MarketType.PERP, PAPER_PERP_LABEL)

    async def _ensure_paper_kind(
        self, user_id: int, market_type: MarketType, label: str
    ) -> AccountView:
        """Race-safe: the insert ignores a concurrent twin, the credit happens only with the
        insert that created the row."""
        async with self._db.transaction() as session:
            repo = AccountRepository(session)
            for account in await repo.for_user(user_id, active_only=False):
                if account.is_paper and account.market_type is market_type:
                    if not account.is_active:
                        account.is_active = True
                    return account_view(account)
            new_id = await Repository(session).insert_ignore(
                ExchangeAccount,
                {
                    "user_id": user_id,
                    "exchange_id": PAPER_EXCHANGE_ID,
                    "label": label,
                    "is_paper": True,
                    "sandbox": False,
                    "market_type": market_type,
                },
                ["user_id", "label"],
            )
            if new_id is not None:
                await PaperBalanceRepository(session).credit_once(
                    new_id, self._paper.quote, self._paper.start_balance
                )
                log.info(
                    "paper_account_created",
                    user_id=user_id,
                    account_id=new_id,
                    market_type=market_type.value,
                )
            labelled = await repo.by_label(user_id, label)
            if (
                labelled is None
                or not labelled.is_paper
                or labelled.market_type is not market_type
            ):
                raise Conflict(f"Your account label {label!r} is taken by a live account.")
            return account_view(labelled)

    async def active(self, user: UserView) -> list[AccountView]:
        """Every active account of the user, paper first."""
        await self.ensure_paper_account(user)
        async with self._db.session() as session:
            rows = await AccountRepository(session).for_user(user.id)
        views = [account_view(a) for a in rows]
        return sorted(views, key=lambda a: (not a.is_paper, a.id))

    async def by_label(self, user: UserView, label: str | None) -> AccountView:
        """The account called ``label`` (paper when None); ``NotFound`` for another user's."""
        paper = await self.ensure_paper_account(user)
        if label is None or label.strip().lower() in {PAPER_LABEL, ""}:
            return paper
        wanted = label.strip().lstrip("@").lower()
        if wanted == PAPER_PERP_LABEL:
            return await self.ensure_paper_perp(user.id)
        async with self._db.session() as session:
            rows = await AccountRepository(session).for_user(user.id)
        for account in rows:
            if account.label.lower() == wanted:
                return account_view(account)
        names = ", ".join(sorted(a.label for a in rows)) or PAPER_LABEL
        raise NotFound(f"You have no account called {label[:32]!r}; yours: {names}.")

    async def by_id(self, account_id: int) -> AccountView:
        """Any account by id (callers check the owner); ``NotFound`` when it is gone."""
        return account_view(await self._row(account_id))

    async def usable_by(self, user_id: int, account_id: int) -> AccountView | None:
        """The account if it is ``user_id``'s and active, else None; ``NotFound`` when gone."""
        row = await self._row(account_id)
        if row.user_id != user_id or not row.is_active:
            return None
        return account_view(row)

    async def _row(self, account_id: int) -> ExchangeAccount:
        async with self._db.session() as session:
            account = await AccountRepository(session).get(account_id)
        if account is None:
            raise NotFound("That exchange account does not exist (any more).")
        return account

    async def client(
        self, account: AccountView | None, symbol: str | None = None
    ) -> ExchangeClient:
        """The exchange client of ``account`` (the paper exchange when None). A live account
        answers a perpetual swap ``symbol`` ("BTC/USDT:USDT") through its derivatives client
        (same keys): orders, cancels and lookups of perps go there, the rest to spot."""
        if account is None or account.is_paper:
            if account is None:
                return self._paper.client(0)
            return self._paper.client(account.id, account.market_type)
        return await self._factory.client_for_account(account.id, perp=is_perp(symbol))

    def client_of_row(
        self, row: ExchangeAccount, owner_id: int, symbol: str | None = None
    ) -> ExchangeClient:
        """As ``client`` for a live account row the caller has just read, without reading it
        again (``ExchangeFactory.client_for_row``): ``NotFound`` unless it is ``owner_id``'s
        and active."""
        return self._factory.client_for_row(row, owner_id, perp=is_perp(symbol))

    # -- markets and holdings -------------------------------------------------------------------

    async def resolve_symbol(self, text: str, account: AccountView | None = None) -> str:
        """``btc``, ``$btc``, ``BTCUSDT``, ``BTC/USDT`` -> ``BTC/USDT`` as listed on the account's
        exchange (paper by default). Raises ``UserError`` for a pair it does not list."""
        _, market = await self.market(text, account)
        return market.symbol

    async def market(
        self, text: str, account: AccountView | None
    ) -> tuple[ExchangeClient, MarketInfo]:
        """The account's client and the market ``text`` names on it (see ``resolve_symbol``)."""
        client = await self.client(account)
        for symbol in pair_candidates(text, self._paper.quote):
            try:
                return client, await client.market(symbol)
            except UserError:
                continue
        if account is not None and not account.is_paper:
            raise UserError(
                f"I don't know the pair {text.strip()[:32]!r} on {account.exchange_id}."
            )
        raise UserError(
            f"I don't know the pair {text.strip()[:32]!r} on paper trading"
            f"{await self._paper_pairs_hint()}."
        )

    async def _paper_pairs_hint(self) -> str:
        """``; it has BTC/USDT, ETH/USDT (see /pairs)`` when the paper feed names its pairs."""
        symbols = await self._paper.symbols()
        if not symbols:
            return ""
        if len(symbols) > MAX_PAIRS_NAMED:
            return f"; it has {len(symbols)} pairs (see /pairs)"
        return f"; it has {', '.join(symbols)} (see /pairs)"

    async def share_of_free(
        self,
        client: ExchangeClient,
        account: AccountView,
        market: MarketInfo,
        side: OrderSide,
        share: Decimal,
    ) -> tuple[Decimal, bool]:
        """``share`` of the free balance an order gives away: (amount, in quote units).

        A sell gives away the base coin (``all`` sells every free coin); a buy spends the
        quote. On paper, the quote to spend leaves room for the slippage and fee the fill adds,
        so ``/buy btc all`` fits the balance. ``UserError`` when nothing of it is free.
        """
        asset = market.base if side is OrderSide.SELL else market.quote
        held = {b.asset.upper(): b for b in await client.balances()}.get(asset.upper())
        free = held.free if held is not None else Decimal(0)
        if free <= 0:
            verb = "sell" if side is OrderSide.SELL else "spend"
            in_orders = (
                f" ({fmt_number(held.used)} {asset} is held by open orders)"
                if held is not None and held.used > 0
                else ""
            )
            raise UserError(f"You have no free {asset} to {verb} on {account.label}{in_orders}.")
        if side is OrderSide.SELL:
            return free * share, False
        spend = free * share
        if account.is_paper:
            spend /= self._paper.buy_cost_factor
        return spend, True

    async def balance(self, user: UserView, account_label: str | None) -> BalanceView:
        """The balances of one account, the paper quote asset first (up to a minute old,
        never older than the user's last order change)."""
        require_trader(user)
        return await self._balance(user, account_label)

    async def _read_balance(self, user: UserView, account_label: str | None) -> BalanceView:
        account = await self.by_label(user, account_label)
        client = await self.client(account)
        balances = await client.balances()
        quote = self._paper.quote

        def order(b: Balance) -> tuple[int, str]:
            return (0 if b.asset == quote else 1, b.asset)

        return BalanceView(
            account=account,
            assets=[(b.asset, b.free, b.used) for b in sorted(balances, key=order)],
        )

    async def positions(self, user: UserView) -> list[tuple[AccountView, list[Position]]]:
        """Holdings per account: paper from its ledger, live from the exchange (spot: the
        non-stable balances, marked at the exchange's price). An unreachable exchange is
        skipped (and logged). Cached like ``balance``."""
        return await self._positions(user)

    async def _read_positions(self, user: UserView) -> list[tuple[AccountView, list[Position]]]:
        result = []
        for account in await self.active(user):
            try:
                client = await self.client(account)
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
            if balance.asset in CASH_ASSETS or balance.total <= 0:
                continue
            symbol = f"{balance.asset}/{self._paper.quote}"
            try:
                mark: Decimal | None = (await client.ticker(symbol)).last
            except UserError:
                mark = None
            holdings.append(Position(symbol, balance.total, None, mark, None))
        return holdings
