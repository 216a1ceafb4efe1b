"""Rule-based parser: the order of the steps that read a post, and what kind of post it is.

``parse_rules`` normalises the text, reads the level labels (``levels``), the pair (``pairs``),
the side (``sides``) and the update words (``updates``), fills in the entry written elsewhere,
classifies the post as entry, update or other, and builds the result (``results``). Pure and
fast: every regular expression is compiled at import; one call does a handful of C-level scans
over a few hundred characters. Never raises: a parser bug gives "other" with confidence 0.
"""

from __future__ import annotations

import re
from typing import Final

from core.domain import SignalKind, UpdateType
from services.signal_parser import lexicon_context as lctx
from services.signal_parser.entries import infer_side, settle_entry
from services.signal_parser.keywords import LB, RB, Scanner
from services.signal_parser.leads import led_pattern
from services.signal_parser.levels import Levels, extract_levels, free_leverage, levels_end
from services.signal_parser.model import ParseResult
from services.signal_parser.normalize import normalize
from services.signal_parser.pairs import Pair, find_pair, update_coin
from services.signal_parser.results import Reading, entry_result, other_result, update_result
from services.signal_parser.sides import SideVote, find_market, find_side
from services.signal_parser.update_gates import RESULT_GATE
from services.signal_parser.updates import Update, find_update

MAX_CHARS: Final = 20_000
# the longest post a weak report word ("close", "стоп") alone makes an update: follow-ups are
# short ("Close half", "SL 74"); a longer text with no strong report is a guide or commentary
WEAK_UPDATE_CHARS: Final = 200
INFERRED_SIDE: Final = frozenset({"side"})
EXAMPLE: Final = Scanner(dict.fromkeys(lctx.EXAMPLE_WORDS, "example"))
# a guide says it quotes an example at its start
EXAMPLE_SPAN: Final = 300
OPEN_VERB_RE: Final = re.compile(
    LB
    + r"(?:open(?![ \t]+interest)|открыва\w*|открыть|открываем|abrir|abra|aç|mở)"
    + RB
    + r"|开|開"
)
OPEN_VERB: Final = led_pattern(OPEN_VERB_RE, "amoо开開")
# "devo abrir $SOL posição longa", "should I open a long": a question, not a call
MODAL_BEFORE_RE: Final = re.compile(
    r"(?:" + "|".join(lctx.MODAL_WORDS) + r")[ \t]+(?:i[ \t]+|we[ \t]+|eu[ \t]+|yo[ \t]+)?$"
)
MODAL_SPAN: Final = 16


def parse_rules(text: str) -> ParseResult:
    """Parse one post with the rules only. Never raises."""
    try:
        return _parse(text if len(text) <= MAX_CHARS else text[:MAX_CHARS])
    except Exception:  # a parser bug must never take the caller down
        return ParseResult(kind=SignalKind.OTHER, confidence=0.0)


def _parse(text: str) -> ParseResult:
    if not text or text.isspace():  # no copy of the text, as strip() makes
        return ParseResult(kind=SignalKind.OTHER, confidence=1.0)
    n = normalize(text)
    low = n.lower
    work_end = levels_end(low)
    levels = extract_levels(n, work_end)
    pair = find_pair(n, with_labels=levels.has_labels)
    side = find_side(low, levels.entry_at)
    update = _scan_update(low, pair, levels)
    if update is not None and not update.strong and len(low) > WEAK_UPDATE_CHARS:
        update = None  # a long text with only a weak report word: a guide or commentary
    if levels.leverage is None:
        levels.leverage = free_leverage(low, 0, work_end)
    settle_entry(n, levels, side.span, pair, work_end)
    inferred: frozenset[str] = frozenset()
    if side.side is None:
        guess = infer_side(levels.entry, levels.targets, levels.stop)
        if guess is not None:  # "#SOL/USDT 124-126 tp 130 sl 118": targets above, stop below
            side = SideVote(guess, None, 0)
            inferred = INFERRED_SIDE
    reading = Reading(n, pair, side, levels, update, inferred)
    kind = _classify(reading)
    if kind is SignalKind.ENTRY and EXAMPLE.search(low, 0, EXAMPLE_SPAN) is not None:
        kind = SignalKind.OTHER  # "Example signal post: $OPEN/USDT Buy 0.5677 ...": a guide
    if kind is SignalKind.OTHER:
        return other_result(reading)
    if kind is SignalKind.UPDATE and reading.pair is None:
        reading.pair = update_coin(n.text)  # "⚠️ XRP sinal cancelado"
    market, market_span = find_market(
        low[:work_end], levels.leverage is not None, pair is not None and pair.perp
    )
    if kind is SignalKind.UPDATE:
        return update_result(reading, market, market_span)
    return entry_result(reading, market, market_span)


def _scan_update(low: str, pair: Pair | None, levels: Levels) -> Update | None:
    """The update the post reports; a complete entry (pair, entry, targets and stop) stays an
    entry whatever it mentions unless it reads as a results post, so the update scan is
    skipped for it: half the cost of a typical signal post."""
    if pair is not None and levels.complete and not RESULT_GATE.search(low):
        return None
    return find_update(low)


def _classify(r: Reading) -> SignalKind:
    update, lv = r.update, r.levels
    if (
        update is not None
        and update.strong
        # a complete entry with a strong hit report: a results post repeating the whole signal
        and (not lv.complete or update.type in (UpdateType.TP_HIT, UpdateType.SL_HIT))
    ):
        return SignalKind.UPDATE
    if _reads_as_entry(r):
        return SignalKind.ENTRY
    if update is not None:
        return SignalKind.UPDATE
    if r.pair is not None and r.side.side is not None and _open_call(r.n.lower):
        return SignalKind.ENTRY  # "开ETH多", "open long BTC"
    return SignalKind.OTHER


def _open_call(low: str) -> bool:
    """An open verb not asked about ("open long BTC", not "should I open a long")."""
    verb = OPEN_VERB.fast.search(low)
    if verb is None:
        return False
    return MODAL_BEFORE_RE.search(low, max(0, verb.start() - MODAL_SPAN), verb.start()) is None


def _reads_as_entry(r: Reading) -> bool:
    """A pair and two of side, entry, targets, stop (or, without a pair, labelled entry,
    targets and stop). An entry price alone only counts when a label says so ("Entry: 5");
    commentary such as "ETH could go long above 2000" has a side and a number but no trade."""
    lv = r.levels
    # an entry price read out of a sentence is no trade on its own ("Il punto di ingresso
    # ideale sarebbe stato ... a ~3.1053")
    entry_labelled = bool(lv.entry) and bool(lv.entry_word) and not lv.entry_prose
    if r.pair is None:
        # a plan that names no coin ("Điểm vào: 1.10 / Cắt lỗ: 0.865 / TP1: 1.20"): one entry,
        # every level labelled; the missing coin keeps it below the threshold
        return (
            entry_labelled
            and lv.entries_written == 1
            and lv.complete
            and lv.target_labelled
            and lv.stop_labelled
        )
    # "Eur/aud @ Sell Now 1.63260 / Take Profit: 20-50-100 Pips": at market, levels in pips
    market_call = lv.entry_market is not None and (lv.target_labelled or lv.stop_labelled)
    return (
        r.pair is not None
        and r.n_fields >= 2
        and (bool(lv.targets) or lv.stop is not None or entry_labelled or market_call)
    )
