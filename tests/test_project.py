"""Projection: numbering, the global tables and every role's local machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import troupe as tp
from troupe import Action, Step

SEND, RECEIVE, SKIP, WAIT, EXIT = Action


class Alice(tp.Context):
    counter: int = 0


class Bob(tp.Context):
    counter: int = 0


class Sel(tp.Context):
    rounds: int = 0


def pingpong(a: tp.Role[Any], b: tp.Role[Any], then: tp.Next, limit: int = 30) -> tp.Next:
    """The pingpong factory of the examples, kept here so these tests pin it."""
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=then)
    back = pong.branch("pong", int, next=ping)

    @ping.decide
    def serve(ctx: Any) -> tp.Message:
        return stop() if ctx.counter > limit else hit(ctx.counter)

    @hit.on(b)
    def got_ping(ctx: Any, n: int) -> None:
        ctx.counter = n

    @pong.decide
    def reply(ctx: Any) -> tp.Message:
        return back(ctx.counter + 1)

    @back.on(a)
    def got_pong(ctx: Any, n: int) -> None:
        ctx.counter = n

    return ping


def names(sc: tp.Script) -> list[str]:
    return [s.name for s in sc.states]


# -- numbering ------------------------------------------------------------------------


def _first_branch(s: tp.State[Any]) -> Callable[[Any], tp.Message]:
    def decide(ctx: Any) -> tp.Message:
        return (s.branches[0], None)

    return decide


def chain(roles: list[tp.Role[Any]], spec: dict[str, list[str]], entry: str) -> tp.State[Any]:
    """States named after ``spec``'s keys, a single role, branches to the listed states."""
    [r] = roles
    states = {n: tp.state(n, r) for n in spec}
    for n, targets in spec.items():
        for k, t in enumerate(targets):
            states[n].branch(f"to{k}", None, next=tp.Exit if t == "Exit" else states[t])
        if len(targets) > 1:
            states[n].decide(_first_branch(states[n]))
    return states[entry]


def test_numbering_is_dfs_preorder_from_the_entry() -> None:
    solo = tp.Role("solo", Alice)
    # A -> B -> D -> Exit, A -> C -> Exit: BFS would give A B C D.
    spec = {"A": ["B", "C"], "B": ["D"], "C": ["Exit"], "D": ["Exit"]}
    sc = tp.script("dfs", chain([solo], spec, "A"))
    assert names(sc) == ["A", "B", "D", "C", "Exit"]
    assert [s.id for s in sc.states] == [0, 1, 2, 3, 4]
    assert sc.exit == 4
    assert sc.state("A").branches[0].next == 1
    assert sc.state("A").branches[1].next == 3


def test_numbering_follows_branch_declaration_order() -> None:
    solo = tp.Role("solo", Alice)
    spec = {"A": ["C", "B"], "B": ["D"], "C": ["Exit"], "D": ["Exit"]}
    sc = tp.script("dfs", chain([solo], spec, "A"))
    assert names(sc) == ["A", "C", "B", "D", "Exit"]


def test_numbering_starts_at_the_entry_not_at_the_first_state_written() -> None:
    solo = tp.Role("solo", Alice)
    spec = {"A": ["B"], "B": ["C"], "C": ["A", "Exit"]}
    sc = tp.script("loop", chain([solo], spec, "B"))
    assert names(sc) == ["B", "C", "A", "Exit"]
    # The back edge C -> A and the loop A -> B point at existing ids.
    assert [b.next for b in sc.state("C").branches] == [2, 3]
    assert [b.next for b in sc.state("A").branches] == [0]


def test_exit_is_the_last_row() -> None:
    solo = tp.Role("solo", Alice)
    sc = tp.script("one", chain([solo], {"A": ["Exit"]}, "A"))
    last = sc.states[-1]
    assert (last.id, last.name, last.is_exit, last.sender, last.branches) == (1, "Exit", True,
                                                                             -1, ())
    assert not sc.states[0].is_exit
    assert sc.machine("solo").steps == (
        Step(0, SEND, to=(), next=(1,), notify=((),)),
        Step(1, EXIT),
    )


