"""Property tests: random well-formed scripts check and project consistently, and random
rule-breaking mutations of them are rejected with the right code.

A script is first drawn as plain data (``Spec``), then built with the public API by
``build``. The spec is the oracle: the projection must agree with it.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import troupe as tp
from troupe import Action

EXIT = -1  # a branch target meaning ``tp.Exit``
ROOT = -1  # a state's protocol when it is written outside any ``tp.protocol`` block

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
MUTATION_SETTINGS = settings(SETTINGS, max_examples=15)


class Ctx(tp.Context):
    n: int = 0


class Point(msgspec.Struct):
    x: int
    y: int


class Plain:
    """Not serialisable."""


PAYLOADS: list[tuple[object, object]] = [
    (None, None),
    (int, 7),
    (str, "s"),
    (bytes, b"b"),
    (float, 1.5),
    (list[int], [1, 2]),
    (dict[str, int], {"k": 1}),
    (tuple[int, str], (1, "a")),
    (int | None, None),
    (Point, Point(1, 2)),
]


# -- the spec ---------------------------------------------------------------------------


@dataclass
class BranchSpec:
    label: str
    payload: int  # index into PAYLOADS
    target: int  # state index or EXIT


@dataclass
class StateSpec:
    name: str
    proto: int
    sender: int
    receivers: list[int]
    branches: list[BranchSpec]
    decide: bool
    reactions: list[tuple[int, int]]  # (branch index, role)
    # Fields only mutations use:
    extra_decide: bool = False
    decide_arity: int = 1
    foreign_branch: int | None = None  # state index whose first branch the decision uses
    react_arity: int = 2
    raw_payload: dict[int, object] = field(default_factory=dict)  # branch -> payload type
    sender_twin: bool = False  # sender is a second Role object with the sender's name


@dataclass
class Spec:
    n_roles: int
    protocols: list[list[int]]  # internal roles of each protocol, in order
    states: list[StateSpec]  # states[0] is the entry
    dup_role_in: int | None = None  # protocol listing its first role twice
    unreachable_in: int | None = None  # protocol with an extra unreachable state

    def used_roles(self) -> set[int]:
        found = {r for s in self.states if s.proto != ROOT for r in self.protocols[s.proto]}
        for s in self.states:
            if s.proto == ROOT:
                found |= {s.sender, *s.receivers}
        return found

    def internal(self, p: int) -> list[int]:
        """A protocol's internal roles; the script's root protocol has them all."""
        return sorted(self.used_roles()) if p == ROOT else self.protocols[p]

    def externals(self, p: int) -> list[int]:
        return sorted(self.used_roles() - set(self.internal(p)))


@st.composite
def specs(draw: st.DrawFn, min_roles: int = 1) -> Spec:
    """A random well-formed script.

    Every state i > 0 hangs off a tree edge from an earlier state, so every state is
    reachable; a state with no tree child has a branch to Exit, so Exit is reachable
    from everywhere, and every protocol can be left from each of its states (what
    external roles need). Extra branches go anywhere, back edges and Exit included.
    """
    n_roles = draw(st.integers(min_roles, 5))
    n_protos = draw(st.integers(1, 3))
    protocols = []
    for _ in range(n_protos):
        order = draw(st.permutations(range(n_roles)))
        protocols.append(list(order[: draw(st.integers(1, n_roles))]))
    n_states = draw(st.integers(1, 8))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n_states)]
    # States outside any protocol belong to the root protocol, whose internal roles are
    # all the roles of the script: draw where each state belongs and who sends first.
    procs = [draw(st.integers(ROOT, n_protos - 1)) for _ in range(n_states)]
    senders = [
        draw(st.integers(0, n_roles - 1) if p == ROOT else st.sampled_from(protocols[p]))
        for p in procs
    ]
    every = sorted(
        {r for p in procs if p != ROOT for r in protocols[p]}
        | {r for p, r in zip(procs, senders, strict=True) if p == ROOT}
    )
    states: list[StateSpec] = []
    for i in range(n_states):
        proto, sender = procs[i], senders[i]
        internal = every if proto == ROOT else protocols[proto]
        targets = [j for j in range(n_states) if parent[j] == i]
        extra = draw(st.lists(st.integers(EXIT, n_states - 1), max_size=2))
        targets = draw(st.permutations(targets + extra if targets else [EXIT, *extra]))
        payloads = draw(st.lists(st.integers(0, len(PAYLOADS) - 1),
                                 min_size=len(targets), max_size=len(targets)))
        branches = [
            BranchSpec(f"b{k}", payloads[k], t) for k, t in enumerate(targets)
        ]
        others = [r for r in internal if r != sender]
        if len(branches) > 1:
            receivers = list(draw(st.permutations(others)))
        elif others:
            receivers = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        else:
            receivers = []
        needs = len(branches) > 1 or any(PAYLOADS[b.payload][0] is not None for b in branches)
        decide = needs or draw(st.booleans())
        pairs = [(k, r) for k in range(len(branches)) for r in receivers]
        keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
        reactions = [pair for pair, kept in zip(pairs, keep, strict=True) if kept]
        states.append(StateSpec(f"S{i}", proto, sender, receivers, branches, decide, reactions))
    return Spec(n_roles, protocols, states)


def build(spec: Spec) -> tp.State[Any]:
    """The script of ``spec``, written with the public API."""
    roles = [tp.Role(f"r{i}", Ctx) for i in range(spec.n_roles)]
    made: list[tp.State[Any] | None] = [None] * len(spec.states)
    for i, want in enumerate(spec.states):
        if want.proto == ROOT:
            made[i] = _make_state(want, roles)
    for p, internal in enumerate(spec.protocols):
        listed = [roles[r] for r in internal]
        if spec.dup_role_in == p:
            listed.append(listed[0])
        with tp.protocol(f"P{p}", *listed):
            for i, want in enumerate(spec.states):
                if want.proto == p:
                    made[i] = _make_state(want, roles)
            if spec.unreachable_in == p:
                lost = tp.state("Lost", roles[internal[0]], to=[roles[r] for r in internal[1:]])
                lost.branch("out", None, next=tp.Exit)
    states = [s for s in made if s is not None]
    assert len(states) == len(spec.states)
    for s, want in zip(states, spec.states, strict=True):
        for k, b in enumerate(want.branches):
            payload = want.raw_payload.get(k, PAYLOADS[b.payload][0])
            s.branch(b.label, payload, next=tp.Exit if b.target == EXIT else states[b.target])
    for s, want in zip(states, spec.states, strict=True):
        if want.decide:
            s.decide(_decision(s, want.decide_arity, want.foreign_branch, states))
        if want.extra_decide:
            s.decide(_decision(s, 1, None, states))
        for k, r in want.reactions:
            s.branches[k].on(roles[r])(_reaction(want.react_arity))
    return states[0]


def _make_state(want: StateSpec, roles: list[tp.Role[Ctx]]) -> tp.State[Any]:
    sender = roles[want.sender]
    if want.sender_twin:
        sender = tp.Role(sender.name, Ctx)
    return tp.state(want.name, sender, to=[roles[r] for r in want.receivers])


def _decision(
    s: tp.State[Any], arity: int, foreign: int | None, states: list[tp.State[Any]]
) -> Callable[..., tp.Message]:
    # Branches are reached through the state (a closure over a State, not a Branch), so the
    # checker sees no foreign branch unless one is planted on purpose.
    if foreign is not None:
        planted = states[foreign].branches[0]

        def uses_foreign(ctx: Ctx) -> tp.Message:
            return planted()

        return uses_foreign
    if arity == 2:

        def two(ctx: Ctx, extra: int) -> tp.Message:
            return (s.branches[0], None)

        return two

    def decide(ctx: Ctx) -> tp.Message:
        return (s.branches[0], None)

    return decide


def _reaction(arity: int) -> Callable[..., None]:
    if arity == 1:

        def one(ctx: Ctx) -> None:
            pass

        return one

    def react(ctx: Ctx, payload: object) -> None:
        pass

    return react


# -- the oracle -------------------------------------------------------------------------


def preorder(spec: Spec) -> list[int]:
    """Spec state indices in depth-first preorder from state 0 (recursive, by definition)."""
    order: list[int] = []

    def visit(i: int) -> None:
        if i == EXIT or i in order:
            return
        order.append(i)
        for b in spec.states[i].branches:
            visit(b.target)

    visit(0)
    return order


@given(specs())
@SETTINGS
def test_well_formed_scripts_build_and_project_consistently(spec: Spec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.ScriptWarning)
        sc = tp.script("random", build(spec))
    assert sc.warnings == ()
    assert tp.diagnose("random", build(spec)) == []
    n = len(spec.states)

    # Ids are a permutation of 0..n, in DFS preorder, Exit last.
    assert [s.id for s in sc.states] == list(range(n + 1))
    assert sc.states[-1].is_exit and sc.exit == n
    order = preorder(spec)
    assert [s.name for s in sc.states[:-1]] == [spec.states[i].name for i in order]
    sid = {i: k for k, i in enumerate(order)} | {EXIT: n}

    role_names = [r.name for r in sc.roles]
    assert sorted(role_names) == sorted(f"r{i}" for i in spec.used_roles())
    rid = {int(name[1:]): k for k, name in enumerate(role_names)}
    assert [m.name for m in sc.machines] == role_names
    assert all(len(m.steps) == n + 1 for m in sc.machines)

    for info in sc.states[:-1]:
        s = spec.states[order[info.id]]
        proto = sc.protocols[info.protocol]
        internal = tuple(rid[r] for r in spec.internal(s.proto))
        externals = tuple(sorted(rid[r] for r in spec.externals(s.proto)))
        if s.proto == ROOT:
            assert proto.name == "random"
            assert sorted(proto.roles) == sorted(internal) == list(range(len(sc.roles)))
            internal = proto.roles  # in order of first appearance
        else:
            assert proto.name == f"P{s.proto}"
            assert proto.roles == internal
        assert tuple(sorted(proto.externals)) == externals
        assert info.sender == rid[s.sender]
        assert info.receivers == tuple(rid[r] for r in s.receivers)
        nexts = tuple(sid[b.target] for b in s.branches)
        assert tuple(b.next for b in info.branches) == nexts
        assert [b.label for b in info.branches] == [b.label for b in s.branches]
        leaves = [
            b.target == EXIT or spec.states[b.target].proto != s.proto for b in s.branches
        ]
        assert [b.leaves for b in info.branches] == leaves

        steps = {r: m.steps[info.id] for r, m in enumerate(sc.machines)}
        assert all(step.state == info.id for step in steps.values())
        senders = [r for r, step in steps.items() if step.action is Action.SEND]
        assert senders == [info.sender]
        for r, step in steps.items():
            if r == info.sender:
                assert step.to == info.receivers
            elif r in info.receivers:
                assert step.action is Action.RECEIVE
                assert step.peer == info.sender
            elif r in internal:
                assert step.action is Action.SKIP
                assert len(info.branches) == 1
            else:
                assert step.action is Action.WAIT
                assert step.peer == internal[0]
                assert step.next == () and step.notify == ()
                continue
            # Every involved role agrees on where each branch goes ...
            assert step.next == nexts
            # ... and only the notifier tells the externals, on branches that leave.
            expected = tuple(
                externals if (leave and r == internal[0]) else () for leave in leaves
            )
            assert tuple(tuple(sorted(x)) for x in step.notify) == expected
            assert step.notify == tuple(proto.externals if x else () for x in expected)

    for m in sc.machines:
        assert m.steps[-1].action is Action.EXIT


# -- mutations --------------------------------------------------------------------------
#
# Each mutation takes a well-formed spec and breaks one rule, returning the code that
# must be reported, or ``None`` when it does not apply to this spec.

Mutation = Callable[[Spec, st.DataObject], str | None]


def _pick(data: st.DataObject, items: list[Any]) -> Any:
    assume(items)
    return data.draw(st.sampled_from(items))


def m_sender_external(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if spec.externals(s.proto)])
    s = spec.states[i]
    s.sender = data.draw(st.sampled_from(spec.externals(s.proto)))
    s.reactions = [(k, r) for k, r in s.reactions if r != s.sender]
    return "T101"


def m_receiver_external(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if spec.externals(s.proto)])
    s = spec.states[i]
    s.receivers.insert(data.draw(st.integers(0, len(s.receivers))),
                       data.draw(st.sampled_from(spec.externals(s.proto))))
    return "T102"


def m_no_receivers(spec: Spec, data: st.DataObject) -> str | None:
    # Not at the root: a role only a root state names would leave the script with it.
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.receivers and s.proto != ROOT])
    spec.states[i].receivers = []
    spec.states[i].reactions = []
    return "T103"


def m_duplicate_receiver(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.receivers])
    s = spec.states[i]
    s.receivers.append(data.draw(st.sampled_from(s.receivers)))
    return "T104"


def m_sender_is_receiver(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    s = spec.states[i]
    s.receivers.insert(data.draw(st.integers(0, len(s.receivers))), s.sender)
    return "T105"


def m_choice_not_known(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states)
                     if len(s.branches) > 1 and s.receivers and s.proto != ROOT])
    s = spec.states[i]
    gone = data.draw(st.sampled_from(s.receivers))
    s.receivers.remove(gone)
    s.reactions = [(k, r) for k, r in s.reactions if r != gone]
    return "T106"


def m_choice_added_without_telling(spec: Spec, data: st.DataObject) -> str | None:
    # A single-branch state that does not tell every internal role gets a second branch.
    i = _pick(data, [i for i, s in enumerate(spec.states) if len(s.branches) == 1
                     and len(s.receivers) + 1 < len(spec.internal(s.proto))])
    s = spec.states[i]
    s.branches.append(BranchSpec("extra", 0, EXIT))
    s.decide = True
    return "T106"


def _used_protocols(spec: Spec) -> list[int]:
    return sorted({s.proto for s in spec.states if s.proto != ROOT})


def m_unreachable(spec: Spec, data: st.DataObject) -> str | None:
    # (An unreachable state outside any protocol is unknown to the script: no rule can see it.)
    spec.unreachable_in = _pick(data, _used_protocols(spec))
    return "T107"


def m_no_branches(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    s = spec.states[i]
    s.branches = []
    s.reactions = []
    s.decide = False
    return "T108"


def m_duplicate_label(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    s = spec.states[i]
    copy = dataclasses.replace(data.draw(st.sampled_from(s.branches)))
    s.branches.insert(data.draw(st.integers(0, len(s.branches))), copy)
    # Two branches now: keep knowledge of choice and the decision.
    s.receivers = [r for r in spec.internal(s.proto) if r != s.sender]
    s.decide = True
    s.reactions = []
    return "T109"


def m_duplicate_state(spec: Spec, data: st.DataObject) -> str | None:
    pairs = [
        (i, j) for i, s in enumerate(spec.states) for j, t in enumerate(spec.states)
        if i != j and s.proto == t.proto
    ]
    i, j = _pick(data, pairs)
    spec.states[j].name = spec.states[i].name
    return "T111"


def m_duplicate_protocol_role(spec: Spec, data: st.DataObject) -> str | None:
    spec.dup_role_in = _pick(data, _used_protocols(spec))
    return "T112"


def m_missing_decide(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if len(s.branches) > 1
                     or any(PAYLOADS[b.payload][0] is not None for b in s.branches)])
    spec.states[i].decide = False
    return "T201"


def m_reaction_for_non_receiver(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    s = spec.states[i]
    outsiders = [r for r in range(spec.n_roles) if r not in s.receivers]
    k = data.draw(st.integers(0, len(s.branches) - 1))
    s.reactions.append((k, data.draw(st.sampled_from(outsiders))))
    return "T202"


def m_foreign_branch(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.decide])
    others = [j for j in range(len(spec.states)) if j != i]
    spec.states[i].foreign_branch = _pick(data, others)
    return "T203"


def m_decide_arity(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.decide])
    spec.states[i].decide_arity = 2
    return "T204"


def m_react_arity(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.reactions])
    spec.states[i].react_arity = 1
    return "T204"


def m_two_decisions(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    spec.states[i].decide = True
    spec.states[i].extra_decide = True
    return "T205"


def m_two_reactions(spec: Spec, data: st.DataObject) -> str | None:
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.reactions])
    s = spec.states[i]
    s.reactions.append(data.draw(st.sampled_from(s.reactions)))
    return "T205"


def m_bad_payload(spec: Spec, data: st.DataObject) -> str | None:
    i = data.draw(st.integers(0, len(spec.states) - 1))
    s = spec.states[i]
    k = data.draw(st.integers(0, len(s.branches) - 1))
    s.raw_payload[k] = data.draw(st.sampled_from(
        [object, Plain, list[Plain], dict[str, object], Callable[[int], int], "int"]
    ))
    s.decide = True
    return "T301"


def m_role_conflict(spec: Spec, data: st.DataObject) -> str | None:
    # In a protocol, whose list of roles holds the first Role object of that name.
    i = _pick(data, [i for i, s in enumerate(spec.states) if s.proto != ROOT])
    spec.states[i].sender_twin = True
    return "T302"


MUTATIONS: list[Mutation] = [
    m_sender_external,
    m_receiver_external,
    m_no_receivers,
    m_duplicate_receiver,
    m_sender_is_receiver,
    m_choice_not_known,
    m_choice_added_without_telling,
    m_unreachable,
    m_no_branches,
    m_duplicate_label,
    m_duplicate_state,
    m_duplicate_protocol_role,
    m_missing_decide,
    m_reaction_for_non_receiver,
    m_foreign_branch,
    m_decide_arity,
    m_react_arity,
    m_two_decisions,
    m_two_reactions,
    m_bad_payload,
    m_role_conflict,
]


# Mutations that need external roles, or a protocol of three roles, get scripts with
# enough roles for that to be likely.
MIN_ROLES: dict[Mutation, int] = {
    m_sender_external: 2,
    m_receiver_external: 2,
    m_choice_added_without_telling: 3,
}


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__[2:] for m in MUTATIONS])
@given(data=st.data())
@MUTATION_SETTINGS
def test_mutations_are_rejected_with_their_code(mutate: Mutation, data: st.DataObject) -> None:
    spec = data.draw(specs(min_roles=MIN_ROLES.get(mutate, 1)), label="spec")
    code = mutate(spec, data)
    assert code is not None
    entry = build(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tp.ScriptWarning)
        with pytest.raises(tp.ScriptError) as info:
            tp.script("mutant", entry)
    codes = {d.code for d in info.value.diagnostics}
    assert code in codes, info.value
    assert f"{code} " in str(info.value)
    for d in info.value.diagnostics:
        assert d.line > 0 and d.file
