"""Property tests: hostile or random posts never break the parser or make up numbers."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain import SignalKind
from services.signal_parser import numbers_in, parse
from services.signal_parser.model import ParseResult

EMOJI = "🚀🔥💎✅❌🎯📈📉🟢🔴⚡️💰🛑🌙😱👇1️⃣2️⃣"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
SCRIPTS = "BTCUSDTlongshortЛОНГшорт多空لانگشورتcompravendamuabán0123456789۰۱۲٣٤.,:-/#$%x "
HTML_BITS = ["<b>", "</b>", "<br>", "<a href='https://t.me/x'>", "</a>", "&amp;", "&lt;", "**"]

settings.register_profile(
    "parser", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("parser")


def assert_sane(text: str, result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert 0.0 <= result.confidence <= 1.0
    assert result.kind in SignalKind
    allowed = numbers_in(text)
    for value in result.numbers():
        assert value in allowed, (value, text)
    for start, end in result.spans.values():
        assert 0 <= start <= end <= len(text)


@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    assert_sane(text, parse(text))


@given(st.text(alphabet=EMOJI + " \n", max_size=200))
def test_emoji_only_posts_are_not_signals(text: str) -> None:
    result = parse(text)
    assert_sane(text, result)
    assert result.kind is SignalKind.OTHER or result.confidence < 0.6


@given(
    st.lists(
        st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False),
        max_size=40,
    )
)
def test_posts_full_of_numbers(values: list[Decimal]) -> None:
    text = " ".join(str(v) for v in values)
    result = parse(text)
    assert_sane(text, result)
    assert result.kind is not SignalKind.ENTRY


@given(st.text(alphabet=SCRIPTS + EMOJI + ZERO_WIDTH + "\n", max_size=400))
def test_mixed_scripts_and_zero_width(text: str) -> None:
    assert_sane(text, parse(text))


@given(
    st.lists(
        st.one_of(st.sampled_from(HTML_BITS), st.text(alphabet=SCRIPTS, max_size=12)), max_size=60
    )
)
def test_html_and_markdown_fragments(parts: list[str]) -> None:
    text = "".join(parts)
    assert_sane(text, parse(text))


@given(
    st.text(alphabet=SCRIPTS + EMOJI + "\n", min_size=1, max_size=300).map(
        lambda s: (s * (4096 // len(s) + 1))[:4096]
    )
)
def test_4096_character_posts(text: str) -> None:
    assert len(text) == 4096
    assert_sane(text, parse(text))


def test_empty_and_blank_posts() -> None:
    for text in ("", " ", "\n\n", "\u200b", "\ufeff\u200d"):
        result = parse(text)
        assert result.kind is SignalKind.OTHER
        assert 0.0 <= result.confidence <= 1.0


def test_parse_never_raises_on_surrogates() -> None:
    text = "BTC/USDT long \ud800 entry 1 tp 2 sl 0.5"
    assert_sane(text, parse(text))


def test_numbers_in_reads_separators_and_digits() -> None:
    assert numbers_in("1,880 and ۴۲ and 0,5 and 25k") == {
        Decimal(1880),
        Decimal(42),
        Decimal("0.5"),
        Decimal(25000),
    }
