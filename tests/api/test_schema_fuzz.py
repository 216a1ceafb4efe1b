"""Property-based requests over the API's own OpenAPI document (schemathesis): whatever the
schema allows, with an admin's trade token, the seeded bot answers without a 5xx (a 503 from
a backing service would be one too, and none is down here). Bounded: a few examples per
operation, so the run stays well under a minute.

schemathesis calls with ``requests`` (blocking), so the run goes to a worker thread while the
uvicorn server keeps serving in the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any, Final

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from core.domain import Role
from tests.api.conftest import Api, api_settings, served
from tests.bot.conftest import ADMIN_ID, TRADER_ID, AppFactory
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.webapp.dashboard import SETTINGS, fill

EXAMPLES: Final = 8
# signing out would end the token the run uses; its refusals are tested in test_auth.py
SKIPPED: Final = {("POST", "/api/v1/auth/revoke")}


def fuzz(
    spec: dict[str, Any], base_url: str, headers: dict[str, str]
) -> tuple[list[str], Counter[int]]:
    """Every operation with ``EXAMPLES`` generated requests; the 5xx answers found, and how
    many answers of each status there were."""
    schema = schemathesis.openapi.from_dict(spec)
    found: list[str] = []
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=20)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                found.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} "
                    f"{response.text[:200]}"
                )

        check()
    return found, statuses


async def test_no_request_the_schema_allows_gets_a_5xx(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, clock: FakeClock, tmp_path: Path
) -> None:
    settings_ = {**SETTINGS, "tracking": {**SETTINGS["tracking"], "candles_dir": tmp_path}}
    app = await make_app(**settings_, api=api_settings())
    await fill(app, telegram_api, tmp_path)
    async with served(app, clock) as api:
        await api.app.users.grant_role(None, TRADER_ID, Role.TRADER)
        headers = await api.headers(ADMIN_ID, Role.ADMIN)
        spec = (await api.client.get("/openapi.json")).json()
        assert len(spec["paths"]) >= 20
        found, statuses = await asyncio.wait_for(
            asyncio.to_thread(fuzz, spec, api.url, headers), timeout=120
        )
        assert found == []
        # the run reached the endpoints: answers, refusals of bad input, missing ids
        assert statuses[200] > 20
        assert statuses[422] + statuses[400] > 10
        assert statuses[404] > 0
        assert await _still_serving(api, headers)


async def _still_serving(api: Api, headers: dict[str, str]) -> bool:
    return (await api.client.get("/api/v1/me", headers=headers)).status_code == 200
