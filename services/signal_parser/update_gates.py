"""Substring gates in front of the update patterns: cheap tests that spare most posts the regexes.

Owns, per update type, the substrings one of which every pattern of the type needs
(``UPDATE_TRIGGERS``, compiled to one trie search each), the joint gate of the rarely present
types, and ``RESULT_GATE``: what a post repeating a whole signal must hold to be read as a
results post. Invariant: a gate that finds nothing means the type's patterns match nowhere, so
skipping them changes no result; a phrase added to ``update_patterns`` needs its trigger here.
"""

from __future__ import annotations

import re
from typing import Final

from core.domain import UpdateType
from services.signal_parser.keywords import trie
from services.signal_parser.update_patterns import UPDATE_PATTERNS

# substrings one of which every pattern of the type needs: a cheap gate before the regexes
UPDATE_TRIGGERS: Final[dict[UpdateType, tuple[str, ...]]] = {
    UpdateType.TP_HIT: (
        "profit",
        "target",
        "tp",
        "тейк",
        "тп",
        "цел",
        "alvo",
        "objetivo",
        "hedef",
        "mục tiêu",
        "تارگت",
        "هدف",
        "目標",
        "目标",
        "止盈",
    ),
    UpdateType.SL_HIT: (
        "stop",
        "sl",
        "lll",
        "стоп",
        "止損",
        "止损",
        "dính",
        "chạm",
        "استاپ",
        "حد",
    ),
    UpdateType.CANCEL: (
        "cancel",
        "отмен",
        "撤",
        "取消",
        "iptal",
        "hủy",
        "لغو",
        "ignore",
        "invalidated",
        "disregard",
    ),
    UpdateType.ENTRY_FILLED: (
        "enter",
        "entry",
        "entries",
        "filled",
        "вход",
        "已",
        "entrada",
        "giriş",
        "vào",
        "khớp",
    ),
    UpdateType.PARTIAL_CLOSE: (
        "clos",
        "secure",
        "take",
        "book",
        "fix",
        "realiz",
        "partial",
        "част",
        "прикрыл",
        "фикс",
        "закрыва",
        "закро",
        "減倉",
        "减仓",
        "parcial",
        "kısmi",
        "chốt",
    ),
    UpdateType.CLOSE: (
        "clos",
        "exit",
        "закр",
        "вышел",
        "закрыва",
        "выход",
        "выйд",
        "止盈了",
        "結束",
        "结束",
        "平倉",
        "平仓",
        "encerrad",
        "fechad",
        "cerrad",
        "kapat",
        "đóng",
        "بست",
    ),
    UpdateType.MOVE_SL: (
        "mov",
        "sl",
        "stop",
        "break",
        "безубыт",
        "б/у",
        "бу",
        "перенос",
        "переводим",
        "стоп",
        "止",
        "保本",
        "suba",
        "mova",
        "mover",
        "dời",
        "استاپ",
    ),
    UpdateType.OTHER: (
        "設錯",
        "设错",
        "correct",
        "typo",
        "更正",
        "修改",
        "исправ",
        "следующ",
        "next target",
        "new target",
    ),
}
UPDATE_GATES: Final[dict[UpdateType, re.Pattern[str]]] = {
    utype: re.compile(trie(words_)) for utype, words_ in UPDATE_TRIGGERS.items()
}
# the types whose triggers few posts hold: one search over all their triggers first, and their
# own gates only when it finds one
RARE_UPDATE_TYPES: Final = frozenset({UpdateType.CANCEL, UpdateType.CLOSE, UpdateType.OTHER})
RARE_UPDATE_GATE: Final = re.compile(
    trie(w for utype in RARE_UPDATE_TYPES for w in UPDATE_TRIGGERS[utype])
)
# the update scan's loop, looked up once: (type, strong, gate, one of the rare types, pattern)
UPDATE_LOOP: Final = tuple(
    (utype, strong, UPDATE_GATES[utype], utype in RARE_UPDATE_TYPES, led)
    for utype, led, strong in UPDATE_PATTERNS
)
# what a results post repeating the whole signal must contain to be read as an update
RESULT_GATE: Final = re.compile(
    trie(
        (
            "✅",
            "✔",
            "☑",
            "hit",
            "reached",
            "achieved",
            "smashed",
            "stopped",
            "profit:",
            "www",
            "lll",
            "сработал",
            "взят",
            "достигнут",
            "止盈了",
            "止損了",
            "止损了",
            "atingid",
            "alcanzad",
            "ulaştı",
            "đạt",
        )
    )
)
