"""Console mode: chat with the bot in a terminal through the real dispatcher and middlewares.

The bot talks to the in-process Bot API emulator (`bot.console.api`), not to a special path in
the handlers: what works here works on Telegram. Lines you type become updates:

- plain text and /commands are messages from the current user;
- a number presses that inline button of the last message that had buttons;
- ``/as <user_id>`` switches user; ``/post <channel> <text>`` posts into a simulated channel
  (the bot is added to it by you on first use); ``/forward <channel> <text>`` forwards a post of
  that channel to the bot; ``/market <pair> <price>`` (or ``+2%``, ``-1.5%``, ``off``) moves
  the simulated price and fills what it crosses (``bot.console.market``); ``/quit`` ends.

When stdin is not a terminal, each line is one message, every reply is printed as text and the
console exits at the end of input (after queued notifications are delivered).

The chat is the only thing printed: log lines go to ``DATA_DIR/console.log``. There is no
per-user rate limit here (it guards the bot against Telegram traffic; the one user here is
the operator), so a script of any length gets a reply to every line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from aiogram.types import Update

from bot.app import App, build_app
from bot.console.api import LocalBotAPI, MessageEvent
from bot.console.html_check import html_to_plain
from bot.console.market import USAGE, MarketOverrides, parse_move
from bot.console.session import LocalSession
from bot.console.updates import UpdateFactory
from core.config import Settings
from core.errors import UserError
from core.logging import configure_logging
from handlers import numbers
from handlers.plural import plural

DEFAULT_CONSOLE_USER = 100_001
CHANNEL_ID_BASE = -1_000_000_000_000
LOG_FILE = "console.log"  # under DATA_DIR: log lines stay out of the chat


def first_update_id() -> int:
    """Microseconds since the epoch: above every id an earlier run used, since handling one
    update takes longer than a microsecond."""
    return time.time_ns() // 1000


@dataclass
class _Button:
    chat_id: int
    message: dict[str, Any]
    data: str
    text: str


def channel_id_for(name: str) -> int:
    """A stable negative id for a simulated channel name."""
    return CHANNEL_ID_BASE - zlib.crc32(name.lower().encode()) % 1_000_000_000


class Console:
    """One terminal chat: typed lines in, the bot's messages, edits and alerts out."""

    def __init__(
        self,
        settings: Settings,
        *,
        as_user: int | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        admin_ids = list(settings.telegram.admin_ids)
        self.user_id = as_user or (admin_ids[0] if admin_ids else DEFAULT_CONSOLE_USER)
        if as_user is None and not admin_ids:
            # the default console user is an admin, so every command can be tried
            telegram = settings.telegram.model_copy(update={"admin_ids": [self.user_id]})
            settings = settings.model_copy(update={"telegram": telegram})
        # the per-user rate limit and the outbox's per-chat pace are for Telegram traffic; here
        # the one user is the operator and notes print in order with the replies
        limits = settings.limits.model_copy(
            update={"rate_limit_per_minute": 0, "outbox_chat_per_s": 1000.0}
        )
        self.settings = settings.model_copy(update={"limits": limits})
        self.log_path = settings.security.data_dir / LOG_FILE
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._alerts: list[str] = []  # toasts and alerts shown on the pressed button
        self.api = LocalBotAPI(on_message=self._on_message, on_alert=self._alerts.append)
        # Update ids go on growing from one run to the next, as Telegram's do: the inbox
        # remembers the ids it handled, and would drop a new run's 1, 2, 3 as repeats.
        self.updates = UpdateFactory(self.api, first_update_id=first_update_id())
        self.buttons: list[_Button] = []
        self.channels: dict[int, str] = {}
        self.app: App | None = None
        self._pictures = 0

    # -- output ----------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _on_message(self, event: MessageEvent) -> None:
        if event.kind == "deleted":
            if event.chat_id == self.user_id:
                self._print("bot: (deleted a message)")
            return
        message = event.message
        text = html_to_plain(str(event.params.get("text", message.get("text", ""))))
        if "photo" in message:
            caption = html_to_plain(str(event.params.get("caption") or ""))
            text = f"[picture saved to {self._save_photo(event.params)}] {caption}".rstrip()
        prefix = "bot" if event.kind == "sent" else "bot (edited)"
        if event.chat_id != self.user_id:
            where = self.channels.get(event.chat_id, str(event.chat_id))
            prefix = f"{prefix} → {where}"
        self._print(f"{prefix}: {text}")
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        if rows and event.chat_id == self.user_id:
            self._show_buttons(event.chat_id, message, rows)

    def _save_photo(self, params: dict[str, Any]) -> str:
        """A sent picture (a chart) written to a file the user can open; its path."""
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo.removeprefix("attach://"))
        data = photo.get("data") if isinstance(photo, dict) else None
        if not isinstance(data, bytes):
            return "(no file)"
        folder = Path(tempfile.gettempdir()) / "tsbot-console"
        folder.mkdir(exist_ok=True)
        self._pictures += 1
        path = folder / f"picture-{os.getpid()}-{self._pictures}.png"
        path.write_bytes(data)
        return str(path)

    def _show_buttons(
        self, chat_id: int, message: dict[str, Any], rows: list[list[dict[str, Any]]]
    ) -> None:
        """Number the message's callback buttons; typing a number presses one."""
        self.buttons = []
        labels = []
        for row in rows:
            for button in row:
                if "callback_data" not in button:
                    continue
                self.buttons.append(
                    _Button(chat_id, message, button["callback_data"], button["text"])
                )
                labels.append(f"[{len(self.buttons)}] {button['text']}")
        if labels:
            self._print("     " + "  ".join(labels))

    # -- input -----------------------------------------------------------------------------------

    async def handle_line(self, line: str) -> bool:
        """Turn one typed line into an update and feed it; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line.lower() in {"/quit", "/exit"}:
            return False
        assert self.app is not None
        if line.isdigit() and 0 < int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]  # other numbers (a PIN, an amount) are text
            current = self.api.message(button.chat_id, button.message["message_id"])
            await self._feed(
                self.updates.callback(self.user_id, current or button.message, button.data)
            )
            return True
        command, _, rest = line.partition(" ")
        command = command.lower()  # like the bot's own commands
        if command == "/as":
            self._switch_user(rest.strip())
        elif command in {"/post", "/forward"}:
            await self._channel_command(command, rest.strip())
        elif command == "/market":
            await self._move_market(rest.strip())
        else:
            await self._feed(self.updates.message(self.user_id, line))
        return True

    def _switch_user(self, user_id: str) -> None:
        if not user_id.lstrip("-").isdigit():
            self._print("(usage: /as <telegram_user_id>)")
            return
        self.user_id = int(user_id)
        self.buttons = []
        self._print(f"(you are now user {self.user_id})")

    async def _channel_command(self, command: str, rest: str) -> None:
        """``/post <channel> <text>`` posts into the channel; ``/forward`` forwards a post of
        it to the bot."""
        name, _, text = rest.partition(" ")
        if not name or not text.strip():
            self._print(f"(usage: {command} <channel> <text>)")
            return
        channel_id = await self._ensure_channel(name)
        name = self.channels[channel_id]
        if command == "/post":
            await self._feed(
                self.updates.channel_post(channel_id, text, title=name, username=name)
            )
        else:
            origin = self.api.next_message_id(channel_id)
            await self._feed(self.updates.forward(self.user_id, channel_id, name, text, origin))

    async def _move_market(self, rest: str) -> None:
        """``/market <pair> <price | +x% | -x% | off>``: set the console feed's price of the
        pair, then run the trading and plan passes so what the price crossed fills now."""
        assert self.app is not None
        trading = self.app.services.get("trading_service")
        feed = trading.price_feed if trading is not None else None
        words = rest.split()
        if not isinstance(feed, MarketOverrides) or trading is None:
            self._print("(/market moves the replay feed's prices; this feed is not a replay)")
            return
        if len(words) != 2:  # noqa: PLR2004 - a pair and a price
            self._print(USAGE)
            return
        try:
            symbol = await trading.resolve_symbol(words[0])
            before = (await feed.ticker(symbol)).last
            price = parse_move(words[1], before)
        except (UserError, ValueError) as exc:
            reason = exc.user_message if isinstance(exc, UserError) else str(exc)
            self._print(f"(market: {reason}) {USAGE}")
            return
        if price is None:
            feed.clear(symbol)
        else:
            feed.set_price(symbol, price)
        now = (await feed.ticker(symbol)).last
        self._print(f"market: {symbol} {numbers.price(before)} → {numbers.price(now)}")
        await trading.run_maintenance()
        plans = self.app.services.get("plan_service")
        if plans is not None:
            await plans.run_pass()
        await self._deliver_due()

    async def _ensure_channel(self, name: str) -> int:
        name = name.lstrip("@")
        channel_id = channel_id_for(name)
        if channel_id not in self.channels:
            self.channels[channel_id] = name
            self.api.add_chat(channel_id, "channel", title=name, username=name)
            self.api.set_member(channel_id, self.user_id, "creator")
            self._print(f"(you created channel @{name} and added the bot as an admin)")
            # the chat is registered above with its @username, so the update carries it
            await self._feed(self.updates.my_chat_member(channel_id, self.user_id))
        return channel_id

    async def _feed(self, raw: dict[str, Any]) -> None:
        assert self.app is not None
        update = Update.model_validate(raw, context={"bot": self.app.bot})
        await self.app.dispatcher.feed_update(self.app.bot, update)
        # Alerts print after the update's messages, as a client shows them over the chat.
        for text in self._alerts:
            self._print(f"bot (alert): {text}")
        self._alerts.clear()
        await self._deliver_due()

    async def _deliver_due(self) -> None:
        """Deliver notifications that are due now, so they print in order with replies."""
        assert self.app is not None
        while await self.app.outbox.drain_once():
            pass

    async def _read_lines(self, interactive: bool) -> None:
        while True:
            if interactive:
                try:
                    line = await asyncio.to_thread(input, "you> ")
                except EOFError:
                    return
            else:
                line = await asyncio.to_thread(self.stdin.readline)
                if not line:
                    return
                self._print(f"you> {line.rstrip()}")
            if not await self.handle_line(line):
                return

    async def run(self) -> int:
        logs = self.settings.logging
        redactor = configure_logging(
            logs.level, logs.format, production=self.settings.is_production, path=self.log_path
        )
        self.app = await build_app(
            self.settings,
            session=LocalSession(self.api),
            redactor=redactor,
            configure_logs=False,
        )
        interactive = self.stdin.isatty()
        try:
            await self.app.on_start()
            self.app.start_background()
            if interactive:
                self._print(
                    f"Console chat as user {self.user_id}. /help lists commands; a number "
                    "presses a button; /as <id>, /post <channel> <text>, /forward <channel> "
                    "<text>, /market <pair> <price | +2% | -1.5% | off>, /quit. "
                    f"Logs go to {self.log_path}."
                )
            await self._read_lines(interactive)
            left = await self.app.outbox.flush()  # notifications still waiting on rate limits
            if left:
                waiting = plural(left, "notification")
                self._print(f"({waiting} not delivered yet; they stay queued)")
        finally:
            await self.app.aclose()
        return 0
