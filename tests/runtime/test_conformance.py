"""Every example on every runtime: same outcomes, same per-role traces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

import troupe as tp

EXAMPLES = ["counter", "pingpong", "sendfile", "two_phase_commit", "random_pingpong_2pc"]
RUNTIMES = ["inproc", "asyncio", "threads"]  # the ones that trace; processes below


def role_traces(events: list[tp.Event]) -> dict[str, list[tuple[Any, ...]]]:
    """Per role, the sequence of (kind, state, branch, peer): what the role saw, in order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for e in events:
        out.setdefault(e.role, []).append((e.kind, e.state, e.branch, e.peer))
    return out


def run_traced(module: ModuleType, runtime: str) -> tuple[tp.Result, list[tp.Event]]:
    tracer = tp.ListTracer()
    result = tp.run(module.script, module.default_contexts(), runtime=runtime, trace=tracer)
    return result, tracer.events


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_outcome_and_trace_on_every_runtime(
    name: str, example: Callable[[str], ModuleType]
) -> None:
    module = example(name)
    reference, ref_events = run_traced(module, "inproc")
    assert reference.ok, reference.error
    ref = role_traces(ref_events)
    assert set(ref) == {r.name for r in module.script.roles}
    for runtime in RUNTIMES[1:]:
        result, events = run_traced(module, runtime)
        assert result.ok, (runtime, result.error)
        for role in result:
            got = result.context(role)
            want = reference.context(role)
            assert _comparable(got) == _comparable(want), (runtime, role)
        assert role_traces(events) == ref, runtime


def _comparable(ctx: Any) -> dict[str, Any]:
    """A context's fields, but the random generator (compared through what it drew)."""
    return {f.name: getattr(ctx, f.name) for f in msgspec.structs.fields(ctx) if f.name != "rng"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_trace_sends_match_receives(name: str, example: Callable[[str], ModuleType]) -> None:
    module = example(name)
    _, events = run_traced(module, "asyncio")
    sends = sorted((e.role, e.peer, e.state, e.branch) for e in events if e.kind == "send")
    receives = sorted((e.peer, e.role, e.state, e.branch) for e in events if e.kind == "receive")
    assert sends == receives
    notifies = sorted((e.role, e.peer, e.state) for e in events if e.kind == "notify")
    notified = sorted((e.peer, e.role, e.state) for e in events if e.kind == "notified")
    assert notifies == notified
    exits = [e.role for e in events if e.kind == "exit"]
    assert sorted(exits) == sorted(r.name for r in module.script.roles)


def test_ten_thousand_pingpong_sessions_inproc(example: Callable[[str], ModuleType]) -> None:
    module = example("pingpong")
    results = tp.run_many(module.script, 10_000)
    assert len(results) == 10_000
    assert all(r.ok for r in results)
    assert {r.context("alice").counter for r in results} == {31}
    assert {r.context("bob").counter for r in results} == {30}
    assert [r.session for r in results[:3]] == [0, 1, 2]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_run_many_small_on_every_runtime(
    runtime: str, example: Callable[[str], ModuleType]
) -> None:
    module = example("two_phase_commit")
    results = tp.run_many(module.script, [module.default_contexts(seed) for seed in range(8)],
                          runtime=runtime)  # type: ignore[arg-type]
    attempts = [r.context("coordinator").attempts for r in results]
    reference = [
        tp.run(module.script, module.default_contexts(seed)).context("coordinator").attempts
        for seed in range(8)
    ]
    assert attempts == reference


@pytest.mark.parametrize("name", EXAMPLES)
def test_processes_gives_the_same_outcomes(name: str, example: Callable[[str], ModuleType]) -> None:
    module = example(name)
    reference = tp.run(module.script, module.default_contexts())
    results = tp.run_many(module.script, [module.default_contexts() for _ in range(3)],
                          runtime="processes", workers=2)
    assert [r.session for r in results] == [0, 1, 2]
    for result in results:
        assert result.ok, result.error
        for role in result:
            assert _comparable(result.context(role)) == _comparable(reference.context(role))


def test_processes_refuses_tracing_in_memory(example: Callable[[str], ModuleType]) -> None:
    module = example("pingpong")
    with pytest.raises(tp.TroupeError, match="traces to a JSON Lines file only"):
        tp.run_many(module.script, 2, runtime="processes", trace=tp.ListTracer())


def test_processes_trace_merges_every_worker_in_time_order(
    example: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    module = example("two_phase_commit")
    path = tmp_path / "run.jsonl"
    sessions = [module.default_contexts(seed) for seed in range(6)]
    tp.run_many(module.script, sessions, runtime="processes", workers=2, trace=path)
    header, events = tp.read_trace(path)
    got = list(events)
    assert header["script"] == "two_phase_commit"
    assert [p.name for p in tmp_path.iterdir()] == ["run.jsonl"]  # the parts are gone
    assert [e.t for e in got] == sorted(e.t for e in got)
    assert {e.session for e in got} == set(range(6))
    reference = tp.ListTracer()
    tp.run_many(module.script, [module.default_contexts(seed) for seed in range(6)],
                trace=reference)
    for s in range(6):
        mine = [e[1:] for e in sorted(got, key=lambda e: e.session) if e.session == s]
        theirs = [e[1:] for e in reference.events if e.session == s]
        assert role_traces_of(mine) == role_traces_of(theirs)


def role_traces_of(events: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Per role, (kind, state, branch, peer) in order, from events without their time."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for _, role, kind, state, branch, peer in events:
        out.setdefault(role, []).append((kind, state, branch, peer))
    return out
