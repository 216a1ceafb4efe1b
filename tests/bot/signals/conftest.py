"""Apps for the signals tests, wired exactly as ``build_app`` does."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from tests.bot.conftest import AppFactory


@pytest.fixture
def signals_make_app(make_app: AppFactory) -> AppFactory:
    """The app as wired, with limits that let a test chat fast and drain the outbox at once."""

    async def factory(**sections: dict[str, Any]) -> App:
        limits = {"rate_limit_burst": 1000, "outbox_chat_per_s": 1000}
        limits.update(sections.pop("limits", {}))
        return await make_app(limits=limits, **sections)

    return factory


@pytest.fixture
async def app(signals_make_app: AppFactory) -> App:
    return await signals_make_app()
