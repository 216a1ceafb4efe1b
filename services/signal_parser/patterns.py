"""Compiled regular expressions, built once at import from the keyword tables in ``lexicon``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Final, NamedTuple

from core.domain import UpdateType
from services.signal_parser import lexicon as lx
from services.signal_parser.leads import AT_TEXT_START, Led, Part, led_parts, led_pattern

# not preceded / followed by a letter of any script (digits and CJK are handled separately)
LB: Final = r"(?<![^\W\d_])"
RB: Final = r"(?![^\W\d_])"
_CJK: Final = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _trie(items: Iterable[str]) -> str:
    """A regex alternation shaped as a trie: Python's ``re`` tries long flat alternations one
    by one at every position, a trie branches on the first character instead (3-5x faster)."""
    root: dict[str, Any] = {}
    for word in items:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_node(root)


def _trie_node(node: dict[str, Any]) -> str:
    end = "" in node
    branches = []
    for ch in sorted((c for c in node if c), key=lambda c: -len(node[c])):
        atom = r"\s+" if ch == " " else re.escape(ch)
        branches.append(atom + _trie_node(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # longest match first: the optional tail is tried before stopping here
    return "(?:" + body + ")?" if end else body


class Scanner:
    """Finds keywords fast: one trie regex with no leading assertion (so ``re`` can skip on the
    first character), letter boundaries for non-CJK words checked in Python."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self._map = {" ".join(k.split()): v for k, v in mapping.items()}
        # word -> (kind, whether letter boundaries apply); words with inner whitespace are looked
        # up again after collapsing it
        self._info = {k: (v, k[0].isalpha() and not _CJK.match(k)) for k, v in self._map.items()}
        self._rx = re.compile("(?:" + _trie(mapping) + ")")

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        stop = len(text) if end is None else end
        n = len(text)
        info = self._info
        out: list[Hit] = []
        for m in self._rx.finditer(text, start, stop):
            s, e = m.span()
            word = m.group()
            got = info.get(word)
            if got is None:
                got = info.get(" ".join(word.split()), ("", False))
            kind, bounded = got
            if bounded and ((s > 0 and text[s - 1].isalpha()) or (e < n and text[e].isalpha())):
                continue
            out.append(Hit(kind, word, s, e))
        return out

    def search(self, text: str, start: int = 0, end: int | None = None) -> Hit | None:
        stop = len(text) if end is None else end
        n = len(text)
        info = self._info
        for m in self._rx.finditer(text, start, stop):
            s, e = m.span()
            word = m.group()
            got = info.get(word)
            if got is None:
                got = info.get(" ".join(word.split()), ("", False))
            if got[1] and ((s > 0 and text[s - 1].isalpha()) or (e < n and text[e].isalpha())):
                continue
            return Hit(got[0], word, s, e)
        return None


class Hit(NamedTuple):
    kind: str
    word: str
    start: int
    end: int


def words(items: Iterable[str]) -> str:
    """Alternation of words, longest match first; letter boundaries except for CJK words."""
    uniq = set(items)
    latin = [w for w in uniq if not _CJK.search(w)]
    cjk = [w for w in uniq if _CJK.search(w)]
    parts = []
    if latin:
        parts.append(LB + "(?:" + _trie(latin) + ")" + RB)
    if cjk:
        parts.append("(?:" + _trie(cjk) + ")")
    return "(?:" + "|".join(parts) + ")"


_LABEL_MAP: dict[str, str] = {}
for _kind, _words in (
    ("lev", lx.LEVERAGE_WORDS),
    ("target", lx.TARGET_WORDS),
    ("stop", lx.STOP_WORDS),
    ("entry", lx.ENTRY_WORDS),
    ("dca", lx.DCA_WORDS),
):
    _LABEL_MAP.update(dict.fromkeys(_words, _kind))
_LABEL_MAP.update(
    dict.fromkeys(("long", "short", "buy", "sell", "лонг", "шорт", "@"), "sidelabel")
)
_LABEL_MAP["exit"] = "exitlabel"  # "EXIT: 0.212 , 0.218": targets, only with a price after it
LABELS: Final = Scanner(_LABEL_MAP)
# a bare side word or "@" is an entry label only when a price follows: "LONG : 0.027", "@ 144.2"
SIDE_LABEL_AFTER_RE: Final = re.compile(r"\s*[:@]\s*\$?\s*\d")
AT_AFTER_RE: Final = re.compile(r"\s*\$?\s*\d")
# "Sell 250 300" opening a line (Cornix free text): a label even without a colon
LINE_HEAD_RE: Final = re.compile(r"(?:^|\n)[^\w\n]{0,4}$")
SPACE_NUMBER_RE: Final = re.compile(r"[ \t]+\$?\d")
# a line that holds nothing but prices (continuation of "Tp 1.11" on the lines below)
NUMBERS_ONLY_LINE_RE: Final = re.compile(
    r"[^\w\n]*\$?\d[\d.,]*(?:[ \t]*[-–/,|][ \t]*\$?\d[\d.,]*)*[^\w\n]*"
)
PIPS_AFTER_RE: Final = re.compile(r"\s*(?:pips?|pts|points?|пп|пункт\w*|پیپ)(?![a-z])")
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
# any of the five above in one ``match`` (a match of an alternation = a match of one of them)
NOT_PRICE_AFTER_RE: Final = re.compile(
    "|".join(
        "(?:" + rx.pattern + ")"
        for rx in (PERCENT_AFTER_RE, LEV_AFTER_RE, PIPS_AFTER_RE, DCA_AFTER_RE, TIME_AFTER_RE)
    )
)

