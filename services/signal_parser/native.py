"""The parser's hot modules compiled by mypyc: the build, and the choice made at import.

Owns ``build`` (``python -m services.signal_parser.native``, run by ``make install`` whenever a
parser source changed) and ``activate`` (called by the package before it imports a module).
The compiled modules are the same Python sources turned into C by mypyc, the compiler mypy
and black ship with: rules and results are unchanged, a post is read about 1.3x faster
(``bench/parser.py``, see docs/PERFORMANCE.md).

Invariants:
- A compiled module runs only while it was built from the very source beside it: ``build``
  records each source's SHA-256 and the interpreter's extension suffix in a manifest, and
  ``activate`` compares them at every start. An edited source, another Python, a missing or
  failed build (no C compiler) or ``TSBOT_PARSER_NATIVE=0`` means the pure-Python modules.
- The build never breaks an install: a failure is reported and the manifest says so, so the
  next ``make`` does not retry until a source changes.
- Nothing is written beside the sources: everything goes under ``build/native`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, MutableSequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parent
ROOT: Final = PACKAGE.parents[1]
OUT: Final = ROOT / "build" / "native"
MANIFEST: Final = "manifest.json"
# the modules a parse runs through (the lexicon tables, the model, the AI fallback and the
# CLI stay Python: data, a mypyc limitation with the model's field tuple, and cold paths)
COMPILED: Final = (
    "entries",
    "keywords",
    "labels",
    "leads",
    "levels",
    "normalize",
    "pairs",
    "prices",
    "results",
    "rules",
    "sides",
    "update_gates",
    "update_patterns",
    "updates",
)
# mypyc and the C compiler at -O1: as fast a parser as -O3 here (12,300 posts/s), built in 40 s
# instead of 63
OPT_LEVEL: Final = "1"
ENV_SWITCH: Final = "TSBOT_PARSER_NATIVE"  # "0": always the pure-Python modules


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sources() -> dict[str, str]:
    return {name: _digest(PACKAGE / f"{name}.py") for name in COMPILED}


def _suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX"))


def has_compiler() -> bool:
    """Whether the C compiler this Python was built with is on PATH (the build needs it)."""
    return shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is not None


def status(out: Path = OUT) -> str:
    """Why the compiled modules are used or not: "native", or the reason they are not."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return f"pure Python ({ENV_SWITCH}=0)"
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "pure Python (not built: make install builds it)"
    if not manifest.get("built"):
        return f"pure Python (the build failed: {manifest.get('reason', 'unknown')})"
    if manifest.get("suffix") != _suffix():
        return "pure Python (built for another Python)"
    if manifest.get("sources") != _sources():
        return "pure Python (a source changed since the build: make install rebuilds it)"
    if not all((out / name).is_file() for name in manifest.get("files", [])):
        return f"pure Python (the build is incomplete: remove {out} and run make install)"
    return "native"


def activate(path: MutableSequence[str], out: Path = OUT) -> bool:
    """Put the compiled modules ahead of the sources on the package's ``__path__`` when they
    match them (see the module); True when they will be used."""
    if status(out) != "native":
        return False
    if str(out) not in sys.path:
        sys.path.append(str(out))  # mypyc's shared runtime module lives at the build's top
    path.insert(0, str(out / PACKAGE.relative_to(ROOT)))
    return True


def build(out: Path = OUT) -> bool:
    """Compile ``COMPILED`` into ``out``, replaced whole by the new build or, when it failed,
    by the manifest saying why (an older build matches no changed source anyway). True when
    the compiled modules were built."""
    sources = _sources()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="native-", dir=out.parent))
    try:
        with _output_to(out.parent / "native-build.log"):
            reason = _compile(work / "lib", work / "tmp")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - setuptools exits on a failed compile
        reason = f"{type(exc).__name__}: {exc}"
    built = reason is None
    lib = work / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    files = sorted(str(f.relative_to(lib)) for f in lib.rglob(f"*{_suffix()}"))
    manifest = {"built": built, "suffix": _suffix(), "sources": sources, "files": files}
    if not built:
        manifest["reason"] = str(reason)[-300:]
    (lib / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    lib.rename(out)
    shutil.rmtree(work, ignore_errors=True)
    return built


@contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """mypyc's warnings and every compiler command (child processes too) go to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _compile(lib: Path, tmp: Path) -> str | None:
    """Run mypyc and the C compiler; None on success, else why not."""
    if not has_compiler():
        return "no C compiler (install gcc to get the faster parser)"
    from mypyc.build import mypycify  # the dev tools' mypy: only the build needs it
    from setuptools import setup  # type: ignore[import-untyped] # setuptools ships no stubs

    paths = [str((PACKAGE / f"{name}.py").relative_to(ROOT)) for name in COMPILED]
    cwd = Path.cwd()
    os.chdir(ROOT)  # mypyc names modules by their path from here and reads pyproject's config
    # its own mypy cache: `make test` runs the build beside the lint's mypy
    cache = os.environ.get("MYPY_CACHE_DIR")
    os.environ["MYPY_CACHE_DIR"] = str(tmp / "mypy-cache")
    try:
        modules = mypycify(paths, opt_level=OPT_LEVEL, target_dir=str(tmp / "c"), multi_file=True)
        setup(
            name="tsbot-native-parser",
            ext_modules=modules,
            script_args=[
                "build_ext",
                "--build-lib",
                str(lib),
                "--build-temp",
                str(tmp),
                "--parallel",
                str(os.cpu_count() or 1),
            ],
        )
    finally:
        os.chdir(cwd)
        if cache is None:
            del os.environ["MYPY_CACHE_DIR"]
        else:
            os.environ["MYPY_CACHE_DIR"] = cache
    missing = [
        n for n in COMPILED if not (lib / PACKAGE.relative_to(ROOT) / f"{n}{_suffix()}").exists()
    ]
    return f"mypyc built no module for {', '.join(missing)}" if missing else None


def main() -> int:
    built = build()
    note = (
        "" if built else f" (the parser works, only slower; see {OUT.parent / 'native-build.log'})"
    )
    print(f"signal parser: {status()}{note}")
    return 0
