"""``troupe run`` and ``troupe demo``, in-process and as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from troupe.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_run_two_phase_commit_asyncio_with_trace(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "troupe", "run", str(EXAMPLES / "two_phase_commit.py"),
         "--runtime", "asyncio", "--trace", str(trace)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "two_phase_commit on asyncio: ok" in done.stdout
    for role in ("coordinator", "alice", "bob"):
        assert f"  {role}: ok at Exit" in done.stdout
    lines = trace.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["troupe_trace"] == 1 and header["script"] == "two_phase_commit"
    events = [json.loads(x) for x in lines[1:]]
    sends = sorted((e["role"], e["peer"], e["state"], e["branch"]) for e in events
                   if e["kind"] == "send")
    receives = sorted((e["peer"], e["role"], e["state"], e["branch"]) for e in events
                      if e["kind"] == "receive")
    assert sends and sends == receives


RAISING = textwrap.dedent('''
    import troupe as tp

    class A(tp.Context):
        n: int = 0

    a, b, c = tp.Role("a", A), tp.Role("b", A), tp.Role("c", A)
    with tp.protocol("p", a, b, c):
        s = tp.state("S", a, to=[b, c])
        t = tp.state("T", b, to=[a, c])
    go = s.branch("go", int, next=t)
    back = t.branch("back", None, next=tp.Exit)

    @s.decide
    def send(ctx: A) -> tp.Message:
        return go(1)

    @go.on(b)
    def explode(ctx: A, n: int) -> None:
        raise RuntimeError("disk on fire")

    script = tp.script("boom", s)
''')


@pytest.mark.parametrize("runtime", ["inproc", "asyncio", "threads"])
def test_run_with_a_raising_handler_exits_1_and_shows_every_role(
    tmp_path: Path, runtime: str
) -> None:
    target = tmp_path / "boom.py"
    target.write_text(RAISING)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "troupe", "run", str(target), "--runtime", runtime],
        capture_output=True, text=True, timeout=60,
    )
    assert time.monotonic() - started < 30  # a guard against hanging, not a benchmark
    assert done.returncode == 1
    assert f"boom on {runtime}: FAILED" in done.stdout
    for role in ("a", "b", "c"):
        assert f"  {role}: FAILED at " in done.stdout
    assert "handler of role 'b' raised RuntimeError: disk on fire" in done.stderr


def test_run_seed_goes_to_default_contexts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "two_phase_commit.py"), "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "coordinator: ok at Exit" in out
    assert "seed=5" in out and "seed=6" in out


def test_run_seed_without_support_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "pingpong.py"), "--seed", "5"]) == 1
    assert "default_contexts() takes no seed" in capsys.readouterr().err


def test_run_rejects_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "pingpong.py"), "--timeout", "-1"]) == 2
    assert "expected a positive number of seconds, got -1" in capsys.readouterr().err


def test_run_reports_load_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "missing.py")]) == 2
    assert "cannot load" in capsys.readouterr().err


def test_demo_writes_graphs_and_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "300 rounds on inproc (seed 1)" in printed
    for name in ("graph.dot", "graph.mmd", "graph.svg", "trace.jsonl", "projection-alice.dot"):
        assert (out / name).is_file(), name
        assert str(out / name) in printed
    assert (out / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    header = json.loads((out / "trace.jsonl").read_text().splitlines()[0])
    assert header["roles"] == ["selector", "alice", "bob", "carol"]


def test_run_into_a_closed_pipe_stops_quietly() -> None:
    done = subprocess.run(
        f"{sys.executable} -m troupe run {EXAMPLES / 'random_pingpong_2pc.py'} | head -1",
        shell=True, capture_output=True, text=True, timeout=60,
    )
    assert done.stdout.startswith("random_pingpong_2pc on inproc: ok")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
