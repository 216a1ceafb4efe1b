"""Signals: read each channel post once, link updates to their signal, apply edits, hold
low-confidence posts for their owner, fan out to followers, auto-trade for auto followers.

Idempotency is in the database: a post is unique on (chat id, message id) (a forward counts as
its origin post), an update or edit event on (chat id, message id, kind, version), and every
notification carries a dedupe key per signal/event and user. Notifications are queued in the
same transaction as the change they announce.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Signal, SignalEvent, Source, Subscription, User
from core.db.repositories.outbox import OutboxRepository
from core.db.repositories.signals import SignalEventRepository, SignalRepository
from core.db.repositories.sources import SourceRepository
from core.db.repositories.subscriptions import SubscriptionRepository
from core.db.repositories.users import UserRepository
from core.db.session import Database
from core.domain import (
    Role,
    Side,
    SignalKind,
    SignalStatus,
    SubscriptionMode,
    UpdateType,
)
from core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    OrderRejected,
    TemporaryExchangeError,
    UserError,
)
from core.permissions import role_allows
from services.dto import UserView
from services.notifications import enqueue
from services.ports import ClockFn, utc_now
from services.signal_dto import (
    CardKind,
    ChannelPost,
    EventView,
    FieldOrigin,
    ForwardedPost,
    IntakeReply,
    SignalDetail,
    SignalView,
    SourceView,
    SubscriptionView,
)
from services.signal_parser import ParseResult
from services.signal_parser.ai import parse_with_fallback
from services.sources import ChatDirectory, SourceService, to_source_view
from services.trading_dto import OrderView

log = structlog.get_logger(__name__)

MAX_TARGETS: Final = 10
MAX_LEVERAGE: Final = Decimal(200)
MAX_AUTO_QUOTE: Final = Decimal(1_000_000)
OPEN_FOR_EDIT: Final = frozenset({SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.ACTIVE})
AWAITING: Final = frozenset({SignalStatus.PENDING, SignalStatus.HELD, SignalStatus.IGNORED})
# Update kinds that change a signal's status (the rest are recorded as events only).
STATUS_OF_UPDATE: Final = {
    UpdateType.SL_HIT: SignalStatus.STOPPED,
    UpdateType.CLOSE: SignalStatus.CLOSED,
    UpdateType.CANCEL: SignalStatus.CANCELLED,
}
KNOWN_QUOTES: Final = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "BTC", "ETH", "BNB", "EUR")


class SignalTrading(Protocol):
    """The part of the trading service the signals feature uses."""

    async def traded_signal_ids(self, signal_ids: list[int]) -> set[int]: ...

    async def trade_signal(
        self,
        user_id: int,
        *,
        signal_id: int,
        symbol: str,
        side: Side,
        quote_amount: Decimal,
        account_id: int | None = None,
    ) -> OrderView | None: ...


class SignalMessages(Protocol):
    """Renders what the service queues in the outbox (implemented in the handler layer)."""

    def card(self, signal: SignalView, kind: CardKind, note: str | None = None) -> str: ...

    def card_buttons(self, signal: SignalView) -> list[list[dict[str, Any]]]: ...

    def new_signal(self, signal: SignalView) -> str: ...

    def event(self, signal: SignalView, event: EventView) -> str: ...

    def auto_trade_note(self, signal: SignalView, reason: str) -> str: ...

    def auto_traded(self, signal: SignalView, order: OrderView) -> str: ...


ParseFn = Callable[[str], Awaitable[ParseResult]]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- field parsing (the Edit form) --------------------------------------------------------------

_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")


def parse_decimal(text: str, what: str) -> Decimal:
    """A positive price-like number; UserError naming ``what`` otherwise."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw):
        raise UserError(f"The {what} must be a positive number, e.g. 61250.5.")
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise UserError(f"The {what} must be a positive number, e.g. 61250.5.") from None
    if value <= 0 or value > Decimal("1e15"):
        raise UserError(f"The {what} must be a positive number, e.g. 61250.5.")
    return value


def _numbers(text: str, what: str) -> list[Decimal]:
    joined = re.sub(r"(?<=\d)\s*[-\u2013~]\s*(?=\d)", " ", text.strip())  # zone "1 - 2"
    parts = [p for p in re.split(r"[\s;/|]+", joined) if p]
    return [parse_decimal(p, what) for p in parts]


