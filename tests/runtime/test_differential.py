"""Differential tests: random runnable scripts give the same results on every runtime.

A script is drawn as plain data (``Spec``, adapted from ``tests/test_properties.py``)
and built with the public API, with handlers that make every run terminate and
every runtime compute the same values:

- each role's context has a seed, a step counter (every handler call of the role
  counts one step) and a budget; a decision picks a branch from a hash of the
  context's own data while the budget lasts, then the branch on a shortest path to
  Exit, so a run always ends;
- payloads are made from the same hash, so they are identical on every runtime;
- decisions and reactions log ``(kind, state, label, payload)`` into their own
  context, and reactions fold what they received into the context's data, so what
  a role decides later depends on what it received.

The oracle is ``reference``: a central interpreter walking the *unprojected*
script (the ``State`` objects) in one thread, calling the same handlers. Every
runtime's final contexts must equal the reference's, and the traced runtimes must
show each role the same sequence of events (STYLE.md point 8).

Also here: a handler raising at a random step fails the session with the same
cause, state and role everywhere; ``run_many`` equals single runs (and agrees on
every runtime); the generated inproc step compiles and dispatches correctly for
scripts of 1 to 200 states (every shape of its binary tree over state ids); a
malformed message fails on every runtime; a WAIT takes its own notifier's notice
when another one overtakes it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import troupe as tp
from troupe._plan import Plan
from troupe.runtime.inproc import STEPS, source_of

EXIT = -1  # a branch target meaning ``tp.Exit``
ROOT = -1  # a state's protocol when it is written outside any ``tp.protocol`` block

SETTINGS = settings(
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

PAYLOAD_TYPES: list[object] = [None, int, str, bytes, list[int]]

# Configurations every generated script runs on: (runtime, traced).
CONFIGS = [("inproc", False), ("inproc", True), ("asyncio", True), ("threads", True)]


# -- deterministic data from a context --------------------------------------------------

_M = (1 << 64) - 1


def mix(*xs: int) -> int:
    """A 64-bit hash of integers (splitmix-like): the same in every process and run."""
    h = 0x9E3779B97F4A7C15
    for x in xs:
        h = ((h ^ (x & _M)) * 0xBF58476D1CE4E5B9) & _M
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & _M
        h ^= h >> 29
    return h


def digest(payload: object) -> int:
    """A deterministic hash of a payload (``hash`` of str/bytes varies between processes)."""
    if payload is None:
        return 1
    if isinstance(payload, int):
        return mix(2, payload)
    if isinstance(payload, str):
        return mix(3, zlib.crc32(payload.encode()))
    if isinstance(payload, bytes):
        return mix(4, zlib.crc32(payload))
    if isinstance(payload, list):
        return mix(5, *payload)
    raise TypeError(f"unexpected payload {payload!r}")


def make_payload(kind: object, x: int) -> object:
    """A payload of type ``kind`` made from the hash ``x``."""
    if kind is None:
        return None
    if kind is int:
        return [x % 2001 - 1000, x, -x, 0][(x >> 60) % 4]
    if kind is str:
        return f"s{x % 9973}" + "é" * ((x >> 20) % 3)
    if kind is bytes:
        return x.to_bytes(8, "little")[: (x >> 40) % 9]
    return [(x >> (8 * i)) & 0xFF for i in range((x >> 50) % 5)]  # list[int]


class Ctx(tp.Context):
    seed: int = 0
    budget: int = 0  # steps of free choice; then every decision heads for Exit
    boom_at: int = 0  # the step at which this role's handler raises (0: never)
    steps: int = 0
    acc: int = 0
    log: list[Any] = msgspec.field(default_factory=list)


class Boom(Exception):
    """What a handler raises at its role's ``boom_at`` step: ``Boom(role, step, state)``."""


RAISED: list[Boom] = []  # every Boom raised, so a test can check the cause's identity
JITTER = threading.Event()  # set: handlers sometimes sleep, to shuffle thread schedules


