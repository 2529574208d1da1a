"""``troupe view``, ``troupe run --live`` options and ``troupe demo``'s replay page."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from troupe.cli import main

from .conftest import ROOT, Traces


def test_view_writes_the_replay_page(traces: Traces, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.html"
    assert main(["view", str(traces.two_pc), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("two_phase_commit: wrote the replay page of 1 session, ")
    assert str(out) in printed
    text = out.read_text()
    assert text.startswith("<!doctype html>") and 'id="troupe-data"' in text


def test_view_defaults_the_output_next_to_the_trace(traces: Traces, tmp_path: Path) -> None:
    trace = tmp_path / "copy.jsonl"
    trace.write_bytes(traces.two_pc.read_bytes())
    assert main(["view", str(trace)]) == 0
    assert (tmp_path / "copy.html").is_file()
    assert main(["view", str(trace), "--format", "mmd"]) == 0
    assert (tmp_path / "copy.mmd").read_text().startswith("sequenceDiagram\n")


@pytest.mark.parametrize(("fmt", "suffix", "start"),
                         [("mmd", ".mmd", "sequenceDiagram"), ("svg", ".svg", "<svg")])
def test_view_writes_the_sequence_diagram_alone(traces: Traces, tmp_path: Path, fmt: str,
                                                suffix: str, start: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"seq{suffix}"
    assert main(["view", str(traces.boom), "--format", fmt, "-o", str(out)]) == 0
    assert out.read_text().startswith(start)
    assert "sequence diagram" in capsys.readouterr().out
    by_suffix = tmp_path / f"again{suffix}"
    assert main(["view", str(traces.boom), "-o", str(by_suffix)]) == 0
    assert by_suffix.read_text() == out.read_text()


def test_view_picks_a_session_and_a_limit(traces: Traces, tmp_path: Path) -> None:
    out = tmp_path / "s7.mmd"
    assert main(["view", str(traces.many), "--session", "7", "--limit", "5", "-o", str(out)]) == 0
    text = out.read_text()
    assert "%% pingpong: session 7, 63 messages" in text
    assert text.count("->>") == 5 and "… 58 more messages not drawn" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "troupe: missing.jsonl: no such trace file"),
        (["{trace}", "-o", "x.txt"], "cannot tell what to write to 'x.txt': expected a file "
                                     "ending in .html, .htm, .mmd, .svg, got '.txt'"),
        (["{trace}", "-o", "x"], "got no suffix"),
        (["{trace}", "--format", "svg", "-o", "x.html"],
         "--format svg writes a file ending in .svg; 'x.html' has '.html'"),
        (["{bad}"], "expected a troupe trace header line, got 'not a trace"),
        (["{trace}", "--session", "9"], "no session 9; the trace has sessions 0"),
        (["{trace}", "-o", "{trace}", "--format", "html"], "writes a file ending in .html"),
        (["{trace}", "-o", "{nodir}/x.html"], "cannot write"),
    ],
)
def test_view_errors_exit_1_with_a_clear_message(
    traces: Traces, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not a trace\n")
    values = {"trace": str(traces.two_pc), "bad": str(bad), "nodir": str(tmp_path / "no" / "d")}
    argv = ["view", *(a.format(**values) for a in args)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("troupe: ") and message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: TRACE.jsonl"),
        (["t.jsonl", "--format", "png"], "invalid choice: 'png'"),
        (["t.jsonl", "--session", "x"], "expected a session number or 'all', got 'x'"),
        (["t.jsonl", "--limit", "-1"], "expected a number >= 0, got -1"),
    ],
)
def test_view_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                  message: str) -> None:
    assert main(["view", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--live", "70000"], "argument --live: expected a port number 0-65535, got 70000"),
        (["--live", "x"], "argument --live: expected a port number 0-65535, got 'x'"),
        (["--live-linger", "-1"], "expected a number of seconds >= 0, got -1"),
    ],
)
def test_run_live_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                      message: str) -> None:
    target = str(ROOT / "examples" / "pingpong.py")
    assert main(["run", target, *args]) == 2
    assert message in capsys.readouterr().err


def test_run_live_on_a_port_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["run", str(ROOT / "examples" / "pingpong.py"), "--live", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"troupe: cannot serve the live view on 127.0.0.1:{port}: " in err


def test_run_live_finishes_and_still_writes_the_trace(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "troupe", "run", str(ROOT / "examples" / "two_phase_commit.py"),
         "--runtime", "asyncio", "--live", "--live-linger", "0", "--trace", str(trace)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^live view: http://127\.0\.0\.1:\d+/$", done.stdout, re.M)
    assert "two_phase_commit on asyncio: ok" in done.stdout
    lines = trace.read_text().splitlines()
    assert json.loads(lines[0])["script"] == "two_phase_commit" and len(lines) > 50


def test_demo_writes_the_replay_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    page = out / "replay.html"
    assert page.is_file() and str(page) in printed
    assert f"replay: open {page} in a browser" in printed
    assert '"script":"random_pingpong_2pc"' in page.read_text()
