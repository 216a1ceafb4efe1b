"""The number table every entry point is tested with: each row is a number as a trader writes
it and what it must read as in each role of ``services.numbers`` (a post's price, a typed
price or sum of money, an amount of coins). ``Ask`` means it reads two ways there, and an order
must ask back; ``None`` that it is no number. Entry points that want a positive number refuse
what is not above zero. ``one_word`` is False for a number grouped by an ordinary space, which
only a reader of one whole field can take as one number (a command splits its words there).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Ask:
    """Reads two ways: a thousands reading and a decimal one."""

    grouped: Decimal
    decimal: Decimal


Expected = Decimal | Ask | None


@dataclass(frozen=True, slots=True)
class Row:
    written: str
    signal: Expected
    price: Expected
    coins: Expected
    one_word: bool = True

    @property
    def id(self) -> str:
        return self.written.encode("ascii", "backslashreplace").decode()


def same(written: str, value: str | None, *, one_word: bool = True) -> Row:
    """A row that reads the same in every role."""
    number = None if value is None else Decimal(value)
    return Row(written, number, number, number, one_word)


def _d(value: str) -> Decimal:
    return Decimal(value)


ROWS: list[Row] = [
    # decimal comma and point
    same("0,5", "0.5"),
    same("0.5", "0.5"),
    same(".5", "0.5"),
    same("12,5", "12.5"),
    same("0,500", "0.5"),  # a group never starts with 0: a decimal
    same("1234,567", "1234.567"),  # a head of four digits is no group: a decimal
    same("10,00", "10"),
    # thousands separators
    same("12,500.5", "12500.5"),
    same("64.000,5", "64000.5"),
    same("1,000,000", "1000000"),
    same("1.000.000", "1000000"),
    same("64 000", "64000", one_word=False),
    same("64\u202f000", "64000"),  # narrow no-break space
    same("64\u00a0000", "64000"),  # no-break space
    same("64\u2009000,5", "64000.5"),  # thin space, decimal comma
    same("1'000", "1000"),
    # the doubtful forms: the role decides
    Row("1,000", _d("1000"), _d("1000"), Ask(_d("1000"), _d("1"))),
    Row("64,000", _d("64000"), _d("64000"), Ask(_d("64000"), _d("64"))),
    Row("1.000", _d("1"), Ask(_d("1000"), _d("1")), Ask(_d("1000"), _d("1"))),
    Row("2.500", _d("2.5"), Ask(_d("2500"), _d("2.5")), Ask(_d("2500"), _d("2.5"))),
    # k, m, scientific notation
    same("64k", "64000"),
    same("1.5k", "1500"),
    same("2m", "2000000"),
    same("1e-5", "0.00001"),
    same("2.5E3", "2500"),
    # digits of other scripts
    same("٠٫٥", "0.5"),  # Arabic-Indic, Arabic decimal separator
    same("۰٫۵", "0.5"),  # Persian
    same("۶۴٬۰۰۰", "64000"),  # Persian, Arabic thousands separator
    same("١٬٠٠٠", "1000"),  # the Arabic thousands mark is never a decimal
    same("６４０００", "64000"),  # full-width
    same("０，５", "0.5"),
    # minus signs (read by the reader; no entry point takes a number below zero)
    same("\u22125", "-5"),
    same("\u20135", "-5"),
    # no number
    same("27.02.2026", None),
    same("1,2,3", None),
    same("lots", None),
]
