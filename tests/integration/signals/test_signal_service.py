"""SignalService and SourceService on SQLite and PostgreSQL, with a fake trading collaborator:
auto-trading, edits after a trade, held posts, idempotent intake, and the Edit form's parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.cache import KeyValue
from core.db.models import OutboxMessage, Signal, SignalEvent
from core.db.session import Database
from core.domain import Role, Side, SignalKind, SignalStatus
from core.errors import NotFound, TemporaryExchangeError, UserError
from handlers.signals_render import SignalHtml
from services.dto import UserView
from services.signal_dto import ChannelPost, ChatInfo, EventView, ForwardedPost, SignalView
from services.signals import (
    SignalService,
    check_levels,
    parse_edit_value,
    parse_entry,
    parse_pair,
    parse_targets,
)
from services.sources import SourceService
from services.users import UserService

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CHANNEL = -1005550001
ENTRY = "BTC/USDT LONG\nEntry: 60000-61000\nTP1: 62000\nTP2: 64000\nSL: 58000"


@dataclass
class FakeTrading:
    """The trading port: which signals have orders."""

    traded: set[int] = field(default_factory=set)

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]:
        return self.traded & set(signal_ids)


@dataclass
class FakePlans:
    """Records what the signals feature hands to the plan service (idempotent there)."""

    trading: FakeTrading
    calls: list[tuple[int, datetime]] = field(default_factory=list)
    updates: list[tuple[int, str, str]] = field(default_factory=list)
    edits: list[tuple[int, tuple[Decimal, ...], Decimal | None]] = field(default_factory=list)
    fail: Exception | None = None

    async def plan_signal(self, view: SignalView, activated_at: datetime) -> None:
        self.calls.append((view.id, activated_at))
        if self.fail is not None:
            raise self.fail
        self.trading.traded.add(view.id)

    async def apply_update(
        self, signal_id: int, event_id: int, kind: Any, text: str, *, stop: Any = None
    ) -> int:
        self.updates.append((signal_id, str(kind), text))
        return 1

    async def apply_edit(
        self,
        signal_id: int,
        event_id: int,
        targets: tuple[Decimal, ...],
        stop: Decimal | None,
    ) -> int:
        self.edits.append((signal_id, targets, stop))
        return 1


class FakeChats:
    def __init__(self, statuses: dict[tuple[int, int], str]) -> None:
        self.statuses = statuses
        self.asked = 0

    async def chat(self, ref: int | str) -> ChatInfo | None:
        return (
            ChatInfo(CHANNEL, "channel", "Alpha", "alpha") if ref in {CHANNEL, "@alpha"} else None
        )

    async def member_status(self, chat_id: int, user_id: int) -> str | None:
        self.asked += 1
        return self.statuses.get((chat_id, user_id), "member")


@dataclass
class World:
    db: Database
    users: UserService
    sources: SourceService
    signals: SignalService
    trading: FakeTrading
    plans: FakePlans
    clock: list[datetime]

    async def user(self, telegram_id: int, role: Role = Role.TRADER) -> UserView:
        return await self.users.grant_role(None, telegram_id, role)

    def now(self) -> datetime:
        return self.clock[0]

    def post(self, message_id: int, text: str = ENTRY, **kw: Any) -> ChannelPost:
        return ChannelPost(chat_id=CHANNEL, message_id=message_id, text=text, **kw)


@pytest.fixture
async def world(db: Database) -> World:
    clock = [NOW]
    users = UserService(db)
    trading = FakeTrading()
    plans = FakePlans(trading)
    sources = SourceService(db, KeyValue.memory().cache, SignalHtml())
    signals = SignalService(
        db, sources, trading, SignalHtml(), threshold=0.6, plans=plans, clock=lambda: clock[0]
    )
    return World(db, users, sources, signals, trading, plans, clock)


async def registered(world: World, owner: UserView) -> None:
    chats = FakeChats({(CHANNEL, owner.telegram_id): "creator"})
    view = await world.sources.on_bot_membership(
        owner, ChatInfo(CHANNEL, "channel", "Alpha", "alpha"), "administrator", chats
    )
    assert view is not None and view.verified
    # a non-admin's source is private until an admin approves it (issue 13 defect 9)
    admin = await world.users.grant_role(None, 999_001, Role.ADMIN)
    await world.sources.approve(admin, str(view.id))


async def all_rows(db: Database, model: Any) -> list[Any]:
    async with db.session() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_a_live_signal_goes_to_the_plans_on_every_delivery(world: World) -> None:
    """The plan service makes at most one plan per (signal, follower) and leaves out those who
    followed after ``activated_at``; the signals feature hands it the signal on every delivery
    (a crash may have come between the commit and the plans)."""
    owner, auto = await world.user(1), await world.user(2)
    await registered(world, owner)
    await world.signals.follow(auto, "@alpha auto 25")
    stored = await world.signals.ingest_channel_post(world.post(10))
    assert stored is not None
    world.clock[0] = NOW + timedelta(minutes=1)
    await world.signals.ingest_channel_post(world.post(10))  # delivered again
    assert world.plans.calls == [(stored.id, NOW), (stored.id, NOW)]
    notes = [r for r in await all_rows(world.db, OutboxMessage) if r.chat_id == 2]
    assert ["New signal" in n.text for n in notes] == [True]


async def test_a_temporary_exchange_error_reruns_the_update(world: World) -> None:
    owner, auto = await world.user(1), await world.user(2)
    await registered(world, owner)
    await world.signals.follow(auto, "1 auto 25")
    world.plans.fail = TemporaryExchangeError()
    with pytest.raises(TemporaryExchangeError):  # the update is re-run later
        await world.signals.ingest_channel_post(world.post(12))
    world.plans.fail = None
    await world.signals.ingest_channel_post(world.post(12))  # the re-run
    assert len(world.plans.calls) == 2
    assert len(await all_rows(world.db, Signal)) == 1


async def test_a_linked_update_reaches_the_plans_on_every_delivery(world: World) -> None:
    owner = await world.user(1)
    await registered(world, owner)
    stored = await world.signals.ingest_channel_post(world.post(15))
    assert stored is not None
    update = world.post(16, "Move SL to entry", reply_to_message_id=15)
    await world.signals.ingest_channel_post(update)
    await world.signals.ingest_channel_post(update)  # each plan applies an event once
    assert world.plans.updates == [(stored.id, "move_sl", "Move SL to entry")] * 2


async def test_edit_after_a_trade_is_recorded_not_applied_and_trades_nothing(
    world: World,
) -> None:
    owner, auto, watcher = await world.user(1), await world.user(2), await world.user(5)
    await registered(world, owner)
    await world.signals.follow(auto, "1 auto 25")
    await world.signals.follow(watcher, "1")
    stored = await world.signals.ingest_channel_post(world.post(13))
    assert stored is not None and stored.id in world.trading.traded
    calls = len(world.plans.calls)
    edited = world.post(13, ENTRY.replace("SL: 58000", "SL: 50000"), edit_date=1_772_400_000)
    event = await world.signals.edit_channel_post(edited)
    [signal] = await all_rows(world.db, Signal)
    assert signal.stop_loss == Decimal(58000) and signal.edit_count == 0
    assert isinstance(event, EventView) and event.details["applied"] is False
    assert event.details["reason"] == "already traded"
    assert len(world.plans.calls) == calls
    # the signal keeps its first levels; the plans trading it get the edit's
    assert world.plans.edits == [(stored.id, (Decimal(62000), Decimal(64000)), Decimal(50000))]
    shown = [r.text for r in await all_rows(world.db, OutboxMessage) if r.chat_id == 5]
    assert len(shown) == 2 and "not applied: already traded" in shown[1]
    await world.signals.edit_channel_post(edited)  # the same edit again
    assert len(await all_rows(world.db, SignalEvent)) == 1


async def test_edit_of_an_unseen_post_is_read_as_a_new_post(world: World) -> None:
    owner = await world.user(1)
    await registered(world, owner)
    await world.signals.ingest_channel_post(world.post(14, "gm"))
    await world.signals.edit_channel_post(world.post(14, ENTRY, edit_date=1_772_400_000))
    [signal] = await all_rows(world.db, Signal)
    assert signal.message_id == 14 and signal.status is SignalStatus.ACTIVE


async def test_held_post_goes_to_the_admins_when_the_source_has_no_owner(world: World) -> None:
    admin = await world.user(9, Role.ADMIN)
    chats = FakeChats({})
    await world.sources.add(admin, "@alpha", chats)
    world.signals = SignalService(  # one knob for this case: a higher confidence threshold
        world.db, world.sources, world.trading, SignalHtml(), threshold=0.95, clock=world.now
    )
    await world.signals.ingest_channel_post(world.post(15, "ETH short entry 3000 sl 3100"))
    [signal] = await all_rows(world.db, Signal)
    assert signal.status is SignalStatus.HELD
    [card] = await all_rows(world.db, OutboxMessage)
    assert card.chat_id == 9 and card.reply_markup is not None
    tracked = await world.signals.track(admin, signal.id)
    assert tracked.status is SignalStatus.ACTIVE


async def test_forward_attribution_rules(world: World) -> None:
    owner, admin, other = await world.user(1), await world.user(9, Role.ADMIN), await world.user(3)
    await registered(world, owner)
    chats = FakeChats({(CHANNEL, 1): "administrator"})

    def forward(user_chat: int, message_id: int, age: timedelta) -> ForwardedPost:
        return ForwardedPost(
            chat_id=user_chat,
            message_id=message_id,
            text=ENTRY,
            origin_chat_id=CHANNEL,
            origin_message_id=20,
            origin_date=NOW - age,
        )

    fresh = await world.signals.ingest_private(owner, forward(1, 1, timedelta(hours=1)), chats)
    assert fresh.card is not None and fresh.card.is_tracked and not fresh.duplicate
    again = await world.signals.ingest_private(admin, forward(9, 1, timedelta(hours=2)), chats)
    assert again.card is not None and again.duplicate and again.card.id == fresh.card.id
    stale = await world.signals.ingest_private(owner, forward(1, 2, timedelta(hours=80)), chats)
    assert stale.card is not None and not stale.card.is_tracked
    assert stale.note == "the post is older than 72 h"
    stranger = await world.signals.ingest_private(other, forward(3, 1, timedelta(0)), chats)
    assert stranger.card is not None and not stranger.card.is_tracked
    with pytest.raises(NotFound):  # someone else's private signal
        await world.signals.track(owner, stranger.card.id)
    with pytest.raises(NotFound):
        await world.signals.detail(owner, stranger.card.id)


async def test_update_forwarded_by_an_admin_links_by_pair(world: World) -> None:
    owner = await world.user(1)
    await registered(world, owner)
    stored = await world.signals.ingest_channel_post(world.post(30))
    chats = FakeChats({(CHANNEL, 1): "creator"})
    reply = await world.signals.ingest_private(
        owner,
        ForwardedPost(1, 2, "BTC/USDT closed ✅", CHANNEL, 31, NOW),
        chats,
    )
    assert stored is not None and reply.note == f"Update recorded: close on signal #{stored.id}."
    [signal] = await all_rows(world.db, Signal)
    assert signal.status is SignalStatus.CLOSED


async def test_membership_in_a_group_is_not_a_source(world: World) -> None:
    owner = await world.user(1)
    chats = FakeChats({(-100777, 1): "creator"})
    group = ChatInfo(-100777, "supergroup", "Chat", None)
    assert await world.sources.on_bot_membership(owner, group, "member", chats) is None
    assert await world.sources.list_sources() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("btc", ("BTC", None)),
        ("BTCUSDT", ("BTC", "USDT")),
        ("eth/usdc", ("ETH", "USDC")),
        ("#sol_usdt", ("SOL", "USDT")),
        ("1000PEPEUSDT", ("1000PEPE", "USDT")),
    ],
    ids=["base", "joined", "slash", "hashtag", "digits"],
)
def test_parse_pair(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_pair(text) == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pair", "<b>"),
        ("pair", "123"),
        ("side", "up"),
        ("entry", "1-2-3"),
        ("entry", "-5"),
        ("targets", "🚀"),
        ("targets", " ".join(["1"] * 11)),
        ("stop_loss", "abc"),
        ("leverage", "500x"),
        ("leverage", "\u200b"),
        ("nope", "1"),
    ],
)
def test_edit_values_are_validated(name: str, text: str) -> None:
    with pytest.raises(UserError):
        parse_edit_value(name, text)


def test_edit_values_parse() -> None:
    assert parse_entry("60,000 - 61000") == (Decimal(60000), Decimal(61000), False)
    assert parse_entry("market") == (None, None, True)
    assert parse_targets("1.5 2 2.5") == (Decimal("1.5"), Decimal(2), Decimal("2.5"))
    assert parse_edit_value("leverage", "x20") == {"leverage": Decimal(20)}
    assert parse_edit_value("stop_loss", "none") == {"stop_loss": None}
    assert parse_edit_value("side", "Sell") == {"side": Side.SHORT}


def test_levels_must_sit_on_the_right_side() -> None:
    view = SignalView(
        id=1,
        source_id=None,
        source_name=None,
        is_tracked=False,
        kind=SignalKind.ENTRY,
        base="BTC",
        quote="USDT",
        side=Side.SHORT,
        entry_low=Decimal(100),
        entry_high=Decimal(110),
        entry_is_market=False,
        market=None,
        targets=(Decimal(90),),
        stop_loss=Decimal(120),
        leverage=None,
        confidence=1.0,
        parser="rules",
        status=SignalStatus.PENDING,
        targets_hit=0,
        edit_count=0,
        first_seen_at=NOW,
    )
    check_levels(view)
    with pytest.raises(UserError, match="stop loss must be above"):
        check_levels(SignalView(**{**_fields(view), "stop_loss": Decimal(105)}))
    with pytest.raises(UserError, match="every target must be below"):
        check_levels(SignalView(**{**_fields(view), "targets": (Decimal(95), Decimal(105))}))


def _fields(view: Any) -> dict[str, Any]:
    return {name: getattr(view, name) for name in view.__dataclass_fields__}