def parse_pair(text: str) -> tuple[str, str | None]:
    """``btc``, ``BTCUSDT``, ``BTC/USDT``, ``#btc_usdt`` -> (base, quote or None)."""
    raw = text.strip().upper().lstrip("#$")
    match = re.fullmatch(r"([A-Z0-9]{2,15})(?:\s*[/_\-: ]\s*([A-Z]{2,6}))?", raw)
    if not match:
        raise UserError("Give the pair like BTC/USDT, BTCUSDT or BTC.")
    base, quote = match.group(1), match.group(2)
    if quote is None:
        for known in KNOWN_QUOTES:
            if base.endswith(known) and len(base) > len(known) + 1:
                base, quote = base[: -len(known)], known
                break
    if base.isdigit():
        raise UserError("Give the pair like BTC/USDT, BTCUSDT or BTC.")
    return base, quote


def parse_side(text: str) -> Side:
    word = text.strip().lower()
    if word in {"long", "buy", "l"}:
        return Side.LONG
    if word in {"short", "sell", "s"}:
        return Side.SHORT
    raise UserError("The side is long or short.")


def parse_entry(text: str) -> tuple[Decimal | None, Decimal | None, bool]:
    """``market``, one price, or a zone ``60000-61000`` -> (low, high, is_market)."""
    if text.strip().lower() in {"market", "cmp", "now", "m"}:
        return None, None, True
    values = _numbers(text, "entry")
    if not values or len(values) > 2:
        raise UserError("The entry is market, one price, or a zone like 60000-61000.")
    return min(values), max(values), False


def parse_targets(text: str) -> tuple[Decimal, ...]:
    values = _numbers(text, "target")
    if not values:
        raise UserError("Give at least one target, e.g. 62000 63000 65000.")
    if len(values) > MAX_TARGETS:
        raise UserError(f"At most {MAX_TARGETS} targets.")
    return tuple(values)


def parse_optional(text: str, what: str) -> Decimal | None:
    if text.strip().lower() in {"none", "no", "0"}:
        return None
    return parse_decimal(text, what)


def parse_leverage(text: str) -> Decimal | None:
    raw = text.strip().lower().removesuffix("x").removeprefix("x").strip()
    value = parse_optional(raw, "leverage")
    if value is not None and (value < 1 or value > MAX_LEVERAGE):
        raise UserError(f"Leverage is between 1 and {MAX_LEVERAGE}.")
    return value


def parse_edit_value(name: str, text: str) -> dict[str, Any]:
    """Validate one field of the Edit form; return the column values it sets."""
    if name == "pair":
        base, quote = parse_pair(text)
        return {"base": base, "quote": quote}
    if name == "side":
        return {"side": parse_side(text)}
    if name == "entry":
        low, high, is_market = parse_entry(text)
        return {"entry_low": low, "entry_high": high, "entry_is_market": is_market}
    if name == "targets":
        return {"targets": parse_targets(text)}
    if name == "stop_loss":
        return {"stop_loss": parse_optional(text, "stop loss")}
    if name == "leverage":
        return {"leverage": parse_leverage(text)}
    raise UserError("That field cannot be edited.")


def check_levels(view: SignalView) -> None:
    """Stop and targets must sit on the right sides of the entry for the side."""
    if view.side is None or view.entry_is_market or view.entry_low is None:
        return
    low, high = view.entry_low, view.entry_high or view.entry_low
    long = view.side is Side.LONG
    if view.stop_loss is not None and (
        (long and view.stop_loss >= low) or (not long and view.stop_loss <= high)
    ):
        where = "below" if long else "above"
        raise UserError(f"For a {view.side.value} the stop loss must be {where} the entry.")
    for target in view.targets:
        if (long and target <= high) or (not long and target >= low):
            where = "above" if long else "below"
            raise UserError(f"For a {view.side.value} every target must be {where} the entry.")


def _column_values(result: ParseResult) -> dict[str, Any]:
    entry = result.entry
    is_market = entry == "market"
    low = high = None
    if isinstance(entry, tuple) and entry:
        low, high = min(entry), max(entry)
    return {
        "base": result.base,
        "quote": result.quote,
        "side": result.side,
        "market": result.market,
        "entry_low": low,
        "entry_high": high,
        "entry_is_market": is_market,
        "targets": [str(t) for t in result.targets],
        "stop_loss": result.stop_loss,
        "leverage": result.leverage,
        "confidence": float(result.confidence),
        "parser": result.parser,
        "kind": result.kind,
    }


def _origins(result: ParseResult) -> dict[str, str]:
    """Where each card field came from: found in the text, inferred, or missing (absent)."""
    present = {
        "pair": result.base is not None,
        "side": result.side is not None,
        "market": result.market is not None,
        "entry": result.entry is not None,
        "targets": bool(result.targets),
        "stop_loss": result.stop_loss is not None,
        "leverage": result.leverage is not None,
    }
    span_of = {"pair": "base", "entry": "entry"}
    out: dict[str, str] = {}
    for name, is_present in present.items():
        if is_present:
            found = span_of.get(name, name) in result.spans
            out[name] = (FieldOrigin.TEXT if found else FieldOrigin.INFERRED).value
    return out


