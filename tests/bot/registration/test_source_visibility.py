"""A source registered by a non-admin is seen only by admins, its owner and the owner's
invitees until an admin approves it: /sources, /follow, /stats and signal delivery, through the
whole chain to the fake Bot API. "verified" says only that the owner was checked as the
channel's admin."""

from __future__ import annotations

from bot.app import App
from core.db.models import Source, Subscription
from tests.bot.conftest import ADMIN_ID, TRADER_ID, VIEWER_ID, drain_outbox, feed
from tests.bot.registration.test_registration import buttons, say, texts
from tests.bot.signals.test_intake import (
    CHANNEL,
    ENTRY,
    OWNER_ID,
    STRANGER_ID,
    follow,
    outbox_to,
    post,
    register,
    rows,
)
from tests.fakes.telegram_api import FakeTelegramAPI


async def last(telegram_api: FakeTelegramAPI, chat_id: int) -> str:
    return texts(telegram_api, chat_id)[-1]


async def test_unapproved_source_is_listed_only_for_its_owner_and_admins(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api, approve=False)
    [source] = await rows(app, Source)
    assert not source.approved and source.verified
    await say(app, telegram_api, TRADER_ID, "/sources")
    assert "No sources yet" in await last(telegram_api, TRADER_ID)
    for user_id in (OWNER_ID, ADMIN_ID):
        await say(app, telegram_api, user_id, "/sources")
        text = await last(telegram_api, user_id)
        assert f"Alpha {CHANNEL}" in text
        assert "owner checked as channel admin" in text and "not approved yet" in text
        assert ", verified" not in text


async def test_strangers_cannot_follow_or_score_an_unapproved_source_nor_get_its_signals(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api, approve=False)
    assert "No such source" in await follow(app, telegram_api, TRADER_ID)
    assert "No such source" in await follow(app, telegram_api, TRADER_ID, f"{CHANNEL}")
    await say(app, telegram_api, TRADER_ID, "/stats 1")
    assert "No such source" in await last(telegram_api, TRADER_ID)
    assert await rows(app, Subscription) == []
    await follow(app, telegram_api, OWNER_ID)  # the owner may
    assert len(await rows(app, Subscription)) == 1
    await post(app, telegram_api, ENTRY)
    assert await outbox_to(app, TRADER_ID) == []
    assert any("New signal" in m.text for m in await outbox_to(app, OWNER_ID))


async def test_an_invitee_sees_follows_and_gets_signals_until_uninvited(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api, approve=False)
    await say(app, telegram_api, TRADER_ID, "/start")
    await say(app, telegram_api, STRANGER_ID, f"/invite 1 {TRADER_ID}")
    assert "No such source" in await last(telegram_api, STRANGER_ID)  # not theirs to share
    await say(app, telegram_api, OWNER_ID, "/invite 1 @nobody_known")
    assert "send /start" in await last(telegram_api, OWNER_ID)
    await say(app, telegram_api, OWNER_ID, f"/invite 1 {TRADER_ID}")
    assert "can see and follow" in await last(telegram_api, OWNER_ID)
    [invitation] = [m for m in await outbox_to(app, TRADER_ID) if "invited you" in m.text]
    assert "/follow 1" in invitation.text

    await say(app, telegram_api, TRADER_ID, "/sources")
    assert f"Alpha {CHANNEL}" in await last(telegram_api, TRADER_ID)
    await follow(app, telegram_api, TRADER_ID)
    assert len(await rows(app, Subscription)) == 1
    await say(app, telegram_api, VIEWER_ID, "/sources")
    assert "No sources yet" in await last(telegram_api, VIEWER_ID)  # the invite is personal

    await post(app, telegram_api, ENTRY)
    assert any("New signal" in m.text for m in await outbox_to(app, TRADER_ID))

    await say(app, telegram_api, OWNER_ID, f"/uninvite 1 {TRADER_ID}")
    assert "no longer sees" in await last(telegram_api, OWNER_ID)
    assert await rows(app, Subscription) == []
    await say(app, telegram_api, TRADER_ID, "/sources")
    assert "No sources yet" in await last(telegram_api, TRADER_ID)


async def test_admin_approves_by_button_and_then_everyone_sees_it(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await say(app, telegram_api, ADMIN_ID, "/start")  # admins known before the channel comes
    await register(app, telegram_api, approve=False)
    await drain_outbox(app)
    [notice] = [m for m in telegram_api.messages(ADMIN_ID) if "not a bot admin" in m["text"]]
    assert "its owner was checked as the channel's admin" in notice["text"]
    data = buttons(notice)["Approve"]
    await feed(app, telegram_api.updates.callback(TRADER_ID, notice, data))
    assert "not allowed" in telegram_api.last("answerCallbackQuery")["text"]
    [source] = await rows(app, Source)
    assert not source.approved

    await feed(app, telegram_api.updates.callback(ADMIN_ID, notice, data))
    assert "is approved" in telegram_api.last("editMessageText")["text"]
    [source] = await rows(app, Source)
    assert source.approved
    assert any("An admin approved" in m.text for m in await outbox_to(app, OWNER_ID))
    await say(app, telegram_api, TRADER_ID, "/sources")
    assert f"Alpha {CHANNEL}" in await last(telegram_api, TRADER_ID)
    assert "not approved" not in await last(telegram_api, TRADER_ID)
    await follow(app, telegram_api, TRADER_ID)
    assert len(await rows(app, Subscription)) == 1
    await say(app, telegram_api, ADMIN_ID, "/source approve 1")
    assert "approved already" in await last(telegram_api, ADMIN_ID)


async def test_only_admins_approve_by_command_and_admin_sources_need_no_approval(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    await register(app, telegram_api, approve=False)
    await say(app, telegram_api, OWNER_ID, "/source approve 1")
    assert "not allowed" in await last(telegram_api, OWNER_ID)
    await say(app, telegram_api, ADMIN_ID, "/source approve 1")
    assert "is approved" in await last(telegram_api, ADMIN_ID)
    other = CHANNEL - 1
    await register(app, telegram_api, chat_id=other, owner=ADMIN_ID, approve=False)
    sources = await rows(app, Source)
    assert [s.approved for s in sources] == [True, True]


async def test_a_channel_added_by_a_non_admin_is_unverified_and_unapproved(
    app: App, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.api.add_chat(CHANNEL, "channel", title="Alpha")
    telegram_api.api.set_member(CHANNEL, STRANGER_ID, "member")
    await register(app, telegram_api, owner=STRANGER_ID, approve=False)
    [source] = await rows(app, Source)
    assert (source.verified, source.approved, source.owner_user_id) == (False, False, None)
    for user_id in (STRANGER_ID, TRADER_ID):
        await say(app, telegram_api, user_id, "/sources")
        assert "No sources yet" in await last(telegram_api, user_id)