# -- pingpong -------------------------------------------------------------------------


@pytest.fixture
def pp() -> tp.Script:
    alice, bob = tp.Role("alice", Alice), tp.Role("bob", Bob)
    return tp.script("pingpong", pingpong(alice, bob, tp.Exit))


def test_pingpong_global_table(pp: tp.Script) -> None:
    assert names(pp) == ["Ping", "Pong", "Exit"]
    assert [r.name for r in pp.roles] == ["alice", "bob"]
    ping, pong, _ = pp.states
    assert (ping.sender, ping.receivers, ping.protocol) == (0, (1,), 0)
    assert [(b.label, b.payload, b.next, b.leaves) for b in ping.branches] == [
        ("ping", int, 1, False),
        ("stop", None, 2, True),
    ]
    assert (pong.sender, pong.receivers) == (1, (0,))
    assert [(b.label, b.payload, b.next, b.leaves) for b in pong.branches] == [
        ("pong", int, 0, False),
    ]
    [proto] = pp.protocols
    assert (proto.name, proto.roles, proto.externals, proto.notifier) == (
        "pingpong", (0, 1), (), 0,
    )
    assert pp.summary() == "pingpong: 2 roles, 3 states, 3 branches — ok"


def test_pingpong_alice(pp: tp.Script) -> None:
    m = pp.machine("alice")
    assert (m.role, m.name) == (0, "alice")
    assert m.actions() == (SEND, RECEIVE, EXIT)
    assert m.steps == (
        Step(0, SEND, to=(1,), next=(1, 2), notify=((), ())),
        Step(1, RECEIVE, peer=1, next=(0,), notify=((),)),
        Step(2, EXIT),
    )


def test_pingpong_bob(pp: tp.Script) -> None:
    m = pp.machine("bob")
    assert m.actions() == (RECEIVE, SEND, EXIT)
    assert m.steps == (
        Step(0, RECEIVE, peer=0, next=(1, 2), notify=((), ())),
        Step(1, SEND, to=(0,), next=(0,), notify=((),)),
        Step(2, EXIT),
    )


def test_pingpong_handlers_sit_in_the_rows(pp: tp.Script) -> None:
    alice, bob = pp.machines
    ping, pong = pp.states[0].state, pp.states[1].state
    assert alice.steps[0].decide is ping.deciders[0]
    assert bob.steps[1].decide is pong.deciders[0]
    # bob reacts to "ping" (not to "stop"); alice reacts to "pong".
    hit_reaction = ping.branches[0].reactions[0][1]
    assert bob.steps[0].react == (hit_reaction, None)
    assert alice.steps[1].react == (pong.branches[0].reactions[0][1],)
    assert alice.steps[0].react == ()


def test_lookups(pp: tp.Script) -> None:
    assert pp.role_id("bob") == 1
    assert pp.machine(pp.roles[1]) is pp.machines[1]
    assert pp.state("Pong").id == 1
    with pytest.raises(KeyError, match=r"has no role 'carol' \(roles: alice, bob\)"):
        pp.role_id("carol")
    with pytest.raises(KeyError, match=r"script 'pingpong' has no state 'Pang'"):
        pp.state("Pang")


# -- composition ----------------------------------------------------------------------


def rounds(sel: tp.Role[Sel], x: tp.Role[Any], y: tp.Role[Any]) -> tp.Script:
    """sel broadcasts a choice; x and y play pingpong (either way round) while sel waits."""
    with tp.protocol("rounds", sel, x, y):
        choose = tp.state("Choose", sel, to=[x, y])
    xy = choose.branch("xy", None, next=pingpong(x, y, choose))
    choose.branch("yx", None, next=pingpong(y, x, choose))
    choose.branch("quit", None, next=tp.Exit)

    @choose.decide
    def pick(ctx: Sel) -> tp.Message:
        return xy()

    return tp.script("rounds", choose)


