"""Sequence diagrams alone: Mermaid text and a standalone SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from troupe.viewer import build_model, load_trace, sequence_mermaid, sequence_svg

from .conftest import Traces
from .test_model import ev, game, pingpong_header

SVG = "{http://www.w3.org/2000/svg}"


def test_mermaid_lists_participants_then_one_arrow_per_message() -> None:
    text = sequence_mermaid(build_model(pingpong_header(), game()).select(0))
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    assert lines[1].startswith("    %% pp: session 0, 3 messages")
    assert lines[2:] == [
        "    participant r0 as alice",
        "    participant r1 as bob",
        "    r0->>r1: ping",
        "    r1->>r0: pong",
        "    r0->>r1: stop",
    ]


def test_mermaid_marks_notifications_lost_messages_and_failures(traces: Traces) -> None:
    text = sequence_mermaid(load_trace(traces.showcase).select(0), limit=400)
    assert "-->>" in text and ": notify → " in text
    failed = sequence_mermaid(load_trace(traces.boom))
    assert "r0-xr1: go (lost)" in failed
    assert "Note over r1: ✕ b failed at S: " in failed and "disk on fire" in failed


def test_mermaid_escapes_what_would_break_it() -> None:
    events = [*game()[:3], ev(0.01, "bob", "fail", "Ping", "bad; <b>#1</b>\nline two")]
    text = sequence_mermaid(build_model(pingpong_header(), events))
    note = next(line for line in text.splitlines() if "Note over" in line)
    assert "bad#59; #lt;b#gt;#35;1#lt;/b#gt; line two" in note
    assert ";" not in note.replace("#59;", "").replace("#35;", "").replace("#lt;", "").replace(
        "#gt;", "")


def test_a_big_trace_is_cut_at_the_limit_with_a_note(traces: Traces) -> None:
    model = load_trace(traces.many)
    text = sequence_mermaid(model.select("all"), limit=100)
    arrows = [line for line in text.splitlines() if "->>" in line]
    assert len(arrows) == 100
    assert arrows[0].split(": ")[1].startswith("s0: ") or arrows[0].split(": ")[1][0] == "s"
    left = len(model.messages) - 100
    assert text.rstrip().endswith(f"… {left:,} more messages not drawn (--limit)")
    assert "%% pingpong: 420 sessions" in text


def test_svg_is_a_standalone_image_with_lifelines_and_arrows(traces: Traces) -> None:
    model = load_trace(traces.two_pc).select(0)
    root = ET.fromstring(sequence_svg(model))
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width", "0")) > 300 and float(root.get("height", "0")) > 300
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for role in ("coordinator", "alice", "bob"):
        assert texts.count(role) == 2               # a box at the top and at the bottom
    arrows = [line for line in root.iter(f"{SVG}line") if line.get("marker-end")]
    assert len(arrows) == len(model.messages)
    labels = {"begin", "vote", "commit"} & set(texts)
    assert labels == {"begin", "vote", "commit"}
    assert "ok" in texts


def test_svg_shows_failures_in_red(traces: Traces) -> None:
    root = ET.fromstring(sequence_svg(load_trace(traces.boom)))
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "3 failure(s)" in texts
    failed = [t for t in texts if "failed at" in t]
    assert len(failed) == 3 and all("disk on fire" in t for t in failed)
    assert any(c.get("fill") == "#dc2626" for c in root.iter(f"{SVG}circle"))
    assert any(t.endswith("(lost)") for t in texts)


def test_svg_escapes_text() -> None:
    events = [*game()[:3], ev(0.01, "bob", "fail", "Ping", "a <b> & \"c\"")]
    svg = sequence_svg(build_model(pingpong_header(), events))
    ET.fromstring(svg)  # well-formed
    assert "a &lt;b&gt; &amp; &quot;c&quot;" in svg
