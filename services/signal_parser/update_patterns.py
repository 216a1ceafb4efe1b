"""The update report patterns: for each update type, the parts of the regex that say a post
reports that event (a take-profit hit, a stop hit, a cancel, an entry fill, a close...).

Owns the multilingual report phrases and which groups carry the target index ("idx*" groups
hold a number, "ord"/"zh" an ordinal word). Each part declares its lead, the characters its
matches can start with (see ``leads``); ``tp_scan`` picks the take-profit parts for a post.
Add a phrase as a new part with its lead; ``tests/unit/parser/test_leads.py`` checks leads.
"""

from __future__ import annotations

import re
from typing import Final

from core.domain import UpdateType
from services.signal_parser.keywords import LB, RB
from services.signal_parser.leads import AT_TEXT_START, Led, Part, led_parts


def _clean(part: str) -> str:
    # no leading \b: dropped when it kept ``re`` from skipping ahead, kept out so matches stay
    return part.removeprefix(r"\b").replace(r"|\b", "|")


def _parts(*parts: tuple[str, str]) -> tuple[Part, ...]:
    """``(lead, source)`` pairs as ``Part``s, sources without their leading ``\\b``."""
    return tuple(Part(lead, _clean(source)) for lead, source in parts)


_HIT_MARKS: Final = ("✅", "✔", "☑", "🎯", "💰")
_HIT_WORDS: Final = (
    r"hit|reached|achieved|done|smashed|completed|touched|filled|www|"
    r"сработал\w*|взят\w*|достигнут\w*|закрыт\w*|закрыли|atingid\w*|alcanzad\w*|cumplid\w*|"
    r"batid\w*|geldi|ulaşıldı|ulaştı|đạt|chạm|خورد|تاچ"
)
# the report word after a label and up to 40 characters: "[^\n]{0,40}?" tries the alternation
# at each of those places, so a lookahead on the characters a report can start with goes first
# (it is implied by the alternation: it changes no match, and fails fast in C at most places)
_HIT_FIRST: Final = "".join(sorted({w[0] for w in (*_HIT_MARKS, *_HIT_WORDS.split("|"))}, key=ord))
_HIT: Final = (
    "(?=["
    + _HIT_FIRST
    + "])(?:"
    + "|".join(_HIT_MARKS)
    + "|"
    + LB
    + "(?:"
    + _HIT_WORDS
    + ")"
    + RB
    + ")"
)
_TP_LABEL: Final = (
    r"(?:take[- ]?profit(?:\s+target)?|short\s+term\s+target|target|tp|тейк|тп|цель|alvo|"
    r"objetivo|hedef|mục tiêu|تارگت|هدف|目標|目标|止盈)"
)
_TP_LABEL_LEAD: Final = "ahmostтцته止目"
# the take-profit report patterns (lead, source); by index: 4 (Russian ordinal) and 6 (Chinese
# numeral) start with a digit, see ``_TP_SCANS``
_TP_PARTS: Final = _parts(
    (
        _TP_LABEL_LEAD,
        _TP_LABEL + r"\s*#?\s*(?P<idx>\d{1,2})(?!\d|[.,]\d)[^\n]{0,40}?(?:" + _HIT + ")",
    ),
    # "Target 1,2,3 done": the last index counts
    (
        _TP_LABEL_LEAD,
        _TP_LABEL
        + r"\s*(?:\d{1,2}\s*[,&/]\s*)+(?P<idx5>\d{1,2})(?!\d|[.,]\d)[^\n]{0,40}?(?:"
        + _HIT
        + ")",
    ),
    # Cornix "Target Touch 1"
    ("t", r"\btarget\s+(?:touch(?:ed)?|hit|reached|achieved|done)\s*#?\s*(?P<idx4>\d{1,2})(?!\d)"),
    (
        "t",
        r"\b(?:tp|target|take[- ]?profit)s?\s+(?:was\s+|is\s+)?(?:reached|hit|achieved|done)\b",
    ),
    (
        "1-9вптчш",
        r"(?P<ord>перв(?:ый|ая)|втор(?:ой|ая)|трет(?:ий|ья)|четв[её]рт(?:ый|ая)|пят(?:ый|ая)"
        r"|шест(?:ой|ая)|[1-9](?<!\d\d))(?:-?й)?\s*(?:тейк|тп|цель)" + RB,
    ),
    ("a", r"atingir\s+o\s+alvo\s*(?P<idx2>\d{1,2})"),
    (
        "1-6一二三四五六",
        r"(?P<zh>[一二三四五六1-6])(?:個|个)?(?:目標|目标|止盈)\s*(?:已經?|已经)?(?:到|達|达|完成)",
    ),
    (
        "a",
        r"\ball\s+(?:take[- ]?profit\s+)?targets?\b[^\n]{0,30}?(?:achieved|hit|reached|done"
        r"|completed|smashed|blown)",
    ),
    ("t", r"\b(?:take[- ]?profit|tp|target)\s*(?:target\s*)?(?P<idx3>\d{1,2})\s*(?:✅|✔)"),
    # "1st target @ 1263.01 hit": the ordinal before the label
    (
        "1-9",
        r"(?P<idx6>[1-9])(?<!\d\d)(?:st|nd|rd|th)\s+(?:target|tp|take[- ]?profit)[^\n]{0,40}?(?:"
        + _HIT
        + ")",
    ),
)
# the target index an "ord" or "zh" group reads
ORDINALS: Final = {
    "первый": 1,
    "второй": 2,
    "третий": 3,
    "четвертый": 4,
    "четвёртый": 4,
    "пятый": 5,
    "шестой": 6,
    "первая": 1,
    "вторая": 2,
    "третья": 3,
    "четвертая": 4,
    "четвёртая": 4,
    "пятая": 5,
    "шестая": 6,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
}
_TP_RU: Final = 4
_TP_ZH: Final = 6
_TP_EN_ORDINAL: Final = 9
# The take-profit pattern without its parts that can match nowhere in a post: those led by a
# digit need "тейк"/"тп"/"цель" (a "т" or "ц") or "目標"/"目标"/"止盈" (a "目" or "止"). Without
# them digits leave the lead class, and digits are most of a signal. Dropping alternatives that
# match nowhere changes no match: ``re`` tries them in order at each place, and a dropped one
# fails everywhere. Keyed by (Russian part kept, Chinese part kept).
_TP_SCANS: Final = {
    (ru, zh, en): led_parts(
        *(
            part
            for i, part in enumerate(_TP_PARTS)
            if (i != _TP_RU or ru) and (i != _TP_ZH or zh) and (i != _TP_EN_ORDINAL or en)
        )
    )
    for ru in (False, True)
    for zh in (False, True)
    for en in (False, True)
}
# an English ordinal ("1st", "2nd"): the ordinal part is kept only then
# r"\d(?:st|nd|rd|th)\s" as one pattern per suffix: each starts with its two letters, which
# ``re`` looks for as a literal in C, then checks the digit before and the space after (led by
# the digit, the one pattern stopped at every digit of a signal)
_EN_ORDINAL_PARTS: Final = tuple(
    re.compile(suffix + r"(?<=\d" + suffix + r")\s") for suffix in ("st", "nd", "rd", "th")
)
# (type, pattern, strong); a group named "idx" or "ord" carries the target index
UPDATE_PATTERNS: Final[tuple[tuple[UpdateType, Led, bool], ...]] = (
    (UpdateType.TP_HIT, _TP_SCANS[(True, True, True)], True),
    (
        UpdateType.SL_HIT,
        led_parts(
            *_parts(
                ("chs", r"\b(?:closed|close|hit|stopped)\s+(?:at|by|on)\s+(?:the\s+)?(?:stop|sl)"),
                ("s", r"\bstop\s*-?loss\s+(?:was\s+)?(?:hit|triggered|reached|taken|activated)"),
                ("s", r"\bsl\s+(?:was\s+)?(?:hit|triggered|reached|taken)"),
                ("hs", r"\bstopped\s+out\b|\bhit\s+(?:the\s+|our\s+)?(?:sl|stop)"),
                ("l", r"\blll\b"),
                ("s", r"\bstop\s+target\s+hit|\bstop\s*-?loss\s+target\s+hit"),
                (
                    "взс",
                    r"выбило\s+по\s+стопу|словили\s+стоп|стоп\s+сработал|закрылись\s+по\s+стопу",
                ),
                ("单單打止被", r"(?:單|单|被|打)止[損损]|止[損损]了|止[損损]出[场場]"),
                ("s", r"stop\s+(?:atingido|ativado|alcanzado|tocado)|stopad[oa]|stop\s+oldu"),
                ("cdاح", r"dính\s+sl|chạm\s+sl|استاپ\s+خورد|حد\s+ضرر\s+فعال"),
            )
        ),
        True,
    ),
    (
        UpdateType.CANCEL,
        led_parts(
            *_parts(
                (
                    "chiоل取撤",
                    r"\bcancel(?:l?ed|ling|lation)?\b|отмен\w*|撤銷|撤销|取消|cancelad\w*|iptal"
                    r"|hủy|لغو",
                ),
                (
                    "di",
                    r"\bignore\s+(?:the\s+|my\s+|our\s+)?(?:previous|last|this)\b"
                    r"|\binvalidated\b|\bdisregard\b",
                ),
            )
        ),
        True,
    ),
    (
        UpdateType.ENTRY_FILLED,
        led_parts(
            *_parts(
                (
                    "e",
                    r"\bentered\s+(?:the\s+)?entry|\bentry\s+(?:zone\s+|order\s+|orders\s+)?"
                    r"(?:reached|hit|filled|triggered|activated)",
                ),
                (
                    "a",
                    r"\ball\s+entr(?:y|ies)\s+(?:targets?\s+)?(?:achieved|reached|hit|filled"
                    r"|done)",
                ),
                (
                    "e",
                    r"\bentry\s+(?:target\s+)?#?\d{1,2}\s*(?:✅|✔|filled|hit|reached|achieved"
                    r"|done|triggered|activated)",
                ),
                ("oв", r"\border\s+filled|вход\s+(?:выполнен|сработал|исполнен)"),
                ("已", r"已(?:進場|进场|入場|入场|成交)"),
                (
                    "eg",
                    r"entrada\s+(?:executada|ativada|atingida|realizada)"
                    r"|giriş\s+(?:yapıldı|gerçekleşti)",
                ),
                ("kđ", r"đã\s+vào\s+lệnh|khớp\s+lệnh"),
            )
        ),
        True,
    ),
    (
        UpdateType.PARTIAL_CLOSE,
        led_parts(
            *_parts(
                ("c", r"\bclose[ds]?\s+\d{1,2}\s?%"),
                (
                    "bcfrst",
                    r"\b(?:secure|take|book|close|fix|realize)\w*\s+(?:the\s+)?(?:half|partial"
                    r"|some|part|\d{1,2}\s?%)",
                ),
                ("p", r"\bpartial(?:ly)?\b"),
                (
                    "зпфч",
                    r"част\w*\s+(?:фиксир|закр)|(?:фиксир|зафиксир)\w*\s+част|частичн|прикрыл"
                    r"|(?:фикс|зафиксир|закрыва|закро)\w*\s+(?:[^\s\d]+\s+)?"
                    r"(?:половин|\d{1,2}\s?%|\d/\d)",
                ),
                ("ckp减減", r"減倉|减仓|parcial|kısmi|chốt\s+một\s+phần"),
            )
        ),
        False,
    ),
    (
        UpdateType.CLOSE,
        led_parts(
            *_parts(
                ("c", r"\bclosed\s+(?:due|manually|in\s+profit|with|at|by)\b"),
                ("s", r"\bsignal\s+closed\b"),
                ("c", r"\bclose\s+(?:all|the\s+trade|the\s+position|position|now)\b"),
                ("c", r"\bclosed\b"),
                ("c", r"\bclose\s+everything\b"),
                (
                    AT_TEXT_START,
                    r"^\W*(?:please\s+)?(?:close|exit)\s+[#$]?[a-z0-9]{2,20}(?:/[a-z]{3,5})?"
                    r"(?:\s+now)?\W*$",
                ),
                (
                    "ept",
                    r"\b(?:position|trade)\s+closed\b|\bexit\s+(?:now|the\s+trade|trade"
                    r"|position)\b",
                ),
                (
                    "вз",
                    r"закро[юй]\w*|закрыл\w*\s+(?:позици|сделк)|закрыва\w*|\bвышел\b|\bвыходим\b"
                    r"|\bвыйдите\b",
                ),
                (
                    "cefkđ平止結结",
                    r"止盈了|結束|结束|平倉|平仓|encerrad\w*|fechad\w*|cerrad\w*|kapat\w*"
                    r"|đóng\s+lệnh",
                ),
                ("ب", r"بستیم|بسته\s+شد"),
            )
        ),
        False,
    ),
    (
        UpdateType.MOVE_SL,
        led_parts(
            *_parts(
                ("m", r"\bmov\w*\s+(?:the\s+)?(?:sl|stops?)\b"),
                (
                    # "SL moved to 88200", "stop loss changed to", "SL -> 61500": a new level
                    "s",
                    r"\b(?:sl|stop(?:\s*-?loss)?)\s+(?:(?:has\s+been|was|is)\s+)?"
                    r"(?:moved|changed|updated|adjusted|raised|lowered|trailed)\b"
                    r"|\b(?:sl|stop(?:\s*-?loss)?)\s*(?:->|→|=>)",
                ),
                (
                    "s",
                    r"\b(?:sl|stops?)\s+(?:moved|move|to|at|on|in)\s+(?:to\s+)?"
                    r"(?:be\b|breakeven|break\s*even|entry|entries)",
                ),
                ("bs", r"\bset\s+(?:sl\s+|stop\s+)?(?:be|breakeven)\b|\bbreak[\s-]?even\b"),
                ("nu", r"\b(?:new|update|updated)\s+(?:the\s+)?(?:sl|stop(?:\s*-?loss)?)\b"),
                (
                    "ps",
                    r"\b(?:put|set|place)\s+(?:the\s+)?(?:sl|stop)\s+(?:at|to|on)\s+(?:be"
                    r"|entry)\b",
                ),
                ("бвп", r"безубыт\w*|б/у|\bв\s+бу\b|перенос\w*\s+стоп|переводим"),
                (
                    "сs",
                    r"стоп\w*\s+(?:перенос\w*|переставля\w*|двига\w*|на\s+\$?\d|в\s+(?:бу|точку))"
                    r"|(?:стоп|sl)\s+(?:на|в)\s+(?:твх|точку\s+входа|вход)",
                ),
                ("ا", r"استاپ[^\n]{0,20}(?:نقطه\s+ورود|ورود)"),
                (
                    "保止移",
                    r"移動止損|移动止损|止[損损](?:放在|移到|移至|上移|调整|調整|改)|保本",
                ),
                ("ms", r"suba\s+(?:seu|o)\s+stop|mova\s+o\s+stop|mover\s+(?:el|o)\s+stop"),
                ("ds", r"stop\s+(?:a|para)\s+(?:entrada|breakeven)|stop\s+girişe|dời\s+sl"),
            )
        ),
        False,
    ),
    (
        UpdateType.OTHER,
        led_parts(
            *_parts(
                (
                    "ctи修更設设сn",
                    r"設錯|设错|\bcorrection\b|\bcorrected\b|\btypo\b|更正|修改|исправ\w*"
                    r"|следующ\w*\s+цел\w*|\bnext\s+targets?\b|\bnew\s+targets?\b",
                ),
            )
        ),
        False,
    ),
)


def tp_scan(low: str) -> Led:
    """The take-profit pattern with only the parts the lower-cased post can match."""
    return _TP_SCANS[
        (
            "т" in low or "ц" in low,
            "目" in low or "止" in low,
            _en_ordinal(low),
        )
    ]


def _en_ordinal(low: str) -> bool:
    """Whether ``low`` holds an English ordinal ("1st ", "2nd "): a digit, its suffix, a space."""
    return any(rx.search(low) is not None for rx in _EN_ORDINAL_PARTS)
