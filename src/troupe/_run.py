"""Run: ``run``, ``arun``, ``run_many``, ``arun_many`` over the runtimes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeAlias

from ._compile import Script
from ._errors import TroupeError
from ._outcome import Result
from ._plan import Plan, plan_of
from ._script import Role, State
from ._trace import JsonlTracer, Tracer
from .runtime._cancel import CancelToken

__all__ = ["RUNTIMES", "Contexts", "arun", "arun_many", "run", "run_many"]

RuntimeName: TypeAlias = Literal["inproc", "asyncio", "threads", "processes"]
RUNTIMES: tuple[str, ...] = ("inproc", "asyncio", "threads", "processes")

Contexts: TypeAlias = "Mapping[str, Any] | Mapping[Role[Any], Any] | None"
"""Contexts by role name (or Role); roles left out get ``Context()`` of their class."""


def _tracer(trace: str | Path | Tracer | None) -> Tracer | None:
    if trace is None:
        return None
    if isinstance(trace, str | Path):
        return JsonlTracer(trace)
    if all(hasattr(trace, name) for name in ("start", "event", "close")):
        return trace
    raise TypeError(f"trace must be a path or a Tracer, got {trace!r}")


def _check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")


def _prepare(
    target: Script | State[Any], sessions: Iterable[Contexts] | int
) -> tuple[Plan, list[list[Any]]]:
    plan = plan_of(target)
    if isinstance(sessions, int):
        if sessions < 0:
            raise ValueError(f"number of sessions must be >= 0, got {sessions}")
        return plan, [plan.contexts(None) for _ in range(sessions)]
    return plan, [plan.contexts(c) for c in sessions]


def _run_sync(
    plan: Plan,
    contexts: list[list[Any]],
    runtime: str,
    timeout: float | None,
    tracer: Tracer | None,
    cancel: CancelToken | None,
    workers: int | None = None,
) -> list[Result]:
    if workers is not None and runtime != "processes":
        raise ValueError(f"workers= applies to runtime='processes', not {runtime!r}")
    if runtime == "processes":
        from .runtime import processes

        if tracer is not None and not isinstance(tracer, JsonlTracer):
            raise TroupeError(
                "runtime='processes' traces to a JSON Lines file only (trace='run.jsonl'): "
                f"its workers cannot share a {type(tracer).__name__}"
            )
        return processes.run_sessions(plan, contexts, timeout=timeout, cancel=cancel,
                                      workers=workers, trace=tracer)
    if runtime == "inproc":
        from .runtime import inproc

        return inproc.run_sessions(plan, contexts, timeout=timeout, tracer=tracer, cancel=cancel)
    if runtime == "threads":
        from .runtime import threads

        return threads.run_sessions(plan, contexts, timeout=timeout, tracer=tracer, cancel=cancel)
    from .runtime import aio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise TroupeError(
            "run(..., runtime='asyncio') was called inside a running event loop; "
            "use 'await troupe.arun(...)' there"
        )
    return asyncio.run(
        aio.run_sessions(plan, contexts, timeout=timeout, tracer=tracer, cancel=cancel)
    )


def run_many(
    target: Script | State[Any],
    sessions: Iterable[Contexts] | int,
    *,
    runtime: RuntimeName = "inproc",
    timeout: float | None = None,
    trace: str | Path | Tracer | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> list[Result]:
    """Run many independent sessions of one script at once.

    Args:
        target: a ``Script`` (or an entry state, checked here).
        sessions: one contexts mapping per session, or a number of sessions
            with default contexts.
        runtime: ``"inproc"`` (one thread, the fastest), ``"asyncio"``, ``"threads"``,
            or ``"processes"`` (sessions sharded over forked workers running inproc;
            contexts must be picklable to come back).
        timeout: seconds for the whole run; sessions still running then fail
            with ``Timeout``.
        trace: a JSON Lines path or a ``Tracer``; ``None`` records nothing.
        cancel: a ``CancelToken``; cancelling ends running sessions with ``Cancelled``.
        workers: number of worker processes for ``"processes"`` (default: one per core).

    Returns:
        One ``Result`` per session, in order. A failing session does not
        disturb the others.
    """
    _check_runtime(runtime)
    plan, contexts = _prepare(target, sessions)
    tracer = _tracer(trace)
    if tracer is not None:
        tracer.start(plan.script)
    try:
        return _run_sync(plan, contexts, runtime, timeout, tracer, cancel, workers)
    finally:
        if tracer is not None:
            tracer.close()


def run(
    target: Script | State[Any],
    contexts: Contexts = None,
    *,
    runtime: RuntimeName = "inproc",
    timeout: float | None = None,
    trace: str | Path | Tracer | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Run one session of a script and return every role's outcome.

    Args:
        target: a ``Script`` (or an entry state, checked here).
        contexts: contexts by role name or ``Role``; missing ones are built from
            their class with no arguments.
        runtime: ``"inproc"``, ``"asyncio"`` (async handlers) or ``"threads"``
            (blocking handlers).
        timeout: seconds for the whole run. States may declare their own.
        trace: a JSON Lines path or a ``Tracer``.
        cancel: a ``CancelToken`` to end the session from another thread.

    Returns:
        A ``Result``: per role its final context, or the ``SessionFailed``
        (``Timeout``, ``Cancelled``) that ended it. Errors in handlers do not
        propagate: they fail the session and are in the result.
    """
    return run_many(target, [contexts], runtime=runtime, timeout=timeout, trace=trace,
                    cancel=cancel)[0]


async def arun_many(
    target: Script | State[Any],
    sessions: Iterable[Contexts] | int,
    *,
    runtime: RuntimeName = "asyncio",
    timeout: float | None = None,
    trace: str | Path | Tracer | None = None,
    cancel: CancelToken | None = None,
) -> list[Result]:
    """``run_many`` inside a running event loop (``inproc`` and ``threads`` run in a thread).

    Cancelling the awaiting task cancels every role and re-raises ``CancelledError``.
    """
    _check_runtime(runtime)
    plan, contexts = _prepare(target, sessions)
    tracer = _tracer(trace)
    if tracer is not None:
        tracer.start(plan.script)
    try:
        if runtime == "asyncio":
            from .runtime import aio

            return await aio.run_sessions(plan, contexts, timeout=timeout, tracer=tracer,
                                          cancel=cancel)
        return await asyncio.to_thread(_run_sync, plan, contexts, runtime, timeout, tracer,
                                       cancel)
    finally:
        if tracer is not None:
            tracer.close()


async def arun(
    target: Script | State[Any],
    contexts: Contexts = None,
    *,
    runtime: RuntimeName = "asyncio",
    timeout: float | None = None,
    trace: str | Path | Tracer | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """``run`` inside a running event loop; see ``run`` and ``arun_many``."""
    results = await arun_many(target, [contexts], runtime=runtime, timeout=timeout, trace=trace,
                              cancel=cancel)
    return results[0]