def tick(ctx: Ctx, role: str, state: str) -> None:
    """Count one handler call of the role; raise at its ``boom_at`` step."""
    ctx.steps += 1
    if JITTER.is_set() and mix(ctx.seed, ctx.steps, 99) % 3 == 0:
        time.sleep(0.0002 * (mix(ctx.seed, ctx.steps) % 4))
    if ctx.steps == ctx.boom_at:
        e = Boom(role, ctx.steps, state)
        RAISED.append(e)
        raise e


# -- the spec ---------------------------------------------------------------------------


@dataclass
class BranchSpec:
    label: str
    payload: int  # index into PAYLOAD_TYPES
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


@dataclass
class Spec:
    n_roles: int
    protocols: list[list[int]]  # internal roles of each protocol, in order
    states: list[StateSpec]  # states[0] is the entry

    def away(self) -> list[list[int]]:
        """Per state, the indices of its branches that do not go to Exit."""
        return [[k for k, b in enumerate(s.branches) if b.target != EXIT] for s in self.states]

    def home(self) -> list[int]:
        """Per state, the index of a branch on a shortest path to Exit."""
        inf = len(self.states) + 1
        dist = [inf] * len(self.states)

        def d(t: int) -> int:
            return 0 if t == EXIT else dist[t]

        changed = True
        while changed:
            changed = False
            for i, s in enumerate(self.states):
                best = 1 + min(d(b.target) for b in s.branches)
                if best < dist[i]:
                    dist[i], changed = best, True
        assert max(dist) < inf, "Exit must be reachable from every state"
        return [min(range(len(s.branches)), key=lambda k: d(s.branches[k].target))
                for s in self.states]


