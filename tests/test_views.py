"""Views: the graph model, DOT (parsed back with pydot), Mermaid, tables and rendering."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Literal

import pydot
import pytest

import troupe as tp
from troupe import views
from troupe.views import ViewError
from troupe.views._graph import type_name

# pydot's parser uses pyparsing names that newer pyparsing deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot")


class Alice(tp.Context):
    counter: int = 0


class Bob(tp.Context):
    counter: int = 0


class Carol(tp.Context):
    notes: int = 0


def pingpong(a: tp.Role[Any], b: tp.Role[Any], then: tp.Next) -> tp.Next:
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=then)
    back = pong.branch("pong", int, next=ping)

    @ping.decide
    def serve(ctx: Any) -> tp.Message:
        return stop() if ctx.counter > 3 else hit(ctx.counter)

    @pong.decide
    def reply(ctx: Any) -> tp.Message:
        return back(ctx.counter + 1)

    return ping


def relay(a: tp.Role[Any], c: tp.Role[Any], then: tp.Next) -> tp.Next:
    with tp.protocol("relay", a, c):
        tell = tp.state("Tell", a, to=[c])
    note = tell.branch("note", str, next=then)

    @tell.decide
    def say(ctx: Any) -> tp.Message:
        return note("hi")

    return tell


ALICE, BOB, CAROL = tp.Role("alice", Alice), tp.Role("bob", Bob), tp.Role("carol", Carol)


@pytest.fixture(scope="module")
def pp() -> tp.Script:
    return tp.script("pingpong", pingpong(ALICE, BOB, tp.Exit))


@pytest.fixture(scope="module")
def composed() -> tp.Script:
    """main (all three) -> pingpong (carol waits) -> relay (bob waits) -> back to main."""
    with tp.protocol("main", ALICE, BOB, CAROL):
        start = tp.state("Start", ALICE, to=[BOB, CAROL])
    start.branch("go", None, next=pingpong(ALICE, BOB, relay(ALICE, CAROL, start)))
    done = start.branch("done", None, next=tp.Exit)

    @start.decide
    def begin(ctx: Alice) -> tp.Message:
        return done()

    return tp.script("composed", start)


# -- helpers ----------------------------------------------------------------------


def unquote(value: str | None) -> str:
    assert value is not None
    text = value[1:-1] if value.startswith('"') and value.endswith('"') else value
    return text.replace("\\n", "\n").replace('\\"', '"')


def attr(item: pydot.Node | pydot.Edge | pydot.Subgraph, name: str) -> str | None:
    value = item.get(name)
    return None if value is None else unquote(value)


def parse_dot(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    return graphs[0]


def clusters(g: pydot.Dot) -> dict[str, tuple[str, dict[str, str]]]:
    """cluster name -> (label, {node name: label})."""
    return {
        str(sg.get_name()): (
            unquote(sg.get("label")),
            {n.get_name(): unquote(n.get("label")) for n in sg.get_nodes()},
        )
        for sg in g.get_subgraphs()
    }


def edges(g: pydot.Dot) -> list[tuple[str, str, str, str | None]]:
    """(source, destination, label, style) of every edge but the entry marker's."""
    return [
        (str(e.get_source()), str(e.get_destination()), unquote(e.get("label")), attr(e, "style"))
        for e in g.get_edges()
        if e.get_source() != "start"
    ]


# -- the model --------------------------------------------------------------------


def test_type_names() -> None:
    assert type_name(int) == "int"
    assert type_name(None) == "None"
    assert type_name(list[int]) == "list[int]"
    assert type_name(dict[str, list[Alice]]) == "dict[str, list[Alice]]"
    assert type_name(int | None) == "int | None"
    assert type_name(Literal["a", 1]) == "Literal['a', 1]"


