"""Incoming updates as the dicts Telegram delivers, for the console to feed the dispatcher.

`UpdateFactory` builds valid ``aiogram.types.Update`` input: a user's message or command, a
file sent with a caption (its bytes kept for getFile), a button press, a channel post, a
forwarded post, the bot being added to a channel. Each message is stored in the `LocalBotAPI`
and takes its id from the chat's counter there, so the bot's replies, edits and deletes line
up with what it was sent. Update ids and callback query ids only grow.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.console.api import LocalBotAPI, utf16_len
from bot.console.state import JSON, chat_member_dict


class UpdateFactory:
    """Incoming updates as the dicts Telegram delivers (valid `aiogram.types.Update` input).

    Messages are stored in the `LocalBotAPI`, and their ids come from its per-chat counters, so
    later replies, edits and deletes line up with what the bot sent.
    """

    def __init__(self, api: LocalBotAPI, *, first_update_id: int = 1) -> None:
        self.api = api
        self._next_update_id = first_update_id
        self._next_callback_id = 1

    def _update(self, **payload: Any) -> JSON:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        return update

    def _channel(self, chat_id: int, title: str | None, username: str | None) -> JSON:
        known = self.api.known_chat(chat_id)
        if known is None or (title is not None and known.get("title") != title):
            return self.api.add_chat(chat_id, "channel", title=title, username=username)
        return dict(known)

    def message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A `message` update from `user_id` (private chat unless `chat_id` names a group);
        a leading `/command` gets its `bot_command` entity."""
        user = self.api.add_user(user_id, first_name=first_name, username=username)
        chat = self.api.chat(user_id if chat_id is None else chat_id)
        message: JSON = {
            "message_id": self.api.next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": self.api.now(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to_message_id is not None:
            replied = self.api.message(chat["id"], reply_to_message_id)
            if replied is None:
                msg = f"no message {reply_to_message_id} in chat {chat['id']} to reply to"
                raise LookupError(msg)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        self.api.store_message(message)
        return self._update(message=message)

    def document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        caption: str | None = None,
    ) -> JSON:
        """A private `message` from `user_id` sending a file (kept in the `LocalBotAPI`, so
        getFile and a download give `data` back); a `/command` caption gets its entity."""
        update = self.message(user_id, caption or "")
        message = update["message"]
        del message["text"]
        message.pop("entities", None)
        kept = self.api.add_file(data, "documents", file_name)
        message["document"] = {
            "file_id": kept["file_id"],
            "file_unique_id": kept["file_unique_id"],
            "file_name": file_name,
            "file_size": len(data),
        }
        if caption:
            message["caption"] = caption
            if caption.startswith("/"):
                command = caption.split(maxsplit=1)[0]
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
                ]
        self.api.store_message(message)
        return update

    def callback(self, user_id: int, message: JSON, data: str) -> JSON:
        """A `callback_query` update: `user_id` pressed a button with `data` under `message`
        (the message's current stored state is used when known)."""
        user = self.api.user(user_id)
        chat_id = int(message["chat"]["id"])
        current = self.api.message(chat_id, int(message["message_id"])) or copy.deepcopy(message)
        query: JSON = {
            "id": str(self._next_callback_id),
            "from": user,
            "message": current,
            "chat_instance": str(abs(chat_id) * 1000 + 7),
            "data": data,
        }
        self._next_callback_id += 1
        return self._update(callback_query=query)

    def channel_post(
        self,
        chat_id: int,
        text: str,
        message_id: int | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """A `channel_post` update in channel `chat_id` (registered as a channel if unknown)."""
        chat = self._channel(chat_id, title, username)
        message: JSON = {
            "message_id": (
                self.api.next_message_id(chat_id) if message_id is None else message_id
            ),
            "sender_chat": chat,
            "chat": chat,
            "date": self.api.now(),
            "text": text,
        }
        self.api.store_message(message)
        return self._update(channel_post=message)

    def forward(  # noqa: PLR0917 - mirrors the forwarded post's fields
        self,
        user_id: int,
        from_channel_id: int,
        channel_title: str,
        text: str,
        origin_message_id: int = 1,
        origin_date: int | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A private `message` from `user_id` forwarding a channel post (`forward_origin` of
        type `channel`, Bot API 7+)."""
        update = self.message(user_id, text, username=username, first_name=first_name)
        update["message"].pop("entities", None)
        update["message"]["forward_origin"] = {
            "type": "channel",
            "chat": {"id": from_channel_id, "type": "channel", "title": channel_title},
            "message_id": origin_message_id,
            "date": self.api.now() if origin_date is None else origin_date,
        }
        self.api.store_message(update["message"])
        return update

    def my_chat_member(
        self,
        chat_id: int,
        user_id: int,
        new_status: str = "administrator",
        old_status: str = "left",
        *,
        chat_type: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """A `my_chat_member` update: `user_id` changed the bot's status in `chat_id`
        (also recorded in the member registry)."""
        if chat_type is not None:
            chat = self.api.add_chat(chat_id, chat_type, title=title)
        else:
            chat = self.api.chat(chat_id)
        self.api.set_member(chat_id, self.api.bot_id, new_status)
        if user_id != self.api.bot_id:
            # Only admins can change the bot's membership.
            self.api.members.setdefault((chat_id, user_id), "administrator")
        change = {
            "chat": chat,
            "from": self.api.user(user_id),
            "date": self.api.now(),
            "old_chat_member": chat_member_dict(self.api.bot_user, old_status),
            "new_chat_member": chat_member_dict(self.api.bot_user, new_status),
        }
        return self._update(my_chat_member=change)
