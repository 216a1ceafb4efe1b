"""Hypothesis: a Decimal formatted in each grouping style the reader accepts reads back as
itself, or, where the style writes a doubtful form, as a question one of whose readings it is;
never silently as another number, except by the documented signal rule (a post's ``1,000`` is
a thousand and its ``1.000`` one, so a decimal-comma style reads back in a post unless it
writes one of those forms)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.numbers import Ambiguous, Role, plain, read_number

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹")


def english(value: Decimal) -> str:
    return f"{value:,f}"  # 1,234,567.89


def german(value: Decimal) -> str:
    return english(value).translate(str.maketrans(",.", ".,"))  # 1.234.567,89


def french(value: Decimal) -> str:
    whole, _, fraction = english(value).partition(".")  # 1 234 567,89 (narrow no-break)
    return whole.replace(",", "\u202f") + ("," + fraction if fraction else "")


def swiss(value: Decimal) -> str:
    return english(value).replace(",", "'")  # 1'234'567.89


def arabic(value: Decimal) -> str:
    whole, _, fraction = english(value).partition(".")  # ١٬٢٣٤٬٥٦٧٫٨٩
    text = whole.replace(",", "٬") + ("٫" + fraction if fraction else "")
    return text.translate(ARABIC_INDIC)


def persian(value: Decimal) -> str:
    return arabic(value).translate(PERSIAN)


def ungrouped(value: Decimal) -> str:
    return f"{value:f}"


POINT_STYLES: list[Callable[[Decimal], str]] = [english, swiss, arabic, persian, ungrouped]
COMMA_STYLES: list[Callable[[Decimal], str]] = [german, french]  # a decimal comma
STYLES = [*POINT_STYLES, *COMMA_STYLES]
# one mark before three digits after one to three: 1,000 / 1.000 (rule 5 of services.numbers)
DOUBTFUL = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")

amounts = st.integers(min_value=0, max_value=8).flatmap(
    lambda places: st.decimals(min_value=0, max_value=10**13, places=places)
)


def reads_as(value: Decimal, written: str, role: Role) -> bool:
    found = read_number(written, role)
    if isinstance(found, Ambiguous):
        return value in (found.grouped, found.decimal)
    return found == value


@given(amounts, st.sampled_from(STYLES), st.sampled_from([Role.PRICE, Role.COINS]))
def test_orders_read_back_or_ask(
    value: Decimal, style: Callable[[Decimal], str], role: Role
) -> None:
    assert reads_as(value, style(value), role), style(value)


@given(amounts, st.sampled_from(POINT_STYLES))
def test_posts_read_back_exactly(value: Decimal, style: Callable[[Decimal], str]) -> None:
    assert read_number(style(value), Role.SIGNAL) == value, style(value)


@given(amounts, st.sampled_from(COMMA_STYLES))
def test_decimal_comma_in_a_post_reads_back_unless_doubtful(
    value: Decimal, style: Callable[[Decimal], str]
) -> None:
    """A post's ``1,000`` is a thousand and its ``1.000`` one: only those forms differ."""
    written = style(value)
    if not DOUBTFUL.fullmatch(written):
        assert read_number(written, Role.SIGNAL) == value, written


@given(amounts, st.sampled_from(list(Role)))
def test_the_plain_form_reads_one_way_in_every_role(value: Decimal, role: Role) -> None:
    """What the ask-back tells people to send never asks again."""
    assert read_number(plain(value), role) == value


@given(
    st.text(alphabet=st.sampled_from(list("0123456789.,'_ $-+ekmKM٫٬۰۵٠٥\u202f\u00a0usdtbc")))
    | st.text(),
    st.sampled_from(list(Role)),
)
def test_any_text_reads_or_not_without_raising(text: str, role: Role) -> None:
    value = read_number(text, role)
    assert value is None or isinstance(value, Decimal | Ambiguous)
