"""ccxt exceptions -> ``core.errors``: the live adapter's one translation table.

Each row names ccxt exception classes and the error we raise instead, with the sentence the
user reads. Rows are tried in order and ccxt's classes form a tree, so a more specific class
comes before its parent (``InvalidNonce`` is a ``NetworkError``, ``OrderNotFound`` an
``InvalidOrder``). The message says what was attempted (``action``) and never carries ccxt's
wording, a key or a secret; the adapter raises it ``from`` the ccxt exception so logs keep the
original. Only ``TemporaryExchangeError`` may be retried, and only by read-only calls (and by
idempotent settings such as leverage). Refusals the adapter treats as success or as "keep the
current setting" (``MarginModeAlreadySet``, a leverage change refused while a position is open)
are caught before this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import ccxt

from core.errors import (
    AuthenticationFailed,
    ExchangeError,
    NotFound,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)

__all__ = ["TRANSLATIONS", "Translation", "translate_error"]


@dataclass(frozen=True, slots=True)
class Translation:
    """ccxt exception classes -> our error class and its message template (``{exchange}``,
    ``{action}``)."""

    ccxt_errors: tuple[type[Exception], ...]
    error: type[ExchangeError] | type[UserError]
    message: str


TRANSLATIONS: Final[tuple[Translation, ...]] = (
    # Clock skew: retrying will not help and may storm the exchange (F14).
    Translation(
        (ccxt.InvalidNonce,),
        ExchangeError,
        "{exchange} rejected the request time while trying to {action}; "
        "the server clock may be out of sync.",
    ),
    # Timeouts, 5xx, DDoS/rate limits, and unreadable answers: the outcome is unknown.
    Translation(
        (ccxt.NetworkError, ccxt.OperationFailed),
        TemporaryExchangeError,
        "{exchange} did not answer in time while trying to {action}; try again shortly.",
    ),
    Translation(
        (ccxt.AuthenticationError,),
        AuthenticationFailed,
        "{exchange} refused the API keys while trying to {action}. "
        "Check the key, its permissions and its IP whitelist.",
    ),
    Translation(
        (ccxt.InsufficientFunds,), OrderRejected, "Insufficient funds: tried to {action}."
    ),
    Translation(
        (ccxt.OrderNotFound,), NotFound, "{exchange} does not know that order (tried to {action})."
    ),
    # Binance futures: -2022 reduce-only rejected and -4164 notional (InvalidOrder), -4028 bad
    # leverage (BadRequest), -4047/-4048 margin type locked by orders or a position
    # (OperationRejected: a refusal that retrying will not change).
    Translation(
        (ccxt.InvalidOrder, ccxt.BadRequest, ccxt.OperationRejected),
        OrderRejected,
        "{exchange} rejected the request: tried to {action}.",
    ),
    Translation(
        (ccxt.NotSupported,), UserError, "{exchange} does not support this: tried to {action}."
    ),
)
FALLBACK: Final = Translation(
    (ccxt.BaseError,), ExchangeError, "{exchange} did not accept the request: tried to {action}."
)


def translate_error(exc: Exception, exchange: str, action: str) -> Exception:
    """One ccxt exception -> our error; ``action`` says what was attempted ("buy 0.5 BTC ...")."""
    row = next((t for t in TRANSLATIONS if isinstance(exc, t.ccxt_errors)), FALLBACK)
    return row.error(row.message.format(exchange=exchange, action=action))
