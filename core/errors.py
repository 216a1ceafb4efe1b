"""The project's one error tree.

Every error a user may see carries a ``user_message`` that is safe to show: it never holds a
secret, a stack trace or third-party wording. Third-party errors (ccxt, Telegram, SQLAlchemy)
are translated once, at the adapter that called the library, with ``raise ... from exc``.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the project raises on purpose."""

    default_message = "Something went wrong."

    def __init__(self, user_message: str | None = None) -> None:
        self.user_message = user_message or self.default_message
        super().__init__(self.user_message)


class UserError(AppError):
    """Bad input or a refused request: safe to show, changes nothing."""

    default_message = "That did not work."


class NotFound(UserError):
    default_message = "Not found."


class Forbidden(UserError):
    default_message = "You are not allowed to do that."


class Conflict(UserError):
    default_message = "That conflicts with the current state; nothing was changed."


class ExchangeError(AppError):
    """Raised only by exchange adapters."""

    default_message = "The exchange did not accept the request."


class TemporaryExchangeError(ExchangeError):
    """Network trouble, 5xx, rate limit: the outcome may be unknown; safe to retry reads."""

    default_message = "The exchange is not reachable right now; try again shortly."


class OrderRejected(ExchangeError):
    """Insufficient funds, invalid order, bad keys: show it, do not retry."""

    default_message = "The exchange rejected the order."


class AuthenticationFailed(OrderRejected):
    default_message = "The exchange refused the API keys."


class ConfigError(AppError):
    """Start-up configuration problems; one line per problem in ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ServiceUnavailable(AppError):
    """A required backing service (database, Redis) is unreachable at start."""
