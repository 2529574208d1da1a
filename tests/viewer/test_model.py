"""The viewer's model: headers, state ids, message matching, sessions, aggregation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from troupe import Event
from troupe.viewer import (
    Header,
    StateResolver,
    TraceError,
    build_model,
    encode_events,
    load_trace,
    match_messages,
)

from .conftest import Traces


def pingpong_header() -> dict[str, Any]:
    return {
        "troupe_trace": 1, "script": "pp", "roles": ["alice", "bob"],
        "protocols": [{"id": 0, "name": "pp", "roles": ["alice", "bob"]}],
        "states": [
            {"id": 0, "name": "Ping", "protocol": 0, "sender": "alice", "receivers": ["bob"],
             "branches": [{"label": "ping", "next": 1, "leaves": False},
                          {"label": "stop", "next": 2, "leaves": True}]},
            {"id": 1, "name": "Pong", "protocol": 0, "sender": "bob", "receivers": ["alice"],
             "branches": [{"label": "pong", "next": 0, "leaves": False}]},
            {"id": 2, "name": "Exit", "protocol": -1, "sender": None, "receivers": [],
             "branches": []},
        ],
    }


def ev(t: float, role: str, kind: str, state: str | None = None, branch: str | None = None,
       peer: str | None = None, session: int = 0) -> Event:
    return Event(t, session, role, kind, state, branch, peer)


def game(session: int = 0, t0: float = 0.0) -> list[Event]:
    """One ping, one pong, a stop: three messages."""
    t = t0
    out = []
    for role, kind, state, branch, peer in [
        ("alice", "enter", "Ping", None, None), ("bob", "enter", "Ping", None, None),
        ("alice", "send", "Ping", "ping", "bob"), ("alice", "enter", "Pong", None, None),
        ("bob", "receive", "Ping", "ping", "alice"), ("bob", "enter", "Pong", None, None),
        ("bob", "send", "Pong", "pong", "alice"), ("bob", "enter", "Ping", None, None),
        ("alice", "receive", "Pong", "pong", "bob"), ("alice", "enter", "Ping", None, None),
        ("alice", "send", "Ping", "stop", "bob"), ("alice", "exit", "Exit", None, None),
        ("bob", "receive", "Ping", "stop", "alice"), ("bob", "exit", "Exit", None, None),
    ]:
        t += 0.001
        out.append(ev(t, role, kind, state, branch, peer, session))
    return out


def test_a_game_gives_three_matched_messages_in_order() -> None:
    model = build_model(pingpong_header(), game())
    assert [(m.sender, m.receiver, m.label) for m in model.messages] == [
        ("alice", "bob", "ping"), ("bob", "alice", "pong"), ("alice", "bob", "stop"),
    ]
    assert all(m.matched and m.kind == "message" for m in model.messages)
    first = model.messages[0]
    assert (first.sent, first.received) == pytest.approx((0.003, 0.005))
    assert first.start == pytest.approx(0.003) and first.end == pytest.approx(0.005)
    assert model.ok and model.sessions[0].exited == ("alice", "bob")
    assert model.final_states() == {(0, "alice"): 2, (0, "bob"): 2}


def test_a_receive_stamped_before_its_send_still_matches() -> None:
    events = [ev(0.1, "bob", "receive", "Ping", "ping", "alice"),
              ev(0.2, "alice", "send", "Ping", "ping", "bob")]
    (m,) = match_messages(events, [0, 0])
    assert (m.sent, m.received, m.start, m.end) == (0.2, 0.1, 0.1, 0.2)


def test_matching_is_first_in_first_out_per_key() -> None:
    events = [ev(1, "alice", "send", "Ping", "ping", "bob"),
              ev(2, "alice", "send", "Ping", "ping", "bob"),
              ev(3, "alice", "send", "Ping", "stop", "bob"),
              ev(4, "bob", "receive", "Ping", "stop", "alice"),
              ev(5, "bob", "receive", "Ping", "ping", "alice"),
              ev(6, "bob", "receive", "Ping", "ping", "alice")]
    got = [(m.label, m.sent, m.received) for m in match_messages(events, [0] * 6)]
    assert got == [("ping", 1, 5), ("ping", 2, 6), ("stop", 3, 4)]


def test_sessions_and_peers_are_kept_apart() -> None:
    events = [ev(1, "alice", "send", "Ping", "ping", "bob", session=0),
              ev(2, "bob", "receive", "Ping", "ping", "alice", session=1),
              ev(3, "alice", "send", "Ping", "ping", "bob", session=1),
              ev(4, "bob", "receive", "Ping", "ping", "alice", session=0)]
    got = [(m.session, m.sent, m.received) for m in match_messages(events, [0] * 4)]
    assert got == [(0, 1, 4), (1, 3, 2)]


def test_a_send_whose_receiver_failed_is_kept_unmatched() -> None:
    events = [*game()[:3], ev(0.01, "bob", "fail", "Ping", "RuntimeError: boom")]
    model = build_model(pingpong_header(), events)
    (m,) = model.messages
    assert not m.matched and m.received is None
    (f,) = model.failures
    assert (f.session, f.role, f.state, f.error) == (0, "bob", 0, "RuntimeError: boom")
    assert not model.ok and model.sessions[0].failed


def test_notifications_match_notify_with_notified(traces: Traces) -> None:
    model = load_trace(traces.showcase)
    notes = [m for m in model.messages if m.kind == "notify"]
    assert notes and all(m.matched and m.label is None for m in notes)
    h = model.header
    targets = {b.next for s in h.states for b in s.branches if b.leaves}
    for m in notes:
        # the notifier tells a role outside the protocol it leaves where control goes
        assert m.state in targets and m.sender != m.receiver
        left = {s.protocol for s in h.states for b in s.branches if b.leaves and b.next == m.state
                and h.notifier(s.protocol) == m.sender}
        assert any(m.receiver in h.externals(p) for p in left)
    sends = sum(1 for e in model.events if e.kind == "send")
    assert sum(1 for m in model.messages if m.kind == "message") == sends
    assert all(m.matched for m in model.messages)


def test_a_real_trace_matches_every_message(traces: Traces) -> None:
    model = load_trace(traces.two_pc)
    assert model.header.roles == ("coordinator", "alice", "bob")
    assert model.messages and all(m.matched for m in model.messages)
    assert all(m.start <= m.end for m in model.messages)
    starts = [m.start for m in model.messages]
    assert starts == sorted(starts)
    assert {s for s in model.final_states().values()} == {model.header.exit}


def test_the_header_gives_each_roles_projection(traces: Traces) -> None:
    h = load_trace(traces.showcase).header
    select = h.ids_named("Select")[0]
    ping1 = h.ids_named("Ping[1]")[0]
    assert h.action("selector", select) == "send"
    assert h.action("alice", select) == "receive"
    assert h.action("alice", ping1) == "send"
    assert h.action("bob", ping1) == "receive"
    assert h.action("carol", ping1) == "wait" and h.action("selector", ping1) == "wait"
    vote2 = h.ids_named("Vote2[1]")[0]   # carol coordinates, bob votes: alice skips
    assert h.action("alice", vote2) == "skip"
    assert h.action("alice", h.exit) == "exit"
    # carol waits out pingpong[1]: she stands at its entry only
    inner = h.ids_named("Pong[1]")[0]
    assert ping1 in h.projection("carol") and inner not in h.projection("carol")
    assert inner in h.projection("alice")
    assert h.notifier(h.states[ping1].protocol) == "alice"


def test_a_repeated_state_name_is_resolved_from_where_the_role_stands() -> None:
    header = pingpong_header()
    header["protocols"].append({"id": 1, "name": "other", "roles": ["alice", "bob"]})
    states = header["states"]
    exit_ = states.pop()
    # a second protocol reusing the name "Ping": pp's Pong leads to it
    states.append({"id": 2, "name": "Ping", "protocol": 1, "sender": "bob",
                   "receivers": ["alice"], "branches": [{"label": "end", "next": 3,
                                                         "leaves": True}]})
    states[1]["branches"] = [{"label": "pong", "next": 2, "leaves": True}]
    exit_["id"] = 3
    states.append(exit_)
    h = Header.parse(header)
    assert h.ids_named("Ping") == (0, 2)
    r = StateResolver(h)
    assert r.resolve(0, "alice", "enter", "Ping") == 0
    assert r.resolve(0, "alice", "enter", "Pong") == 1
    assert r.resolve(0, "alice", "enter", "Ping") == 2      # Pong's successor
    assert r.resolve(0, "alice", "receive", "Ping") == 2    # where alice stands
    assert r.resolve(0, "bob", "enter", "Ping") == 0        # bob has not moved
    assert r.resolve(0, "alice", "exit", "Exit") == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(troupe_trace=2), 'expected "troupe_trace": 1, got 2'),
        (lambda h: h.update(roles="ab"), 'expected "roles": a list of distinct role names'),
        (lambda h: h.update(roles=["a", "a"]), "distinct role names, got ['a', 'a']"),
        (lambda h: h["states"][0].update(sender="zed"), "state 0 as"),
        (lambda h: h["states"][0]["branches"][0].update(next=9), "with next in 0..2, got"),
        (lambda h: h.pop("states"), '"states": a list of states ending with Exit, got None'),
    ],
)
def test_a_bad_header_says_what_was_expected_and_what_came(change: Any, message: str) -> None:
    header = pingpong_header()
    change(header)
    with pytest.raises(TraceError, match="bad trace header") as caught:
        Header.parse(header, "t.jsonl")
    assert str(caught.value).startswith("t.jsonl: bad trace header: expected ")
    assert message in str(caught.value)


def test_events_naming_unknown_roles_kinds_or_states_are_refused() -> None:
    h = pingpong_header()
    with pytest.raises(TraceError, match=r"t:2: event at role 'carol', which the header does "
                                         r"not have; expected one of: alice, bob"):
        build_model(h, [ev(0, "carol", "enter", "Ping")], "t")
    with pytest.raises(TraceError, match=r"expected an event kind of enter, send, .*got 'jump'"):
        build_model(h, [ev(0, "alice", "jump", "Ping")], "t")
    with pytest.raises(TraceError, match=r"no state 'Pang' in script 'pp'"):
        build_model(h, [ev(0, "alice", "enter", "Pang")], "t")


def test_load_trace_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"missing.jsonl: no such trace file"):
        load_trace(tmp_path / "missing.jsonl")
    with pytest.raises(TraceError, match=r"expected a trace file \(.jsonl\), got a directory"):
        load_trace(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(TraceError, match=r"bad.jsonl: expected a troupe trace header line"):
        load_trace(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(pingpong_header()) + "\n{\"t\": 1}\n")
    with pytest.raises(TraceError, match=r"broken.jsonl:2: bad trace event"):
        load_trace(broken)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TraceError, match="got binary data"):
        load_trace(binary)


def test_selecting_a_session_narrows_everything() -> None:
    events = game(0) + game(1, t0=0.0005) + game(2, t0=0.1)
    model = build_model(pingpong_header(), events)
    assert model.session_ids() == (0, 1, 2)
    assert len(model.messages) == 9
    one = model.select(1)
    assert one.selected == 1 and one.session_ids() == (1,)
    assert {e.session for e in one.events} == {1} and len(one.messages) == 3
    assert model.select(None).selected == 0
    assert model.select("2").selected == 2
    assert model.select("all") is model
    with pytest.raises(TraceError, match=r"no session 7; the trace has sessions 0, 1, 2"):
        model.select(7)
    with pytest.raises(TraceError, match=r"expected a session number or 'all', got 'x'"):
        model.select("x")


def test_events_are_sorted_by_time_stably() -> None:
    events = game()
    shuffled = [events[3], *events[:3], *events[4:]]
    model = build_model(pingpong_header(), shuffled)
    assert [e.t for e in model.events] == sorted(e.t for e in events)


def test_big_traces_aggregate(traces: Traces) -> None:
    model = load_trace(traces.many)
    assert len(model.events) >= 100_000
    assert len(model.sessions) == 420 and model.ok
    counts = model.pair_counts()
    assert counts[("alice", "bob", "ping")] == 420 * 31
    assert counts[("bob", "alice", "pong")] == 420 * 31
    assert counts[("alice", "bob", "stop")] == 420
    hist = model.activity(100)
    assert len(hist) == 100 and sum(hist) == len(model.messages)
    kept, left = model.sample_messages(500)
    assert len(kept) == 500 and left == len(model.messages) - 500
    mid = model.duration / 2
    window = model.messages_between(mid, mid + model.duration / 10)
    assert window and all(mid <= m.start <= mid + model.duration / 10 for m in window)


def test_encode_events_gives_the_pages_columns() -> None:
    model = build_model(pingpong_header(), game())
    cols = encode_events(model.header, model.events, model.states)
    assert set(cols) == {"t", "s", "r", "k", "st", "b", "p", "strings"}
    assert all(len(cols[k]) == len(model.events) for k in ("t", "s", "r", "k", "st", "b", "p"))
    assert cols["strings"] == ["ping", "pong", "stop"]
    send = cols["k"].index(1)
    assert (cols["r"][send], cols["p"][send], cols["st"][send]) == (0, 1, 0)
    assert cols["strings"][cols["b"][send]] == "ping"
    assert cols["k"][-1] == 5 and cols["st"][-1] == 2   # bob's exit, at Exit
