"""Telegram's HTML parse mode, checked the way the Bot API server checks it.

Owns `html_to_plain(text)`: the text a Telegram client shows for a message sent with
``parse_mode="HTML"``, or `HTMLRejected` carrying the reason Telegram gives after
"can't parse entities: ". The emulator runs every HTML message through it, so every console
session and every bot test also checks that the bot escapes what it must.

Tokenising is the standard library's `html.parser.HTMLParser`; the rules on top are Telegram's
(tdlib's ``parse_html``):

- only the tags Telegram supports, all closed, properly nested; ``<span>`` only as
  ``class="tg-spoiler"``, ``<tg-emoji>`` only with a numeric ``emoji-id``; no self-closing tags,
  comments, declarations or processing instructions;
- a ``<`` that starts no tag is an error (HTMLParser hands it over as text, so any ``<`` in text
  means the sender forgot to escape it); a bare ``>`` is text;
- entities: ``&lt; &gt; &amp; &quot;`` and numeric references (``&#65;``, ``&#x41;``) decode;
  any other ``&`` stays literal text, because Telegram does not reject it either. Telegram also
  decodes a reference without its ``;``; the check keeps those as text (``html.quote`` always
  writes the ``;``), which changes what is shown, never what is accepted.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Final

TELEGRAM_TAGS: Final = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib refuses code points from 0x10FFFF up; surrogates cannot be sent as text at all.
_MAX_CODE_POINT: Final = 0x10FFFF
_SURROGATES: Final = range(0xD800, 0xE000)


class HTMLRejected(ValueError):
    """Telegram would refuse the markup; the message is Telegram's reason ("Unsupported start
    tag ...")."""


class _TelegramHTML(HTMLParser):
    """One parse: collects the plain text, raises `HTMLRejected` at the first fault."""

    def __init__(self, text: str) -> None:
        # Entities are decoded here, not by HTMLParser: it knows every HTML5 name, Telegram four.
        super().__init__(convert_charrefs=False)
        self._text = text
        self._line_starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
        self.plain: list[str] = []
        self.open_tags: list[str] = []

    # -- position --------------------------------------------------------------------------------

    def _index(self) -> int:
        """Index in the text of the construct being handled (HTMLParser counts lines)."""
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _at(self, index: int | None = None) -> str:
        """Where the fault is, as Telegram says it: "at byte offset N" (of `index`, by default
        of the construct being handled)."""
        at = self._index() if index is None else index
        return f"at byte offset {len(self._text[:at].encode())}"

    # -- tags ------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            raise HTMLRejected(f'Unsupported start tag "{tag}" {self._at()}')
        values = dict(attrs)
        if tag == "span" and values.get("class") != "tg-spoiler":
            raise HTMLRejected(f'Tag "span" must have class "tg-spoiler" {self._at()}')
        if tag == "tg-emoji" and not str(values.get("emoji-id")).isdigit():
            raise HTMLRejected("Invalid custom emoji identifier specified")
        self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise HTMLRejected(f'Unsupported start tag "{tag}/" {self._at()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags:
            raise HTMLRejected(f"Unexpected end tag {self._at()}")
        expected = self.open_tags.pop()
        if tag != expected:
            found = f'expected "</{expected}>", found "</{tag}>"'
            raise HTMLRejected(f"Unmatched end tag {self._at()}, {found}")

    # Comments, declarations, processing instructions and what HTMLParser reads as "bogus
    # comments" (``</1>``, ``<!x>``) are all tags Telegram does not know.
    def handle_comment(self, data: str) -> None:
        raise HTMLRejected(f"Unsupported start tag {self._at()}")

    def handle_decl(self, decl: str) -> None:
        self.handle_comment(decl)

    def unknown_decl(self, data: str) -> None:
        self.handle_comment(data)

    def handle_pi(self, data: str) -> None:
        self.handle_comment(data)

    # -- text ------------------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if (stray := data.find("<")) >= 0:
            raise HTMLRejected(f"Unsupported start tag {self._at(self._index() + stray)}")
        self.plain.append(data)

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name}", NAMED_ENTITIES.get(name))

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name}", _code_point(name))

    def _reference(self, raw: str, decoded: str | None) -> None:
        # HTMLParser does not say whether the ";" was there; the text does.
        if self._text.startswith(f"{raw};", self._index()):
            self.plain.append(decoded or f"{raw};")
        else:
            self.plain.append(raw)

    def finish(self) -> str:
        self.close()
        if self.open_tags:
            raise HTMLRejected(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1]}"'
            )
        return "".join(self.plain)


def _code_point(reference: str) -> str | None:
    """The character of a numeric reference body (``65``, ``x41``), or None when Telegram
    would keep the reference as text."""
    if reference.startswith("x"):
        digits, base = reference[1:], 16
    else:
        digits, base = reference, 10
    try:
        value = int(digits, base)
    except ValueError:  # "X41": tdlib reads only a lowercase x as hexadecimal
        return None
    if not 0 < value < _MAX_CODE_POINT or value in _SURROGATES:
        return None
    return chr(value)


def html_to_plain(text: str) -> str:
    """Strip Telegram-HTML markup the way the server does.

    Raises `HTMLRejected` when Telegram would answer "can't parse entities"."""
    if (index := text.find("</>")) >= 0:
        # HTMLParser drops an empty end tag without a word. Telegram reads it as closing the
        # innermost tag; refusing it is stricter, and no bot text needs it.
        msg = f"Unexpected end tag at byte offset {len(text[:index].encode())}"
        raise HTMLRejected(msg)
    parser = _TelegramHTML(text)
    parser.feed(text)
    return parser.finish()
