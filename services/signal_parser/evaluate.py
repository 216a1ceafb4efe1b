"""``tsbot parse --eval``: score the parser on a labelled corpus file (the one comparer).

A labelled file is JSONL in the corpus format of ``../shared/corpus/README.md``: one
``{"id", "source", "text", "label": {...}}`` per line. ``compare`` is the only place that decides
whether a reading matches a label; the corpus tests and the CLI both use it.

Scoring rules (invariants the figures rely on):
- Numbers are compared by value (labels are JSON numbers, readings are Decimals as written);
  float noise in a label (``10.713000000000001``) does not count as a difference.
- Posts labelled ``ambiguous`` are counted but never scored strictly: they are left out of
  "entries fully right", the per-field figures and the update-type figures. Updates marked
  ``update_type_disputed`` are left out of the update-type figure only.
- A false entry is any post not labelled ``entry`` (ambiguous or not) that is read as one.
- A wrong entry reading is an unambiguous entry post not fully right, or a false entry; the
  confidence figures are about those, measured on the rules' own confidence (the number that
  decides whether the model is asked).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TextIO

from services.signal_parser.cli import dumps, to_output_dict
from services.signal_parser.model import ParseResult

ENTRY_FIELDS: Final = (
    "kind",
    "base",
    "quote",
    "side",
    "market",
    "entry",
    "targets",
    "stop_loss",
    "leverage",
)
BANDS: Final = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
_TOLERANCE: Final = Decimal("1e-12")

Parse = Callable[[str], ParseResult]
Improve = Callable[[str, ParseResult], Awaitable[ParseResult]]


class LabelFileError(ValueError):
    """A labelled file that cannot be read (the message names the line)."""


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled post of a corpus file."""

    id: str
    text: str
    label: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.label["kind"])

    @property
    def ambiguous(self) -> bool:
        return bool(self.label.get("ambiguous"))

    @property
    def scored_update(self) -> bool:
        """An update whose type both readers agreed on (scored in the update-type figure)."""
        return (
            self.kind == "update"
            and not self.ambiguous
            and not self.label.get("update_type_disputed")
        )


def load_labels(path: Path) -> list[Labelled]:
    """Read a labelled JSONL file; raises ``LabelFileError`` naming the first bad line."""
    out: list[Labelled] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line, parse_float=Decimal)
                label = item["label"]
                out.append(Labelled(str(item["id"]), str(item["text"]), dict(label)))
                if label["kind"] not in ("entry", "update", "other"):
                    raise ValueError(f"unknown kind {label['kind']!r}")
            except (ValueError, KeyError, TypeError) as exc:
                raise LabelFileError(f"{path}:{lineno}: {exc}") from exc
    return out


def _same(got: Any, want: Any) -> bool:
    """Equal by the corpus conventions: numbers by value, lists item by item."""
    if isinstance(got, list | tuple) and isinstance(want, list | tuple):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want, strict=True))
    numeric = (int, float, Decimal)
    if (
        isinstance(got, numeric)
        and isinstance(want, numeric)
        and not isinstance(got, bool)
        and not isinstance(want, bool)
    ):
        a, b = Decimal(str(got)), Decimal(str(want))
        return abs(a - b) <= _TOLERANCE * max(abs(a), abs(b), Decimal(1))
    return bool(got == want)


