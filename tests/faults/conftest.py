"""The fault runs use the bot tests' fixtures: the fake Bot API and apps on the session's
PostgreSQL and Redis (tests/bot/conftest.py)."""

from tests.bot.conftest import make_app, telegram_api

__all__ = ["make_app", "telegram_api"]