def test_global_graph_model(composed: tp.Script) -> None:
    g = views.build_graph(composed)
    assert g.role is None and g.title == "composed"
    assert [n.key for n in g.nodes] == ["s0", "s1", "s2", "s3", "Exit"]
    assert [c.label for c in g.clusters] == [
        "main: {alice, bob, carol}", "pingpong: {alice, bob}", "relay: {alice, carol}",
    ]
    assert [c.externals for c in g.clusters] == [(), ("carol",), ("bob",)]
    assert len(g.edges) == composed.branch_count == 6
    stop = next(e for e in g.edges if e.label == "stop")
    assert stop.leaves and stop.lines == ("stop", "alice notifies {carol}")


def test_build_graph_rejects_other_things() -> None:
    with pytest.raises(ViewError, match=r"expected a troupe\.Script, got str"):
        views.build_graph("pingpong")  # type: ignore[arg-type]


# -- DOT --------------------------------------------------------------------------


def test_dot_pingpong(pp: tp.Script) -> None:
    g = parse_dot(views.to_dot(pp))
    assert g.get_type() == "digraph"
    assert clusters(g) == {
        "cluster_0": (
            "pingpong: {alice, bob}",
            {"s0": "[0] Ping\nalice -> {bob}", "s1": "[1] Pong\nbob -> {alice}"},
        )
    }
    exit_node = g.get_node("Exit")[0]
    assert attr(exit_node, "shape") == "doublecircle"
    assert sorted(edges(g)) == [
        ("s0", "Exit", "stop", "dashed"),
        ("s0", "s1", "ping (int)", None),
        ("s1", "s0", "pong (int)", None),
    ]
    entry = [e for e in g.get_edges() if e.get_source() == "start"]
    assert [e.get_destination() for e in entry] == ["s0"]


def test_dot_composed(composed: tp.Script) -> None:
    g = parse_dot(views.to_dot(composed))
    found = clusters(g)
    assert {name: label for name, (label, _) in found.items()} == {
        "cluster_0": "main: {alice, bob, carol}",
        "cluster_1": "pingpong: {alice, bob}",
        "cluster_2": "relay: {alice, carol}",
    }
    assert set(found["cluster_1"][1]) == {"s1", "s2"}
    assert found["cluster_2"][1] == {"s3": "[3] Tell\nalice -> {carol}"}
    assert found["cluster_0"][1] == {"s0": "[0] Start\nalice -> {bob, carol}"}
    colours = {attr(sg, "color") for sg in g.get_subgraphs()}
    assert len(colours) == 3
    drawn = edges(g)
    assert len(drawn) == composed.branch_count
    assert ("s1", "s3", "stop\nalice notifies {carol}", "dashed") in drawn
    assert ("s3", "s0", "note (str)\nalice notifies {bob}", "dashed") in drawn
    assert ("s1", "s2", "ping (int)", None) in drawn
    # Only the edges that leave their protocol are dashed.
    assert {(s, d) for s, d, _, style in drawn if style == "dashed"} == {
        ("s0", "s1"), ("s0", "Exit"), ("s1", "s3"), ("s3", "s0"),
    }


def test_dot_escapes_quotes_and_backslashes() -> None:
    a = tp.Role("a", Alice)
    with tp.protocol('say "hi" \\ there', a):
        only = tp.state("Only", a)
    only.branch("end", None, next=tp.Exit)
    g = parse_dot(views.to_dot(tp.script("odd", only)))
    (label, _), = clusters(g).values()
    assert label == 'say "hi" \\\\ there: {a}'


# -- Mermaid ----------------------------------------------------------------------

# Mermaid replaces entity codes (#59;) before it parses, so they may stand anywhere.
_DESCR = r"(?:[^:;#\n]|#\w+;)+"
MERMAID_LINE = re.compile(
    r"stateDiagram-v2"
    r"|    %% [^\n]*"
    r'|    state "[^"\n]*" as \w+'
    rf"|    (\w+|\[\*\]) --> (\w+|\[\*\])( : {_DESCR})?"
    r"|    note right of \w+"
    r"|        [^\n]+"
    r"|    end note"
    r"|    classDef \w+ [^\n]+"
    r"|    class \w+(,\w+)* \w+"
)


