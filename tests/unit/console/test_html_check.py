"""The console's HTML check accepts what Telegram accepts, shows the same text, and refuses
what Telegram refuses ("can't parse entities"), so a bot test fails on an unescaped ``<``."""

from __future__ import annotations

import pytest
from aiogram.utils.text_decorations import html_decoration

from bot.console.html_check import HTMLRejected, html_to_plain

ACCEPTED = [
    ("plain text", "plain text", "plain"),
    ("<b>LONG</b> BTC &lt; 70k", "LONG BTC < 70k", "bold_and_lt"),
    ("<B>x</b>", "x", "tag_case"),
    ("<b>x</b >", "x", "space_before_end"),
    ("<b\n>x</b>", "x", "newline_in_tag"),
    ("<b><i>both</i></b>", "both", "nested"),
    (
        "<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>",
        "abcde",
        "synonyms",
    ),
    ("<u>u</u><s>s</s><tg-spoiler>x</tg-spoiler>", "usx", "underline_strike_spoiler"),
    ('<span class="tg-spoiler">x</span>', "x", "span_spoiler"),
    ('<a href="https://x.y/?a=1&amp;b=2">link</a>', "link", "link"),
    ("<a href='x>y'>z</a>", "z", "gt_in_attribute"),
    ('<pre><code class="language-python">x = 1 &lt; 2</code></pre>', "x = 1 < 2", "pre_code"),
    ("<blockquote expandable>q</blockquote>", "q", "expandable_quote"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", "custom_emoji"),
    ("1 > 0", "1 > 0", "bare_gt"),
    ("&lt;&gt;&amp;&quot;", '<>&"', "named_entities"),
    ("&#65;&#x42;&#128512;", "AB😀", "numeric_entities"),
    ("AT&T & co", "AT&T & co", "bare_ampersand"),
    ("&copy; &nbsp;", "&copy; &nbsp;", "unknown_entity_is_text"),
    ("&amp &#65", "&amp &#65", "entity_without_semicolon_is_text"),
    ("&#0; &#1114111; &#55296;", "&#0; &#1114111; &#55296;", "invalid_code_point_is_text"),
    ("&#X41;", "&#X41;", "uppercase_x_is_text"),
    ("a&#;b &;", "a&#;b &;", "empty_reference"),
    ("line\n<b>ü</b>\n", "line\nü\n", "newlines_kept"),
]

REJECTED = [
    ("price <b>70k", r'^Can\'t find end tag corresponding to start tag "b"$', "unclosed"),
    ("<b><i>x</i>", r'start tag "b"$', "outer_unclosed"),
    ("x</b>", r"^Unexpected end tag at byte offset 1$", "end_without_start"),
    (
        "<b>x</i>",
        r'^Unmatched end tag at byte offset 4, expected "</b>", found "</i>"$',
        "mismatch",
    ),
    ("<b><i>x</b></i>", r"^Unmatched end tag at byte offset 7", "misnested"),
    ("x</>y", r"^Unexpected end tag at byte offset 1$", "empty_end_tag"),
    ("<br>", r'^Unsupported start tag "br" at byte offset 0$', "unknown_tag"),
    ("<script>x</script>", r'^Unsupported start tag "script"', "script"),
    ("<p>x</p>", r'^Unsupported start tag "p"', "paragraph"),
    ("<br/>", r'^Unsupported start tag "br/"', "self_closing"),
    ("<b/>", r'^Unsupported start tag "b/"', "self_closing_known_tag"),
    ("a < b", r"^Unsupported start tag at byte offset 2$", "unescaped_lt"),
    ("x <= y", r"^Unsupported start tag at byte offset 2$", "lt_before_equals"),
    ("x <3", r"^Unsupported start tag at byte offset 2$", "lt_before_digit"),
    ("x <", r"^Unsupported start tag at byte offset 2$", "lt_at_end"),
    ("x <b", r"^Unsupported start tag at byte offset 2$", "unfinished_tag"),
    ("<b>x</b", r"^Unsupported start tag at byte offset 4$", "unfinished_end_tag"),
    ("<b x='1>", r"^Unsupported start tag at byte offset 0$", "unfinished_quote"),
    ("é <q>", r'^Unsupported start tag "q" at byte offset 3$', "offset_in_bytes"),
    (
        "a\n<b>\nx</b>\n<z>",
        r'^Unsupported start tag "z" at byte offset 12$',
        "offset_across_lines",
    ),
    ("a<!-- c -->b", r"^Unsupported start tag at byte offset 1$", "comment"),
    ("<!DOCTYPE html>", r"^Unsupported start tag at byte offset 0$", "doctype"),
    ("<?xml?>", r"^Unsupported start tag at byte offset 0$", "processing_instruction"),
    ("<![CDATA[x]]>", r"^Unsupported start tag at byte offset 0$", "cdata"),
    ("</1>", r"^Unsupported start tag at byte offset 0$", "bogus_comment"),
    ("<span>x</span>", r'^Tag "span" must have class "tg-spoiler"', "span_without_class"),
    ("<tg-emoji>x</tg-emoji>", r"^Invalid custom emoji identifier specified$", "emoji_without_id"),
]


@pytest.mark.parametrize(
    ("html", "plain"), [c[:2] for c in ACCEPTED], ids=[c[2] for c in ACCEPTED]
)
def test_accepted_markup_shows_telegrams_text(html: str, plain: str) -> None:
    assert html_to_plain(html) == plain


@pytest.mark.parametrize(
    ("html", "reason"), [c[:2] for c in REJECTED], ids=[c[2] for c in REJECTED]
)
def test_refused_markup_gives_telegrams_reason(html: str, reason: str) -> None:
    with pytest.raises(HTMLRejected, match=reason):
        html_to_plain(html)


def test_html_quote_output_always_passes() -> None:
    """What the handlers do with user text (aiogram's html.quote) never trips the check."""
    hostile = "<b>x</b> & <script>alert(1)</script> &amp; &#65; </> <"

    assert html_to_plain(f"<b>{html_decoration.quote(hostile)}</b>") == hostile
