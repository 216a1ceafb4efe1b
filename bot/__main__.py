"""The ``tsbot`` command line: run, signals, api, console, migrate, keys, admin grant, parse,
backtest.

Start-up problems (invalid settings, an unreachable database or Redis, a wrong encryption key)
end in one clear message per cause and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from core.config import Settings, load_settings
from core.errors import AppError, ConfigError, ServiceUnavailable

if TYPE_CHECKING:
    from core.db.session import Database
    from services.signal_parser.ai import AIParser

# argparse names its subparser group type privately; the alias is for annotations only
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CommandFn = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]  # one CLI subcommand
EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 3


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.env_file)


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database, checked reachable first (one clear line if not)."""
    from core.db.session import Database

    db = Database(settings.database.url)
    try:
        await db.check_reachable()
        yield db
    finally:
        await db.aclose()


async def _migrate(args: argparse.Namespace) -> int:
    from core.db import migrate

    async with _database(_settings(args)) as db:
        await migrate.upgrade(db, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


async def _keys_rotate(args: argparse.Namespace) -> int:
    from bot.app import build_keystore
    from handlers.plural import plural
    from services.keys import rotate_keys

    settings = _settings(args)
    keystore = build_keystore(settings)
    forms = 0
    if settings.redis.url:  # half-done /connect forms first: a failure there writes nothing
        from bot.fsm_rotation import rotate_fsm_data
        from core.cache import redis_client

        redis = redis_client(settings.redis.url)
        try:
            forms = await rotate_fsm_data(redis, keystore)
        finally:
            await redis.aclose()
    async with _database(settings) as db:
        count = await rotate_keys(db, keystore)
    accounts = plural(count, "exchange account")
    print(f"re-encrypted the secrets of {accounts} under the first key")
    if forms:
        print(f"re-sealed {plural(forms, 'value')} in half-done forms kept in Redis")
    return 0


async def _admin_grant(args: argparse.Namespace) -> int:
    from services.users import UserService, parse_role

    settings = _settings(args)
    role = parse_role(args.role)
    async with _database(settings) as db:
        user = await UserService(db, settings.telegram.admin_ids).grant_role(
            None, args.telegram_id, role
        )
    print(f"user {user.telegram_id} is now {user.role.value}")
    return 0


async def _parse(args: argparse.Namespace) -> int:
    from bot.app import build_ai_parser
    from services.signal_parser.cli import run_parse

    settings = _settings(args)
    if args.eval:
        return await _parse_eval(args, settings)
    ai = None if args.rules_only else build_ai_parser(settings)
    if args.file and args.file != "-":
        path = Path(args.file)
        # CLI start-up: reading the operator's file before any concurrent work begins.
        if not path.is_file():  # noqa: ASYNC240
            print(f"tsbot parse: no such file: {path}", file=sys.stderr)
            return 1
        with path.open(encoding="utf-8", errors="replace") as source:  # noqa: ASYNC230
            return await run_parse(source, sys.stdout, jsonl=args.jsonl, ai=ai)
    return await run_parse(sys.stdin, sys.stdout, jsonl=args.jsonl, ai=ai)


async def _parse_eval(args: argparse.Namespace, settings: Settings) -> int:
    from services.signal_parser import parse
    from services.signal_parser.evaluate import run_eval

    ai = None if args.rules_only else _owned_ai_parser(settings)
    threshold = settings.ai.parser_threshold
    try:
        return await run_eval(
            Path(args.eval),
            sys.stdout,
            parse=parse,
            improve=ai.improve if ai is not None else None,
            threshold=threshold,
            show=args.show,
            min_exact=args.min_exact,
        )
    finally:
        if ai is not None:
            await ai.aclose()


def _owned_ai_parser(settings: Settings) -> AIParser | None:
    """The AI fallback with an HTTP client of its own (closed by ``aclose``), or None."""
    if not settings.ai.enabled or settings.ai.openai_api_key is None:
        return None
    from services.signal_parser.ai import AIParser

    return AIParser.from_config(
        api_key=settings.ai.openai_api_key.get_secret_value(),
        model=settings.ai.model,
        base_url=settings.ai.openai_base_url,
        timeout=settings.ai.timeout_s,
    )


async def _backtest(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from services.backtest.cli import backtest

    settings = _settings(args)
    ai = None
    if not args.rules_only and settings.ai.enabled:  # bot.app (aiogram) only when it is needed
        from bot.app import build_ai_parser

        ai = build_ai_parser(settings)
    return await backtest(
        Path(args.export),
        Path(args.candles),
        source=args.source,
        json_out=Path(args.json) if args.json else None,
        chart_out=Path(args.chart) if args.chart else None,
        ai=ai,
        threshold=settings.ai.parser_threshold,
        duplicate_window=timedelta(seconds=settings.limits.signal_duplicate_window_s),
    )


async def _run(args: argparse.Namespace) -> int:
    from bot.runners import run_bot

    return await run_bot(_settings(args), env_file=args.env_file)


async def _signals(args: argparse.Namespace) -> int:
    from bot.signal_worker import run_signal_worker

    return await run_signal_worker(_settings(args), parent_pid=args.parent_pid)


async def _api(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.features.api import serve_api

    settings = _settings(args)
    app = await build_app(settings)
    try:
        await serve_api(app, args.host or settings.api.host, args.port or settings.api.port)
    finally:
        await app.aclose()
    return 0


async def _console(args: argparse.Namespace) -> int:
    from bot.runners import run_console

    return await run_console(_settings(args), as_user=args.as_user)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsbot",
        description="Telegram trading-signals bot: read channel signals, trade them, track them.",
    )
    parser.add_argument(
        "--env-file", default=".env", help="settings file to read besides the environment"
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    _add_runtime_commands(sub)
    _add_admin_commands(sub)
    _add_parse_command(sub)
    _add_backtest_command(sub)
    return parser


def _add_runtime_commands(sub: Subcommands) -> None:
    """run, signals, api, console, migrate."""
    run = sub.add_parser(
        "run",
        help="run the bot (polling or webhook by BOT_MODE; the console when BOT_TOKEN is unset)",
        description="Run the bot. Polling or webhook per BOT_MODE; without BOT_TOKEN it opens "
        "the console chat instead.",
    )
    run.set_defaults(func=_run)

    signals = sub.add_parser(
        "signals",
        help="run the signal worker: channel posts handed off by tsbot run (SIGNAL_WORKER)",
        description="Handle the channel posts that tsbot run hands off (SIGNAL_WORKER=child "
        "or external; PostgreSQL and Redis), so chat traffic does not slow signals. tsbot run "
        "starts it itself with SIGNAL_WORKER=child; run it yourself with external.",
    )
    # set by tsbot run for its child: the worker ends when that process is gone
    signals.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    signals.set_defaults(func=_signals)

    api = sub.add_parser(
        "api",
        help="serve the REST API alone (API_HOST:API_PORT, 127.0.0.1:8000 by default)",
        description="Serve the REST API (docs at /docs) over the bot's services, without "
        "the Telegram side; `tsbot run` serves it too when API_ENABLED=true.",
    )
    api.add_argument("--host", default=None, help="address to listen on (default: API_HOST)")
    api.add_argument("--port", type=int, default=None, help="port (default: API_PORT)")
    api.set_defaults(func=_api)

    console = sub.add_parser(
        "console",
        help="chat with the bot in this terminal",
        description="Chat with the bot in the terminal through the real dispatcher. "
        "Commands: /as <user_id>, /post <channel> <text>, /forward <channel> <text>, "
        "a number presses that button, /quit. Reads one message per line when stdin is "
        "not a terminal.",
    )
    console.add_argument("--as-user", type=int, default=None, help="Telegram id to chat as")
    console.set_defaults(func=_console)

    migrate = sub.add_parser(
        "migrate", help="upgrade the database schema", description="Run alembic migrations."
    )
    migrate.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    migrate.set_defaults(func=_migrate)


def _add_admin_commands(sub: Subcommands) -> None:
    """keys rotate, admin grant."""
    keys = sub.add_parser("keys", help="encryption key management", description="Key store.")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="action", required=True)
    rotate = keys_sub.add_parser(
        "rotate",
        help="re-encrypt every stored secret under the first ENCRYPTION_KEY",
        description="Re-encrypt every stored exchange secret under the first key of "
        "ENCRYPTION_KEY=new,old in one transaction; then drop the old key.",
    )
    rotate.set_defaults(func=_keys_rotate)

    admin = sub.add_parser("admin", help="user administration", description="Administration.")
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="action", required=True)
    grant = admin_sub.add_parser(
        "grant",
        help="give a Telegram user a role",
        description="Give a Telegram user a role (admin, trader, viewer, api_user).",
    )
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("role")
    grant.set_defaults(func=_admin_grant)


def _add_parse_command(sub: Subcommands) -> None:
    parse = sub.add_parser(
        "parse",
        help="parse a signal post and print the result as JSON",
        description="Parse one post (FILE or stdin) and print JSON; with --jsonl read lines "
        '{"id": ..., "text": ...} and write one result per line; with --eval score the parser '
        "on a labelled corpus file (kind, entries fully right, fields, update types, false "
        "entries, confidence bands, what the AI fallback fixed).",
    )
    parse.add_argument("file", nargs="?", help="file to read (default: stdin)")
    parse.add_argument("--jsonl", action="store_true", help="one JSON post per input line")
    parse.add_argument("--rules-only", action="store_true", help="never ask the AI fallback")
    parse.add_argument(
        "--eval", metavar="LABELS.jsonl", help="score the parser on a labelled corpus file"
    )
    parse.add_argument("--show", type=int, default=0, metavar="N", help="--eval: list N misses")
    parse.add_argument(
        "--min-exact",
        type=float,
        default=None,
        metavar="X",
        help="--eval: exit 1 when entry posts fully right fall under X (0.97 or 97)",
    )
    parse.set_defaults(func=_parse)


def _add_backtest_command(sub: Subcommands) -> None:
    backtest = sub.add_parser(
        "backtest",
        help="backtest a channel from its Telegram Desktop export against candle files",
        description="Replay a Telegram Desktop export (result.json) with the bot's parser and "
        "update linking, track every signal over candles in freqtrade's data directory "
        "layout, and print the summary. Exit codes: 0 done, 2 bad input.",
    )
    backtest.add_argument("export", help="the export's result.json (or its folder)")
    backtest.add_argument("--candles", required=True, help="freqtrade data directory")
    backtest.add_argument("--source", default=None, help="name to report (default: the chat's)")
    backtest.add_argument("--json", default=None, metavar="OUT", help="write the results here")
    backtest.add_argument("--chart", default=None, metavar="OUT.png", help="equity chart PNG")
    backtest.add_argument("--rules-only", action="store_true", help="never ask the AI fallback")
    backtest.set_defaults(func=_backtest)


def _fail(lines: Sequence[str], code: int) -> int:
    for line in lines:
        print(f"tsbot: {line}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: CommandFn | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return asyncio.run(func(args))
    except ConfigError as exc:
        return _fail(exc.problems, EXIT_CONFIG)
    except ServiceUnavailable as exc:
        return _fail([exc.user_message], EXIT_UNAVAILABLE)
    except AppError as exc:
        return _fail([exc.user_message], 1)
    except KeyboardInterrupt:
        return 130


def entry(*_: Any) -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