SIDES: Final = Scanner(
    {w: "long" for w, _ in lx.LONG_WORDS} | {w: "short" for w, _ in lx.SHORT_WORDS}
)
ZH_SIDE_RE: Final = re.compile(r"[多空](?![頭头少空间間倉仓])")
ZH_SIDE_BEFORE: Final = re.compile(r"(?:[0-9a-z\s:;)\]]|附近|位)$")
SIDE_WEIGHT: Final = {w: n for w, n in lx.LONG_WORDS + lx.SHORT_WORDS}
SIDE_NOT: Final = Scanner(dict.fromkeys(lx.SIDE_NOT, "not"))

MARKET_ENTRY: Final = Scanner(dict.fromkeys(lx.MARKET_WORDS, "market"))
MARKETS: Final = Scanner(
    dict.fromkeys(lx.FUTURES_WORDS, "futures") | dict.fromkeys(lx.SPOT_WORDS, "spot")
)
OPEN_VERB_RE: Final = re.compile(
    LB + r"(?:open|открыва\w*|открыть|открываем|abrir|abra|aç|mở)" + RB + r"|开|開"
)
OPEN_VERB: Final = led_pattern(OPEN_VERB_RE, "amoо开開")

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
TAG_RE: Final = re.compile(
    r"[#$](?P<base>[A-Za-z][A-Za-z0-9]{1,14}|\d{1,7}[A-Za-z][A-Za-z0-9]{1,14})(?![A-Za-z0-9])"
)
PAIR_LABELS: Final = Scanner(dict.fromkeys(lx.PAIR_LABELS, "pair"))
PAIR_AFTER_RE: Final = re.compile(
    r"[ \t]*[:：\-=]?[ \t]*[#$]?(?P<base>[A-Za-z0-9]{2,15})(?![A-Za-z0-9])"
)
LEAD_TOKEN_RE: Final = re.compile(r"^[^\w\n]*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![A-Za-z0-9])")
SIDE_TOKEN_RE: Final = re.compile(
    r"(?i:buy|sell|long|short|лонг|шорт)\s+[#$]?(?P<base>[A-Z][A-Z0-9]{1,9})(?![A-Za-z0-9])"
)
OPEN_TOKEN_RE: Final = re.compile(
    r"(?:开|開)\s*(?P<base>[A-Za-z][A-Za-z0-9]{1,11})(?![A-Za-z0-9])"
)

LEV_VALUE_RE: Final = re.compile(
    r"(?<![a-z0-9.])[xх]?\s*(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍)?(?![a-z0-9])"
)
LEV_GATE_RE: Final = re.compile(r"\d\s*[xх倍]|[xх]\s?\d")
LEV_FREE_RE: Final = re.compile(
    r"(?<![a-z0-9.,])(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:-\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*)?"
    r"(?:[xх]|倍)(?![a-zа-я0-9])"
    r"|(?<![a-z0-9])[xх]\s?(?P<lo2>\d{1,3})(?![\d.,a-z])"
)
LEV_GATE: Final = led_pattern(LEV_GATE_RE, r"\dxх")
LEV_FREE: Final = led_pattern(LEV_FREE_RE, r"\dxх")


def _clean(part: str) -> str:
    # no leading \b (kept as it was when ``re`` could not skip past an assertion)
    return part.removeprefix(r"\b").replace(r"|\b", "|")


def _parts(*parts: tuple[str, str]) -> tuple[Part, ...]:
    """``(lead, source)`` pairs as ``Part``s, sources without their leading ``\\b``."""
    return tuple(Part(lead, _clean(source)) for lead, source in parts)


