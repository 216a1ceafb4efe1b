"""Every endpoint by every role, through HTTP on the seeded bot of the Mini App's tests (one
approved channel with a tracked BTC long, the trader's open plan holding BTC).

Who may call what comes from the chat's permission table (core/permissions.py): each read is
asserted against ``role_allows`` for its permission, so the API and the chat cannot drift.
Someone else's object is 404, as if missing; a read key or the Mini App may not write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from core.domain import Role
from core.permissions import role_allows
from services.api_auth import Scope
from tests.api.conftest import Api, api_settings, error_of, served
from tests.bot.conftest import (
    ADMIN_ID,
    API_USER_ID,
    TRADER_ID,
    VIEWER_ID,
    AppFactory,
    feed,
)
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.webapp.dashboard import SETTINGS, fill

ROLES: Final = {
    Role.ADMIN: ADMIN_ID,
    Role.TRADER: TRADER_ID,
    Role.VIEWER: VIEWER_ID,
    Role.API_USER: API_USER_ID,
}
READS: Final = [
    ("/api/v1/me", "bot.use"),
    ("/api/v1/sources", "sources.read"),
    ("/api/v1/sources/top", "signals.read"),
    ("/api/v1/sources/1", "sources.read"),
    ("/api/v1/sources/1/chart.png?theme=light", "sources.read"),
    ("/api/v1/signals", "signals.read"),
    ("/api/v1/signals?source_id=1&pair=BTC/USDT&status=active&limit=5", "signals.read"),
    ("/api/v1/signals/1", "signals.read"),
    ("/api/v1/signals/1/chart.png", "signals.read"),
    ("/api/v1/plans", "trade"),
    ("/api/v1/plans?status=closed", "trade"),
    ("/api/v1/orders", "trade"),
    ("/api/v1/orders?history=true", "trade"),
    ("/api/v1/positions", "trade"),
    ("/api/v1/balances", "trade"),
    ("/api/v1/admin/users", "users.manage"),
    ("/api/v1/admin/audit", "audit.read"),
    ("/api/v1/admin/stats", "system.stats"),
]
PRIVATE_POST: Final = "ETH/USDT SHORT\nEntry: 3000\nTP1: 2900\nSL: 3100"


@dataclass
class Seeded:
    api: Api
    plan_id: int
    headers: dict[Role, dict[str, str]]


@pytest.fixture
async def seeded(
    make_app: AppFactory, telegram_api: FakeTelegramAPI, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Seeded]:
    settings = {**SETTINGS, "tracking": {**SETTINGS["tracking"], "candles_dir": tmp_path}}
    app = await make_app(**settings, api=api_settings())
    plan_id = await fill(app, telegram_api, tmp_path)
    async with served(app, clock) as api:
        headers = {role: await api.headers(tid, role) for role, tid in ROLES.items()}
        yield Seeded(api, plan_id, headers)


async def test_every_read_by_every_role_follows_the_permission_table(seeded: Seeded) -> None:
    client = seeded.api.client
    for path, permission in READS:
        assert (await client.get(path)).status_code == 401, path
        for role, headers in seeded.headers.items():
            response = await client.get(path, headers=headers)
            expected = 200 if role_allows(role, permission) else 403
            assert response.status_code == expected, (path, role, response.text[:300])
            if expected == 403:
                assert error_of(response)["code"] == "forbidden"
            elif path.endswith(".png") or ".png?" in path:
                assert response.headers["content-type"] == "image/png"
                assert response.content.startswith(b"\x89PNG")


async def test_the_reads_carry_the_contract_fields(seeded: Seeded) -> None:
    client, headers = seeded.api.client, seeded.headers[Role.TRADER]
    top = (await client.get("/api/v1/sources/top", headers=headers)).json()
    [source] = top["items"]
    assert {"id", "name", "title", "signals", "win_rate", "avg_r", "expectancy"} <= set(source)
    assert source["title"] == "Alpha <calls>"
    assert isinstance(source["expectancy"], str)  # decimals are strings
    detail = (await client.get(f"/api/v1/sources/{source['id']}", headers=headers)).json()
    assert [w["days"] for w in detail["windows"]] == [30, 90, None]
    page = (await client.get("/api/v1/signals?source_id=1&limit=5", headers=headers)).json()
    [signal] = page["items"]
    assert {"id", "pair", "side", "status", "posted_at", "outcome"} <= set(signal)
    assert signal["pair"] == "BTC/USDT"
    assert page["next_cursor"] is None
    one = (await client.get(f"/api/v1/signals/{signal['id']}", headers=headers)).json()
    assert one["targets"] == ["62000", "64000"]
    assert "events" in one
    assert "outcomes" in one
    plans = (await client.get("/api/v1/plans?status=open", headers=headers)).json()
    [plan] = plans["items"]
    assert {"id", "pair", "side", "status"} <= set(plan)
    assert plan["id"] == seeded.plan_id
    positions = (await client.get("/api/v1/positions", headers=headers)).json()
    assert any(p["pair"].startswith("BTC") for p in positions["items"])
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert {"id", "telegram_id", "username", "role"} <= set(me)


async def test_pages_follow_their_cursor(seeded: Seeded) -> None:
    client, headers = seeded.api.client, seeded.headers[Role.ADMIN]
    for telegram_id in range(9000, 9005):
        await seeded.api.app.users.grant_role(None, telegram_id, Role.VIEWER)
    seen: list[int] = []
    cursor = ""
    while True:
        page = (
            await client.get(f"/api/v1/admin/users?limit=2&cursor={cursor}", headers=headers)
        ).json()
        seen += [u["id"] for u in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) >= 9
    bad = await client.get("/api/v1/signals?cursor=abc", headers=headers)
    assert bad.status_code == 400
    assert error_of(bad)["code"] == "bad_request"


async def test_other_peoples_objects_are_404(
    seeded: Seeded, telegram_api: FakeTelegramAPI
) -> None:
    api, client = seeded.api, seeded.api.client
    await feed(api.app, telegram_api.updates.message(TRADER_ID, PRIVATE_POST))
    trader = seeded.headers[Role.TRADER]
    mine = (await client.get("/api/v1/signals?pair=ETH", headers=trader)).json()["items"]
    assert [s["pair"] for s in mine] == ["ETH/USDT"]
    private_id = mine[0]["id"]
    for role in (Role.ADMIN, Role.VIEWER, Role.API_USER):
        headers = seeded.headers[role]
        for path in (f"/api/v1/signals/{private_id}", f"/api/v1/signals/{private_id}/chart.png"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, (role, path)
            error_of(response)
        listed = (await client.get("/api/v1/signals", headers=headers)).json()["items"]
        assert private_id not in [s["id"] for s in listed]
    # the trader's plan and order are not the admin's to close or cancel
    admin = seeded.headers[Role.ADMIN]
    closing = await client.post(
        f"/api/v1/plans/{seeded.plan_id}/close", headers={**admin, "Idempotency-Key": "a1"}
    )
    assert closing.status_code == 404
    order = await client.post(
        "/api/v1/orders",
        headers=trader,
        json={"pair": "BTC/USDT", "side": "buy", "amount": "0.001", "price": "30000"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["order"]["id"]
    assert (await client.delete(f"/api/v1/orders/{order_id}", headers=admin)).status_code == 404
    cancelled = await client.delete(f"/api/v1/orders/{order_id}", headers=trader)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    for path in ("/api/v1/sources/999", "/api/v1/signals/999", "/api/v1/signals/0"):
        assert (await client.get(path, headers=trader)).status_code == 404


async def test_paper_orders_need_a_trade_token(seeded: Seeded) -> None:
    api, client = seeded.api, seeded.api.client
    body = {"pair": "btc", "side": "buy", "amount": "100", "amount_in_quote": True}
    placed = await client.post("/api/v1/orders", headers=seeded.headers[Role.TRADER], json=body)
    assert placed.status_code == 201, placed.text
    order = placed.json()["order"]
    assert (order["pair"], order["status"], order["is_paper"]) == ("BTC/USDT", "filled", True)
    assert isinstance(order["amount"], str)
    read_only = await api.headers(TRADER_ID, Role.TRADER, Scope.READ)
    for headers in (read_only, seeded.headers[Role.VIEWER], seeded.headers[Role.API_USER]):
        refused = await client.post("/api/v1/orders", headers=headers, json=body)
        assert refused.status_code == 403
        error_of(refused)
    webapp = await api.headers(TRADER_ID, Role.TRADER, Scope.WEBAPP)
    assert (await client.post("/api/v1/orders", headers=webapp, json=body)).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"pair": "BTC/USDT", "side": "buy", "amount": "-1"},
        {"pair": "BTC/USDT", "side": "hold", "amount": "1"},
        {"pair": "BTC/USDT", "side": "buy", "amount": 1.5},
        {"pair": "", "side": "buy", "amount": "1"},
        {"side": "buy", "amount": "1"},
    ],
    ids=["negative", "side", "float", "empty-pair", "no-pair"],
)
async def test_bad_order_bodies_are_422_and_change_nothing(seeded: Seeded, body: object) -> None:
    client, headers = seeded.api.client, seeded.headers[Role.TRADER]
    before = (await client.get("/api/v1/orders?history=true", headers=headers)).json()
    response = await client.post("/api/v1/orders", headers=headers, json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"
    after = (await client.get("/api/v1/orders?history=true", headers=headers)).json()
    assert after == before


async def test_an_unknown_pair_is_400(seeded: Seeded) -> None:
    response = await seeded.api.client.post(
        "/api/v1/orders",
        headers=seeded.headers[Role.TRADER],
        json={"pair": "NOPE/USDT", "side": "buy", "amount": "1"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


async def test_closing_a_plan_happens_once_per_idempotency_key(seeded: Seeded) -> None:
    api, client = seeded.api, seeded.api.client
    webapp = await api.headers(TRADER_ID, Role.TRADER, Scope.WEBAPP)  # the Mini App's Close
    path = f"/api/v1/plans/{seeded.plan_id}/close"
    assert (await client.post(path, headers=webapp)).status_code == 422  # no key: refused
    read_only = await api.headers(TRADER_ID, Role.TRADER, Scope.READ)
    refused = await client.post(path, headers={**read_only, "Idempotency-Key": "k0"})
    assert refused.status_code == 403
    first = await client.post(path, headers={**webapp, "Idempotency-Key": "close-1"})
    assert first.status_code == 200, first.text
    assert first.json()["id"] == seeded.plan_id
    assert first.json()["replayed"] is False
    again = await client.post(path, headers={**webapp, "Idempotency-Key": "close-1"})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert again.headers["Idempotent-Replayed"] == "true"
    trader = await api.app.users.get(TRADER_ID)
    assert trader is not None
    plan = await api.app.services["plan_service"].plan(trader, seeded.plan_id)
    assert plan.held == 0
    sells = [
        o
        for o in await api.app.services["trading_service"].history(trader, limit=50)
        if o.side.value == "sell"
    ]
    assert len(sells) == 1  # closed exactly once
    # the plan is gone from the open ones; a new key on a closed plan changes nothing
    later = await client.post(path, headers={**webapp, "Idempotency-Key": "close-2"})
    assert later.status_code in {200, 409}
    after = [
        o
        for o in await api.app.services["trading_service"].history(trader, limit=50)
        if o.side.value == "sell"
    ]
    assert len(after) == 1


async def test_admin_changes_roles_and_bans_through_the_service(seeded: Seeded) -> None:
    api, client = seeded.api, seeded.api.client
    admin = seeded.headers[Role.ADMIN]
    changed = await client.post(
        f"/api/v1/admin/users/{VIEWER_ID}/role", headers=admin, json={"role": "trader"}
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "trader"
    banned = await client.post(
        f"/api/v1/admin/users/{API_USER_ID}/ban", headers=admin, json={"banned": True}
    )
    assert banned.json()["is_banned"] is True
    # the banned user's token stops at once
    me = await client.get("/api/v1/me", headers=seeded.headers[Role.API_USER])
    assert me.status_code == 403
    again = await client.post(
        f"/api/v1/admin/users/{API_USER_ID}/ban", headers=admin, json={"banned": True}
    )
    assert again.json()["changed"] is False  # the chat's rule: a no-op says so
    # an unknown id is acted on like a known one, as the chat's /ban does (services/admin)
    unknown = await client.post("/api/v1/admin/users/424242/ban", headers=admin, json={})
    assert unknown.status_code == 200
    assert (unknown.json()["created"], unknown.json()["is_banned"]) == (True, True)
    audit = (await client.get("/api/v1/admin/audit", headers=admin)).json()["items"]
    assert {"role_granted", "user_banned"} <= {e["action"] for e in audit}
    assert all(isinstance(e["target"], str) for e in audit)
    trader = seeded.headers[Role.TRADER]
    for path, body in (
        (f"/api/v1/admin/users/{VIEWER_ID}/role", {"role": "admin"}),
        (f"/api/v1/admin/users/{VIEWER_ID}/ban", {"banned": True}),
    ):
        assert (await client.post(path, headers=trader, json=body)).status_code == 403
    read_only = await api.headers(ADMIN_ID, Role.ADMIN, Scope.READ)
    response = await client.post(
        f"/api/v1/admin/users/{VIEWER_ID}/role", headers=read_only, json={"role": "viewer"}
    )
    assert response.status_code == 403
    stats = (await client.get("/api/v1/admin/stats", headers=admin)).json()
    assert stats["users"] >= 4
    assert stats["plans_open"] >= 1
    assert stats["parser_fallback_rate"] is None or isinstance(stats["parser_fallback_rate"], str)


async def test_health_readiness_and_metrics(seeded: Seeded) -> None:
    client = seeded.api.client
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = (await client.get("/readyz")).json()
    assert ready == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "tsbot_" in metrics.text
    docs = await client.get("/docs")
    assert docs.status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/auth/token" in spec["paths"]


async def test_unknown_routes_and_methods_answer_in_the_one_shape(seeded: Seeded) -> None:
    client = seeded.api.client
    for response in (
        await client.get("/api/v1/nothing"),
        await client.put("/api/v1/me"),
        await client.post("/api/v1/auth/token", content=b"not json"),
    ):
        assert response.status_code in {404, 405, 422}
        error_of(response)


async def test_concurrent_closes_with_one_key_close_once(seeded: Seeded) -> None:
    """Five presses at once with the same key (a client's retries racing): one close."""
    import asyncio

    api, client = seeded.api, seeded.api.client
    headers = {**seeded.headers[Role.TRADER], "Idempotency-Key": "race"}
    path = f"/api/v1/plans/{seeded.plan_id}/close"
    responses = await asyncio.gather(*(client.post(path, headers=headers) for _ in range(5)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    assert statuses.count(200) >= 1
    assert sum(1 for r in responses if r.status_code == 200 and not r.json()["replayed"]) == 1
    for response in responses:
        if response.status_code == 409:
            assert error_of(response)["code"] == "conflict"
    trader = await api.app.users.get(TRADER_ID)
    assert trader is not None
    orders = await api.app.services["trading_service"].history(trader, limit=50)
    assert sum(1 for o in orders if o.side.value == "sell") == 1
