"""The plan tests' app: PostgreSQL, Redis, the fake Bot API and prices set by hand."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.bot.conftest import AppFactory
from tests.bot.plans.helpers import STATIC


@pytest.fixture
async def app(make_app: AppFactory) -> App:
    return await make_app(exchange=STATIC)