@pytest.fixture
def composed() -> tp.Script:
    return rounds(tp.Role("sel", Sel), tp.Role("x", Alice), tp.Role("y", Bob))


def test_composition_numbering_and_instances(composed: tp.Script) -> None:
    assert names(composed) == ["Choose", "Ping[1]", "Pong[1]", "Ping[2]", "Pong[2]", "Exit"]
    assert [p.name for p in composed.protocols] == ["rounds", "pingpong[1]", "pingpong[2]"]
    assert [s.protocol for s in composed.states[:-1]] == [0, 1, 1, 2, 2]
    sel, x, y = (composed.role_id(n) for n in ("sel", "x", "y"))
    first, second = composed.protocols[1:]
    assert (first.roles, first.externals, first.notifier) == ((x, y), (sel,), x)
    assert (second.roles, second.externals, second.notifier) == ((y, x), (sel,), y)
    assert composed.protocols[0].externals == ()


def test_external_role_waits_for_the_first_internal_role(composed: tp.Script) -> None:
    m = composed.machine("sel")
    x, y = composed.role_id("x"), composed.role_id("y")
    assert m.actions() == (SEND, WAIT, WAIT, WAIT, WAIT, EXIT)
    assert m.steps[0] == Step(0, SEND, to=(x, y), next=(1, 3, 5), notify=((), (), ()))
    # In pingpong[1] x comes first; in pingpong[2] y does.
    assert [s.peer for s in m.steps[1:5]] == [x, x, y, y]
    assert all(s.next == () and s.notify == () for s in m.steps[1:5])


def test_notifier_lists_the_external_roles_on_leaving_branches(composed: tp.Script) -> None:
    sel, x, y = (composed.role_id(n) for n in ("sel", "x", "y"))
    mx, my = composed.machine("x"), composed.machine("y")
    # pingpong[1] (x, y): x notifies sel when "stop" goes back to Choose.
    assert mx.steps[1] == Step(1, SEND, to=(y,), next=(2, 0), notify=((), (sel,)))
    assert my.steps[1] == Step(1, RECEIVE, peer=x, next=(2, 0), notify=((), ()))
    assert mx.steps[2].notify == my.steps[2].notify == ((),)
    # pingpong[2] (y, x): now y is the notifier.
    assert my.steps[3] == Step(3, SEND, to=(x,), next=(4, 0), notify=((), (sel,)))
    assert mx.steps[3] == Step(3, RECEIVE, peer=y, next=(4, 0), notify=((), ()))
    # The choice itself does not leave "rounds" except by "quit", and rounds has no externals.
    assert mx.steps[0] == Step(0, RECEIVE, peer=sel, next=(1, 3, 5), notify=((), (), ()))
    assert [b.leaves for b in composed.states[0].branches] == [True, True, True]


def test_leaves_flags_of_the_composition(composed: tp.Script) -> None:
    flags = {s.name: [b.leaves for b in s.branches] for s in composed.states}
    assert flags == {
        "Choose": [True, True, True],
        "Ping[1]": [False, True],
        "Pong[1]": [False],
        "Ping[2]": [False, True],
        "Pong[2]": [False],
        "Exit": [],
    }


def test_factory_used_twice_gives_distinct_instances(composed: tp.Script) -> None:
    p1, p2 = composed.state("Ping[1]"), composed.state("Ping[2]")
    assert p1.state is not p2.state
    assert p1.state.name == p2.state.name == "Ping"
    assert p1.state.protocol is not p2.state.protocol
    assert p1.file == p2.file and p1.line == p2.line
    with pytest.raises(KeyError):
        composed.state("Ping")


def test_factory_used_once_has_no_instance_suffix(pp: tp.Script) -> None:
    assert [p.name for p in pp.protocols] == ["pingpong"]
    assert "Ping[1]" not in names(pp)