def _format(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) or "-"
    return str(value.value if hasattr(value, "value") else value)


def to_signal_view(signal: Signal, source: Source | None) -> SignalView:
    origins = {k: FieldOrigin(v) for k, v in (signal.fields_meta or {}).get("origins", {}).items()}
    return SignalView(
        id=signal.id,
        source_id=signal.source_id,
        source_name=to_source_view(source).name if source is not None else None,
        is_tracked=signal.is_tracked,
        kind=signal.kind,
        base=signal.base,
        quote=signal.quote,
        side=signal.side,
        market=signal.market,
        entry_low=signal.entry_low,
        entry_high=signal.entry_high,
        entry_is_market=signal.entry_is_market,
        targets=tuple(Decimal(str(t)) for t in signal.targets or ()),
        stop_loss=signal.stop_loss,
        leverage=signal.leverage,
        confidence=signal.confidence,
        parser=signal.parser,
        status=signal.status,
        targets_hit=signal.targets_hit,
        edit_count=signal.edit_count,
        first_seen_at=signal.first_seen_at,
        origins=origins,
    )


def to_event_view(event: SignalEvent) -> EventView:
    return EventView(
        id=event.id,
        signal_id=event.signal_id,
        kind=event.kind,
        target_index=event.target_index,
        linked_by=event.linked_by,
        created_at=event.created_at,
        details=dict(event.details or {}),
    )


