"""The README's code is real: its tutorial runs and its commands match .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

import troupe as tp

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_the_pingpong_tutorial_runs() -> None:
    first = _blocks("python")[0]
    assert "tp.script(\"pingpong\"" in first
    namespace: dict[str, object] = {"__name__": "readme_tutorial"}
    exec(compile(first, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert isinstance(result, tp.Result)
    assert result.ok
    assert result.context("alice").counter == 31


def test_ci_runs_the_readme_test_command() -> None:
    commands = [b.strip() for b in _blocks("sh")]
    assert len(commands) == 2, "the quick start has exactly two commands"
    demo, tests = commands
    assert demo.endswith("troupe demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
