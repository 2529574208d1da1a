"""The generic API under ``mypy --strict``: planted mistakes are reported, types are revealed.

``bad_usage.py`` marks each line mypy must flag with an ``E: code[, code]`` comment,
and the known blind spots with ``GAP: why``; ``reveal_usage.py`` must check clean
and marks each ``reveal_type`` line with ``R: type``. mypy runs once, as a
subprocess, for both files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BAD = HERE / "bad_usage.py"
REVEAL = HERE / "reveal_usage.py"

# path:line: severity: message  [code]
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*?)"
                  r"(?:  \[(?P<code>[a-z-]+)\])?$")

Report = dict[str, dict[int, list[tuple[str, str, str | None]]]]


@pytest.fixture(scope="module")
def mypy_report(request: pytest.FixtureRequest) -> Report:
    cache = request.config.cache
    cache_dir = cache.mkdir("mypy") if cache is not None else ROOT / ".mypy_cache"
    proc = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--no-pretty",
            "--show-error-codes", "--hide-error-context", "--cache-dir", str(cache_dir),
            str(BAD), str(REVEAL),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        # The editable install may be an import hook, which mypy cannot follow.
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report: Report = {BAD.name: defaultdict(list), REVEAL.name: defaultdict(list)}
    for raw in proc.stdout.splitlines():
        m = LINE.match(raw)
        assert m, f"unexpected mypy output: {raw!r}"
        name = Path(m["path"]).name
        assert name in report, f"mypy reported on another file: {raw!r}"
        report[name][int(m["line"])].append((m["severity"], m["message"], m["code"]))
    return report


def markers(path: Path, tag: str) -> dict[int, str]:
    """``{line: text after '# <tag>:'}`` for every marked line of ``path``."""
    found: dict[int, str] = {}
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        m = re.search(rf"#\s*{tag}:\s*(.+?)\s*$", text)
        if m:
            found[number] = m[1]
    return found


def errors(report: Report, name: str) -> dict[int, set[str | None]]:
    return {
        line: {code for severity, _, code in items if severity == "error"}
        for line, items in report[name].items()
        if any(severity == "error" for severity, _, _ in items)
    }


def test_planted_mistakes_are_reported(mypy_report: Report) -> None:
    expected = {line: {c.strip() for c in codes.split(",")}
                for line, codes in markers(BAD, "E").items()}
    assert len(expected) >= 10
    got = errors(mypy_report, BAD.name)
    missed = {line: codes for line, codes in expected.items() if not codes <= got.get(line, set())}
    assert not missed, f"mypy did not report (line: expected codes): {missed}; got {got}"


def test_no_error_where_none_was_planted(mypy_report: Report) -> None:
    planted = markers(BAD, "E")
    gaps = markers(BAD, "GAP")
    stray = {line: codes for line, codes in errors(mypy_report, BAD.name).items()
             if line not in planted}
    closed = {line: why for line, why in gaps.items() if line in stray}
    assert not closed, f"typing gap closed, turn '# GAP:' into '# E:' at: {closed}"
    assert not stray, f"errors on lines without a '# E:' marker: {stray}"
    assert gaps, "the known gaps are listed in bad_usage.py"


def _short(revealed: str) -> str:
    """``troupe._script.Branch[builtins.int]`` -> ``Branch[int]``."""
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", revealed)


def test_clean_code_checks_clean(mypy_report: Report) -> None:
    assert errors(mypy_report, REVEAL.name) == {}


def test_revealed_types(mypy_report: Report) -> None:
    expected = markers(REVEAL, "R")
    assert len(expected) >= 10
    got: dict[int, str] = {}
    for line, items in mypy_report[REVEAL.name].items():
        for severity, message, _ in items:
            m = re.fullmatch(r'Revealed type is "(.*)"', message)
            if severity == "note" and m:
                got[line] = _short(m[1])
    assert got == expected
