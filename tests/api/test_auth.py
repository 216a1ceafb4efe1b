"""Sign-in over HTTP: API keys, the Mini App's initData, token expiry, refresh rotation and
reuse detection, revocation (by the API, by /apikeys, by a ban) seen at once, the rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import Role
from services.api_auth import Scope
from tests.api.conftest import Api, api_settings, error_of, served
from tests.bot.conftest import ADMIN_ID, API_USER_ID, TRADER_ID, VIEWER_ID, AppFactory
from tests.fakes.clock import FakeClock


async def me(api: Api, access: str) -> tuple[int, dict[str, object]]:
    response = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    return response.status_code, response.json()


async def test_a_key_signs_in_and_me_says_who(api: Api) -> None:
    tokens = await api.sign_in(TRADER_ID, Role.TRADER)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    status, body = await me(api, tokens["access_token"])
    assert status == 200
    assert body["telegram_id"] == TRADER_ID
    assert body["role"] == "trader"
    assert body["scope"] == "trade"


@pytest.mark.parametrize(
    "key",
    ["", "nonsense", "tsb_" + "x" * 43, "tsb_" + "y" * 300],
    ids=["empty", "shape", "unknown", "huge"],
)
async def test_a_bad_key_is_401_in_one_shape(api: Api, key: str) -> None:
    response = await api.client.post("/api/v1/auth/token", json={"api_key": key})
    assert response.status_code in {401, 422}
    error_of(response)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer " + "e" * 500],
    ids=["none", "empty", "garbage", "basic", "long"],
)
async def test_requests_without_a_good_token_are_401(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await api.client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


async def test_a_token_signed_with_another_secret_is_refused(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app(api=api_settings())
    async with served(app, clock) as first:
        tokens = await first.sign_in(TRADER_ID, Role.TRADER)
    other = await make_app(api=api_settings())
    import jwt

    forged = jwt.encode(
        jwt.decode(tokens["access_token"], options={"verify_signature": False}),
        "another-secret-of-thirty-two-bytes!!",
        algorithm="HS256",
    )
    async with served(other, clock) as second:
        status, _ = await me(second, forged)
        assert status == 401


async def test_the_access_token_expires_after_15_minutes(api: Api) -> None:
    tokens = await api.sign_in(TRADER_ID, Role.TRADER)
    api.clock.advance(timedelta(minutes=14, seconds=59))
    assert (await me(api, tokens["access_token"]))[0] == 200
    api.clock.advance(timedelta(seconds=1))
    status, body = await me(api, tokens["access_token"])
    assert status == 401
    assert "expired" in str(body["error"])
    refreshed = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert (await me(api, refreshed.json()["access_token"]))[0] == 200


async def test_refresh_rotates_and_reuse_revokes_the_whole_session(api: Api) -> None:
    first = await api.sign_in(TRADER_ID, Role.TRADER)
    second = (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    third = (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
        )
    ).json()
    assert (await me(api, third["access_token"]))[0] == 200
    # the first refresh token again: stolen, or a client that kept an old one
    reused = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401
    assert error_of(reused)["code"] == "not_authenticated"
    # every token of the session is dead: the access tokens and the newest refresh token
    for pair in (first, second, third):
        assert (await me(api, pair["access_token"]))[0] == 401
    latest = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}
    )
    assert latest.status_code == 401
    # another session of the same user is untouched
    other = await api.sign_in(TRADER_ID, Role.TRADER)
    assert (await me(api, other["access_token"]))[0] == 200


async def test_a_refresh_token_expires_after_30_days(api: Api) -> None:
    tokens = await api.sign_in(TRADER_ID, Role.TRADER)
    api.clock.advance(timedelta(days=30))
    response = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


async def test_revoke_by_refresh_token_and_by_bearer(api: Api) -> None:
    one = await api.sign_in(TRADER_ID, Role.TRADER)
    two = await api.sign_in(TRADER_ID, Role.TRADER)
    response = await api.client.post(
        "/api/v1/auth/revoke", json={"refresh_token": one["refresh_token"]}
    )
    assert response.json() == {"revoked": True}
    assert (await me(api, one["access_token"]))[0] == 401
    assert (await me(api, two["access_token"]))[0] == 200
    response = await api.client.post(
        "/api/v1/auth/revoke",
        json={},
        headers={"Authorization": f"Bearer {two['access_token']}"},
    )
    assert response.status_code == 200
    assert (await me(api, two["access_token"]))[0] == 401
    refused = await api.client.post("/api/v1/auth/revoke", json={})
    assert refused.status_code == 401


async def test_revoking_the_key_in_the_chat_ends_its_sessions_at_once(api: Api) -> None:
    tokens = await api.sign_in(TRADER_ID, Role.TRADER)
    trader = await api.app.users.get(TRADER_ID)
    assert trader is not None
    keys = api.app.services["apikey_service"]
    [key] = await keys.list_keys(trader)
    await keys.revoke(trader, key.id)
    assert (await me(api, tokens["access_token"]))[0] == 401
    refreshed = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_a_ban_or_a_demotion_is_refused_at_once(api: Api) -> None:
    tokens = await api.sign_in(TRADER_ID, Role.TRADER)
    admin = await api.app.users.grant_role(None, ADMIN_ID, Role.ADMIN)
    await api.app.users.set_banned(admin, TRADER_ID, True)
    status, body = await me(api, tokens["access_token"])
    assert status == 403
    assert body["error"]["code"] == "forbidden"  # type: ignore[index]
    await api.app.users.set_banned(admin, TRADER_ID, False)
    assert (await me(api, tokens["access_token"]))[0] == 200
    await api.app.users.grant_role(admin, TRADER_ID, Role.VIEWER)  # viewers have no API key use
    assert (await me(api, tokens["access_token"]))[0] == 403


async def test_revocation_is_seen_by_a_second_app_instance(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """Two bots on the same database and Redis, each with its own API server: a session
    revoked through one is refused by the other on its next request."""
    first_app = await make_app(api=api_settings())
    second_app = await make_app(api=api_settings())
    async with served(first_app, clock) as first, served(second_app, clock) as second:
        tokens = await first.sign_in(TRADER_ID, Role.TRADER)
        assert (await me(second, tokens["access_token"]))[0] == 200
        await first.client.post(
            "/api/v1/auth/revoke", json={"refresh_token": tokens["refresh_token"]}
        )
        assert (await me(second, tokens["access_token"]))[0] == 401


async def test_the_mini_app_signs_in_a_stranger_as_start_would(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/webapp", json={"init_data": api.init_data(7777, username="ann")}
    )
    assert response.status_code == 200, response.text
    status, body = await me(api, response.json()["access_token"])
    assert status == 200
    assert (body["telegram_id"], body["username"], body["role"]) == (7777, "ann", "trader")
    assert body["scope"] == "webapp"


@pytest.mark.parametrize("tamper", ["hash", "user", "stale", "future", "no_user"])
async def test_a_forged_or_stale_init_data_is_refused(api: Api, tamper: str) -> None:
    data = api.init_data(7777)
    if tamper == "hash":
        data = data[:-4] + ("0000" if not data.endswith("0000") else "1111")
    elif tamper == "user":
        data = data.replace("7777", "7778")
    elif tamper == "stale":
        data = api.init_data(7777, age_s=3601)
    elif tamper == "future":
        data = api.init_data(7777, age_s=-600)
    else:
        data = "auth_date=1&hash=abc"
    response = await api.client.post("/api/v1/auth/webapp", json={"init_data": data})
    assert response.status_code == 401
    error_of(response)
    assert await api.app.users.get(7777) is None  # nobody registered


@pytest.mark.parametrize(
    ("registration", "status"), [("closed", 403), ("approval", 403), ("open", 200)]
)
async def test_the_mini_app_follows_the_registration_rules(
    make_app: AppFactory, clock: FakeClock, registration: str, status: int
) -> None:
    app = await make_app(api=api_settings(), access={"registration": registration})
    async with served(app, clock) as api:
        response = await api.client.post(
            "/api/v1/auth/webapp", json={"init_data": api.init_data(8888)}
        )
        assert response.status_code == status
        stored = await app.users.get(8888)
        assert (stored is None) is (registration == "closed")


async def test_viewers_get_no_api_key_but_use_the_mini_app(api: Api) -> None:
    from core.errors import Forbidden

    viewer = await api.app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    with pytest.raises(Forbidden):
        await api.app.services["apikey_service"].create(viewer, Scope.READ)
    assert await api.sign_in(VIEWER_ID, Role.VIEWER)
    assert await api.sign_in(API_USER_ID, Role.API_USER)


async def test_the_rate_limit_answers_429_with_retry_after(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app(api=api_settings(rate_per_minute=6, rate_burst=3))
    async with served(app, clock) as api:
        tokens = await api.sign_in(TRADER_ID, Role.TRADER)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        statuses = [
            (await api.client.get("/api/v1/me", headers=headers)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        response = await api.client.get("/api/v1/me", headers=headers)
        assert response.status_code == 429
        assert error_of(response)["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 10
        # another token has its own budget
        other = await api.sign_in(ADMIN_ID, Role.ADMIN)
        again = await api.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {other['access_token']}"}
        )
        assert again.status_code == 200


async def test_sign_in_attempts_are_limited_per_client(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """Guessing keys stays slow: the sign-in endpoints have a budget per client address."""
    app = await make_app(api=api_settings(rate_per_minute=6, rate_burst=3))
    async with served(app, clock) as api:
        statuses = [
            (
                await api.client.post("/api/v1/auth/token", json={"api_key": f"tsb_guess{n}"})
            ).status_code
            for n in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
