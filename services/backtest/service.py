"""The in-chat backtest (issue 10 item 5): an admin sends a channel's Telegram export to the bot
and gets the summary and the equity chart back, over the candles of the bot's own store.

``BacktestService`` owns reading the upload (the export's ``result.json``, or a ``.zip`` of the
export folder holding it), the replay (``run.replay``, the figures of ``report.summary``) and
the chart, and the audit entry of a run. Invariants:

- an upload is refused before it is downloaded when its name or size cannot be an export
  (``check_upload``: ``.json`` or ``.zip``, at most ``MAX_EXPORT_BYTES``, Telegram's limit for
  bots) or when the bot has no candle store; a refused or unreadable export, or one without a
  single entry signal, raises ``UserError`` and changes nothing (no audit entry);
- decoding, replaying and drawing run in a worker thread (``asyncio.to_thread``), never on the
  event loop; the candles are read through a store of the run's own (``candles()``), so the
  tracker's pass on the loop never shares a reader with it;
- posts are parsed by the rules only: the model fallback would make one paid call per unclear
  post of a whole history from a chat message (``tsbot backtest`` uses it when configured).
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any, Final

import structlog

from core.db.repositories.audit import AuditRepository
from core.db.session import Database
from core.errors import UserError
from services.backtest.export import ExportError, ExportHistory, history_from
from services.backtest.report import equity, summary
from services.backtest.run import replay
from services.charts.equity import equity_chart
from services.charts.style import Theme
from services.dto import UserView
from services.exchange.candle_files import CandleFileError
from services.signal_parser import ParseResult, parse
from services.tracking.candle_store import CandleStore

__all__ = ["MAX_EXPORT_BYTES", "BacktestReport", "BacktestService"]

log = structlog.get_logger(__name__)

MB: Final = 1024 * 1024
MAX_EXPORT_BYTES: Final = 20 * MB  # the largest file a bot may download from Telegram
MAX_UNZIPPED_BYTES: Final = 50 * MB  # result.json inside a .zip (a zip bomb stops here)
EXPORT_SUFFIXES: Final = (".json", ".zip")
EXPORT_FILE: Final = "result.json"
ZIP_MAGIC: Final = b"PK\x03\x04"

CandleStoreFactory = Callable[[], CandleStore]


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """What a run gives back: the ``summary`` object of ``tsbot backtest --json`` and the
    equity chart (PNG)."""

    summary: dict[str, Any]
    chart: bytes


class BacktestService:
    """Backtests of uploaded exports over the bot's candle store."""

    def __init__(
        self,
        db: Database,
        candles: CandleStoreFactory | None,
        *,
        threshold: float,
        duplicate_window: timedelta,
    ) -> None:
        self._db = db
        self._candles = candles  # None: no store (static prices, an exchange's live candles)
        self._threshold = threshold
        self._duplicate_window = duplicate_window

    def check_upload(self, file_name: str | None, size: int | None) -> None:
        """Refuse, before downloading it, a file that cannot be a backtest's export; raises
        ``UserError``."""
        if self._candles is None:
            raise UserError(
                "This bot has no candle store to backtest on: set TRACKER_CANDLES_DIR "
                "(freqtrade's data layout) or run the replay price feed."
            )
        if not (file_name or "").lower().endswith(EXPORT_SUFFIXES):
            raise UserError(
                "Send the export's result.json (Telegram Desktop: Export chat history, format "
                "'Machine-readable JSON'), or a .zip of the export folder."
            )
        if size is not None and size > MAX_EXPORT_BYTES:
            raise UserError(_too_big(size))

    async def run(
        self, actor: UserView, data: bytes, file_name: str, source: str | None
    ) -> BacktestReport:
        """Backtest the uploaded export ``data``; raises ``UserError`` (``ExportError``) for a
        file that is not an export, is too big, or holds no entry signal."""
        if len(data) > MAX_EXPORT_BYTES:
            raise UserError(_too_big(len(data)))
        self.check_upload(file_name, None)
        assert self._candles is not None  # checked above
        report, posts = await asyncio.to_thread(
            self._backtest, data, file_name, source, self._candles()
        )
        figures = report.summary
        async with self._db.transaction() as session:
            await AuditRepository(session).add(
                "backtest_run",
                actor_user_id=actor.id,
                target=figures["source"],
                details={
                    "file": file_name,
                    "bytes": len(data),
                    "posts": posts,
                    "signals": figures["signals"],
                    "total_r": figures["price"]["total_r"],
                },
            )
        log.info("backtest_ran", source=figures["source"], posts=posts, signals=figures["signals"])
        return report

    def _backtest(
        self, data: bytes, file_name: str, source: str | None, store: CandleStore
    ) -> tuple[BacktestReport, int]:
        """(the report, how many posts were read): in a worker thread, all of it blocking."""
        history = read_upload(data, file_name)
        try:
            # the rules never wait: the replay runs to its end on this thread's own loop
            run = asyncio.run(
                replay(
                    history,
                    _rules,
                    store,
                    threshold=self._threshold,
                    duplicate_window=self._duplicate_window,
                )
            )
        except (CandleFileError, OSError) as exc:
            raise UserError(f"Could not read the bot's candles: {exc}") from exc
        name = (source or "").strip() or history.name or PurePosixPath(file_name).stem
        if not run.signals:
            raise UserError(
                f"No entry signal among the {len(history.posts)} posts of {name}: nothing to "
                "backtest (is it the channel that posts the signals?)."
            )
        figures = summary(run, history, name)
        chart = equity_chart(equity(run), title=f"{name}: equity in R", theme=Theme.LIGHT)
        return BacktestReport(figures, chart), len(history.posts)


async def _rules(text: str) -> ParseResult:
    return parse(text)


def _too_big(size: int) -> str:
    return (
        f"That file is {size / MB:.1f} MB; a bot can download at most "
        f"{MAX_EXPORT_BYTES // MB} MB from Telegram. Export without media, or zip the folder."
    )


def read_upload(data: bytes, file_name: str) -> ExportHistory:
    """The history in an uploaded ``result.json`` or ``.zip``; raises ``ExportError``."""
    if data.startswith(ZIP_MAGIC):
        data, file_name = _unzip(data, file_name)
    try:
        decoded = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ExportError(f"{file_name} is not a text file (a Telegram export is JSON).") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ExportError(
            f"{file_name} is not JSON: export the chat from Telegram Desktop with the format "
            "'Machine-readable JSON' and send its result.json."
        ) from exc
    return history_from(decoded, file_name)


def _unzip(data: bytes, file_name: str) -> tuple[bytes, str]:
    """The bytes of the export's ``result.json`` in a zip (the shallowest one) and its name."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = [
                info
                for info in archive.infolist()
                if PurePosixPath(info.filename).name == EXPORT_FILE and not info.is_dir()
            ]
            if not found:
                raise ExportError(
                    f"{file_name} holds no {EXPORT_FILE}: zip the folder Telegram Desktop "
                    "exported (it holds result.json)."
                )
            info = min(found, key=lambda i: (i.filename.count("/"), i.filename))
            with archive.open(info) as member:
                unzipped = member.read(MAX_UNZIPPED_BYTES + 1)  # the header may lie
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
        raise ExportError(f"{file_name} is not a readable .zip ({exc}).") from exc
    if len(unzipped) > MAX_UNZIPPED_BYTES:
        raise ExportError(
            f"The {EXPORT_FILE} in {file_name} is over {MAX_UNZIPPED_BYTES // MB} MB unzipped: "
            "too big to backtest here (tsbot backtest on the server reads any size)."
        )
    return unzipped, f"{file_name}/{info.filename}"
