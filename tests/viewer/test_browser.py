"""The replay page in a real browser: headless Debian Chromium, driven by Playwright.

Each test opens a page made from a real trace, works its controls as a person
would (click, select, keys) and reads ``window.troupeViewer`` and the DOM.
Screenshots are kept under ``test-artifacts/viewer/``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import troupe.viewer as viewer

from .conftest import SLOW, Traces

READY = "document.body.dataset.ready === '1'"
STATE = """() => { const v = window.troupeViewer; return {
  t: v.currentTime, start: v.startTime, total: v.totalTime, playing: v.playing,
  frames: v.frames, dots: v.dots, drawn: v.drawnDots, inFlight: v.inFlight,
  highlighted: v.highlighted, session: v.session, messages: v.messages, events: v.events,
  failures: v.failures, live: v.live, graph: v.graph, graphReady: v.graphReady }; }"""


def open_page(page: Any, target: str | Path) -> dict[str, Any]:
    url = target if isinstance(target, str) else target.resolve().as_uri()
    page.goto(url)
    page.wait_for_function(READY, timeout=30_000)
    state: dict[str, Any] = page.evaluate(STATE)
    return state


def write_page(model: viewer.TraceModel, path: Path, **kw: Any) -> Path:
    path.write_text(viewer.replay_html(model, **kw), encoding="utf-8")
    return path


def test_play_moves_messages_lights_states_and_ends_at_exit(
    page: Any, traces: Traces, tmp_path: Path, artifacts: Path
) -> None:
    model = viewer.load_trace(traces.two_pc)
    s0 = open_page(page, write_page(model, tmp_path / "2pc.html"))
    # roles, labels and controls
    for sel in ("#play", "#restart", "#speed", "#timeline", "#clock", "#session", "#graph-view",
                "#stage", "#seq"):
        assert page.locator(sel).is_visible(), sel
    assert page.evaluate("troupeViewer.roles") == ["coordinator", "alice", "bob"]
    legend = page.inner_text("#legend")
    assert all(r in legend for r in ("coordinator", "alice", "bob"))
    graph_text = page.inner_text(".graph-pane[data-graph=global]")
    for label in ("[0] Begin", "[3] Check", "Exit", "commit", "abort", "retry", "vote"):
        assert label in graph_text, label
    assert s0["graphReady"] and s0["t"] == s0["start"] and not s0["playing"]
    assert page.inner_text("#total").endswith("ms")
    now0 = page.inner_text("#now")

    page.click("#play")
    assert page.get_attribute("#play", "data-state") == "playing"
    page.wait_for_function("troupeViewer.dots.length > 0", timeout=10_000)
    first = page.evaluate("troupeViewer.dots")[0]
    assert first["label"] in {"begin", "vote", "retry", "commit", "abort"}
    page.wait_for_timeout(150)
    later = [d for d in page.evaluate("troupeViewer.dots") if d["message"] == first["message"]]
    moved = not later or (later[0]["x"], later[0]["y"]) != (first["x"], first["y"])
    assert moved, "the message dot did not move"
    page.wait_for_timeout(1200)
    s1 = page.evaluate(STATE)
    assert s1["t"] > s0["t"] and page.inner_text("#now") != now0
    assert s1["frames"] > s0["frames"] + 20
    assert s1["highlighted"] != s0["highlighted"]
    lit = page.locator(".graph-pane[data-graph=global] g.node.lit")
    assert lit.count() >= 1 and lit.first.get_attribute("data-roles")
    page.screenshot(path=str(artifacts / "two_phase_commit-playing.png"))

    # scrub to the end: every role at Exit
    page.focus("#timeline")
    page.keyboard.press("End")
    page.wait_for_function("troupeViewer.currentTime === troupeViewer.totalTime")
    page.wait_for_timeout(100)
    end = page.evaluate(STATE)
    assert end["highlighted"] == {"coordinator": "Exit", "alice": "Exit", "bob": "Exit"}
    exit_node = page.locator(".graph-pane[data-graph=global] g.node[data-state=Exit]")
    assert "lit" in (exit_node.get_attribute("class") or "")
    assert sorted((exit_node.get_attribute("data-roles") or "").split()) == [
        "alice", "bob", "coordinator"]
    assert page.inner_text("#now") == page.inner_text("#total")
    page.screenshot(path=str(artifacts / "two_phase_commit-end.png"))

    # restart goes back to the start
    page.click("#restart")
    assert page.evaluate("troupeViewer.currentTime") == end["start"]


def test_the_role_selector_shows_that_roles_projection(
    page: Any, traces: Traces, tmp_path: Path
) -> None:
    open_page(page, write_page(viewer.load_trace(traces.two_pc), tmp_path / "2pc.html"))
    page.select_option("#graph-view", "alice")
    assert page.evaluate("troupeViewer.graph") == "alice"
    assert page.locator(".graph-pane[data-graph=global]").is_hidden()
    pane = page.locator(".graph-pane[data-graph=alice]")
    text = pane.inner_text()
    for line in ("RECEIVE from coordinator", "SEND to {coordinator}", "SKIP"):
        assert line in text, line
    assert "SEND" in page.inner_text("#legend")
    page.evaluate("troupeViewer.seek(troupeViewer.totalTime)")
    page.wait_for_timeout(100)
    lit = pane.locator("g.node.lit")
    assert lit.count() == 1 and lit.get_attribute("data-roles") == "alice"


def test_without_graphviz_the_browser_lays_the_graphs_out(
    page: Any, traces: Traces, tmp_path: Path
) -> None:
    model = viewer.load_trace(traces.showcase)
    open_page(page, write_page(model, tmp_path / "browser.html", layout="browser"))
    page.wait_for_function("troupeViewer.graphReady", timeout=20_000)
    assert page.evaluate("troupeViewer.graphEngine") == "browser"
    nodes = page.locator(".graph-pane[data-graph=global] g.node[data-state]")
    assert nodes.count() == len(model.header.states)
    page.evaluate("troupeViewer.seek(troupeViewer.startTime + 0.05)")
    page.wait_for_timeout(100)
    assert page.locator(".graph-pane[data-graph=global] g.node.lit").count() >= 1


def test_a_failed_run_shows_its_failures(
    page: Any, traces: Traces, tmp_path: Path, artifacts: Path
) -> None:
    open_page(page, write_page(viewer.load_trace(traces.boom), tmp_path / "boom.html"))
    assert page.locator("#failures-card").is_visible()
    text = page.inner_text("#failures")
    assert "session 0 · b failed at S" in text and "disk on fire" in text
    assert "FAILED" in page.inner_text("#status")
    assert "failed" in (page.get_attribute("#status", "class") or "")
    assert "failed" in page.inner_text("#session")
    page.click("#failures li >> nth=0")                 # a failure seeks to its time
    failures = page.evaluate("troupeViewer.failures")
    assert [f["role"] for f in failures] == ["a", "b", "c"]
    assert page.evaluate("troupeViewer.currentTime") == failures[0]["t"]
    page.evaluate("troupeViewer.seek(troupeViewer.totalTime)")
    page.wait_for_timeout(100)
    assert page.locator(".graph-pane[data-graph=global] g.node.failed").count() >= 1
    page.screenshot(path=str(artifacts / "boom-failed.png"))


def test_a_100k_event_trace_opens_and_plays_smoothly(
    page: Any, traces: Traces, tmp_path: Path, artifacts: Path
) -> None:
    model = viewer.load_trace(traces.many)
    assert len(model.events) >= 100_000
    path = write_page(model, tmp_path / "many.html", session="all")
    started = time.monotonic()
    s0 = open_page(page, path)
    assert time.monotonic() - started < 15, "the page took too long to open"
    assert s0["events"] == len(model.events) and s0["session"] == "all"
    page.select_option("#speed", "64")
    page.click("#play")
    page.wait_for_timeout(500)
    worst = 0.0
    frames = []
    for _ in range(6):
        t = time.monotonic()
        frames.append(page.evaluate("troupeViewer.frames"))
        worst = max(worst, time.monotonic() - t)
        page.wait_for_timeout(200)
    assert worst < 0.25, f"a round trip to the page took {worst:.3f} s while playing"
    assert frames[-1] - frames[0] >= 20, f"frames: {frames}"
    page.evaluate("troupeViewer.seek(troupeViewer.startTime"
                  " + (troupeViewer.totalTime - troupeViewer.startTime) / 2)")
    page.wait_for_timeout(200)
    mid = page.evaluate(STATE)
    assert mid["playing"] and mid["inFlight"] > 50
    assert 0 < mid["drawn"] <= 250
    assert page.evaluate("document.querySelectorAll('*').length") < 2000  # nothing per event
    page.screenshot(path=str(artifacts / "pingpong-420-sessions.png"))
    # one session of many
    page.select_option("#session", "5")
    one = page.evaluate(STATE)
    assert one["session"] == 5 and one["messages"] == 63
    page.evaluate("troupeViewer.seek(troupeViewer.totalTime)")
    page.wait_for_timeout(100)
    assert page.evaluate("troupeViewer.highlighted") == {"alice": "Exit", "bob": "Exit"}


def test_the_showcase_replays_with_notifications(
    page: Any, traces: Traces, tmp_path: Path, artifacts: Path
) -> None:
    model = viewer.load_trace(traces.showcase)
    open_page(page, write_page(model, tmp_path / "showcase.html"))
    assert page.evaluate("troupeViewer.roles") == ["selector", "alice", "bob", "carol"]
    first = next(m for m in model.messages if m.kind == "notify")
    page.evaluate(f"troupeViewer.seek({first.start - 0.00002})")
    page.click("#play")
    page.wait_for_function("troupeViewer.dots.some(d => d.notify)", timeout=10_000)
    note = next(d for d in page.evaluate("troupeViewer.dots") if d["notify"])
    assert (note["from"], note["to"]) == (first.sender, first.receiver)
    assert note["label"] is None or note["label"].startswith("notify → ")
    page.screenshot(path=str(artifacts / "random_pingpong_2pc.png"))


def test_the_live_view_shows_events_as_they_arrive(
    page: Any, traces: Traces, artifacts: Path
) -> None:
    script = traces.script("slow", SLOW)
    proc = subprocess.Popen(
        [sys.executable, "-m", "troupe", "run", str(script), "--runtime", "threads",
         "--live", "--live-linger", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("live view: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        open_page(page, url)
        page.wait_for_function("troupeViewer.events > 0", timeout=10_000)
        early = page.evaluate(STATE)
        assert proc.poll() is None, "the run was over before the page saw its first events"
        assert early["live"]["connected"] and not early["live"]["done"]
        assert "live" in page.inner_text("#status")
        page.wait_for_function("troupeViewer.live.done", timeout=20_000)
        done = page.evaluate(STATE)
        assert done["live"]["ok"] is True and done["events"] > early["events"]
        assert done["messages"] == 17                      # 8 pings, 8 pongs, a stop
        assert "finished · ok" in page.inner_text("#status")
        page.evaluate("troupeViewer.seek(troupeViewer.totalTime)")
        page.wait_for_timeout(100)
        assert page.evaluate("troupeViewer.highlighted") == {"alice": "Exit", "bob": "Exit"}
        page.screenshot(path=str(artifacts / "live.png"))
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "slow on threads: ok" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
