"""Apps for the signals tests.

``app`` is wired exactly as ``build_app`` does. The accounts feature's plain-language router
(``handlers.language``) is built before the signals feature and reads every typed private text
outside a form, so a *pasted* signal post never reaches ``handlers.signals`` there (reported;
``test_pasted_post_reaches_the_signals_feature_as_wired`` tracks it). ``paste_app`` puts the
signals routers before it, as that case needs.
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


@pytest.fixture
async def paste_app(signals_make_app: AppFactory) -> App:
    return signals_first(await signals_make_app())
