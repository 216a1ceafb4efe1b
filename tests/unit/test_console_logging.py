"""Console mode logs to a file, so no log line lands between the bot's replies (issue 15,
item 7)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from core.logging import configure_logging


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put back the root logger's handlers (pytest's own) and close the file handler."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_log_lines_go_to_the_file_and_not_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data" / "console.log"  # the directory is made when missing
    configure_logging("INFO", "console", path=path, production=False)
    structlog.get_logger("bot.middlewares.rbac").warning("rbac_denied", role="viewer")
    structlog.get_logger("bot").info("polling_started")
    logging.getLogger("aiogram.dispatcher").error("Failed to fetch updates")
    assert capsys.readouterr() == ("", "")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line, event in zip(
        lines, ["rbac_denied", "polling_started", "Failed to fetch"], strict=True
    ):
        assert event in line


@pytest.mark.usefixtures("root_logging")
def test_a_second_set_up_releases_the_first_file(tmp_path: Path) -> None:
    configure_logging("INFO", "console", path=tmp_path / "one.log")
    first = next(h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler))
    configure_logging("INFO", "console", path=tmp_path / "two.log")
    assert first.stream is None  # closed, not left open with the old file
    structlog.get_logger("bot").info("outbox_sent")
    assert "outbox_sent" in (tmp_path / "two.log").read_text(encoding="utf-8")
    assert (tmp_path / "one.log").read_text(encoding="utf-8") == ""