def compare(result: ParseResult, label: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields where ``result`` differs from ``label``: ``{field: (got, want)}``.

    An entry label is compared on every entry field; an update label on kind, coin, update
    type and target number; an ``other`` label on kind only.
    """
    got = to_output_dict(result)
    kind = label["kind"]
    if kind == "entry":
        names: tuple[str, ...] = ENTRY_FIELDS
    elif kind == "update":
        names = ("kind", "base")
    else:
        names = ("kind",)
    misses = {f: (got[f], label.get(f)) for f in names if not _same(got[f], label.get(f))}
    if kind == "update":
        want = label.get("update") or {}
        have = got["update"] or {}
        for key, name in (("type", "update_type"), ("target_index", "target_index")):
            if have.get(key) != want.get(key):
                misses[name] = (have.get(key), want.get(key))
    return misses


@dataclass(slots=True)
class Scored:
    """One post's outcome."""

    post: Labelled
    result: ParseResult
    rules_confidence: float
    misses: dict[str, tuple[Any, Any]]
    sent_to_model: bool = False
    rules_misses: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def read_as_entry(self) -> bool:
        return self.result.kind.value == "entry"

    @property
    def false_entry(self) -> bool:
        return self.post.kind != "entry" and self.read_as_entry

    @property
    def scored_entry(self) -> bool:
        return self.post.kind == "entry" and not self.post.ambiguous

    @property
    def wrong_entry(self) -> bool:
        """A wrong entry reading: a scored entry not fully right, or a false entry."""
        return (self.scored_entry and bool(self.misses)) or self.false_entry

    @property
    def update_type_right(self) -> bool:
        return "update_type" not in self.misses and "target_index" not in self.misses


async def score(
    posts: Iterable[Labelled],
    parse: Parse,
    *,
    improve: Improve | None = None,
    threshold: float = 0.6,
) -> list[Scored]:
    """Read every post with ``parse``; below ``threshold`` ask ``improve`` (the model) too.

    ``improve`` failures keep the rules reading, as ``ai.parse_with_fallback`` does.
    """
    out: list[Scored] = []
    for post in posts:
        rules = parse(post.text)
        rules_misses = compare(rules, post.label)
        final, sent = rules, False
        if improve is not None and rules.confidence < threshold:
            sent = True
            try:
                final = await improve(post.text, rules)
            except Exception:  # the fallback is optional: a failure keeps the rules reading
                final = rules
        misses = rules_misses if final is rules else compare(final, post.label)
        out.append(Scored(post, final, rules.confidence, misses, sent, rules_misses))
    return out


@dataclass(frozen=True, slots=True)
class Ratio:
    """``hit`` of ``of``; ``share`` is 1.0 for an empty set (nothing to get wrong)."""

    hit: int
    of: int

    @property
    def share(self) -> float:
        return self.hit / self.of if self.of else 1.0

    def __str__(self) -> str:
        return f"{self.hit}/{self.of} ({self.share:.1%})" if self.of else "0/0 (-)"


@dataclass(frozen=True, slots=True)
class Band:
    """Entry readings (scored entry posts and posts read as entries) in one confidence band."""

    low: float
    high: float
    right: int
    wrong: int


@dataclass(frozen=True, slots=True)
class Report:
    """The figures ``tsbot parse --eval`` prints (see the module docstring for the rules)."""

    posts: int
    kinds: dict[str, int]
    ambiguous: int
    kind_right: Ratio
    entries_right: Ratio
    fields: dict[str, Ratio]
    update_types: Ratio
    false_entries: int
    bands: tuple[Band, ...]
    threshold: float
    wrong_below: Ratio
    right_above: Ratio
    wrong_above_of_entries: Ratio
    sent_to_model: int
    fixed_by_model: int
    broken_by_model: int


def _in_band(confidence: float, low: float, high: float) -> bool:
    return low <= confidence < high or (high == BANDS[-1] and confidence == high)


def summarise(scored: list[Scored], threshold: float = 0.6) -> Report:
    """The figures over ``scored`` (from ``score``)."""
    clear = [s for s in scored if not s.post.ambiguous]
    entries = [s for s in scored if s.scored_entry]
    updates = [s for s in scored if s.post.scored_update]
    readings = [s for s in scored if s.scored_entry or s.false_entry]
    wrong = [s for s in readings if s.wrong_entry]
    right = [s for s in entries if not s.misses]
    kinds: dict[str, int] = {}
    for s in scored:
        kinds[s.post.kind] = kinds.get(s.post.kind, 0) + 1
    bands = tuple(
        Band(
            low,
            high,
            right=sum(
                1
                for s in readings
                if not s.wrong_entry and _in_band(s.rules_confidence, low, high)
            ),
            wrong=sum(1 for s in wrong if _in_band(s.rules_confidence, low, high)),
        )
        for low, high in zip(BANDS, BANDS[1:], strict=False)
    )
    return Report(
        posts=len(scored),
        kinds=kinds,
        ambiguous=len(scored) - len(clear),
        kind_right=Ratio(sum(1 for s in clear if "kind" not in s.misses), len(clear)),
        entries_right=Ratio(len(right), len(entries)),
        fields={
            f: Ratio(sum(1 for s in entries if f not in s.misses), len(entries))
            for f in ENTRY_FIELDS
        },
        update_types=Ratio(sum(1 for s in updates if s.update_type_right), len(updates)),
        false_entries=sum(1 for s in scored if s.false_entry),
        bands=bands,
        threshold=threshold,
        wrong_below=Ratio(sum(1 for s in wrong if s.rules_confidence < threshold), len(wrong)),
        right_above=Ratio(sum(1 for s in right if s.rules_confidence >= threshold), len(right)),
        wrong_above_of_entries=Ratio(
            sum(1 for s in wrong if s.rules_confidence >= threshold), len(entries)
        ),
        sent_to_model=sum(1 for s in scored if s.sent_to_model),
        fixed_by_model=sum(1 for s in clear if s.rules_misses and not s.misses),
        broken_by_model=sum(1 for s in clear if not s.rules_misses and s.misses),
    )


def render(report: Report, *, with_model: bool) -> list[str]:
    """The report as text lines."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.kinds.items()))
    lines = [
        f"posts: {report.posts} ({kinds}; {report.ambiguous} ambiguous, not scored strictly)",
        f"kind right: {report.kind_right}",
        f"entry posts fully right: {report.entries_right}",
        "per field: " + ", ".join(f"{f} {r.share:.0%}" for f, r in report.fields.items()),
        f"update types right: {report.update_types}",
        f"false entries: {report.false_entries}",
        "confidence bands (entry readings, rules confidence): "
        + ", ".join(
            f"[{b.low:.1f}-{b.high:.1f}{']' if b.high == BANDS[-1] else ')'} "
            f"{b.right} right / {b.wrong} wrong"
            for b in report.bands
            if b.right or b.wrong
        ),
        f"wrong entries below threshold {report.threshold}: {report.wrong_below}",
        f"right entries at or above it: {report.right_above}",
        f"wrong entries at or above it, of all entry posts: {report.wrong_above_of_entries}",
    ]
    if with_model:
        lines.append(
            f"model: {report.sent_to_model} posts sent, {report.fixed_by_model} fixed, "
            f"{report.broken_by_model} made wrong"
        )
    return lines


def render_misses(scored: list[Scored], limit: int) -> list[str]:
    """Up to ``limit`` posts read wrongly, each with the fields that differ."""
    lines: list[str] = []
    wrong = [s for s in scored if (s.misses and not s.post.ambiguous) or s.false_entry]
    for s in wrong[:limit]:
        head = f"{s.post.id} [{s.post.kind}, conf {s.rules_confidence:.2f}]"
        if s.sent_to_model:
            head += f" (model: {s.result.parser})"
        lines.append(head)
        lines.extend(f"    {f}: got {dumps(g)} want {dumps(w)}" for f, (g, w) in s.misses.items())
    if len(wrong) > limit:
        lines.append(f"... {len(wrong) - limit} more")
    return lines


async def run_eval(
    path: Path,
    out: TextIO,
    *,
    parse: Parse,
    improve: Improve | None = None,
    threshold: float = 0.6,
    show: int = 0,
    min_exact: float | None = None,
) -> int:
    """Print the report for the labelled file at ``path``.

    Returns 0, or 1 when entry posts fully right fall under ``min_exact`` (a fraction, or a
    percentage when above 1), or 2 when the file cannot be read.
    """
    try:
        posts = load_labels(path)
    except (OSError, LabelFileError) as exc:
        print(f"tsbot parse --eval: {exc}", file=sys.stderr)
        return 2
    scored = await score(posts, parse, improve=improve, threshold=threshold)
    report = summarise(scored, threshold)
    lines = render(report, with_model=improve is not None)
    if show:
        lines += ["", "misses:", *render_misses(scored, show)]
    out.write("\n".join(lines) + "\n")
    if min_exact is None:
        return 0
    floor = min_exact / 100 if min_exact > 1 else min_exact
    if report.entries_right.share < floor:
        out.write(f"entry posts fully right {report.entries_right.share:.1%} < {floor:.1%}\n")
        return 1
    return 0
