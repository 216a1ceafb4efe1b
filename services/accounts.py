"""Exchange accounts (connect, list, disconnect) and the trading PIN.

Keys are checked against the exchange before anything is stored (a balance call; refused when
the exchange says the key may withdraw), then stored encrypted with the key store, with only a
masked hint in clear. Key material in flight (the /connect form) is sealed with the same key
store, so FSM storage never holds it in clear. No key, secret or PIN reaches a log line, an
error message or a reply: errors here name what was wrong, never the value.

The /connect form has its own expiry (``form_expiry``, set when the form opens, ``form_ttl_s``
later: FSM_TTL). Sealed keys kept for a retry after the exchange did not answer are good until
then and no longer: storage TTLs restart on every write, so pressing "Try again" must not be
able to keep them alive.

An exchange that cannot tell a key's withdraw right (``key_checks.reports_withdrawals`` false:
mexc, bitstamp) takes no live keys unless the operator allows it (``UNCHECKED_KEY_EXCHANGES``),
and then only with the user's explicit yes that the key cannot withdraw (``withdrawals_confirmed``,
audited). Testnet keys move no real funds and are not concerned.

The PIN is 4-12 digits, stored as an argon2 hash on the user row; wrong guesses are limited per
user by the ``PinAttempts`` shared with every other place a PIN is asked.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

import ccxt
import structlog

from core.clock import Clock, utc_now
from core.db.models import ExchangeAccount
from core.db.repositories.accounts import AccountRepository
from core.db.repositories.audit import AuditRepository
from core.db.session import Database
from core.errors import AuthenticationFailed, Forbidden, NotFound, UserError
from core.permissions import role_allows
from core.security import KeyStore, hash_secret, mask, validate_pin
from services.dto import UserView
from services.exchange.base import ExchangeClient
from services.exchange.key_checks import reports_withdrawals
from services.pin_attempts import PinAttempts
from services.trading import account_view
from services.trading_dto import AccountView

log = structlog.get_logger(__name__)

MAX_LABEL: Final = 64
KEY_TEXT_RE: Final = re.compile(r"[\x21-\x7e]{8,512}")  # printable ASCII, no spaces
FORM_TTL_S: Final = 86_400  # the /connect form's own expiry (the default of FSM_TTL)

KEYS_REFUSED: Final = (
    "The exchange refused these keys. Check the key and secret, the key's permissions and its "
    "IP whitelist, then /connect again. Nothing was stored."
)
KEYS_UNUSABLE: Final = (
    "I could not sign a request with this secret: it is not in the form this exchange gives "
    "(base64 on Kraken, for example). Copy the whole secret again, then /connect again. "
    "Nothing was stored."
)
WITHDRAWALS_REFUSED: Final = (
    "This key is allowed to withdraw funds, so I will not store it: a leaked key could empty "
    "the account. Create a key with trading only (withdrawals off), then /connect again. "
    "Nothing was stored."
)
IP_NOT_RESTRICTED: Final = (
    "This key works from any IP address, so I will not store it: a leaked key could trade "
    "from anywhere (the 3Commas keys were used so). Restrict it to the bot server's IP "
    "address in the exchange's API settings, then /connect again. Nothing was stored."
)
UNCHECKED_NOT_CONFIRMED: Final = (
    "This exchange does not tell whether a key may withdraw, so I store its keys only after "
    "you confirm the key has withdrawals off. /connect again and answer the question. "
    "Nothing was stored."
)
FORM_EXPIRED: Final = (
    "This /connect form has expired and the keys it held are forgotten. "
    "Send /connect to start again."
)


class ExchangeFactoryPort(Protocol):
    """What this service needs of ``services.exchange.factory.ExchangeFactory``."""

    def client_for_keys(
        self,
        exchange_id: str,
        api_key: str,
        secret: str,
        password: str | None = None,
        sandbox: bool = False,
    ) -> ExchangeClient: ...

    def exchange_ids(self) -> list[str]: ...

    def needs_passphrase(self, exchange_id: str) -> bool: ...

    async def invalidate(self, account_id: int) -> None: ...


class AccountsTradingPort(Protocol):
    """What this service needs of ``TradingService``."""

    async def ensure_paper_account(self, user: UserView) -> AccountView: ...

    async def accounts(self, user: UserView) -> list[AccountView]: ...


class UserCachePort(Protocol):
    async def invalidate(self, telegram_id: int) -> None: ...


def unchecked_refused(exchange_id: str) -> str:
    """Why live keys of an exchange that cannot report a key's withdraw right are refused."""
    return (
        f"I cannot check whether a {exchange_id} key may withdraw funds: {exchange_id} does "
        "not tell a key's permissions, and a leaked key that may withdraw could empty the "
        f"account. So this bot takes no live {exchange_id} keys. Pick another exchange in "
        "/connect (binance, bybit, okx, kucoin... are checked). Nothing was stored."
    )