@st.composite
def specs(draw: st.DrawFn, max_roles: int = 4, max_states: int = 8) -> Spec:
    """A random runnable script (see ``tests/test_properties.py::specs``).

    Every state i > 0 hangs off a tree edge from an earlier state, so every state is
    reachable; a state with no tree child has a branch to Exit, so Exit is reachable
    from everywhere, and every protocol can be left (what external roles need).
    Extra branches go anywhere: back edges (recursion) and Exit included. A state
    with several branches sends to every other internal role of its protocol.
    """
    n_roles = draw(st.integers(1, max_roles))
    n_protos = draw(st.integers(1, 3))
    protocols = []
    for _ in range(n_protos):
        order = draw(st.permutations(range(n_roles)))
        protocols.append(list(order[: draw(st.integers(1, n_roles))]))
    # Tiny scripts are drawn often enough anyway: lean towards bigger ones.
    n_states = draw(st.integers(1, max_states) | st.integers(max_states // 2, max_states))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n_states)]
    procs = [draw(st.integers(ROOT, n_protos - 1)) for _ in range(n_states)]
    senders = [
        draw(st.integers(0, n_roles - 1) if p == ROOT else st.sampled_from(protocols[p]))
        for p in procs
    ]
    # The root protocol's internal roles are all the roles the script uses.
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
        # Recursion, back to this state or an earlier one: mostly from leaves, which
        # would otherwise end the run.
        if draw(st.integers(0, 3)) < (3 if not targets else 1):
            extra.append(draw(st.integers(0, i)))
        targets = draw(st.permutations(targets + extra if targets else [EXIT, *extra]))
        payloads = draw(st.lists(st.integers(0, len(PAYLOAD_TYPES) - 1),
                                 min_size=len(targets), max_size=len(targets)))
        branches = [BranchSpec(f"b{k}", payloads[k], t) for k, t in enumerate(targets)]
        others = [r for r in internal if r != sender]
        if len(branches) > 1:
            receivers = list(draw(st.permutations(others)))
        elif others:
            receivers = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        else:
            receivers = []
        needs = len(branches) > 1 or PAYLOAD_TYPES[branches[0].payload] is not None
        decide = needs or draw(st.booleans())
        pairs = [(k, r) for k in range(len(branches)) for r in receivers]
        keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
        reactions = [pair for pair, kept in zip(pairs, keep, strict=True) if kept]
        states.append(StateSpec(f"S{i}", proto, sender, receivers, branches, decide, reactions))
    return Spec(n_roles, protocols, states)


# -- building ---------------------------------------------------------------------------


def build(spec: Spec) -> tp.Script:
    """The script of ``spec``, written with the public API, with runnable handlers."""
    roles = [tp.Role(f"r{i}", Ctx) for i in range(spec.n_roles)]
    made: list[tp.State[Any] | None] = [None] * len(spec.states)

    def make(i: int, want: StateSpec) -> None:
        made[i] = tp.state(want.name, roles[want.sender], to=[roles[r] for r in want.receivers])

    for i, want in enumerate(spec.states):
        if want.proto == ROOT:
            make(i, want)
    for p, internal in enumerate(spec.protocols):
        with tp.protocol(f"P{p}", *[roles[r] for r in internal]):
            for i, want in enumerate(spec.states):
                if want.proto == p:
                    make(i, want)
    states = [s for s in made if s is not None]
    assert len(states) == len(spec.states)
    for s, want in zip(states, spec.states, strict=True):
        for b in want.branches:
            s.branch(b.label, PAYLOAD_TYPES[b.payload],
                     next=tp.Exit if b.target == EXIT else states[b.target])
    home, away = spec.home(), spec.away()
    for i, (s, want) in enumerate(zip(states, spec.states, strict=True)):
        kinds = [PAYLOAD_TYPES[b.payload] for b in want.branches]
        if want.decide:
            s.decide(decision(s, f"r{want.sender}", kinds, home[i], away[i]))
        for k, r in want.reactions:
            s.branches[k].on(roles[r])(reaction(s.name, want.branches[k].label, f"r{r}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", tp.ScriptWarning)
        return tp.script("differential", states[0])


def decision(s: tp.State[Any], role: str, kinds: list[object], home: int, away: list[int]
             ) -> Callable[[Ctx], tp.Message]:
    """Within budget, mostly a branch that does not end the run; then the way home."""
    # Branches are reached through the state (a closure over a State, not a Branch):
    # the checker looks for foreign branches in closures.
    name = s.name
    labels = [b.label for b in s.branches]

    def decide(ctx: Ctx) -> tp.Message:
        tick(ctx, role, name)
        x = mix(ctx.seed, ctx.steps, ctx.acc)
        if ctx.steps > ctx.budget:
            k = home
        elif away and x % 16:
            k = away[(x >> 3) % len(away)]
        else:
            k = (x >> 3) % len(kinds)
        payload = make_payload(kinds[k], mix(x, 7))
        ctx.log.append(("send", name, labels[k], payload))
        ctx.acc = mix(ctx.acc, k + 1)
        return s.branches[k](payload)

    return decide


def reaction(state: str, label: str, role: str) -> Callable[[Ctx, Any], None]:
    def react(ctx: Ctx, payload: Any) -> None:
        tick(ctx, role, state)
        ctx.log.append(("recv", state, label, payload))
        ctx.acc = mix(ctx.acc, digest(payload))

    return react


def contexts(sc: tp.Script, seed: int, budgets: list[int],
             boom: tuple[str, int] | None = None) -> dict[str, Ctx]:
    """Fresh contexts of every role of ``sc`` (``boom``: role and step that raise)."""
    out = {}
    for role in sc.roles:
        i = int(role.name[1:])
        at = boom[1] if boom is not None and boom[0] == role.name else 0
        out[role.name] = Ctx(seed=mix(seed, i), budget=budgets[i % len(budgets)], boom_at=at)
    return out


# -- the oracle -------------------------------------------------------------------------


def reference(entry: tp.State[Any], ctxs: dict[str, Any]) -> tuple[str, str, Exception] | None:
    """Run the unprojected script in one thread; the failure ``(state, role, error)`` or None.

    Reads the ``State`` objects only (senders, receivers, deciders, branches and their
    reactions): no projection, no plan.
    """
    s = entry
    while s is not tp.Exit:
        assert s.sender is not None
        who = s.sender.name
        try:
            msg = s.deciders[0](ctxs[who]) if s.deciders else s.branches[0]()
        except Exception as e:
            return s.name, who, e
        b, payload = msg
        assert b in s.branches
        for r in s.receivers:
            for role, fn in b.reactions:
                if role is r:
                    try:
                        fn(ctxs[r.name], payload)
                    except Exception as e:
                        return s.name, r.name, e
        s = b.next
    return None


def entry_of(sc: tp.Script) -> tp.State[Any]:
    return sc.states[0].state


def role_traces(events: list[tp.Event]) -> dict[str, list[tuple[Any, ...]]]:
    """Per role, the sequence of (kind, state, branch, peer): what the role saw, in order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for e in events:
        out.setdefault(e.role, []).append((e.kind, e.state, e.branch, e.peer))
    return out


def run_on(sc: tp.Script, ctxs: dict[str, Ctx], runtime: str, traced: bool
           ) -> tuple[tp.Result, list[tp.Event] | None]:
    tracer = tp.ListTracer() if traced else None
    res = tp.run(sc, ctxs, runtime=runtime, trace=tracer, timeout=20)  # type: ignore[arg-type]
    return res, (list(tracer.events) if tracer is not None else None)


# -- cases ------------------------------------------------------------------------------


class Case(NamedTuple):
    spec: Spec
    seed: int
    budgets: list[int]


@st.composite
def cases(draw: st.DrawFn, max_budget: int = 50) -> Case:
    spec = draw(specs())
    seed = draw(st.integers(0, 2**32))
    budget = st.integers(-5, max_budget).map(lambda b: max(b, 0))  # 0: straight home
    budgets = draw(st.lists(budget, min_size=spec.n_roles, max_size=spec.n_roles))
    return Case(spec, seed, budgets)


# -- 1. every runtime, same contexts, same traces ---------------------------------------


@given(cases())
@settings(SETTINGS, max_examples=80)
def test_every_runtime_gives_the_reference_contexts_and_the_same_traces(case: Case) -> None:
    sc = build(case.spec)
    names = [r.name for r in sc.roles]
    want = contexts(sc, case.seed, case.budgets)
    assert reference(entry_of(sc), want) is None

    traces: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for runtime, traced in CONFIGS:
        label = f"{runtime}{' traced' if traced else ''}"
        res, events = run_on(sc, contexts(sc, case.seed, case.budgets), runtime, traced)
        assert res.ok, (label, res.error)
        assert list(res) == names
        for role in names:
            assert res[role].state == "Exit", (label, role)
            assert res.context(role) == want[role], (label, role)
        if events is not None:
            traces[label] = role_traces(events)
            check_trace_shape(sc, events)
    ref = traces["inproc traced"]
    assert set(ref) == set(names)
    for label, got in traces.items():
        assert got == ref, label


@given(cases())
@settings(SETTINGS, max_examples=25)
def test_threads_agree_when_handlers_take_their_time(case: Case) -> None:
    """Handlers that sleep now and then let roles run ahead and messages arrive early."""
    sc = build(case.spec)
    want = contexts(sc, case.seed, case.budgets)
    assert reference(entry_of(sc), want) is None
    _, ref_events = run_on(sc, contexts(sc, case.seed, case.budgets), "inproc", True)
    assert ref_events is not None
    JITTER.set()
    try:
        res, events = run_on(sc, contexts(sc, case.seed, case.budgets), "threads", True)
    finally:
        JITTER.clear()
    assert res.ok, res.error
    for role in res:
        assert res.context(role) == want[role], role
    assert events is not None
    assert role_traces(events) == role_traces(ref_events)


def check_trace_shape(sc: tp.Script, events: list[tp.Event]) -> None:
    """Every send has its receive, every notify its notified; each role enters, then exits."""
    sends = sorted((e.role, e.peer, e.state, e.branch) for e in events if e.kind == "send")
    receives = sorted((e.peer, e.role, e.state, e.branch) for e in events if e.kind == "receive")
    assert sends == receives
    notifies = sorted((e.role, e.peer, e.state) for e in events if e.kind == "notify")
    notified = sorted((e.peer, e.role, e.state) for e in events if e.kind == "notified")
    assert notifies == notified
    for role, seen in role_traces(events).items():
        assert seen[0] == ("enter", sc.states[0].name, None, None), role
        assert seen[-1] == ("exit", "Exit", None, None), role
        assert [k for k, *_ in seen].count("exit") == 1, role


def test_generated_scripts_exercise_waits_and_recursion() -> None:
    """The generator is not vacuous: it makes externals, notifications and loops."""
    seen = {"notify": 0, "loop": 0, "payload": 0}

    @given(cases())
    @settings(SETTINGS, max_examples=60, database=None)
    def probe(case: Case) -> None:
        sc = build(case.spec)
        tracer = tp.ListTracer()
        res = tp.run(sc, contexts(sc, case.seed, case.budgets), trace=tracer)
        assert res.ok
        kinds = [e.kind for e in tracer.events]
        seen["notify"] += "notify" in kinds
        entered = [(e.role, e.state) for e in tracer.events if e.kind == "enter"]
        seen["loop"] += len(entered) != len(set(entered))
        logs = [entry for role in res for entry in res.context(role).log]
        seen["payload"] += any(isinstance(p, list | bytes) for *_, p in logs)

    probe()
    assert all(n >= 3 for n in seen.values()), seen


# -- 2. a handler raises: every runtime fails the same way ------------------------------


@given(cases(), st.data())
@settings(SETTINGS, max_examples=60)
def test_a_raising_handler_fails_the_session_alike_on_every_runtime(
    case: Case, data: st.DataObject
) -> None:
    sc = build(case.spec)
    clean = contexts(sc, case.seed, case.budgets)
    assert reference(entry_of(sc), clean) is None
    busy = [name for name, ctx in clean.items() if ctx.steps > 0]
    assume(busy)
    role = data.draw(st.sampled_from(busy), label="role")
    step = data.draw(st.integers(1, clean[role].steps), label="step")

    RAISED.clear()
    failed = reference(entry_of(sc), contexts(sc, case.seed, case.budgets, (role, step)))
    assert failed is not None
    state, who, exc = failed
    assert isinstance(exc, Boom) and exc.args == (role, step, state) and who == role

    for runtime, traced in CONFIGS:
        label = f"{runtime}{' traced' if traced else ''}"
        RAISED.clear()
        res, events = run_on(sc, contexts(sc, case.seed, case.budgets, (role, step)), runtime,
                             traced)
        assert not res.ok, label
        err = res.error
        assert isinstance(err, tp.SessionFailed), (label, err)
        assert not isinstance(err, tp.Timeout | tp.Cancelled), (label, err)
        assert len(RAISED) == 1, (label, RAISED)
        assert err.cause is RAISED[0], (label, err.cause)
        assert err.cause.args == (role, step, state), label
        assert (err.state, err.role) == (state, role), (label, str(err))
        for outcome in res.values():
            assert outcome.error is None or outcome.error is err, (label, outcome)
        if events is not None:
            failing = {e.role for e in events if e.kind == "fail"}
            assert failing == {name for name in res if not res[name].ok}, label


# -- run_many equals many runs ----------------------------------------------------------


def batch(sc: tp.Script, seed: int, n: int = 50) -> list[dict[str, Ctx]]:
    """``n`` sessions' contexts: long budgets (past ``STEPS``), every 7th with a boom."""
    out = []
    for i in range(n):
        s = mix(seed, i)
        budgets = [mix(s, r) % (2 * STEPS) for r in range(4)]
        boom = None
        if i % 7 == 3:
            boom = (sc.roles[s % len(sc.roles)].name, 1 + (s >> 8) % 40)
        out.append(contexts(sc, s, budgets, boom))
    return out


def same_results(got: list[tp.Result], want: list[tp.Result], *,
                 failed_contexts: bool = True) -> None:
    """Same outcomes, session by session; contexts of failed sessions only if asked.

    After a failure, roles of a concurrent runtime may have gone on further than the
    lockstep ``inproc`` ones, and may even have reached Exit: then only the error
    (type, state, role, cause) is compared.
    """
    assert len(got) == len(want)
    for session, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.session == session
        assert g.ok == w.ok, (session, g.error, w.error)
        if w.ok or failed_contexts:
            for role in w:
                assert g.context(role) == w.context(role), (session, role)
                assert g[role].state == w[role].state, (session, role)
        if not w.ok:
            ge, we = g.error, w.error
            assert ge is not None and we is not None
            assert (type(ge), ge.state, ge.role) == (type(we), we.state, we.role), session
            assert type(ge.cause) is type(we.cause), session
            assert ge.cause is not None and we.cause is not None
            assert ge.cause.args == we.cause.args, session


@given(specs(), st.integers(0, 2**32))
@settings(SETTINGS, max_examples=30)
def test_run_many_equals_single_runs(spec: Spec, seed: int) -> None:
    sc = build(spec)
    singles = [tp.run(sc, ctxs) for ctxs in batch(sc, seed)]
    many = tp.run_many(sc, batch(sc, seed))
    for session, single in enumerate(singles):
        assert single.session == 0
        single.session = session
    same_results(many, singles)
    # Failing sessions are among them, and did not disturb the others.
    assert any(not r.ok for r in many) or all(r.ok for r in singles)


def session_traces(events: list[tp.Event], sessions: set[int]
                   ) -> dict[tuple[int, str], list[tuple[Any, ...]]]:
    """Per (session, role) of ``sessions``, what the role saw, in order."""
    out: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for e in events:
        if e.session in sessions:
            out.setdefault((e.session, e.role), []).append((e.kind, e.state, e.branch, e.peer))
    return out


@given(specs(), st.integers(0, 2**32))
@settings(SETTINGS, max_examples=8)
def test_run_many_on_every_runtime_equals_inproc(spec: Spec, seed: int) -> None:
    """Sessions run side by side (one event loop, threads, worker processes) stay apart."""
    sc = build(spec)
    want = tp.run_many(sc, batch(sc, seed, 12))
    got = tp.run_many(sc, batch(sc, seed, 12), runtime="processes", workers=2)
    same_results(got, want)
    ok = {r.session for r in want if r.ok}
    traces = {}
    for runtime in ["inproc", "asyncio", "threads"]:
        tracer = tp.ListTracer()
        got = tp.run_many(sc, batch(sc, seed, 12), runtime=runtime,  # type: ignore[arg-type]
                          trace=tracer)
        same_results(got, want, failed_contexts=runtime == "inproc")
        traces[runtime] = session_traces(tracer.events, ok)
    assert traces["asyncio"] == traces["inproc"]
    assert traces["threads"] == traces["inproc"]


# -- 3. large scripts: the generated dispatch over state ids ----------------------------


def chain(n: int) -> tuple[tp.Script, list[tuple[int, str, object]]]:
    """States C0..C{n-1} taken by turns by a and b, with recursion, skips and a fixed state.

    C{i} has a branch ``next`` to C{i+1} (Exit after the last); every third state a
    ``back`` to C{i-1}, taken on its first visit; others a ``skip`` over the next
    state, taken on their second visit; a ``stop`` to Exit (never taken); every fifth
    state is a single branch with no payload and no decision. Returns the script and
    the path the sender's decisions must take: (state index, label, payload).
    """
    a, b = tp.Role("a", Ctx), tp.Role("b", Ctx)
    roles = [a, b]
    with tp.protocol("chain", a, b):
        states = [tp.state(f"C{i}", roles[i % 2], to=[roles[1 - i % 2]]) for i in range(n)]

    def at(i: int) -> tp.State[Any]:
        return states[i] if i < n else tp.Exit

    shape: list[dict[str, tuple[object, int]]] = []
    for i, s in enumerate(states):
        if i % 5 == 3:
            kinds: dict[str, tuple[object, int]] = {"next": (None, i + 1)}
        else:
            kinds = {"next": (int, i + 1)}
            if i % 3 == 1:
                kinds["back"] = (str, i - 1)
            elif i % 4 == 2:
                kinds["skip"] = (None, i + 2)
            kinds["stop"] = (bytes, n)
        for label, (kind, target) in kinds.items():
            s.branch(label, kind, next=at(min(target, n)))
        shape.append(kinds)

    def payload(label: str, i: int, visit: int) -> object:
        kind = shape[i][label][0]
        return None if kind is None else {int: i * 7 + visit, str: f"back{i}"}[kind]  # type: ignore[index]

    def choose(i: int, visit: int) -> str:
        if "back" in shape[i] and visit == 1:
            return "back"
        if "skip" in shape[i] and visit == 2:
            return "skip"
        return "next"

    for i, s in enumerate(states):
        labels = list(shape[i])
        if len(labels) > 1 or shape[i]["next"][0] is not None:
            def decide(ctx: Ctx, i: int = i, s: tp.State[Any] = s) -> tp.Message:
                ctx.steps += 1
                visit = 1 + sum(1 for kind, j, *_ in ctx.log if kind == "send" and j == i)
                label = choose(i, visit)
                p = payload(label, i, visit)
                ctx.log.append(("send", i, label, p))
                return s.branches[list(shape[i]).index(label)](p)

            s.decide(decide)
        for k, label in enumerate(labels):
            def react(ctx: Ctx, p: Any, i: int = i, label: str = label) -> None:
                ctx.log.append(("recv", i, label, p))

            s.branches[k].on(roles[1 - i % 2])(react)

    # The path, by a plain walk over the same rules.
    path: list[tuple[int, str, object]] = []
    visits = [0] * n
    i = 0
    while i < n:
        visits[i] += 1
        label = choose(i, visits[i]) if len(shape[i]) > 1 else "next"
        path.append((i, label, payload(label, i, visits[i])))
        i = shape[i][label][1]
    assert 0 not in visits, "every state is visited"
    return tp.script(f"chain{n}", states[0]), path


def expected_logs(path: list[tuple[int, str, object]]) -> dict[str, list[Any]]:
    """Each role's log for ``path``: the sender logs what it decided, the receiver what came."""
    logs: dict[str, list[Any]] = {"a": [], "b": []}
    for i, label, p in path:
        sender, receiver = ("a", "b") if i % 2 == 0 else ("b", "a")
        if i % 5 != 3:  # a fixed state has no decision to log
            logs[sender].append(("send", i, label, p))
        logs[receiver].append(("recv", i, label, p))
    return logs


SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 33, 200]


@pytest.mark.parametrize("n", SIZES)
def test_generated_source_compiles_and_dispatches_every_state(n: int) -> None:
    sc, path = chain(n)
    source, names = source_of(Plan(sc))
    compile(source, f"<chain {n}>", "exec")
    for i in range(n):
        assert source.count(f"# [{i}] C{i}:") == 1, i
    # The dispatch is a tree: about log2(n) nested ``if sid < k`` levels, not a chain.
    depth = max(
        ((len(line) - len(line.lstrip())) // 4 for line in source.splitlines()
         if line.lstrip().startswith(("if sid", "elif sid"))),
        default=0,
    )
    assert depth <= n.bit_length() + 3, depth
    assert all(names[f"B{i}_0"] is sc.states[i].branches[0].branch for i in range(n))

    want = expected_logs(path)
    assert {i for i, *_ in path} == set(range(n))
    configs = CONFIGS if n <= 33 else [("inproc", False), ("inproc", True), ("threads", False)]
    for runtime, traced in configs:
        res, _ = run_on(sc, {"a": Ctx(), "b": Ctx()}, runtime, traced)
        assert res.ok, (runtime, traced, res.error)
        for role in "ab":
            assert res.context(role).log == want[role], (runtime, traced, role)
    # Interleaved sessions resume the generated step at every state id.
    many = tp.run_many(sc, [{"a": Ctx(), "b": Ctx()} for _ in range(3)])
    assert all(r.ok and r.context("a").log == want["a"] for r in many)


def test_chain_paths_take_every_kind_of_branch() -> None:
    _, path = chain(33)
    assert {label for _, label, _ in path} == {"next", "back", "skip"}


# -- malformed messages: one verdict on every runtime -----------------------------------


class Pair(NamedTuple):
    branch: object
    payload: object


def one_state(shape: str) -> tp.Script:
    a, b = tp.Role("a", Ctx), tp.Role("b", Ctx)
    with tp.protocol("p", a, b):
        s = tp.state("S", a, to=[b])
    s.branch("go", int, next=tp.Exit)
    s.branch("no", None, next=tp.Exit)

    @s.decide
    def decide(ctx: Ctx) -> Any:
        go = s.branches[0]
        if shape == "list":
            return [go, 1]
        if shape == "namedtuple":
            return Pair(go, 1)
        if shape == "branch function":
            return (go.call, 1)
        if shape == "triple":
            return (go, 1, 2)
        return go("1")  # wrong payload

    return tp.script("malformed", s)


@pytest.mark.parametrize(
    "shape", ["list", "namedtuple", "branch function", "triple", "wrong payload"]
)
def test_a_malformed_message_fails_on_every_runtime(shape: str) -> None:
    """A message is the tuple a branch call makes; anything else fails, on every runtime.

    ``(branch.call, 1)`` is the function ``State.branch`` returned, not called: not a
    message either. (``Plan.check_message`` wants ``type(msg) is tuple`` and a
    ``Branch`` record; the generated inproc step unpacks ``b, p = msg``, which a list
    or a NamedTuple passes.)
    """
    sc = one_state(shape)
    verdicts = {}
    for runtime, traced in [*CONFIGS, ("asyncio", False), ("threads", False)]:
        res, _ = run_on(sc, {"a": Ctx(), "b": Ctx()}, runtime, traced)
        err = res.error
        verdicts[f"{runtime}{' traced' if traced else ''}"] = (
            None if err is None else (type(err.cause).__name__, err.state, err.role)
        )
    assert set(verdicts.values()) == {("MessageError", "S", "a")}, verdicts


# -- a notification from the next protocol overtakes the one from this protocol ---------


def overtaken(how: str) -> tp.Script:
    """P0 (n0, s, n1) then P1 (n1, s) then a root state sent by ``r``, external to both.

    ``n0`` is slow to react at A while ``n1`` skips it, so ``s`` and ``n1`` get through
    P1 and ``n1`` tells ``r`` where to go *before* ``n0`` tells ``r`` that control left
    P0: ``r`` must take ``n0``'s notice first (its WAIT names its notifier), whatever
    arrives first.
    """
    n0, s, n1, r = (tp.Role(name, Ctx) for name in ("n0", "s", "n1", "r"))
    with tp.protocol("P0", n0, s, n1):
        a = tp.state("A", s, to=[n0])
    with tp.protocol("P1", n1, s):
        b = tp.state("B", s, to=[n1])
    c = tp.state("C", r, to=[n0, s, n1])
    a.branch("go", None, next=b)
    b.branch("on", None, next=c)
    c.branch("end", None, next=tp.Exit)

    if how == "async":
        async def slow(ctx: Ctx, payload: None) -> None:
            await asyncio.sleep(0.05)
            ctx.steps += 1
    else:
        def slow(ctx: Ctx, payload: None) -> None:  # type: ignore[misc]
            if how == "sleep":
                time.sleep(0.05)
            ctx.steps += 1

    a.branches[0].on(n0)(slow)
    return tp.script("overtaken", a)


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_a_wait_takes_the_notice_of_its_own_notifier(runtime: str) -> None:
    tracer = tp.ListTracer()
    assert tp.run(overtaken("plain"), trace=tracer).ok
    want = role_traces(tracer.events)
    assert want["r"] == [
        ("enter", "A", None, None), ("notified", "B", None, "n0"), ("enter", "B", None, None),
        ("notified", "C", None, "n1"), ("enter", "C", None, None),
        ("send", "C", "end", "n0"), ("send", "C", "end", "s"), ("send", "C", "end", "n1"),
        ("exit", "Exit", None, None),
    ]
    res, events = run_on(overtaken("async" if runtime == "asyncio" else "sleep"), {},
                         runtime, True)
    assert res.ok, res.error
    assert res.context("n0").steps == 1
    assert events is not None and role_traces(events) == want
