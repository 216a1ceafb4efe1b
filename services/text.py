"""Telegram-sized chunks of outgoing text, for the outbox (``services/notifications.py``).

``split_message`` knows only the syntax of the Telegram HTML it is given, enough to keep every
chunk valid by itself: it cuts between lines where it can, never inside a tag or an entity such
as ``&amp;``, and an element a cut falls inside is closed at the end of one chunk and opened
again at the start of the next. It renders nothing: escaping belongs to the renderers
(``handlers/html.escape``).
"""

from __future__ import annotations

import re
from typing import Final

TELEGRAM_TEXT_LIMIT: Final = 4096
# One tag or one entity: the pieces a cut must not fall inside.
_MARKUP_RE: Final = re.compile(r"<[^<>]*>|&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);")
_TAG_RE: Final = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into chunks of at most ``limit`` UTF-16 units (Telegram's measure:
    an emoji outside the BMP counts two), each valid by itself.

    Whole lines are packed greedily; a line longer than the limit is cut between tags, entities
    or characters (rare: a wall of text without newlines). A chunk drops the line breaks it
    ends with (the message boundary stands for them); a chunk that would show nothing but
    whitespace is not sent (Telegram refuses empty messages). Every chunk fits as long as the
    tags open at a cut fit in the limit with room to spare (a few dozen characters).
    """
    if units(text) <= limit:
        return [text]
    chunks = _Chunks(limit)
    for line in text.splitlines(keepends=True):
        chunks.add_line(line)
    return chunks.finish()


class _Chunks:
    """The chunks so far and the one being filled (``_body``).

    Invariant: ``_open`` lists the elements open at the end of ``_body`` (name, opening tag);
    a chunk is emitted as its body without trailing newlines plus the closing tags of
    ``_open``, and the next body starts with their opening tags again."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._done: list[str] = []
        self._body = ""
        self._reopened = 0  # length of the opening tags the body starts with
        self._open: list[tuple[str, str]] = []

    def add_line(self, line: str) -> None:
        if self._fits(line):
            self._append(line)
            return
        self._flush()
        if self._fits(line):
            self._append(line)
            return
        content = line.rstrip("\n")
        for match in _pieces(content):
            self._add_piece(match)
        self._append(line[len(content) :])  # the line break is dropped if a chunk ends here

    def finish(self) -> list[str]:
        self._flush()
        return self._done

    def _add_piece(self, piece: str) -> None:
        if _MARKUP_RE.fullmatch(piece):  # a tag or an entity: whole, in this chunk or the next
            if not self._fits(piece):
                self._flush()
            self._append(piece)
            return
        while piece:
            room = self._limit - units(self._body) - units(_closers(self._open))
            if room <= 0:
                self._flush()
                room = self._limit - units(self._body) - units(_closers(self._open))
            take = _prefix_length(piece, max(room, 1))  # the open tags alone overflow: progress
            self._append(piece[:take])
            piece = piece[take:]

    def _fits(self, piece: str) -> bool:
        stripped = piece.rstrip("\n")
        if stripped:
            length = units(self._body) + units(stripped)
        else:  # only line breaks: dropped at the end of a chunk, like the body's own
            length = units(self._body.rstrip("\n")) or units(self._body) + units(piece)
        return length + units(_closers(_open_after(self._open, piece))) <= self._limit

    def _append(self, piece: str) -> None:
        self._body += piece
        self._open = _open_after(self._open, piece)

    def _flush(self) -> None:
        shown = self._body[self._reopened :]
        if shown.strip():
            self._done.append(self._body.rstrip("\n") + _closers(self._open))
        self._body = "".join(tag for _, tag in self._open)
        self._reopened = len(self._body)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _prefix_length(text: str, room: int) -> int:
    """How many characters of ``text`` fit in ``room`` UTF-16 units (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return max(index, 1)
    return len(text)


def _pieces(text: str) -> list[str]:
    """``text`` as tags, entities and the runs of plain text between them."""
    pieces: list[str] = []
    pos = 0
    for match in _MARKUP_RE.finditer(text):
        if match.start() > pos:
            pieces.append(text[pos : match.start()])
        pieces.append(match.group())
        pos = match.end()
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def _open_after(open_tags: list[tuple[str, str]], piece: str) -> list[tuple[str, str]]:
    """The elements open after ``piece`` follows ``open_tags`` (unmatched end tags ignored)."""
    if "<" not in piece:
        return open_tags
    now = list(open_tags)
    for match in _TAG_RE.finditer(piece):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            end = piece.find(">", match.end())
            now.append((name, piece[match.start() : end + 1]))
        elif now and now[-1][0] == name:
            now.pop()
    return now


def _closers(open_tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))