@dataclass(frozen=True, slots=True)
class ExchangeOptions:
    exchange_id: str
    has_testnet: bool
    needs_passphrase: bool
    withdraw_unchecked: bool = False  # the exchange cannot tell a key's withdraw right
    live_allowed: bool = True  # live keys taken (checked, or the operator allows it unchecked)


@dataclass(frozen=True, slots=True)
class SealedKeys:
    """The /connect form's key material as the form keeps it: sealed by the key store
    (``AccountService.seal``), with the form's expiry (``AccountService.form_expiry``)."""

    exchange_id: str
    api_key: str
    secret: str
    passphrase: str | None
    sandbox: bool
    expires_at: str  # ISO time
    withdrawals_confirmed: bool = False  # the user's yes, where the exchange cannot tell


@functools.cache
def has_testnet(exchange_id: str) -> bool:
    """True when ccxt knows a sandbox/testnet URL for the exchange (``urls["test"]``)."""
    cls = getattr(ccxt, exchange_id, None)
    if cls is None:
        return False
    urls = cls().describe().get("urls") or {}
    return bool(urls.get("test"))


def check_key_text(value: str, what: str) -> str:
    """The trimmed key/secret/passphrase; ``UserError`` naming ``what`` (never the value)."""
    value = value.strip()
    if not KEY_TEXT_RE.fullmatch(value):
        raise UserError(
            f"That does not look like an API {what} (8 to 512 characters, no spaces). "
            "Send it again, or /cancel."
        )
    return value


def looks_like_key(value: str) -> bool:
    """Whether ``value`` could be key material (what ``check_key_text`` would accept)."""
    return KEY_TEXT_RE.fullmatch(value.strip()) is not None


