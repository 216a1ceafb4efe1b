"""Posts and edits in channels the bot reads. No one to answer: the service stores what
matters (entries, updates) once and ignores the rest quietly."""

from __future__ import annotations

from aiogram.types import Message

from handlers.commands import PUBLIC, Routes
from services.signal_dto import ChannelPost
from services.signals import SignalService

routes = Routes(__name__)


def to_post(message: Message) -> ChannelPost:
    reply = message.reply_to_message
    reply_id = reply.message_id if reply is not None and reply.chat.id == message.chat.id else None
    return ChannelPost(
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        date=message.date,
        reply_to_message_id=reply_id,
        edit_date=message.edit_date,
        title=message.chat.title,
        username=message.chat.username,
    )


@routes.channel_post(flags={"role": PUBLIC})
async def read_channel_post(message: Message, signal_service: SignalService) -> None:
    await signal_service.ingest_channel_post(to_post(message))


@routes.edited_channel_post(flags={"role": PUBLIC})
async def read_edited_channel_post(message: Message, signal_service: SignalService) -> None:
    await signal_service.edit_channel_post(to_post(message))