def assert_mermaid_syntax(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    bad = [line for line in lines if not MERMAID_LINE.fullmatch(line)]
    assert bad == []
    assert lines.count("    end note") == sum(1 for x in lines if x.startswith("    note "))


def test_mermaid_pingpong(pp: tp.Script) -> None:
    text = views.to_mermaid(pp)
    assert_mermaid_syntax(text)
    lines = text.splitlines()
    assert '    state "[0] Ping  alice -> {bob}" as s0' in lines
    assert '    state "Exit" as Exit' in lines
    transitions = [line.strip() for line in lines if " --> " in line]
    assert transitions == [
        "[*] --> s0",
        "s0 --> s1 : ping (int)",
        "s0 --> Exit : stop",
        "s1 --> s0 : pong (int)",
        "Exit --> [*]",
    ]
    assert "        protocol pingpong: {alice, bob}" in lines
    assert "    class s0,s1 p0" in lines


def test_mermaid_has_every_branch(composed: tp.Script) -> None:
    text = views.to_mermaid(composed)
    assert_mermaid_syntax(text)
    arrows = re.findall(r"^    (s\d+) --> (s\d+|Exit) : (\w+)", text, re.MULTILINE)
    expected = [
        (f"s{s.id}", "Exit" if b.next == composed.exit else f"s{b.next}", b.label)
        for s in composed.states for b in s.branches
    ]
    assert arrows == expected
    assert text.count("note right of") == len(composed.protocols)
    assert "        waiting: carol" in text


def test_mermaid_escapes_what_its_grammar_would_misread() -> None:
    a = tp.Role("a", Alice)
    with tp.protocol("p", a):
        only = tp.state("Only", a)
    end = only.branch("end", Literal["x;y:z", 'q"'], next=tp.Exit)

    @only.decide
    def finish(ctx: Alice) -> tp.Message:
        return end("x;y:z")

    text = views.to_mermaid(tp.script("odd", only))
    assert_mermaid_syntax(text)
    assert "s0 --> Exit : end (Literal['x#59;y#58;z', 'q#quot;'])" in text


# -- role projections -------------------------------------------------------------


def test_role_graph_of_a_waiting_role(composed: tp.Script) -> None:
    g = views.build_graph(composed, role="carol")
    assert g.title == "composed: projection of carol"
    details = {n.key: n.detail for n in g.nodes}
    # carol never stands at Pong: she waits out the whole pingpong at Ping.
    assert details == {
        "s0": "RECEIVE from alice",
        "s1": "WAIT for alice",
        "s3": "RECEIVE from alice",
        "Exit": "",
    }
    assert [(e.src, e.dst, e.label, e.kind) for e in g.edges] == [
        (0, 1, "go", "branch"),
        (0, 4, "done", "branch"),
        (1, 3, "notify", "notify"),
        (3, 0, "note", "branch"),
    ]


def test_role_graph_dot(composed: tp.Script) -> None:
    g = parse_dot(views.to_dot(composed, role=ALICE))
    nodes = {name: label for _, (_, ns) in clusters(g).items() for name, label in ns.items()}
    assert nodes == {
        "s0": "[0] Start\nSEND to {bob, carol}",
        "s1": "[1] Ping\nSEND to {bob}",
        "s2": "[2] Pong\nRECEIVE from bob",
        "s3": "[3] Tell\nSEND to {carol}",
    }
    drawn = edges(g)
    assert ("s1", "s3", "stop\nnotify {carol}", "dashed") in drawn
    assert len(drawn) == composed.branch_count

    bob = parse_dot(views.to_dot(composed, role="bob"))
    bob_nodes = {n for _, (_, ns) in clusters(bob).items() for n in ns}
    assert bob_nodes == {"s0", "s1", "s2", "s3"}
    assert ("s3", "s0", "notify", "dotted") in edges(bob)


def test_role_graph_mermaid(composed: tp.Script) -> None:
    text = views.to_mermaid(composed, role="carol")
    assert_mermaid_syntax(text)
    assert '    state "[1] Ping  WAIT for alice" as s1' in text
    assert "    s1 --> s3 : notify" in text
    assert "s2" not in text
    assert "    class s1 wait" in text


def test_unknown_role(pp: tp.Script) -> None:
    with pytest.raises(ViewError, match=r"no role 'carol'; expected one of: alice, bob"):
        views.to_dot(pp, role="carol")
    with pytest.raises(ViewError, match="no role 'carol'"):
        views.projection_table(pp, "carol")


# -- tables -----------------------------------------------------------------------


def test_state_table(composed: tp.Script) -> None:
    text = views.state_table(composed)
    lines = text.splitlines()
    assert lines[0] == "composed: states"
    assert lines[1].split() == ["state", "protocol", "message", "branches"]
    assert re.fullmatch(r"\[1\] Ping +pingpong +alice -> \{bob\} +"
                        r"ping \(int\) -> \[2\] Pong, stop -> \[3\] Tell", lines[4])
    assert lines[-1] == "[4] Exit"


def test_projection_tables(composed: tp.Script) -> None:
    carol = views.projection_table(composed, "carol").splitlines()
    assert carol[0] == "carol: projection (role 2 of composed)"
    rows = {line.split("  ")[0]: line for line in carol[3:]}
    assert list(rows) == ["[0] Start", "[1] Ping", "[2] Pong", "[3] Tell", "[4] Exit"]
    waiting = r"WAIT +for alice \(protocol pingpong\); notify -> \[3\] Tell$"
    assert re.search(waiting, rows["[1] Ping"])
    assert re.search(r"RECEIVE +from alice; note \(str\) -> \[0\] Start$", rows["[3] Tell"])
    alice = views.projection_table(composed, ALICE)
    assert "SEND     to {bob}; ping (int) -> [2] Pong, stop -> [3] Tell (notify {carol})" in alice
    everyone = views.projection_tables(composed)
    assert everyone.count("projection (role") == 3
    assert "SKIP" not in everyone


def test_projection_table_skip() -> None:
    a, b, c = tp.Role("a", Alice), tp.Role("b", Bob), tp.Role("c", Carol)
    with tp.protocol("trio", a, b, c):
        first = tp.state("First", a, to=[b])
    first.branch("end", None, next=tp.Exit)
    s = tp.script("trio", first)
    assert re.search(r"\[0\] First +SKIP +end -> \[1\] Exit", views.projection_table(s, "c"))
    assert views.build_graph(s, "c").nodes[0].detail == "SKIP"


# -- files and Graphviz -----------------------------------------------------------


def test_render_text_formats(pp: tp.Script, tmp_path: Path) -> None:
    dot = views.render(pp, tmp_path / "pp.dot")
    assert dot.read_text() == views.to_dot(pp)
    mmd = views.render(pp, tmp_path / "bob.MMD", role="bob")
    assert mmd.read_text() == views.to_mermaid(pp, role="bob")


def test_render_unknown_suffix(pp: tp.Script, tmp_path: Path) -> None:
    with pytest.raises(ViewError, match=r"expected a file ending in \.dot, \.mmd, \.svg, \.png, "
                                        r"got '\.gif'"):
        views.render(pp, tmp_path / "pp.gif")
    with pytest.raises(ViewError, match="got no suffix"):
        views.render(pp, tmp_path / "pp")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_svg_and_png(composed: tp.Script, tmp_path: Path) -> None:
    svg = views.render(composed, tmp_path / "c.svg").read_text()
    assert "<svg" in svg and "relay: {alice, carol}" in svg and "alice notifies {carol}" in svg
    png = views.render(composed, tmp_path / "carol.png", role="carol").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_render_without_graphviz(
    pp: tp.Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(ViewError) as info:
        views.render(pp, tmp_path / "pp.svg")
    message = str(info.value)
    assert "needs Graphviz" in message and "`dot` command was not found" in message
    assert "apt-get install graphviz" in message and "scripts/install-graphviz.sh" in message
    assert ".dot and .mmd files need nothing" in message
    assert not (tmp_path / "pp.svg").exists()
    views.render(pp, tmp_path / "pp.dot")  # text formats still work


def test_graphviz_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no `false` command")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: false)
    with pytest.raises(ViewError, match=r"`dot -Tsvg` failed with exit code 1"):
        views.run_graphviz("digraph {}", "svg")
