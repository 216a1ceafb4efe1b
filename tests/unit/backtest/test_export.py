"""Reading Telegram Desktop exports: text shapes, service messages, replies, edits, bad files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.backtest.export import ExportError, history_from, message_text, read_export


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _message(id_: int, text: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "type": "message",
        "date": "2025-07-14T12:20:00",
        "date_unixtime": "1752495600",
        "text": text,
        **extra,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BTC long 118300", "BTC long 118300"),
        (
            ["Close 25% ", {"type": "hashtag", "text": "#ETHUSDT"}, " and move SL on entry"],
            "Close 25% #ETHUSDT and move SL on entry",
        ),
        ([{"type": "bold", "text": "ETH"}, " 3665-3635附近多"], "ETH 3665-3635附近多"),
        (
            [{"type": "text_link", "text": "chart", "href": "https://x.test"}, {"type": "x"}],
            "chart",
        ),
        ([], ""),
        (None, ""),
    ],
    ids=["string", "entity-list", "bold-entity", "link-and-textless-entity", "empty", "none"],
)
def test_message_text_joins_strings_and_entities(text: Any, expected: str) -> None:
    assert message_text(text) == expected


def test_reads_posts_skipping_service_and_empty_messages(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "name": "Signals",
            "type": "public_channel",
            "id": 1,
            "messages": [
                {"id": 1, "type": "service", "date": "2025-07-14T10:00:00", "action": "x"},
                _message(2, "BTC long"),
                _message(3, ""),
                _message(4, [{"type": "bold", "text": "  "}]),
                {**_message(5, "photo only"), "text": []},
            ],
        },
    )
    history = read_export(path)
    assert history.name == "Signals"
    assert [p.message_id for p in history.posts] == [2]
    assert history.posts[0].posted_at == datetime(2025, 7, 14, 12, 20, tzinfo=UTC)
    assert history.skipped == 4
    assert not history.dates_assumed_utc


def test_a_folder_reads_its_result_json(tmp_path: Path) -> None:
    _write(tmp_path, {"name": "c", "messages": [_message(1, "x")]})
    assert [p.text for p in read_export(tmp_path).posts] == ["x"]


def test_reply_links_and_order_by_date() -> None:
    history = history_from(
        {
            "messages": [
                {**_message(9, "TP1 hit", reply_to_message_id=7), "date_unixtime": "1752500000"},
                _message(7, "ETH long"),
            ]
        }
    )
    assert [(p.message_id, p.reply_to) for p in history.posts] == [(7, None), (9, 7)]


def test_edited_message_keeps_its_final_text_and_post_date() -> None:
    history = history_from(
        {
            "messages": [
                _message(
                    3,
                    "ETH long 2550-2555 SL 2521",
                    edited="2025-07-14T13:00:00",
                    edited_unixtime="1752498000",
                )
            ]
        }
    )
    post = history.posts[0]
    assert post.text == "ETH long 2550-2555 SL 2521"
    assert post.posted_at == datetime(2025, 7, 14, 12, 20, tzinfo=UTC)
    assert post.edited_at == datetime(2025, 7, 14, 13, 0, tzinfo=UTC)


def test_local_date_without_unixtime_is_read_as_utc_and_flagged() -> None:
    raw = _message(1, "x")
    del raw["date_unixtime"]
    history = history_from({"messages": [raw]})
    assert history.posts[0].posted_at == datetime(2025, 7, 14, 12, 20, tzinfo=UTC)
    assert history.dates_assumed_utc


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not json at all", "is not JSON"),
        ('["a", "list"]', "no 'messages' list"),
        ('{"name": "x"}', "no 'messages' list"),
        ('{"messages": ["text"]}', "message #1 is not an object"),
        ('{"messages": [{"type": "message", "text": "x", "date": "2025-01-01"}]}', "no numeric"),
        ('{"messages": [{"id": 1, "text": "x"}]}', "has no 'date'"),
        ('{"messages": [{"id": 1, "text": "x", "date": "yesterday"}]}', "unreadable date"),
        ('{"messages": [{"id": 1, "text": "x", "date_unixtime": "soon"}]}', "date_unixtime"),
    ],
    ids=[
        "not-json",
        "list",
        "no-messages",
        "bad-message",
        "no-id",
        "no-date",
        "bad-date",
        "bad-unix",
    ],
)
def test_a_file_that_is_not_an_export_is_refused_clearly(
    tmp_path: Path, content: str, needle: str
) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        read_export(path)
    assert needle in caught.value.user_message


def test_missing_and_binary_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="No such export file"):
        read_export(tmp_path / "absent.json")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(ExportError, match="not a text file"):
        read_export(binary)
