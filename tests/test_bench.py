"""``troupe bench``: figures in the right shape, every session checked, bad input refused.

No timing assertions: the figures are only checked for their fields and types.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import troupe as tp
from troupe import _baseline_asyncio, bench
from troupe.cli import main

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {"runtime": str, "workers": int, "pairs": int, "messages": int, "wall_s": float,
           "msgs_per_s": float, "peak_rss_mb": float}


def _one_json_line(out: str) -> dict[str, Any]:
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    got = json.loads(lines[0])
    assert isinstance(got, dict)
    return got


def _check_figures(got: dict[str, Any], *, count: str = "pairs") -> None:
    want = {count if k == "pairs" else k: t for k, t in FIGURES.items()}
    for key, kind in want.items():
        assert key in got, f"missing {key!r} in {got}"
        assert isinstance(got[key], kind) and not isinstance(got[key], bool), (key, got[key])
    assert got["wall_s"] > 0 and got["msgs_per_s"] > 0 and got["peak_rss_mb"] > 0
    assert got["workers"] >= 1


def _check_pingpong_compare(got: dict[str, Any], pairs: int) -> None:
    assert set(got) == {*FIGURES, "compare"}
    _check_figures(got)
    assert got["runtime"] == "inproc"
    assert got["pairs"] == pairs and got["messages"] == 63 * pairs
    base = got["compare"]
    assert set(base) == {*FIGURES, "ratio"}
    _check_figures(base)
    assert base["runtime"] == "asyncio-plain" and base["workers"] == 1
    assert base["pairs"] == pairs and base["messages"] == 63 * pairs
    assert isinstance(base["ratio"], float) and base["ratio"] > 0


def test_pingpong_compare_json_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "pingpong", "--pairs", "1000", "--compare", "asyncio", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = _one_json_line(out)
    _check_pingpong_compare(got, 1000)
    assert got["workers"] == min(bench.default_workers(), 1000)  # default: one per core


def test_pingpong_compare_json_as_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "troupe", "bench", "pingpong", "--pairs", "1000",
         "--compare", "asyncio", "--json", "--workers", "2"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    got = _one_json_line(done.stdout)
    _check_pingpong_compare(got, 1000)
    assert got["workers"] == 2


def test_pingpong_table_on_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "pingpong", "--pairs", "500", "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("pingpong (examples/pingpong.py, 30 rounds): 500 pairs x 63")
    assert out[1].split() == ["runtime", "workers", "pairs", "messages", "wall", "s",
                              "messages/s", "peak", "RSS", "MB"]
    cells = out[2].split()
    assert cells[:4] == ["inproc", "1", "500", "31,500"]


def test_rounds_change_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "pingpong", "--pairs", "300", "--rounds", "5", "--workers", "2",
                 "--json"]) == 0
    got = _one_json_line(capsys.readouterr().out)
    assert got["messages"] == 300 * (2 * 6 + 1)


@pytest.mark.parametrize(("runtime", "pairs"), [("asyncio", 200), ("threads", 20)])
def test_other_runtimes(runtime: str, pairs: int, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "pingpong", "--pairs", str(pairs), "--runtime", runtime, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = _one_json_line(out)
    _check_figures(got)
    assert (got["runtime"], got["workers"], got["messages"]) == (runtime, 1, 63 * pairs)


# -- every session is checked -------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_wrong_counters_fail_the_bench(
    workers: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = bench._pingpong_script
    monkeypatch.setattr(bench, "_pingpong_script", lambda rounds: real(rounds + 1))
    code = main(["bench", "pingpong", "--pairs", "100", "--workers", workers, "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "100 of 100 sessions failed their check" in err
    assert "alice's counter is 32 (expected 31)" in err


class Player(tp.Context):
    counter: int = 0
    games: int = 0


def _sometimes_broken_pingpong(rounds: int) -> tp.Script:
    """The example's roles and shape, but bob's first reply raises in every 7th game."""
    a, b = tp.Role("alice", Player), tp.Role("bob", Player)
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=tp.Exit)
    back = pong.branch("pong", int, next=ping)
    games = [0]

    @ping.decide
    def serve(ctx: Player) -> tp.Message:
        if ctx.counter > rounds:
            ctx.games += 1
            return stop()
        return hit(ctx.counter)

    @hit.on(b)
    def got_ping(ctx: Player, n: int) -> None:
        ctx.counter = n

    @stop.on(b)
    def got_stop(ctx: Player, _: None) -> None:
        ctx.games += 1

    @pong.decide
    def reply(ctx: Player) -> tp.Message:
        if ctx.counter == 0:
            games[0] += 1
            if games[0] % 7 == 0:
                raise RuntimeError("bob dropped the ball")
        return back(ctx.counter + 1)

    @back.on(a)
    def got_pong(ctx: Player, n: int) -> None:
        ctx.counter = n

    return tp.script("pingpong", ping)


def test_a_failed_session_fails_the_bench(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "_pingpong_script", _sometimes_broken_pingpong)
    code = main(["bench", "pingpong", "--pairs", "70", "--workers", "1"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "troupe: pingpong: 10 of 70 sessions failed their check" in err
    assert "bob dropped the ball" in err


def test_the_runner_raises_on_failed_checks() -> None:
    workload = bench.Workload("pingpong", bench._pingpong_script(30), lambda r: "always wrong")
    with pytest.raises(bench.BenchError, match="10 of 10 sessions failed"):
        bench.run_workload(workload, 10)


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["pingpong", "--pairs", "0"],
    ["pingpong", "--pairs", "-5"],
    ["pingpong", "--pairs", "many"],
    ["pingpong", "--workers", "0"],
    ["pingpong", "--workers", "100000"],
    ["pingpong", "--rounds", "-1"],
    ["pingpong", "--pairs", "1000000000"],
    ["pingpong", "--runtime", "threads", "--pairs", "5000"],
    ["pingpong", "--runtime", "asyncio", "--workers", "2"],
    ["pingpong", "--runtime", "processes"],
    ["pingpong", "--compare", "trio"],
    ["2pc", "--sessions", "0"],
    ["2pc", "--sessions", "1000000000"],
    ["2pc", "--runtime", "asyncio", "--workers", "3"],
    ["2pc", "--runtime", "threads", "--sessions", "5000"],
    ["sweep", "--max", "10"],
    ["sweep", "--workers", "0"],
    [],
])
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error:" in err


# -- 2pc and the sweep --------------------------------------------------------------


def test_2pc_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "2pc", "--sessions", "200", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = _one_json_line(out)
    assert set(got) == {"sessions" if k == "pairs" else k for k in FIGURES}
    _check_figures(got, count="sessions")
    assert got["sessions"] == 200
    # The same sessions through the public API: 6 messages an attempt.
    script, module = bench._example("two_phase_commit")
    results = tp.run_many(script, [module.default_contexts(seed=2 * i + 1) for i in range(200)])
    assert got["messages"] == sum(6 * r.context("coordinator").attempts for r in results)


def test_sweep_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "sweep", "--max", "10000", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = _one_json_line(out)["rows"]
    assert [r["pairs"] for r in rows] == [1_000, 10_000]
    assert [r["messages"] for r in rows] == [63_000, 630_000]
    for r in rows:
        _check_figures(r)
        assert isinstance(r["ns_per_msg"], float) and r["ns_per_msg"] > 0


def test_sweep_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "sweep", "--max", "2000", "--workers", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "pingpong sweep on inproc, 1 worker: 1,000, 2,000 pairs"
    assert out[1].split()[-1] == "ns/msg"
    assert [line.split()[2] for line in out[2:4]] == ["1,000", "2,000"]
    assert out[4].startswith("ns/message from ")


def test_sweep_sizes() -> None:
    assert bench.sweep_sizes() == [1_000, 10_000, 100_000, 1_000_000]
    assert bench.sweep_sizes(10_000) == [1_000, 10_000]
    assert bench.sweep_sizes(25_000) == [1_000, 10_000, 25_000]
    with pytest.raises(bench.BenchUsageError):
        bench.sweep_sizes(999)


# -- the baseline and the output ----------------------------------------------------


def test_baseline_counts_and_checks() -> None:
    messages, wall = _baseline_asyncio.run(50)
    assert messages == 50 * 63 and wall > 0
    assert _baseline_asyncio.run(10, rounds=3, window=4)[0] == 10 * 9
    with pytest.raises(ValueError, match="pairs must be >= 1"):
        _baseline_asyncio.run(0)


def test_benchmarks_script_is_the_baseline() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "asyncio_pingpong.py"), "--pairs", "100",
         "--json"], capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    got = _one_json_line(done.stdout)
    _check_figures(got)
    assert got["messages"] == 6300


def test_plain_table_aligns() -> None:
    rows = [
        bench.BenchResult(workload="pingpong", runtime="inproc", workers=2, sessions=1_000_000,
                          messages=63_000_000, wall_s=5.0, msgs_per_s=12_600_000.0,
                          peak_rss_mb=300.0),
        bench.BenchResult(workload="asyncio-plain", runtime="asyncio-plain", workers=1,
                          sessions=1_000, messages=63_000, wall_s=0.3, msgs_per_s=210_000.0,
                          peak_rss_mb=32.5),
    ]
    lines = bench.format_table(rows).splitlines()
    assert len({len(line) for line in lines}) == 1  # right-aligned numbers end together
    assert lines[1].split() == ["inproc", "2", "1,000,000", "63,000,000", "5.000",
                                "12,600,000", "300.0"]
    assert lines[2].startswith("asyncio plain ")
    line = json.loads(bench.to_json(rows[0], rows[1]))
    assert line["compare"]["ratio"] == 60.0
