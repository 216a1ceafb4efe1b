"""The compiled parser (``services.signal_parser.native``): used only when built from the very
sources beside it, and reading every post exactly as the pure-Python modules do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from services.signal_parser import native, parse

ROOT = Path(__file__).resolve().parents[3]
DEV_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"  # beside a checkout, not in it
CORPORA = [
    *([DEV_CORPUS] if DEV_CORPUS.exists() else []),  # a clone elsewhere has only its own
    *sorted((ROOT / "tests/corpus").glob("*.jsonl")),
]

# every post of every corpus, and each of its lines alone: the readings, one per line
DUMP = """
import json, sys
from services.signal_parser import native, parse
texts = []
for name in sys.argv[1:]:
    for line in open(name, encoding="utf-8"):
        if line.strip():
            text = json.loads(line)["text"]
            texts += [text, text.upper(), *text.splitlines()]
print(native.status())
for text in texts:
    print(repr(parse(text)))
"""


def _manifest(out: Path, **changes: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sources = {n: native._digest(native.PACKAGE / f"{n}.py") for n in native.COMPILED}
    manifest = {
        "built": True,
        "suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "sources": sources,
    }
    manifest.update(changes)
    (out / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture(autouse=True)
def _switch_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.ENV_SWITCH, raising=False)


def test_a_build_of_these_sources_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    _manifest(tmp_path)
    path = ["/src"]
    assert native.status(tmp_path) == "native"
    assert native.activate(path, tmp_path)
    assert path == [str(tmp_path / "services" / "signal_parser"), "/src"]
    assert str(tmp_path) in sys.path  # mypyc's shared runtime module


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sources": {"levels": "0" * 64}}, "a source changed since the build"),
        ({"suffix": ".cpython-312-x86_64-linux-gnu.so"}, "built for another Python"),
        ({"built": False, "reason": "no C compiler"}, "the build failed: no C compiler"),
        ({"files": ["services/signal_parser/levels.so"]}, "the build is incomplete"),
    ],
)
def test_a_build_that_does_not_match_is_not_used(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    _manifest(tmp_path, **changes)
    path = ["/src"]
    assert reason in native.status(tmp_path)
    assert not native.activate(path, tmp_path)
    assert path == ["/src"]


def test_no_build_and_the_switch_mean_pure_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert native.status(tmp_path) == "pure Python (not built: make install builds it)"
    _manifest(tmp_path)
    monkeypatch.setenv(native.ENV_SWITCH, "0")
    assert native.status(tmp_path).startswith("pure Python (TSBOT_PARSER_NATIVE=0)")


def test_a_failed_build_is_recorded_and_not_retried_as_native(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(_lib: Path, _tmp: Path) -> str | None:
        raise SystemExit("error: command 'gcc' failed with exit code 1")

    monkeypatch.setattr(native, "_compile", fails)
    out = tmp_path / "native"
    assert not native.build(out)
    assert "the build failed: SystemExit: error: command 'gcc' failed" in native.status(out)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"native", "native-build.log"}  # the work directory is gone


def test_the_compiled_parser_reads_every_post_as_the_python_one() -> None:
    """The suite runs the compiled modules wherever a C compiler let `make install` build them,
    and they read the corpora (each post, upper-cased, and each line alone) exactly alike."""
    if native.has_compiler():
        assert native.status() == "native", "make install builds the compiled parser"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = {}
    for switch in ("1", "0"):
        env[native.ENV_SWITCH] = switch
        runs[switch] = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, "-c", DUMP, *map(str, CORPORA)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    assert runs["1"][0] == native.status()
    assert runs["0"][0].startswith("pure Python")
    assert len(runs["1"]) > 2000  # 2,496 from the repository's own corpora alone
    assert runs["1"][1:] == runs["0"][1:]
    with CORPORA[0].open(encoding="utf-8") as corpus:
        first = json.loads(next(line for line in corpus if line.strip()))["text"]
    assert runs["0"][1] == repr(parse(first))