class SignalService:
    """Intake of channel posts and forwards, the signal lifecycle, and the follow commands."""

    def __init__(  # noqa: PLR0913 - collaborators, all injected by the composition root
        self,
        db: Database,
        sources: SourceService,
        trading: SignalTrading,
        messages: SignalMessages,
        *,
        ai: Any = None,
        threshold: float = 0.6,
        forward_max_age_h: int = 72,
        default_quote: str = "USDT",
        clock: ClockFn = utc_now,
    ) -> None:
        self._db = db
        self._sources = sources
        self._trading = trading
        self._messages = messages
        self._ai = ai
        self._threshold = threshold
        self._max_age = timedelta(hours=forward_max_age_h)
        self._default_quote = default_quote
        self._clock = clock

    async def parse(self, text: str) -> ParseResult:
        return await parse_with_fallback(text, self._ai, self._threshold)

    # -- intake ---------------------------------------------------------------------------------

    async def ingest_channel_post(self, post: ChannelPost) -> SignalView | EventView | None:
        """A post in a channel: stored once if it is an entry or an update of a registered
        source; anything else is ignored quietly. Returns what was stored (or found)."""
        source = await self._sources.active_by_chat(post.chat_id)
        if source is None or not post.text.strip():
            return None
        result = await self.parse(post.text)
        if result.kind is SignalKind.ENTRY:
            status = (
                SignalStatus.ACTIVE if result.confidence >= self._threshold else SignalStatus.HELD
            )
            view, _ = await self._store_entry(
                source, post.chat_id, post.message_id, post.text, result, status=status
            )
            return view
        if result.kind is SignalKind.UPDATE:
            event, _ = await self._store_update(
                source, post.chat_id, post.message_id, post.text, result, post.reply_to_message_id
            )
            return event
        log.info("channel_post_ignored", confidence=result.confidence)
        return None

    async def ingest_private(
        self, user: UserView, post: ForwardedPost, chats: ChatDirectory
    ) -> IntakeReply:
        """A post a user sent the bot: a forward counts as the channel's signal when its origin
        is a registered source, the post is recent and the user administers the channel (or is
        a bot admin); otherwise it is the user's private, untracked signal."""
        if not post.text.strip():
            return IntakeReply(note="That message has no text I could read.")
        result = await self.parse(post.text)
        if result.kind is SignalKind.OTHER:
            return IntakeReply(
                note="That is not a signal: I found no coin with a side or price levels in it."
            )
        source, reason = await self._attribution(user, post, chats)
        if source is not None:
            assert post.origin_chat_id is not None and post.origin_message_id is not None
            if result.kind is SignalKind.ENTRY:
                view, created = await self._store_entry(
                    source,
                    post.origin_chat_id,
                    post.origin_message_id,
                    post.text,
                    result,
                    status=SignalStatus.PENDING,
                    submitted_by=user.id,
                )
                return IntakeReply(card=view, card_kind=CardKind.TRACKED, duplicate=not created)
            event, created = await self._store_update(
                source, post.origin_chat_id, post.origin_message_id, post.text, result, None
            )
            return IntakeReply(note=_update_note(event, created))
        if result.kind is SignalKind.UPDATE:
            kind = result.update.type.value if result.update else "update"
            return IntakeReply(
                note=f"That is an update post ({kind}). It was not recorded: {reason}."
            )
        view, created = await self._store_private(user, post, result)
        return IntakeReply(
            card=view, card_kind=CardKind.PRIVATE, note=reason, duplicate=not created
        )

    async def _attribution(
        self, user: UserView, post: ForwardedPost, chats: ChatDirectory
    ) -> tuple[SourceView | None, str]:
        if post.origin_chat_id is None or post.origin_message_id is None:
            return None, "a copy without a channel origin is never attributed to a channel"
        source = await self._sources.active_by_chat(post.origin_chat_id)
        if source is None:
            return None, "that channel is not a registered source"
        if post.origin_date is not None and self._clock() - post.origin_date > self._max_age:
            hours = int(self._max_age.total_seconds() // 3600)
            return None, f"the post is older than {hours} h"
        if user.role is not Role.ADMIN and not await self._sources.is_channel_admin(
            post.origin_chat_id, user.telegram_id, chats
        ):
            return None, "only the channel's admins can submit its signals"
        return source, ""

    async def _store_entry(  # noqa: PLR0913 - one post's coordinates and outcome
        self,
        source: SourceView,
        chat_id: int,
        message_id: int,
        text: str,
        result: ParseResult,
        *,
        status: SignalStatus,
        submitted_by: int | None = None,
    ) -> tuple[SignalView, bool]:
        now = self._clock()
        values = {
            **_column_values(result),
            "source_id": source.id,
            "chat_id": chat_id,
            "message_id": message_id,
            "is_tracked": True,
            "submitted_by_user_id": submitted_by,
            "raw_text": text,
            "text_sha256": sha256(text),
            "first_seen_at": now,
            "status": status,
            "activated_at": now if status is SignalStatus.ACTIVE else None,
            "fields_meta": {"origins": _origins(result)},
            "targets_hit": 0,
            "edit_count": 0,
        }
        async with self._db.transaction() as session:
            signal, created = await SignalRepository(session).add_if_absent(values)
            src = await SourceRepository(session).get(source.id)
            view = to_signal_view(signal, src)
            if created:
                log.info("signal_stored", signal_id=signal.id, status=status.value)
                if status is SignalStatus.ACTIVE:
                    await self._fan_out_signal(session, view)
                elif status is SignalStatus.HELD:
                    await self._send_held_card(session, view, src)
            activated_at = signal.activated_at
        if view.status is SignalStatus.ACTIVE and activated_at is not None:
            # also on a repeated delivery: a crash may have come between commit and trading
            await self._auto_trade(view, activated_at)
        return view, created

    async def _store_private(
        self, user: UserView, post: ForwardedPost, result: ParseResult
    ) -> tuple[SignalView, bool]:
        values = {
            **_column_values(result),
            "source_id": None,
            "owner_user_id": user.id,
            "submitted_by_user_id": user.id,
            "chat_id": post.chat_id,
            "message_id": post.message_id,
            "is_tracked": False,
            "raw_text": post.text,
            "text_sha256": sha256(post.text),
            "first_seen_at": self._clock(),
            "status": SignalStatus.PENDING,
            "fields_meta": {"origins": _origins(result)},
            "targets_hit": 0,
            "edit_count": 0,
        }
        async with self._db.transaction() as session:
            signal, created = await SignalRepository(session).add_if_absent(values)
            return to_signal_view(signal, None), created

    async def _store_update(  # noqa: PLR0913 - one post's coordinates and outcome
        self,
        source: SourceView,
        chat_id: int,
        message_id: int,
        text: str,
        result: ParseResult,
        reply_to: int | None,
    ) -> tuple[EventView, bool]:
        update = result.update
        kind = update.type if update is not None else UpdateType.OTHER
        async with self._db.transaction() as session:
            signals = SignalRepository(session)
            events = SignalEventRepository(session)
            signal, linked_by, candidates = await self._link(
                signals, events, source.id, chat_id, result, reply_to
            )
            event, created = await events.add_if_absent(
                {
                    "signal_id": signal.id if signal else None,
                    "source_id": source.id,
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "version": 0,
                    "kind": kind.value,
                    "target_index": update.target_index if update else None,
                    "linked_by": linked_by,
                    "raw_text": text,
                    "text_sha256": sha256(text),
                    "details": {"pair": result.pair, "candidates": candidates},
                    "created_at": self._clock(),
                }
            )
            view = to_event_view(event)
            if created and signal is not None:
                changed = self._apply_update(signal, kind, update.target_index if update else None)
                view = replace(view, details={**view.details, "status_changed": changed})
                src = await SourceRepository(session).get(source.id)
                await self._fan_out_event(session, to_signal_view(signal, src), view)
            log.info(
                "update_stored",
                event_id=event.id,
                signal_id=event.signal_id,
                linked_by=linked_by,
                created=created,
            )
            return view, created

    @staticmethod
    async def _link(  # noqa: PLR0913 - the lookups linking needs
        signals: SignalRepository,
        events: SignalEventRepository,
        source_id: int,
        chat_id: int,
        result: ParseResult,
        reply_to: int | None,
    ) -> tuple[Signal | None, str | None, int]:
        """By reply (to the entry, or to an update linked to it), else by pair among the
        source's open signals when exactly one matches; never guessed."""
        if reply_to is not None:
            replied = await signals.by_post(chat_id, reply_to)
            if replied is not None and replied.kind is SignalKind.ENTRY:
                return await signals.get_for_update(replied.id), "reply", 1
            replied_event = await events.by_post(chat_id, reply_to)
            if replied_event is not None and replied_event.signal_id is not None:
                return await signals.get_for_update(replied_event.signal_id), "reply", 1
        if result.base is None:
            return None, None, 0
        candidates = [
            s
            for s in await signals.open_by_base(source_id, result.base)
            if result.quote is None or s.quote in {None, result.quote}
        ]
        if len(candidates) == 1:
            return await signals.get_for_update(candidates[0].id), "pair", 1
        return None, None, len(candidates)

    def _apply_update(self, signal: Signal, kind: UpdateType, target_index: int | None) -> bool:
        """Status change of an update; only an active signal changes."""
        if signal.status is not SignalStatus.ACTIVE:
            return False
        if kind is UpdateType.TP_HIT:
            hit = target_index if target_index is not None else signal.targets_hit + 1
            if hit > signal.targets_hit:
                signal.targets_hit = hit
                return True
            return False
        new_status = STATUS_OF_UPDATE.get(kind)
        if new_status is None:
            return False
        signal.status = new_status
        signal.closed_at = self._clock()
        return True

    # -- edits of channel posts -----------------------------------------------------------------

    async def edit_channel_post(self, post: ChannelPost) -> EventView | SignalView | None:
        """An edited channel post. Before anything was traded on its signal the signal takes
        the new levels; afterwards the edit is only recorded (and shown to followers)."""
        source = await self._sources.active_by_chat(post.chat_id)
        if source is None or not post.text.strip():
            return None
        async with self._db.session() as session:
            existing = await SignalRepository(session).by_post(post.chat_id, post.message_id)
            known_event = await SignalEventRepository(session).by_post(
                post.chat_id, post.message_id
            )
        if existing is None:
            if known_event is not None:
                return None  # an edited update post: the first reading stands
            return await self.ingest_channel_post(post)  # e.g. "other" edited into an entry
        traded = bool(await self._trading.traded_signal_ids([existing.id]))
        result = await self.parse(post.text)
        version = post.edit_date or int(self._clock().timestamp())
        async with self._db.transaction() as session:
            signal = await SignalRepository(session).get_for_update(existing.id)
            assert signal is not None
            before = to_signal_view(signal, None)
            applied, reason = False, ""
            if traded:
                reason = "already traded"
            elif result.kind is not SignalKind.ENTRY:
                reason = "the edited post is not an entry"
            elif signal.status not in OPEN_FOR_EDIT:
                reason = f"the signal is {signal.status.value}"
            else:
                applied = True
            changes: dict[str, str] = {}
            if applied:
                changes = self._apply_parse(signal, result)
            event, created = await SignalEventRepository(session).add_if_absent(
                {
                    "signal_id": signal.id,
                    "source_id": signal.source_id,
                    "chat_id": post.chat_id,
                    "message_id": post.message_id,
                    "version": version,
                    "kind": "edit",
                    "raw_text": post.text,
                    "text_sha256": sha256(post.text),
                    "details": {"applied": applied, "reason": reason, "changes": changes},
                    "created_at": self._clock(),
                }
            )
            if not created:
                return to_event_view(event)
            if applied:
                signal.edit_count += 1
            src = await SourceRepository(session).get(signal.source_id or 0)
            view = to_signal_view(signal, src)
            event_view = to_event_view(event)
            if before.status not in AWAITING:
                await self._fan_out_event(session, view, event_view)
            log.info("signal_edited", signal_id=signal.id, applied=applied, reason=reason)
            return event_view

    def _apply_parse(self, signal: Signal, result: ParseResult) -> dict[str, str]:
        """Take the levels of a new parse; return the changed card fields (old -> new)."""
        before = to_signal_view(signal, None)
        values = _column_values(result)
        for key in (
            "base",
            "quote",
            "side",
            "market",
            "entry_low",
            "entry_high",
            "entry_is_market",
            "targets",
            "stop_loss",
            "leverage",
            "confidence",
            "parser",
        ):
            setattr(signal, key, values[key])
        signal.fields_meta = {**(signal.fields_meta or {}), "origins": _origins(result)}
        return _diff(before, to_signal_view(signal, None))

    # -- the card's buttons and the Edit form ---------------------------------------------------

    async def track(self, user: UserView, signal_id: int) -> SignalView:
        """Track: a pending/held signal becomes active (followers told, auto followers trade);
        a private one is kept in the user's list."""
        async with self._db.transaction() as session:
            signal, source = await self._managed(session, user, signal_id)
            if signal.status is SignalStatus.ACTIVE:
                return to_signal_view(signal, source)
            if signal.status not in AWAITING:
                raise Conflict(f"This signal is already {signal.status.value}.")
            signal.status = SignalStatus.ACTIVE
            signal.activated_at = self._clock()
            view = to_signal_view(signal, source)
            if signal.is_tracked:
                await self._fan_out_signal(session, view)
            activated_at = signal.activated_at
        log.info("signal_tracked", signal_id=view.id)
        if view.is_tracked:
            await self._auto_trade(view, activated_at)
        return view

    async def ignore(self, user: UserView, signal_id: int) -> SignalView:
        """Ignore: a pending/held (or private) signal is set aside and never acted on."""
        async with self._db.transaction() as session:
            signal, source = await self._managed(session, user, signal_id)
            if signal.status is SignalStatus.IGNORED:
                return to_signal_view(signal, source)
            if (
                signal.is_tracked
                and signal.status is not SignalStatus.PENDING
                and (signal.status is not SignalStatus.HELD)
            ):
                raise Conflict(f"This signal is {signal.status.value}; followers already have it.")
            signal.status = SignalStatus.IGNORED
            return to_signal_view(signal, source)

    async def start_edit(self, user: UserView, signal_id: int) -> SignalView:
        """Check the user may edit the signal now; return its card."""
        async with self._db.session() as session:
            signal, source = await self._managed(session, user, signal_id)
            self._check_editable(signal)
            view = to_signal_view(signal, source)
        if await self._trading.traded_signal_ids([signal_id]):
            raise Conflict("Something was traded on this signal already; it cannot change.")
        return view

    async def apply_edit(
        self, user: UserView, signal_id: int, changes: dict[str, str]
    ) -> SignalView:
        """Apply the Edit form's answers (field -> text; validated again here)."""
        values: dict[str, Any] = {}
        for name, text in changes.items():
            values.update(parse_edit_value(name, text))
        if await self._trading.traded_signal_ids([signal_id]):
            raise Conflict("Something was traded on this signal already; it cannot change.")
        async with self._db.transaction() as session:
            signal, source = await self._managed(session, user, signal_id, lock=True)
            self._check_editable(signal)
            before = to_signal_view(signal, source)
            if not values:
                return before
            candidate = replace(
                before,
                **{k: v for k, v in values.items() if k in SignalView.__dataclass_fields__},
            )
            check_levels(candidate)
            for key, value in values.items():
                setattr(signal, key, [str(t) for t in value] if key == "targets" else value)
            origins = dict((signal.fields_meta or {}).get("origins", {}))
            for name in changes:
                origins[name] = FieldOrigin.EDITED.value
            signal.fields_meta = {**(signal.fields_meta or {}), "origins": origins}
            signal.edit_count += 1
            view = to_signal_view(signal, source)
            diff = _diff(before, view)
            event, _ = await SignalEventRepository(session).add_if_absent(
                {
                    "signal_id": signal.id,
                    "source_id": signal.source_id,
                    "chat_id": signal.chat_id,
                    "message_id": signal.message_id,
                    "version": signal.edit_count,
                    "kind": "manual_edit",
                    "details": {"applied": True, "changes": diff, "by": user.id},
                    "created_at": self._clock(),
                }
            )
            if signal.is_tracked and before.status is SignalStatus.ACTIVE and diff:
                await self._fan_out_event(session, view, to_event_view(event))
            log.info("signal_edited_by_hand", signal_id=signal.id, fields=sorted(diff))
            return view

    @staticmethod
    def _check_editable(signal: Signal) -> None:
        if signal.status not in OPEN_FOR_EDIT:
            raise Conflict(f"This signal is {signal.status.value}; it can no longer be edited.")

    async def _managed(
        self, session: AsyncSession, user: UserView, signal_id: int, *, lock: bool = False
    ) -> tuple[Signal, Source | None]:
        """The signal if ``user`` may decide on it (its private owner, the one who forwarded
        it, the source owner, or a bot admin); NotFound otherwise (ids are not secrets, but
        other people's signals are none of the caller's business)."""
        repo = SignalRepository(session)
        signal = await (repo.get_for_update(signal_id) if lock else repo.get(signal_id))
        source = (
            await SourceRepository(session).get(signal.source_id)
            if (signal is not None and signal.source_id is not None)
            else None
        )
        if signal is None or not self._may_manage(user, signal, source):
            raise NotFound("No such signal, or it is not yours to change.")
        return signal, source

    @staticmethod
    def _may_manage(user: UserView, signal: Signal, source: Source | None) -> bool:
        if not signal.is_tracked:
            return signal.owner_user_id == user.id
        if user.role is Role.ADMIN:
            return True
        if source is not None and source.owner_user_id == user.id:
            return True
        return signal.submitted_by_user_id == user.id

    # -- fan-out ---------------------------------------------------------------------------------

    async def _fan_out_signal(self, session: AsyncSession, view: SignalView) -> None:
        if view.source_id is None:
            return
        outbox = OutboxRepository(session)
        text = self._messages.new_signal(view)
        for _sub, user in await SubscriptionRepository(session).followers(view.source_id):
            await enqueue(
                outbox,
                user.telegram_id,
                text,
                dedupe_key=f"sig:{view.id}:u:{user.id}",
                user_id=user.id,
            )

    async def _fan_out_event(
        self, session: AsyncSession, view: SignalView, event: EventView
    ) -> None:
        if view.source_id is None or not view.is_tracked:
            return
        outbox = OutboxRepository(session)
        text = self._messages.event(view, event)
        for _sub, user in await SubscriptionRepository(session).followers(view.source_id):
            await enqueue(
                outbox,
                user.telegram_id,
                text,
                dedupe_key=f"sigev:{event.id}:u:{user.id}",
                user_id=user.id,
            )

    async def _send_held_card(
        self, session: AsyncSession, view: SignalView, source: Source | None
    ) -> None:
        """A held post goes to the source owner (or, without one, to the bot admins)."""
        users = UserRepository(session)
        owner = (
            await users.get(source.owner_user_id)
            if source is not None and source.owner_user_id is not None
            else None
        )
        recipients: list[User] = (
            [owner] if owner is not None else await users.list(role=Role.ADMIN)
        )
        note = (
            f"Confidence {view.confidence:.0%} is below {self._threshold:.0%}: "
            "nothing happens until you press Track."
        )
        outbox = OutboxRepository(session)
        for recipient in recipients:
            await enqueue(
                outbox,
                recipient.telegram_id,
                self._messages.card(view, CardKind.TRACKED, note),
                dedupe_key=f"sighold:{view.id}:u:{recipient.id}",
                buttons=self._messages.card_buttons(view),
                user_id=recipient.id,
            )

    async def _auto_trade(self, view: SignalView, activated_at: datetime) -> None:
        """Trade the signal for every auto follower who followed before it became active.
        ``trade_signal`` is idempotent per (signal, user), so a repeat is harmless."""
        if view.source_id is None or view.side is None or view.base is None:
            return
        async with self._db.session() as session:
            followers: list[tuple[Subscription, User]] = [
                (sub, user)
                for sub, user in await SubscriptionRepository(session).followers(view.source_id)
                if sub.mode is SubscriptionMode.AUTO
                and sub.order_size_quote is not None
                and sub.created_at <= activated_at
            ]
        symbol = f"{view.base}/{view.quote or self._default_quote}"
        retry: TemporaryExchangeError | None = None
        for sub, user in followers:
            assert sub.order_size_quote is not None
            try:
                order = await self._trading.trade_signal(
                    user.id,
                    signal_id=view.id,
                    symbol=symbol,
                    side=view.side,
                    quote_amount=sub.order_size_quote,
                    account_id=sub.exchange_account_id,
                )
            except (UserError, OrderRejected) as exc:
                log.info("auto_trade_refused", signal_id=view.id, user_id=user.id)
                await self._note(
                    view, user, self._messages.auto_trade_note(view, exc.user_message)
                )
                continue
            except TemporaryExchangeError as exc:
                log.warning("auto_trade_deferred", signal_id=view.id, user_id=user.id)
                retry = exc
                continue
            if order is None:
                reason = "it cannot be traded on your account (a short on spot, for one)"
                await self._note(view, user, self._messages.auto_trade_note(view, reason))
            else:
                await self._note(view, user, self._messages.auto_traded(view, order))
        if retry is not None:
            raise retry  # the update is re-run later; trades already placed are not repeated

    async def _note(self, view: SignalView, user: User, text: str) -> None:
        async with self._db.transaction() as session:
            await enqueue(
                OutboxRepository(session),
                user.telegram_id,
                text,
                dedupe_key=f"sigauto:{view.id}:u:{user.id}",
                user_id=user.id,
            )

    # -- queries and follows --------------------------------------------------------------------

    async def detail(self, user: UserView, signal_id: int) -> SignalDetail:
        """A signal and its events. Private signals are their owner's only; a held or pending
        one is visible to those who decide on it."""
        async with self._db.session() as session:
            signal = await SignalRepository(session).get(signal_id)
            source = (
                await SourceRepository(session).get(signal.source_id)
                if signal is not None and signal.source_id is not None
                else None
            )
            visible = signal is not None and (
                (signal.is_tracked and signal.status not in AWAITING)
                or self._may_manage(user, signal, source)
            )
            if signal is None or not visible:
                raise NotFound(f"No signal #{signal_id}.")
            events = await SignalEventRepository(session).of_signal(signal.id)
            return SignalDetail(
                signal=to_signal_view(signal, source),
                events=tuple(to_event_view(e) for e in events),
            )

    async def recent(self, user: UserView, limit: int = 10) -> list[SignalView]:
        """Recent signals of the sources the user follows (newest first)."""
        async with self._db.session() as session:
            followed = await SubscriptionRepository(session).of_user(user.id)
            sources = {source.id: source for _sub, source in followed}
            signals = await SignalRepository(session).recent_of_sources(list(sources), limit)
            return [to_signal_view(s, sources.get(s.source_id or 0)) for s in signals]

    async def subscriptions(self, user: UserView) -> list[SubscriptionView]:
        async with self._db.session() as session:
            return [
                SubscriptionView(to_source_view(source), sub.mode, sub.order_size_quote)
                for sub, source in await SubscriptionRepository(session).of_user(user.id)
            ]

    async def follow(self, user: UserView, args: str) -> SubscriptionView:
        """``<source> [notify | auto <usdt per trade>]``."""
        parts = args.split()
        if not parts:
            raise UserError(
                "Usage: /follow <source> [auto <USDT per trade>]. /sources lists the sources."
            )
        mode, amount = SubscriptionMode.NOTIFY, None
        rest = [p.lower() for p in parts[1:]]
        if rest == ["notify"] or not rest:
            pass
        elif rest and rest[0] == "auto":
            if len(rest) != 2:
                raise UserError("Auto mode needs an amount: /follow <source> auto 50")
            amount = parse_decimal(rest[1].upper().removesuffix("USDT"), "amount per trade")
            if amount > MAX_AUTO_QUOTE:
                raise UserError(f"At most {MAX_AUTO_QUOTE} USDT per trade.")
            if not role_allows(user.role, "trade"):
                raise Forbidden("Auto mode trades for you, which needs the trader role.")
            mode = SubscriptionMode.AUTO
        else:
            raise UserError("The mode is notify (default) or auto <USDT per trade>.")
        source = await self._sources.resolve(parts[0])
        if not source.is_active:
            raise UserError(f"{source.name} is not read any more; pick another source.")
        async with self._db.transaction() as session:
            sub, _created = await SubscriptionRepository(session).upsert(
                user.id, source.id, mode=mode, order_size_quote=amount, now=self._clock()
            )
            log.info("source_followed", source_id=source.id, mode=mode.value)
            return SubscriptionView(source, sub.mode, sub.order_size_quote)

    async def unfollow(self, user: UserView, ref: str) -> SourceView:
        if not ref.strip():
            raise UserError("Usage: /unfollow <source>.")
        source = await self._sources.resolve(ref)
        async with self._db.transaction() as session:
            if not await SubscriptionRepository(session).remove(user.id, source.id):
                raise UserError(f"You do not follow {source.name}.")
        log.info("source_unfollowed", source_id=source.id)
        return source


def _update_note(event: EventView, created: bool) -> str:
    what = event.kind.replace("_", " ")
    if event.target_index is not None:
        what += f" (target {event.target_index})"
    if not created:
        return f"Already recorded: {what}."
    if event.signal_id is None:
        return f"Update recorded: {what}, but not linked to a signal (no single open match)."
    return f"Update recorded: {what} on signal #{event.signal_id}."


def _diff(before: SignalView, after: SignalView) -> dict[str, str]:
    def fields(v: SignalView) -> dict[str, str]:
        entry = (
            "market"
            if v.entry_is_market
            else _format([x for x in (v.entry_low, v.entry_high) if x is not None])
        )
        if v.entry_low is not None and v.entry_low == v.entry_high:
            entry = _format(v.entry_low)
        return {
            "pair": _format(v.pair),
            "side": _format(v.side),
            "market": _format(v.market),
            "entry": entry,
            "targets": _format(v.targets),
            "stop_loss": _format(v.stop_loss),
            "leverage": _format(v.leverage),
        }

    old, new = fields(before), fields(after)
    return {k: f"{old[k]} -> {new[k]}" for k in old if old[k] != new[k]}