class AccountService:
    """Connect, list and disconnect exchange accounts; set, check and clear the trading PIN."""

    def __init__(
        self,
        db: Database,
        keystore: KeyStore,
        factory: ExchangeFactoryPort,
        trading: AccountsTradingPort,
        *,
        users: UserCachePort | None = None,
        pin_attempts: PinAttempts,
        clock: Clock = utc_now,
        form_ttl_s: int = FORM_TTL_S,
        require_ip_restriction: bool = True,
        unchecked_allowed: frozenset[str] = frozenset(),
    ) -> None:
        self._require_ip = require_ip_restriction
        self._unchecked_allowed = unchecked_allowed  # UNCHECKED_KEY_EXCHANGES
        self._db = db
        self._keystore = keystore
        self._factory = factory
        self._trading = trading
        self._users = users
        self._pin_attempts = pin_attempts
        self._clock = clock
        self._form_ttl = timedelta(seconds=form_ttl_s)

    # -- exchanges ------------------------------------------------------------------------------

    def exchange_ids(self) -> list[str]:
        return self._factory.exchange_ids()

    def search_exchanges(self, query: str) -> list[str]:
        """Offered exchange ids matching ``query``: exact first, then prefix, then substring."""
        needle = re.sub(r"[^a-z0-9]", "", query.casefold())[:32]
        ids = self.exchange_ids()
        if not needle:
            return ids
        exact = [e for e in ids if e == needle]
        prefix = [e for e in ids if e.startswith(needle) and e != needle]
        inside = [e for e in ids if needle in e and not e.startswith(needle)]
        return exact + prefix + inside

    def exchange_options(self, exchange_id: str) -> ExchangeOptions:
        """What /connect must ask for this exchange; ``UserError`` when it is not offered."""
        if exchange_id not in self.exchange_ids():
            raise UserError("That exchange is not offered; /connect shows the list.")
        unchecked = not reports_withdrawals(exchange_id)
        return ExchangeOptions(
            exchange_id=exchange_id,
            has_testnet=has_testnet(exchange_id),
            needs_passphrase=self._factory.needs_passphrase(exchange_id),
            withdraw_unchecked=unchecked,
            live_allowed=not unchecked or exchange_id in self._unchecked_allowed,
        )

    # -- key material in flight -----------------------------------------------------------------

    def seal(self, value: str) -> str:
        """Encrypt a value for temporary storage (the /connect form's FSM data)."""
        return self._keystore.encrypt(value)

    def unseal(self, sealed: str) -> str:
        """Decrypt a sealed value (also registers it with the log redactor)."""
        return self._keystore.decrypt(sealed)

    def form_expiry(self) -> str:
        """When a /connect form opened now expires (ISO time, for FSM data)."""
        return (self._clock() + self._form_ttl).isoformat()

    async def connect_sealed(self, user: UserView, keys: SealedKeys) -> AccountView:
        """``connect`` with the form's sealed keys. Raises ``UserError`` (``FORM_EXPIRED``)
        once the form has expired, before anything is unsealed; otherwise what ``connect``
        raises (``TemporaryExchangeError``: the same keys may be tried again)."""
        if self._expired(keys.expires_at):
            log.info("connect_form_expired", exchange=keys.exchange_id)
            raise UserError(FORM_EXPIRED)
        return await self.connect(
            user,
            exchange_id=keys.exchange_id,
            api_key=self.unseal(keys.api_key),
            secret=self.unseal(keys.secret),
            passphrase=self.unseal(keys.passphrase) if keys.passphrase else None,
            sandbox=keys.sandbox,
            withdrawals_confirmed=keys.withdrawals_confirmed,
        )

    def _expired(self, expires_at: str) -> bool:
        try:
            deadline = datetime.fromisoformat(expires_at)
        except ValueError:
            return True  # unreadable: treat as over rather than keep keys without a bound
        return deadline.tzinfo is None or self._clock() >= deadline

    # -- accounts -------------------------------------------------------------------------------

    async def accounts(self, user: UserView) -> list[AccountView]:
        """Every account of the user, the paper account included (created on first use)."""
        await self._trading.ensure_paper_account(user)
        return await self._trading.accounts(user)

    async def connect(
        self,
        user: UserView,
        *,
        exchange_id: str,
        api_key: str,
        secret: str,
        passphrase: str | None = None,
        sandbox: bool = False,
        withdrawals_confirmed: bool = False,
    ) -> AccountView:
        """Check the keys at the exchange and store them encrypted.

        Raises ``UserError`` for keys the exchange refuses, keys that may withdraw, malformed
        input, an exchange not offered, or live keys of an exchange that cannot tell a key's
        withdraw right (unless allowed and ``withdrawals_confirmed``); ``TemporaryExchangeError``
        when the exchange does not answer. Nothing is stored unless every check passed."""
        self._require(user)
        options = self.exchange_options(exchange_id)
        if sandbox and not options.has_testnet:
            raise UserError(f"{exchange_id} has no testnet; connect it live or pick another.")
        unchecked = _unchecked_live(options, sandbox, withdrawals_confirmed)
        api_key = check_key_text(api_key, "key")
        secret = check_key_text(secret, "secret")
        if options.needs_passphrase:
            passphrase = check_key_text(passphrase or "", "passphrase")
        else:
            passphrase = None
        await self._check_keys(exchange_id, api_key, secret, passphrase, sandbox)
        async with self._db.transaction() as session:
            repo = AccountRepository(session)
            label = _free_label(
                exchange_id + ("-testnet" if sandbox else ""), await repo.labels(user.id)
            )
            account = await repo.add(
                ExchangeAccount(
                    user_id=user.id,
                    exchange_id=exchange_id,
                    label=label,
                    is_paper=False,
                    sandbox=sandbox,
                    api_key_enc=self._keystore.encrypt(api_key),
                    secret_enc=self._keystore.encrypt(secret),
                    passphrase_enc=self._keystore.encrypt(passphrase) if passphrase else None,
                    key_hint=mask(api_key),
                )
            )
            await AuditRepository(session).add(
                "account_connected",
                actor_user_id=user.id,
                target=label,
                details={
                    "exchange": exchange_id,
                    "sandbox": sandbox,
                    # stored on the user's word: the exchange cannot tell the withdraw right
                    "withdraw_unchecked": unchecked,
                },
            )
            view = account_view(account)
        log.info("account_connected", account_id=view.id, exchange=exchange_id, sandbox=sandbox)
        return view

    async def _check_keys(
        self, exchange_id: str, api_key: str, secret: str, passphrase: str | None, sandbox: bool
    ) -> None:
        client = self._factory.client_for_keys(exchange_id, api_key, secret, passphrase, sandbox)
        try:
            try:
                await client.balances()
            except AuthenticationFailed:
                log.info("account_keys_refused", exchange=exchange_id)
                raise UserError(KEYS_REFUSED) from None
            except ValueError:  # ccxt could not sign: a secret not in the venue's form
                log.info("account_keys_unusable", exchange=exchange_id)  # no traceback: locals
                raise UserError(KEYS_UNUSABLE) from None
            if await client.withdrawals_enabled():
                log.info("account_keys_may_withdraw", exchange=exchange_id)
                raise UserError(WITHDRAWALS_REFUSED)
            if self._require_ip and await client.ip_restricted() is False:
                log.info("account_keys_not_ip_restricted", exchange=exchange_id)
                raise UserError(IP_NOT_RESTRICTED)
        finally:
            await client.close()

    async def find_for_disconnect(self, user: UserView, label: str) -> AccountView:
        """The live account labelled ``label``; ``NotFound``/``UserError`` otherwise."""
        self._require(user)
        label = label.strip()
        if not label:
            raise UserError("Which account? Send /disconnect <label>; /accounts lists them.")
        async with self._db.session() as session:
            account = await AccountRepository(session).by_label(user.id, label[:MAX_LABEL])
            if account is None or not account.is_active:
                raise NotFound("You have no account with that label; /accounts lists them.")
            if account.is_paper:
                raise UserError("The paper account stays; only exchange accounts can go.")
            return account_view(account)

    async def disconnect(self, user: UserView, account_id: int) -> AccountView:
        """Remove the user's account and its keys. Accounts with order history are kept
        deactivated with their secrets wiped and the label freed, so history stays readable."""
        self._require(user)
        async with self._db.transaction() as session:
            repo = AccountRepository(session)
            account = await repo.get(account_id)
            if account is None or account.user_id != user.id or not account.is_active:
                raise NotFound("That account is not connected (any more).")
            if account.is_paper:
                raise UserError("The paper account stays; only exchange accounts can go.")
            view = account_view(account)
            if await repo.has_orders(account.id):
                account.is_active = False
                account.api_key_enc = account.secret_enc = account.passphrase_enc = None
                account.label = f"{account.label}~{account.id}"[-MAX_LABEL:]
            else:
                await repo.delete(account)
            await AuditRepository(session).add(
                "account_disconnected",
                actor_user_id=user.id,
                target=view.label,
                details={"exchange": view.exchange_id},
            )
        await self._factory.invalidate(account_id)  # drop the cached client holding the keys
        log.info("account_disconnected", account_id=account_id)
        return view

    # -- PIN ------------------------------------------------------------------------------------

    async def has_pin(self, user: UserView) -> bool:
        async with self._db.session() as session:
            return await AccountRepository(session).pin_hash(user.id) is not None

    async def set_pin(self, user: UserView, pin: str) -> None:
        """Store a new PIN (argon2). Raises ``UserError`` for a PIN that is not 4-12 digits."""
        self._require(user)
        pin = validate_pin(pin)
        hashed = await hash_secret(pin)
        async with self._db.transaction() as session:
            if not await AccountRepository(session).set_pin_hash(user.id, hashed):
                raise NotFound("Unknown user.")
            await AuditRepository(session).add("pin_set", actor_user_id=user.id)
        await self._forget_user(user)

    async def clear_pin(self, user: UserView, current: str) -> None:
        """Remove the PIN after checking the current one (``UserError`` when wrong)."""
        await self.verify_pin(user, current)
        async with self._db.transaction() as session:
            await AccountRepository(session).set_pin_hash(user.id, None)
            await AuditRepository(session).add("pin_cleared", actor_user_id=user.id)
        await self._forget_user(user)

    async def verify_pin(self, user: UserView, pin: str) -> None:
        """Raise ``UserError`` unless ``pin`` is the user's PIN (``WrongPin``/``PinLocked``:
        wrong PINs are limited per user, see services/pin_attempts.py)."""
        async with self._db.session() as session:
            hashed = await AccountRepository(session).pin_hash(user.id)
        if hashed is None:
            raise UserError("You have no PIN; set one with /pin.")
        await self._pin_attempts.verify(user.id, pin, hashed)

    async def _forget_user(self, user: UserView) -> None:
        if self._users is not None:
            await self._users.invalidate(user.telegram_id)  # has_pin changed

    @staticmethod
    def _require(user: UserView) -> None:
        if not role_allows(user.role, "accounts.manage"):
            raise Forbidden("Only traders can manage exchange accounts.")


def _unchecked_live(options: ExchangeOptions, sandbox: bool, confirmed: bool) -> bool:
    """Whether these are live keys of an exchange that cannot tell a key's withdraw right;
    ``UserError`` unless the operator allows that exchange and the user said yes."""
    if not options.withdraw_unchecked or sandbox:
        return False
    if not options.live_allowed:
        raise UserError(unchecked_refused(options.exchange_id))
    if not confirmed:
        raise UserError(UNCHECKED_NOT_CONFIRMED)
    return True


def _free_label(base: str, taken: set[str]) -> str:
    base = base[: MAX_LABEL - 4]
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
