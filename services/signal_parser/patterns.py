"""Compiled regular expressions, built once at import from the keyword tables in ``lexicon``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from core.domain import UpdateType
from services.signal_parser import lexicon as lx

# not preceded / followed by a letter of any script (digits and CJK are handled separately)
LB: Final = r"(?<![^\W\d_])"
RB: Final = r"(?![^\W\d_])"
_CJK: Final = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def words(items: Iterable[str]) -> str:
    """Alternation of words, longest first; letter boundaries except for CJK words."""
    uniq = sorted(set(items), key=len, reverse=True)
    latin = [re.escape(w).replace(r"\ ", r"\s+") for w in uniq if not _CJK.search(w)]
    cjk = [re.escape(w) for w in uniq if _CJK.search(w)]
    parts = []
    if latin:
        parts.append(LB + "(?:" + "|".join(latin) + ")" + RB)
    if cjk:
        parts.append("(?:" + "|".join(cjk) + ")")
    return "(?:" + "|".join(parts) + ")"


LABEL_RE: Final = re.compile(
    "(?P<dca>" + words(lx.DCA_WORDS) + ")"
    "|(?P<entry>" + words(lx.ENTRY_WORDS) + r"|@(?=\s*\$?\s*\d)"
    r"|" + LB + r"(?:long|short|buy|sell|лонг|шорт)(?=\s*[:@]\s*\$?\s*\d))"
    "|(?P<stop>" + words(lx.STOP_WORDS) + ")"
    "|(?P<target>" + words(lx.TARGET_WORDS) + ")"
    "|(?P<lev>" + words(lx.LEVERAGE_WORDS) + ")"
)
TRAILING_RE: Final = re.compile(r"trailing\s+(?:configuration|stop|take)|трейлинг")
INDEX_RE: Final = re.compile(r"[ \t]*(?:#|№|no\.?)?[ \t]*(\d{1,2})(?!\d|[.,]\d)[ \t]*[:.)\-=]?")
LIST_MARKER_RE: Final = re.compile(
    r"[ \t]*(?:[-•*·▪▫►→>+✅✔☑🔹🔸🔷🔶▶️]+[ \t]*)?(?:\d{1,2}(?:[ \t]*\)|[.:](?!\d))[ \t]*)?"
)
PERCENT_AFTER_RE: Final = re.compile(r"\s*(?:%|-\d[\d.,]*\s*%)")
LEV_AFTER_RE: Final = re.compile(r"\s*[xх](?![a-zа-я])")
DCA_AFTER_RE: Final = re.compile(r"\s*(?:附近)?\s*(?:補倉|补仓|加倉|加仓)")
MARKER_AFTER_RE: Final = re.compile(r"\s*(?:\)|\.\s)\s*(?:\S{0,3}\s*)?\$?\d")
TIME_AFTER_RE: Final = re.compile(r":\d\d")

SIDE_RE: Final = re.compile(
    "(?P<long>" + words(w for w, _ in lx.LONG_WORDS) + ")"
    "|(?P<short>" + words(w for w, _ in lx.SHORT_WORDS) + ")"
    r"|(?:(?<=[0-9A-Za-z\s:;)\]])|(?<=附近)|(?<=位))(?P<zh>[多空])(?![單单頭头少空间間倉仓])"
)
SIDE_WEIGHT: Final = {w: n for w, n in lx.LONG_WORDS + lx.SHORT_WORDS}
SIDE_NOT_RE: Final = re.compile(words(lx.SIDE_NOT))

MARKET_ENTRY_RE: Final = re.compile(words(lx.MARKET_WORDS))
FUTURES_RE: Final = re.compile(words(lx.FUTURES_WORDS))
SPOT_RE: Final = re.compile(words(lx.SPOT_WORDS))
OPEN_VERB_RE: Final = re.compile(
    LB + r"(?:open|открыва\w*|открыть|открываем|abrir|abra|aç|mở)" + RB + r"|开|開"
)

_Q: Final = "|".join(lx.QUOTES)
SLASH_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?\s?(?P<base>[A-Za-z0-9]{1,15})\s*/\s*[#$]?(?P<quote>(?i:" + _Q + r"))"
    r"(?![A-Za-z0-9])",
)
DASH_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?(?P<base>[A-Za-z0-9]{1,15})[-_:](?P<quote>(?i:" + _Q + r"))"
    r"(?:[-_]?(?i:perp(?:etual)?|swap))?(?![A-Za-z0-9])"
)
GLUED_PAIR_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[#$]?(?P<base>[A-Za-z0-9]{2,15}?)(?P<quote>(?i:" + _Q + r"))"
    r"(?P<perp>\.p|\.P|[-_.]?(?i:perp(?:etual)?)|_(?i:swap))?(?![A-Za-z0-9])"
)
TAG_RE: Final = re.compile(r"[#$](?P<base>[A-Za-z][A-Za-z0-9]{1,14}|\d{1,7}[A-Za-z][A-Za-z0-9]{1,14})(?![A-Za-z0-9])")
LABEL_PAIR_RE: Final = re.compile(
    "(?i:" + words(lx.PAIR_LABELS) + r")[ \t]*[:：\-=]?[ \t]*[#$]?(?P<base>[A-Za-z0-9]{2,15})(?![A-Za-z0-9])"
)
LEAD_TOKEN_RE: Final = re.compile(r"^[^\w\n]*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![A-Za-z0-9])")
OPEN_TOKEN_RE: Final = re.compile(r"(?:开|開)\s*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![A-Za-z0-9])")

LEV_VALUE_RE: Final = re.compile(
    r"(?<![a-z0-9.])[xх]?\s*(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍)?(?![a-z0-9])"
)
LEV_FREE_RE: Final = re.compile(
    r"(?<![a-z0-9.,])(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍)(?![a-zа-я0-9])"
    r"|(?<![a-z0-9])[xх]\s?(?P<lo2>\d{1,3})(?![\d.,a-z])"
)


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_HIT: Final = (
    r"✅|✔|☑|🎯|💰|" + LB + r"(?:hit|reached|achieved|done|smashed|completed|touched|filled|www|"
    r"сработал\w*|взят\w*|достигнут\w*|закрыт\w*|закрыли|atingid\w*|alcanzad\w*|cumplid\w*|"
    r"batid\w*|geldi|ulaşıldı|ulaştı|đạt|chạm|خورد|تاچ)" + RB
)
_TP_LABEL: Final = (
    r"(?:take[- ]?profit(?:\s+target)?|short\s+term\s+target|target|tp|тейк|тп|цель|alvo|"
    r"objetivo|hedef|mục tiêu|تارگت|هدف|目標|目标|止盈)"
)
# (type, pattern, strong); a group named "idx" or "ord" carries the target index
UPDATE_PATTERNS: Final[tuple[tuple[UpdateType, re.Pattern[str], bool], ...]] = (
    (
        UpdateType.TP_HIT,
        _rx(
            _TP_LABEL + r"\s*#?\s*(?P<idx>\d{1,2})(?!\d|[.,]\d)[^\n]{0,40}?(?:" + _HIT + ")",
            r"(?P<ord>перв(?:ый|ая)|втор(?:ой|ая)|трет(?:ий|ья)|четв[её]рт(?:ый|ая)|пят(?:ый|ая)|шест(?:ой|ая)|(?<!\d)[1-9])"
            r"(?:-?й)?\s*(?:тейк|тп|цель)" + RB,
            r"atingir\s+o\s+alvo\s*(?P<idx2>\d{1,2})",
            r"第?(?P<zh>[一二三四五六1-6])(?:個|个)?(?:目標|目标|止盈)\s*(?:已經?|已经)?(?:到|達|达|完成)",
            r"\ball\s+(?:take[- ]?profit\s+)?targets?\s+(?:achieved|hit|reached|done|completed"
            r"|smashed|blown)",
            r"\b(?:take[- ]?profit|tp|target)\s*(?:target\s*)?(?P<idx3>\d{1,2})\s*(?:✅|✔)",
        ),
        True,
    ),
    (
        UpdateType.SL_HIT,
        _rx(
            r"\b(?:closed|close|hit|stopped)\s+(?:at|by|on)\s+(?:the\s+)?(?:stop|sl)",
            r"\bstop\s*-?loss\s+(?:was\s+)?(?:hit|triggered|reached|taken|activated)",
            r"\bsl\s+(?:was\s+)?(?:hit|triggered|reached|taken)",
            r"\bstopped\s+out\b|\bhit\s+(?:the\s+|our\s+)?(?:sl|stop)",
            r"\blll\b",
            r"выбило\s+по\s+стопу|словили\s+стоп|стоп\s+сработал|закрылись\s+по\s+стопу",
            r"(?:單|单|被|打)止[損损]|止[損损]了|止[損损]出[场場]",
            r"stop\s+(?:atingido|ativado|alcanzado|tocado)|stopad[oa]|stop\s+oldu",
            r"dính\s+sl|chạm\s+sl|استاپ\s+خورد|حد\s+ضرر\s+فعال",
        ),
        True,
    ),
    (
        UpdateType.CANCEL,
        _rx(
            r"\bcancel(?:l?ed|ling|lation)?\b|отмен\w*|撤銷|撤销|取消|cancelad\w*|iptal|hủy|لغو",
        ),
        True,
    ),
    (
        UpdateType.ENTRY_FILLED,
        _rx(
            r"\bentered\s+(?:the\s+)?entry|\bentry\s+(?:zone\s+|order\s+|orders\s+)?"
            r"(?:reached|hit|filled|triggered|activated)",
            r"\ball\s+entry\s+targets?\s+(?:achieved|reached|hit|filled|done)",
            r"\border\s+filled|вход\s+(?:выполнен|сработал|исполнен)",
            r"已(?:進場|进场|入場|入场|成交)",
            r"entrada\s+(?:executada|ativada|atingida|realizada)|giriş\s+(?:yapıldı|gerçekleşti)",
            r"đã\s+vào\s+lệnh|khớp\s+lệnh",
        ),
        True,
    ),
    (
        UpdateType.PARTIAL_CLOSE,
        _rx(
            r"\bclose[ds]?\s+\d{1,2}\s?%",
            r"\b(?:secure|take|book|close|fix|realize)\w*\s+(?:the\s+)?(?:half|partial|some|part"
            r"|\d{1,2}\s?%)",
            r"\bpartial(?:ly)?\b",
            r"част\w*\s+(?:фиксир|закр)|(?:фиксир|зафиксир)\w*\s+част|частичн|прикрыл",
            r"減倉|减仓|parcial|kısmi|chốt\s+một\s+phần",
        ),
        False,
    ),
    (
        UpdateType.CLOSE,
        _rx(
            r"\bclosed\s+(?:due|manually|in\s+profit|with|at|by)\b",
            r"\bclose\s+(?:all|the\s+trade|the\s+position|position|now)\b",
            r"\b(?:position|trade)\s+closed\b|\bexit\s+(?:now|the\s+trade|trade|position)\b",
            r"закро[юй]\w*|закрыл\w*\s+(?:позици|сделк)|\bвышел\b|\bвыходим\b|\bвыйдите\b",
            r"止盈了|結束|结束|平倉|平仓|encerrad\w*|fechad\w*|cerrad\w*|kapat\w*|đóng\s+lệnh",
            r"بستیم|بسته\s+شد",
        ),
        False,
    ),
    (
        UpdateType.MOVE_SL,
        _rx(
            r"\bmov\w*\s+(?:the\s+)?(?:sl|stops?)\b",
            r"\b(?:sl|stops?)\s+(?:moved|move|to|at|on|in)\s+(?:to\s+)?"
            r"(?:be\b|breakeven|break\s*even|entry|entries)",
            r"\bset\s+(?:sl\s+|stop\s+)?(?:be|breakeven)\b|\bbreak[\s-]?even\b",
            r"безубыт\w*|б/у|\bв\s+бу\b|перенос\w*\s+стоп|переводим",
            r"移動止損|移动止损|止[損损](?:放在|移到|移至|上移|调整|調整|改)|保本",
            r"suba\s+(?:seu|o)\s+stop|mova\s+o\s+stop|mover\s+(?:el|o)\s+stop",
            r"stop\s+(?:a|para)\s+(?:entrada|breakeven)|stop\s+girişe|dời\s+sl",
        ),
        False,
    ),
    (
        UpdateType.OTHER,
        _rx(r"設錯|设错|\bcorrection\b|\bcorrected\b|\btypo\b|更正|修改|исправ\w*"),
        False,
    ),
)
PROFIT_RE: Final = re.compile(
    r"\bprofit\s*:?\s*\+?\d+(?:[.,]\d+)?\s*%|\d+(?:[.,]\d+)?\s*%\s*profit|прибыль\s*:?\s*\+?\d"
    r"|lucro\s*:?\s*\+?\d|ganancia\s*:?\s*\+?\d|\bwww\b"
)
SL_WEAK_RE: Final = re.compile(r"^\W*(?:тут\s+|там\s+)?(?:стоп|stop|sl)\b")
SHORT_TP_RE: Final = re.compile(
    r"^\W*(?:已經?|已经|已)?(?:過|过|到|達|达|hit|reached)?\s*tp\s*(?P<idx>\d)(?!\d)"
)
ORDINALS: Final = {
    "первый": 1, "второй": 2, "третий": 3, "четвертый": 4, "четвёртый": 4, "пятый": 5,
    "шестой": 6, "первая": 1, "вторая": 2, "третья": 3, "четвертая": 4, "четвёртая": 4,
    "пятая": 5, "шестая": 6, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
}
MOVE_LEVEL_RE: Final = re.compile(
    r"(?:stop|sl|стоп|止[損损])[^\n\d%]{0,30}?(?:to|para|на|放在|移到|移至|at|@|:)\s*\$?\s*"
)
