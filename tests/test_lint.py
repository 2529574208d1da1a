"""mypy --strict on the package and ruff on the tree are part of the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_mypy_strict_on_the_package() -> None:
    done = _run("mypy", "--strict", "src/troupe")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_check() -> None:
    done = _run("ruff", "check", "src", "tests", "benchmarks", "examples")
    assert done.returncode == 0, done.stdout + done.stderr