# -- SKIP -----------------------------------------------------------------------------


def test_skip_for_internal_roles_not_involved() -> None:
    a, b, c = tp.Role("a", Alice), tp.Role("b", Bob), tp.Role("c", Sel)
    with tp.protocol("trio", a, b, c):
        s = tp.state("Hand", a, to=[b])
        t = tp.state("Tell", b, to=[a, c])
    s.branch("give", None, next=t)
    done = t.branch("done", int, next=tp.Exit)
    t.branch("again", None, next=s)

    @t.decide
    def pick(ctx: Bob) -> tp.Message:
        return done(1)

    sc = tp.script("skip", s)
    assert sc.machine("a").actions() == (SEND, RECEIVE, EXIT)
    assert sc.machine("b").actions() == (RECEIVE, SEND, EXIT)
    assert sc.machine("c").actions() == (SKIP, RECEIVE, EXIT)
    assert sc.machine("c").steps[0] == Step(0, SKIP, next=(1,), notify=((),))
    assert sc.machine("c").steps[1] == Step(1, RECEIVE, peer=1, next=(2, 0), notify=((), ()))


def test_a_notifier_that_skips_still_notifies() -> None:
    n, a, b, z = (tp.Role(r, Alice) for r in ("n", "a", "b", "z"))
    with tp.protocol("outer", z, n, a, b):
        start = tp.state("Start", z, to=[n, a, b])
    with tp.protocol("inner", n, a, b):
        work = tp.state("Work", a, to=[b])
    start.branch("go", None, next=work)
    work.branch("done", None, next=tp.Exit)
    sc = tp.script("skipper", start)
    z_id = sc.role_id("z")
    inner = sc.protocols[1]
    assert inner.notifier == sc.role_id("n")
    assert inner.externals == (z_id,)
    assert sc.machine("n").steps[1] == Step(1, SKIP, next=(2,), notify=((z_id,),))
    assert sc.machine("a").steps[1].notify == ((),)
    assert sc.machine("b").steps[1] == Step(1, RECEIVE, peer=sc.role_id("a"), next=(2,),
                                            notify=((),))
    assert sc.machine("z").steps[1] == Step(1, WAIT, peer=sc.role_id("n"))


def test_one_role_script_is_a_plain_fsm() -> None:
    solo = tp.Role("solo", Alice)
    with tp.protocol("counter", solo):
        count = tp.state("Count", solo)
    more = count.branch("more", int, next=count)
    count.branch("done", None, next=tp.Exit)

    @count.decide
    def step(ctx: Alice) -> tp.Message:
        return more(ctx.counter)

    sc = tp.script("counter", count)
    [m] = sc.machines
    assert m.steps == (Step(0, SEND, to=(), next=(0, 1), notify=((), ())), Step(1, EXIT))


def test_projections_compare_as_data() -> None:
    def build() -> tp.Script:
        return tp.script("pingpong", pingpong(tp.Role("alice", Alice), tp.Role("bob", Bob),
                                               tp.Exit))

    one, two = build(), build()
    assert one.machines == two.machines
    assert one.states == two.states
    assert one.protocols[0].name == two.protocols[0].name
    other = tp.script("pingpong", pingpong(tp.Role("bob", Bob), tp.Role("alice", Alice),
                                            tp.Exit))
    assert other.machines != one.machines


def test_a_protocol_named_like_the_script_is_not_a_second_instance() -> None:
    # States outside any protocol form a root protocol named after the script. A factory
    # used once, whose protocol has the script's name, is still a single instance: no
    # [k] suffixes on its states, nor on the root's.
    a, b = tp.Role("a", Alice), tp.Role("b", Bob)
    start = tp.state("Start", a, to=[b])
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
    start.branch("go", None, next=ping)
    ping.branch("end", None, next=tp.Exit)
    sc = tp.script("pingpong", start)
    assert names(sc) == ["Start", "Ping", "Exit"]
