"""Apps for the signals tests, with the signals routers ahead of the plain-language catch-all.

The accounts feature's ``handlers.language`` router takes every private text outside a form and
is built before the signals feature, so forwards and pasted posts never reach
``handlers.signals`` in the app as wired today. Until the feature order is changed (reported),
these tests put the signals routers before it, as the feature needs;
``test_forwards_reach_the_signals_feature_in_the_app_as_wired`` tracks the real order.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from tests.bot.conftest import AppFactory

SIGNAL_ROUTERS = ("handlers.sources", "handlers.channel_posts", "handlers.signals")
CATCH_ALL = "handlers.language"


def signals_first(app: App) -> App:
    routers = app.dispatcher.sub_routers
    names = [r.name for r in routers]
    if CATCH_ALL not in names:
        return app
    mine = [r for r in routers if r.name in SIGNAL_ROUTERS]
    if names.index(CATCH_ALL) < min(names.index(r.name) for r in mine):
        rest = [r for r in routers if r.name not in SIGNAL_ROUTERS]
        at = [r.name for r in rest].index(CATCH_ALL)
        routers[:] = [*rest[:at], *mine, *rest[at:]]
    return app


@pytest.fixture
def wired_make_app(make_app: AppFactory) -> AppFactory:
    """The app exactly as ``build_app`` wires it."""
    return make_app


@pytest.fixture
def signals_make_app(make_app: AppFactory) -> AppFactory:
    async def factory(**sections: dict[str, Any]) -> App:
        # a conversation of many short messages; the outbox may deliver a chat's queue at once
        limits = {
            "rate_limit_burst": 1000,
            "outbox_chat_per_s": 1000,
            **sections.pop("limits", {}),
        }
        return signals_first(await make_app(limits=limits, **sections))

    return factory


@pytest.fixture
async def app(signals_make_app: AppFactory) -> App:
    return await signals_make_app()
