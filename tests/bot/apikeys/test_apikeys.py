"""/apikey and /apikeys through the real dispatcher and the fake Bot API: a key shown once and
stored as a fingerprint, the PIN asked for a live trade key (its message deleted), the list
with Revoke buttons that only revoke the presser's own keys, every change audited."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import select

from bot.app import App
from core.db.models import ApiKey, AuditEntry
from core.domain import Role
from tests.bot.conftest import TRADER_ID, VIEWER_ID, feed
from tests.fakes.telegram_api import FakeTelegramAPI

OTHER_TRADER_ID = 2003
KEY = re.compile(r"tsb_[A-Za-z0-9_-]{40,}")


async def say(app: App, api: FakeTelegramAPI, text: str, user_id: int = TRADER_ID) -> int:
    update = api.updates.message(user_id, text)
    await feed(app, update)
    return int(update["message"]["message_id"])


def last_text(api: FakeTelegramAPI) -> str:
    return str(api.last("sendMessage")["text"])


def deleted_ids(api: FakeTelegramAPI) -> set[int]:
    return {int(c["message_id"]) for c in api.calls_of("deleteMessage")}


async def stored_keys(app: App) -> list[ApiKey]:
    async with app.db.session() as session:
        return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))


async def audit_actions(app: App) -> list[str]:
    async with app.db.session() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def test_apikey_shows_a_key_once_and_stores_its_fingerprint(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(app, telegram_api, "/start")
    await say(app, telegram_api, "/apikey")
    text = last_text(telegram_api)
    match = KEY.search(text)
    assert match, text
    assert "read" in text
    [row] = await stored_keys(app)
    assert row.scope == "read" and not row.live
    assert row.key_hash == hashlib.sha256(match.group(0).encode()).hexdigest()
    assert match.group(0) not in repr(vars(row))
    assert match.group(0).startswith(row.prefix)
    await say(app, telegram_api, "/apikey trade")
    assert KEY.search(last_text(telegram_api))
    assert [k.scope for k in await stored_keys(app)] == ["read", "trade"]
    assert (await audit_actions(app)).count("api_key_created") == 2


async def test_bad_arguments_get_the_usage_and_make_nothing(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(app, telegram_api, "/start")
    for args in ("/apikey write", "/apikey trade now", "/apikey a b c"):
        await say(app, telegram_api, args)
        assert "Usage: /apikey" in last_text(telegram_api), args
    await say(app, telegram_api, "/apikey read live")
    assert "Only a trade key can trade live" in last_text(telegram_api)
    assert await stored_keys(app) == []


async def test_a_live_key_needs_a_pin_set_and_given(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(app, telegram_api, "/start")
    await say(app, telegram_api, "/apikey trade live")
    assert "/pin" in last_text(telegram_api)  # no PIN set: told how, nothing made
    assert await stored_keys(app) == []
    await say(app, telegram_api, "/pin")
    await say(app, telegram_api, "1234")
    assert last_text(telegram_api).startswith("PIN set")
    await say(app, telegram_api, "/apikey trade live")
    assert "trading PIN" in last_text(telegram_api)
    wrong = await say(app, telegram_api, "9999")
    assert wrong in deleted_ids(telegram_api)
    assert "not right" in last_text(telegram_api)
    assert await stored_keys(app) == []
    await say(app, telegram_api, "/apikey trade live")
    right = await say(app, telegram_api, "1234")
    assert right in deleted_ids(telegram_api)
    assert KEY.search(last_text(telegram_api))
    [row] = await stored_keys(app)
    assert (row.scope, row.live) == ("trade", True)
    for call in telegram_api.calls_of("sendMessage"):
        assert "1234" not in call["text"] and "9999" not in call["text"]


async def test_apikeys_lists_and_revokes_only_ones_own_keys(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await app.users.grant_role(None, OTHER_TRADER_ID, Role.TRADER)
    await say(app, telegram_api, "/start")
    await say(app, telegram_api, "/apikey trade")
    await say(app, telegram_api, "/apikey", user_id=OTHER_TRADER_ID)
    mine, theirs = await stored_keys(app)
    await say(app, telegram_api, "/apikeys")
    listing = [m for m in telegram_api.messages(TRADER_ID) if "reply_markup" in m][-1]
    assert mine.prefix in listing["text"] and theirs.prefix not in listing["text"]
    [(label, data)] = buttons(listing).items()
    assert label.startswith(f"Revoke #{mine.id}")
    # the other trader forges a press on a key that is not theirs: nothing changes
    forged = data.replace(str(mine.id), str(theirs.id))
    await feed(app, telegram_api.updates.callback(TRADER_ID, listing, forged))
    await feed(app, telegram_api.updates.callback(OTHER_TRADER_ID, listing, data))
    assert all(k.revoked_at is None for k in await stored_keys(app))
    answers = [c.get("text", "") for c in telegram_api.calls_of("answerCallbackQuery")]
    assert sum("No such key" in a for a in answers) == 2
    await feed(app, telegram_api.updates.callback(TRADER_ID, listing, data))
    mine, theirs = await stored_keys(app)
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert "revoked" in last_text(telegram_api)
    await say(app, telegram_api, "/apikeys")
    assert "no API keys" in last_text(telegram_api)
    assert "api_key_revoked" in await audit_actions(app)


async def test_viewers_may_list_but_not_make_keys(app: App, telegram_api: FakeTelegramAPI) -> None:
    await app.users.grant_role(None, VIEWER_ID, Role.VIEWER)
    await say(app, telegram_api, "/apikey", user_id=VIEWER_ID)
    assert "not allowed" in last_text(telegram_api)
    await say(app, telegram_api, "/apikeys", user_id=VIEWER_ID)
    assert "no API keys" in last_text(telegram_api)
    assert await stored_keys(app) == []