_HIT: Final = (
    r"✅|✔|☑|🎯|💰|" + LB + r"(?:hit|reached|achieved|done|smashed|completed|touched|filled|www|"
    r"сработал\w*|взят\w*|достигнут\w*|закрыт\w*|закрыли|atingid\w*|alcanzad\w*|cumplid\w*|"
    r"batid\w*|geldi|ulaşıldı|ulaştı|đạt|chạm|خورد|تاچ)" + RB
)
_TP_LABEL: Final = (
    r"(?:take[- ]?profit(?:\s+target)?|short\s+term\s+target|target|tp|тейк|тп|цель|alvo|"
    r"objetivo|hedef|mục tiêu|تارگت|هدف|目標|目标|止盈)"
)
_TP_LABEL_LEAD: Final = "ahmostтцته止目"
# the take-profit report patterns (lead, source); by index: 4 (Russian ordinal) and 6 (Chinese
# numeral) start with a digit, see ``update_matches``
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
)
_TP_RU: Final = 4
_TP_ZH: Final = 6
# The take-profit pattern without its parts that can match nowhere in a post: those led by a
# digit need "тейк"/"тп"/"цель" (a "т" or "ц") or "目標"/"目标"/"止盈" (a "目" or "止"). Without
# them digits leave the lead class, and digits are most of a signal. Dropping alternatives that
# match nowhere changes no match: ``re`` tries them in order at each place, and a dropped one
# fails everywhere. Keyed by (Russian part kept, Chinese part kept).
_TP_SCANS: Final = {
    (ru, zh): led_parts(
        *(part for i, part in enumerate(_TP_PARTS) if (i != _TP_RU or ru) and (i != _TP_ZH or zh))
    )
    for ru in (False, True)
    for zh in (False, True)
}
# (type, pattern, strong); a group named "idx" or "ord" carries the target index
UPDATE_PATTERNS: Final[tuple[tuple[UpdateType, Led, bool], ...]] = (
    (UpdateType.TP_HIT, _TP_SCANS[(True, True)], True),
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
                    r"част\w*\s+(?:фиксир|закр)|(?:фиксир|зафиксир)\w*\s+част|частичн|прикрыл",
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
                    r"закро[юй]\w*|закрыл\w*\s+(?:позици|сделк)|\bвышел\b|\bвыходим\b"
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
                    "ctи修更設设",
                    r"設錯|设错|\bcorrection\b|\bcorrected\b|\btypo\b|更正|修改|исправ\w*",
                ),
            )
        ),
        False,
    ),
)


def update_matches(i: int, low: str) -> Iterator[tuple[int, int, re.Match[str]]]:
    """``(start, end, match)`` of each match of update pattern ``i`` in ``low``, exactly as
    ``finditer`` finds them (start and end of the pattern's own match)."""
    if i == 0:  # take-profit: only the parts the post can match
        scan = _TP_SCANS[("т" in low or "ц" in low, "目" in low or "止" in low)]
    else:
        scan = UPDATE_PATTERNS[i][1]
    return scan.finditer(low)


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
        "止",
        "保本",
        "suba",
        "mova",
        "mover",
        "dời",
        "استاپ",
    ),
    UpdateType.OTHER: ("設錯", "设错", "correct", "typo", "更正", "修改", "исправ"),
}
UPDATE_GATES: Final[dict[UpdateType, re.Pattern[str]]] = {
    utype: re.compile(_trie(words_)) for utype, words_ in UPDATE_TRIGGERS.items()
}
# the types whose triggers few posts hold: one search over all their triggers first, and their
# own gates only when it finds one
RARE_UPDATE_TYPES: Final = frozenset({UpdateType.CANCEL, UpdateType.CLOSE, UpdateType.OTHER})
RARE_UPDATE_GATE: Final = re.compile(
    _trie(w for utype in RARE_UPDATE_TYPES for w in UPDATE_TRIGGERS[utype])
)
# the update scan's loop, looked up once: (index, type, strong, gate, one of the rare types)
UPDATE_LOOP: Final = tuple(
    (i, utype, strong, UPDATE_GATES[utype], utype in RARE_UPDATE_TYPES)
    for i, (utype, _, strong) in enumerate(UPDATE_PATTERNS)
)
# what a results post repeating the whole signal must contain to be read as an update
RESULT_GATE: Final = re.compile(
    _trie(
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
CONDITIONAL_RE: Final = re.compile(
    r"(?:\b(?:if|after|when|once|until|before|unless|если|после|когда|как\s+только)|如果|当|當)"
    r"[\s,]*(?:the\s+|our\s+)?$"
)
PROFIT_TRIGGERS: Final = ("profit", "прибыль", "lucro", "ganancia", "www")
_PROFIT_EN: Final = r"profit\s*:?\s*\+?\d+(?:[.,]\d+)?\s*%|\d+(?:[.,]\d+)?\s*%\s*profit"
_PROFIT_OTHER: Final = r"прибыль\s*:?\s*\+?\d|lucro\s*:?\s*\+?\d|ganancia\s*:?\s*\+?\d|\bwww\b"
PROFIT_RE: Final = re.compile(_PROFIT_EN + "|" + _PROFIT_OTHER)
SL_WEAK_RE: Final = re.compile(r"^\W*(?:тут\s+|там\s+)?(?:стоп|stop|sl)\b")
SHORT_TP_RE: Final = re.compile(
    r"^\W*(?:已經?|已经|已)?(?:過|过|到|達|达|hit|reached)?\s*tp\s*(?P<idx>\d)(?!\d)"
)
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
MOVE_LEVEL_RE: Final = re.compile(
    r"(?:stop|sl|стоп|止[損损])[^\n\d%]{0,30}?(?:to|para|на|放在|移到|移至|at|@|:)\s*\$?\s*"
)
CONDITIONAL: Final = led_pattern(CONDITIONAL_RE, "abiouwекп如当當")
PROFIT: Final = led_pattern(PROFIT_RE, r"\dglpwп")
# for a post without "profit": its two English parts need that word and match nowhere, and the
# digit that leads one of them leaves the leading class
PROFIT_NO_EN: Final = led_pattern(re.compile(_PROFIT_OTHER), "glwп")
