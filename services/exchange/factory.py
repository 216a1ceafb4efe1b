"""ExchangeFactory: the one place exchange clients are made from keys or stored accounts.

Live clients are ``CcxtExchangeClient``s; paper accounts get the ``PaperEngine``'s client. A
stored account's secrets are decrypted with the key store only when its client is first built,
then the client is cached until ``invalidate`` or ``aclose``. A live account has a spot client
and, asked with ``perp=True`` (or when the account itself is a perp account), a derivatives one
(ccxt ``defaultType`` swap: perpetual futures, ``set_leverage``, reduce-only and stop orders)
built from the same keys and cached apart. ``urls_override`` (settings: ``EXCHANGE_API_URL``)
points every live client at a mirror or a test server and ``saved_markets``
(``EXCHANGE_MARKETS_DIR``: ``<exchange_id>.json`` for spot, ``<exchange_id>.swap.json`` for
perps) spares the first market download. ``cache`` (the app's memory or Redis cache) is
where the views of exchange reads are kept (balances, positions: ``TradingAccounts``).

Every live client of a factory talks through one aiohttp session (one connection pool, keyed
by host): a signal's thousand followers on one exchange reuse a few dozen kept-alive
connections instead of each opening (and TLS-handshaking) its own; keys travel in each
request's own headers, never in the connection. The factory closes it last, in ``aclose``.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import structlog

from core.cache import Cache
from core.clock import Clock, utc_now
from core.config import ExchangeSettings
from core.db.models import ExchangeAccount
from core.db.session import Database
from core.domain import MarketType
from core.errors import NotFound, UserError
from core.security import KeyStore
from services.exchange.base import ExchangeClient
from services.exchange.ccxt_client import CcxtExchangeClient, shared_ssl_context
from services.exchange.ccxt_markets import MarketTables
from services.exchange.paper import PaperEngine

log = structlog.get_logger(__name__)

# Spot exchanges offered in /connect, in this order (those the installed ccxt knows).
# A live client holds decrypted keys: kept while in use, closed after this long idle (T10).
CLIENT_IDLE: Final = timedelta(minutes=15)
MAX_CLIENTS: Final = 500
HTTP_CONNECTIONS: Final = 256  # the live clients' pool, all hosts (each ccxt object: 100 alone)
OFFERED_EXCHANGES: Final = (
    "binance",
    "bybit",
    "okx",
    "kucoin",
    "kraken",
    "coinbase",
    "bitget",
    "gate",  # ccxt's id (Gate.io): it cannot tell a key's withdraw right
    "mexc",
    "htx",
    "bitfinex",
    "bitstamp",
)


def load_markets_dir(directory: Path | None) -> dict[str, dict[str, Any]]:
    """``<exchange_id>.json`` files of saved ccxt markets -> {exchange_id: markets}."""
    if directory is None:
        return {}
    if not directory.is_dir():
        raise UserError(f"EXCHANGE_MARKETS_DIR {directory} is not a directory.")
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


@functools.cache
def _needs_password(exchange_id: str) -> bool:
    # describe() of the sync class: no event loop, no session to close
    required = getattr(ccxt, exchange_id)().describe().get("requiredCredentials") or {}
    return bool(required.get("password"))


class ExchangeFactory:
    """Builds and caches exchange clients; see the module docstring."""

    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        settings: ExchangeSettings,
        paper: PaperEngine,
        *,
        urls_override: str | None = None,
        saved_markets: Mapping[str, Mapping[str, Any]] | None = None,
        rate_limit: bool = True,
        clock: Clock = utc_now,
        client_options: Mapping[str, Any] | None = None,
        cache: Cache | None = None,
    ) -> None:
        self._db = db
        self.cache = cache  # None: nothing read from an exchange is cached
        self._keystore = keystore
        self._settings = settings
        self.paper = paper
        self._urls_override = urls_override or settings.api_url_override
        self._saved_markets = dict(
            saved_markets if saved_markets is not None else load_markets_dir(settings.markets_dir)
        )
        self._rate_limit = rate_limit
        self._clock = clock
        self._client_options = dict(client_options or {})
        # (account id, perp) -> (client, last used, wall clock): a live client holds its
        # account's decrypted keys, so clients idle for CLIENT_IDLE are closed and forgotten
        # and at most MAX_CLIENTS are kept (T10); the next use builds one again
        self._clients: OrderedDict[tuple[int, bool], tuple[ExchangeClient, datetime]] = (
            OrderedDict()
        )
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        # the market tables its live clients share, per venue (services/exchange/ccxt_markets)
        self._market_tables = MarketTables()

    def client_for_keys(
        self,
        exchange_id: str,
        api_key: str,
        secret: str,
        password: str | None = None,
        sandbox: bool = False,
        *,
        perp: bool = False,
    ) -> ExchangeClient:
        """A live client for these keys (perpetual futures with ``perp``); the caller closes
        it. Raises ``UserError`` for an unknown exchange id or a sandbox the exchange does not
        have."""
        kwargs: dict[str, Any] = {
            "sandbox": sandbox,
            "markets_ttl_s": float(self._settings.markets_ttl_s),
            "timeout_ms": self._settings.timeout_ms,
            "urls_override": self._urls_override,
            "markets": self._saved_markets.get(f"{exchange_id}.swap" if perp else exchange_id),
            "default_type": "swap" if perp else "spot",
            "rate_limit": self._rate_limit,
            "clock": self._clock,
            "markets_cache": self.cache,
            "http_session": self._http_session(),
            "market_tables": self._market_tables,
            **self._client_options,
        }
        return CcxtExchangeClient(exchange_id, api_key, secret, password, **kwargs)

    def _http_session(self) -> aiohttp.ClientSession:
        """The live clients' one session (see the module), made on first use in the loop."""
        if self._http is None or self._http.closed:
            connector = aiohttp.TCPConnector(
                ssl=shared_ssl_context(), limit=HTTP_CONNECTIONS, enable_cleanup_closed=True
            )
            self._http = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._http

    async def client_for_account(self, account_id: int, *, perp: bool = False) -> ExchangeClient:
        """The (cached) client of a stored account: for a live account its perpetual-futures
        client with ``perp`` (or when the account is a perp account), else its spot one; a
        paper account's client follows the account's own market type. Raises ``NotFound`` for
        an unknown or deactivated account."""
        key = (account_id, perp)
        cached = self._use(key)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._use(key)
            if cached is not None:
                return cached
            async with self._db.session() as session:
                account = await session.get(ExchangeAccount, account_id)
            if account is None or not account.is_active:
                raise NotFound("That exchange account does not exist (any more).")
            # ``client_for_row`` takes no lock: it may have built this key while we read
            return self._cached_or_built(key, account)

    def client_for_row(
        self, account: ExchangeAccount, owner_id: int, *, perp: bool = False
    ) -> ExchangeClient:
        """The (cached) client of an account row the caller has just read (e.g. a signal's
        live followers, read in one query), as ``client_for_account`` would give it: same cache,
        same bounds, keys decrypted only when it is built. No lock and no database read: the
        check, the build and the insert run without an await, so no other task can build the
        same key in between. Raises ``NotFound`` for a deactivated account or one that is not
        ``owner_id``'s."""
        if account.user_id != owner_id or not account.is_active:
            raise NotFound("That exchange account does not exist (any more).")
        return self._cached_or_built((account.id, perp), account)

    def _cached_or_built(self, key: tuple[int, bool], account: ExchangeAccount) -> ExchangeClient:
        """The client cached under ``key``, else one built now and kept (no await between)."""
        cached = self._use(key)
        if cached is not None:
            return cached
        client = self._build(account, perp=key[1])
        self._clients[key] = (client, self._clock())
        self._forget_idle()
        return client

    def _use(self, key: tuple[int, bool]) -> ExchangeClient | None:
        held = self._clients.get(key)
        if held is None:
            return None
        self._clients[key] = (held[0], self._clock())
        self._clients.move_to_end(key)
        return held[0]

    def _forget_idle(self) -> None:
        """Close the clients idle for ``CLIENT_IDLE``, and the least recently used beyond
        ``MAX_CLIENTS`` (those idle at least a minute: one in use is never closed under it)."""
        now = self._clock()
        while self._clients:  # oldest use first; a copy of the whole cache per build was O(n²)
            key, (client, used) = next(iter(self._clients.items()))
            idle = now - used
            over = len(self._clients) > MAX_CLIENTS and idle >= timedelta(minutes=1)
            if idle < CLIENT_IDLE and not over:
                break
            del self._clients[key]
            task = asyncio.create_task(self._close_quietly(client))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_quietly(client: ExchangeClient) -> None:
        try:
            await client.close()
        except Exception:  # closing one must not stop the others
            log.warning("exchange_client_close_failed", exc_info=True)

    def _build(self, account: ExchangeAccount, *, perp: bool) -> ExchangeClient:
        if account.is_paper:
            return self.paper.client(account.id, account.market_type)
        if not account.api_key_enc or not account.secret_enc:
            raise UserError(f"The account {account.label!r} has no API keys stored.")
        return self.client_for_keys(
            account.exchange_id,
            self._keystore.decrypt(account.api_key_enc),
            self._keystore.decrypt(account.secret_enc),
            self._keystore.decrypt(account.passphrase_enc) if account.passphrase_enc else None,
            sandbox=account.sandbox,
            perp=perp or account.market_type is MarketType.PERP,
        )

    async def invalidate(self, account_id: int) -> None:
        """Forget (and close) an account's client, e.g. after its keys changed or it was
        removed."""
        for perp in (False, True):
            held = self._clients.pop((account_id, perp), None)
            if held is not None:
                await held[0].close()

    def exchange_ids(self) -> list[str]:
        """ccxt exchange ids offered in /connect."""
        known = set(ccxt_async.exchanges)
        return [e for e in OFFERED_EXCHANGES if e in known]

    def needs_passphrase(self, exchange_id: str) -> bool:
        """True when the exchange wants a passphrase besides key and secret (okx, kucoin...)."""
        if exchange_id not in ccxt_async.exchanges:
            raise UserError(f"Unknown exchange {exchange_id[:32]!r}.")
        return _needs_password(exchange_id)

    async def aclose(self) -> None:
        """Close every client at once (each close waits on its own connections)."""
        held, self._clients = list(self._clients.values()), OrderedDict()
        await asyncio.gather(*(self._close_quietly(client) for client, _used in held))
        if self._closing:
            await asyncio.gather(*self._closing)
        if self._http is not None:
            await self._http.close()
