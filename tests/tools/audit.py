"""Known vulnerabilities in the pinned dependencies (threat T13): ``make audit``.

Runs ``pip-audit`` over ``requirements.lock`` (every installed package, pinned; ``make
install`` installs with it as constraints, so the audit checks what runs). A vulnerability in
the stack that serves the webhook to the internet (aiohttp and the libraries it parses requests
with, aiogram) fails the build; one elsewhere is printed as a warning to act on. When the
vulnerability service cannot be reached, that is said and the build goes on: an outage of
PyPI is not a finding about our code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
# What parses untrusted HTTP from the internet in webhook mode (aiohttp's server and its
# parsers, aiogram's webhook handler): a known hole here fails the build.
WEBHOOK_STACK: Final = frozenset(
    {
        "aiohttp",
        "aiogram",
        "yarl",
        "multidict",
        "frozenlist",
        "aiosignal",
        "propcache",
        "attrs",
        "aiohappyeyeballs",
        "idna",
    }
)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        done = subprocess.run(  # noqa: S603 - a fixed command on our own lock file
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--requirement",
                str(LOCK),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if not report.exists():
            why = done.stderr.strip()[-300:]
            print(f"audit: the vulnerability service could not be asked ({why}); going on")
            return 0
        found = json.loads(report.read_text())
    failing, warned = [], []
    for dep in found.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or ["nothing yet"])
            line = f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})"
            (failing if dep["name"].lower() in WEBHOOK_STACK else warned).append(line)
    for line in warned:
        print(f"audit warning: {line}")
    for line in failing:
        print(f"audit FAILED (webhook stack): {line}")
    print(
        f"audit: {len(found.get('dependencies', []))} pinned packages checked, "
        f"{len(failing)} webhook-stack and {len(warned)} other known vulnerabilities"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
