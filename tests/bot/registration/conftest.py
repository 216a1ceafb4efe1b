"""Apps for the registration tests: the signals tests' app (fast chat, outbox drained at once)."""

from tests.bot.signals.conftest import app, signals_make_app

__all__ = ["app", "signals_make_app"]
