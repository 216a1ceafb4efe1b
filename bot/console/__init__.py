"""The console: chat with the real bot in a terminal, against an in-process Telegram.

``tsbot console`` (and ``tsbot run`` without a BOT_TOKEN) builds the production app with a
`LocalSession`, so every update goes through the real dispatcher, middlewares and handlers and
every Bot API call is answered by an emulator that checks what Telegram checks.

- `chat`: the terminal loop (`Console`): typed lines become updates, the bot's messages print;
- `updates`: `UpdateFactory`, incoming updates as the dicts Telegram delivers;
- `session`: `LocalSession`, the aiogram ``BaseSession`` answered in process;
- `api`: `LocalBotAPI`, the Bot API methods the bot calls, with Telegram's checks and errors;
- `state`: `TelegramState`, the users, chats, members and messages those methods work on;
- `html_check`: Telegram's HTML parse mode, on the standard library's ``HTMLParser``;
- `errors`: `BotAPIError`, the ``{"ok": false, ...}`` answer.

The tests drive the same emulator, extended with recording and fault injection, from
``tests/fakes/telegram_api.py``.
"""
