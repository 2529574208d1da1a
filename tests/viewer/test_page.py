"""The replay page as a file: self-contained, its data readable, its vendored code pinned."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

import troupe.viewer as viewer
from troupe.viewer import _graph

from .conftest import ROOT, Traces

VENDOR = ROOT / "src" / "troupe" / "viewer" / "vendor" / "viz-js"


def data_of(page: str) -> dict:
    found = re.search(r'<script id="troupe-data" type="application/json">(.*?)</script>', page,
                      re.S)
    assert found, "the page has no data"
    return json.loads(found.group(1))


def test_the_page_is_self_contained(traces: Traces) -> None:
    page = viewer.replay_html(viewer.load_trace(traces.two_pc))
    # nothing is loaded from elsewhere: no src/href to a URL, no imports, no fetches
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "fetch(" not in page
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    # the data and the viewer, and Viz.js when Graphviz did not lay the graphs out here
    assert len(scripts) == (2 if shutil.which("dot") else 3)
    assert "<script" not in "".join(scripts)
    data = data_of(page)
    assert data["version"] == 1 and data["live"] is None
    assert data["header"]["roles"] == ["coordinator", "alice", "bob"]
    assert data["graphs"]["engine"] == ("graphviz" if shutil.which("dot") else "browser")


def test_the_page_data_holds_every_event_and_each_roles_actions(traces: Traces) -> None:
    model = viewer.load_trace(traces.showcase)
    data = data_of(viewer.replay_html(model, session="all"))
    assert len(data["events"]["t"]) == len(model.events)
    assert data["session"] == "all"
    ping1 = next(s for s in data["header"]["states"] if s["name"] == "Ping[1]")
    assert ping1["actions"] == ["wait", "send", "receive", "wait"]
    assert set(data["graphs"]["svgs"] or data["graphs"]["dots"]) == {"", *model.header.roles}


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz (install-system.sh)")
def test_graphviz_lays_out_every_graph_with_state_titles(traces: Traces) -> None:
    layout = viewer.layout(viewer.load_trace(traces.showcase).header, "graphviz")
    assert layout.engine == "graphviz" and set(layout.svgs) == {"", "selector", "alice", "bob",
                                                                 "carol"}
    svg = layout.svgs[""]
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!--" not in svg
    assert not re.match(r'<svg[^>]*\swidth="', svg)
    titles = re.findall(r"<title>(s\d+)</title>", svg)
    assert sorted(titles, key=lambda t: int(t[1:])) == [f"s{i}" for i in range(14)]
    carol = layout.svgs["carol"]
    assert "WAIT for alice" in carol and "<title>s2</title>" not in carol  # Pong[1] waited out


def test_without_graphviz_the_page_carries_viz_js(traces: Traces,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_graph.shutil, "which", lambda name: None)
    page = viewer.replay_html(viewer.load_trace(traces.two_pc))
    data = data_of(page)
    assert data["graphs"]["engine"] == "browser" and data["graphs"]["svgs"] == {}
    assert data["graphs"]["dots"][""].startswith('digraph "two_phase_commit"')
    assert f"Viz.js {viewer.VIZ_JS_VERSION}" in page and "Graphviz, EPL-1.0" in page
    assert "Copyright (c) Michael Daines" in page


def test_the_vendored_viz_js_is_pinned_with_its_licenses() -> None:
    digest = hashlib.sha256((VENDOR / "viz-global.js").read_bytes()).hexdigest()
    assert digest == _graph.VIZ_JS_SHA256
    readme = (VENDOR / "README.md").read_text()
    assert f"Viz.js {viewer.VIZ_JS_VERSION}" in readme and _graph.VIZ_JS_SHA256 in readme
    assert "Permission is hereby granted" in (VENDOR / "LICENSE").read_text()
    notice = (VENDOR / "NOTICE").read_text()
    assert "Eclipse Public License - v 1.0" in notice and "Expat" in notice
    assert _graph.viz_js().startswith("/*!\nViz.js 3.31.0")


def test_the_package_data_is_declared() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"troupe.viewer"' in pyproject
    assert '"troupe.viewer" = ["static/*", "vendor/viz-js/*"]' in pyproject
    static = Path(viewer.__file__).parent / "static"
    assert {p.name for p in static.iterdir()} >= {"page.html", "viewer.js", "viewer.css"}


def test_text_from_the_trace_cannot_end_the_script(tmp_path: Path) -> None:
    from .test_model import ev, game, pingpong_header

    events = [*game()[:3], ev(0.01, "bob", "fail", "Ping", "</script><script>alert(1)</script>")]
    page = viewer.replay_html(viewer.build_model(pingpong_header(), events),
                              layout="browser")
    assert "</script><script>alert(1)" not in page
    assert data_of(page)["events"]["strings"][-1] == "</script><script>alert(1)</script>"


def test_an_unknown_layout_or_session_is_refused(traces: Traces) -> None:
    model = viewer.load_trace(traces.two_pc)
    with pytest.raises(ValueError, match="expected layout 'auto', 'graphviz' or 'browser', got"):
        viewer.layout(model.header, "neato")  # type: ignore[arg-type]
    with pytest.raises(viewer.TraceError, match="no session 3"):
        viewer.replay_html(model, session=3)
