"""The ``processes`` runtime: independent sessions sharded over worker processes.

Workers are forked (the script, its handlers and closures are inherited, nothing
is pickled on the way in); each runs its share of the sessions on the
``inproc`` engine and sends back what the caller asked for: every ``Result``
(``run_many``) or one value per worker computed from its results
(``map_sessions``, for runs too large to ship every result back). Traced, each
worker writes a JSON Lines file of its own on the run's clock, and the files
are merged into the run's trace in time order at the end. A worker that dies
or raises fails the run with a clear ``TroupeError``; the others are stopped.
"""

from __future__ import annotations

import heapq
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar, cast

from .._errors import TroupeError
from .._outcome import Result
from .._plan import Plan
from .._trace import JsonlTracer
from ._cancel import CancelToken

__all__ = ["default_workers", "map_sessions", "peak_rss_mb", "run_sessions"]

R = TypeVar("R")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB.

    Read from ``VmHWM`` in ``/proc/self/status`` where there is one: unlike
    ``ru_maxrss`` it does not carry over a parent's peak across ``exec``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _shards(count: int, workers: int) -> list[range]:
    per, extra = divmod(count, workers)
    out, start = [], 0
    for w in range(workers):
        n = per + (w < extra)
        out.append(range(start, start + n))
        start += n
    return [r for r in out if len(r)]


PROGRESS_EVERY = 10_000
"""Sessions between two progress reports of a worker."""


def _worker(
    conn: Connection,
    plan: Plan,
    shard: range,
    make: Callable[[int], Any] | None,
    reduce: Callable[[Iterator[Result]], Any],
    timeout: float | None,
    report: bool,
    trace: tuple[Path, float] | None,
) -> None:
    from . import inproc

    tracer = None
    try:
        if trace is not None:
            tracer = JsonlTracer(trace[0], origin=trace[1])
            tracer.start(plan.script)

        def contexts() -> Iterator[list[Any]]:
            for i in shard:
                yield plan.contexts(make(i) if make is not None else None)

        def counted(results: Iterator[Result]) -> Iterator[Result]:
            for n, r in enumerate(results, start=1):
                if n % PROGRESS_EVERY == 0:
                    conn.send(("progress", PROGRESS_EVERY, 0.0))
                yield r

        results = inproc.iter_sessions(plan, contexts(), timeout=timeout, tracer=tracer,
                                       first_session=shard.start)
        value = reduce(counted(results) if report else results)
        if tracer is not None:
            tracer.close()  # before "ok": the parent merges the file once it has every "ok"
        conn.send(("ok", value, peak_rss_mb()))
    except BaseException as e:  # report everything, even KeyboardInterrupt, then leave
        conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}", peak_rss_mb()))
    finally:
        if tracer is not None:
            tracer.close()
        conn.close()


def map_sessions(
    plan: Plan,
    count: int,
    *,
    contexts: Callable[[int], Any] | None = None,
    reduce: Callable[[Iterator[Result]], R],
    workers: int | None = None,
    timeout: float | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[int], None] | None = None,
    trace: JsonlTracer | None = None,
) -> tuple[list[R], list[float]]:
    """Run ``count`` sessions sharded over ``workers`` forked processes.

    Args:
        plan: the script's plan.
        count: number of sessions.
        contexts: ``contexts(i)`` gives session ``i``'s contexts mapping (built in
            the worker); ``None`` uses every role's default context.
        reduce: run in each worker over the iterator of its sessions' results
            (in session order); its return value is sent back (pickled).
        workers: number of processes (default: one per core).
        timeout: seconds for the whole run, in each worker.
        cancel: cancelling terminates the workers; the call raises ``TroupeError``.
        progress: called in this process with the number of sessions finished
            since its last call (every ``PROGRESS_EVERY`` sessions of a worker).
        trace: a started ``JsonlTracer``: each worker traces its sessions to a
            file of its own on the same clock, and their events are merged into
            this one in time order when every worker is done.

    Returns:
        The reduced value of each worker (in shard order) and each worker's
        peak RSS in MB.

    Raises:
        TroupeError: a worker raised or died.
    """
    n = workers or default_workers()
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    ctx = multiprocessing.get_context("fork")
    procs: list[tuple[Any, Connection]] = []
    parts: list[Path] = []
    for shard in _shards(count, n):
        parent, child = ctx.Pipe(duplex=False)
        part = None
        if trace is not None:
            parts.append(trace.path.with_name(f"{trace.path.name}.part{len(parts)}"))
            part = (parts[-1], trace.origin)
        p = ctx.Process(target=_worker,
                        args=(child, plan, shard, contexts, reduce, timeout, progress is not None,
                              part),
                        daemon=True, name=f"troupe-worker-{shard.start}")
        p.start()
        child.close()
        procs.append((p, parent))
    def stop_all() -> None:
        for p, _ in procs:
            p.terminate()

    remove = cancel.on_cancel(stop_all) if cancel is not None else None
    done: dict[int, tuple[Any, float]] = {}
    waiting = {conn: i for i, (_, conn) in enumerate(procs)}
    try:
        while waiting:
            for ready in multiprocessing.connection.wait(list(waiting)):
                conn = cast(Connection, ready)
                i = waiting[conn]
                p = procs[i][0]
                try:
                    status, value, peak = conn.recv()
                except EOFError:
                    p.join()
                    why = "was cancelled" if cancel is not None and cancel.cancelled else (
                        f"died with exit code {p.exitcode}")
                    raise TroupeError(
                        f"worker process {p.name} {why} before sending its results"
                    ) from None
                if status == "progress":
                    if progress is not None:
                        progress(value)
                    continue
                if status != "ok":
                    raise TroupeError(f"worker process {p.name} failed: {value}")
                done[i] = (value, peak)
                del waiting[conn]
                p.join()
    finally:
        if remove is not None:
            remove()
        for p, conn in procs:
            conn.close()
            if p.is_alive():
                p.terminate()
                p.join()
        if trace is not None:
            _merge_parts(trace, parts)
    values = [done[i][0] for i in range(len(procs))]
    peaks = [done[i][1] for i in range(len(procs))]
    return values, peaks


def _merge_parts(trace: JsonlTracer, parts: list[Path]) -> None:
    """Append the workers' events to ``trace`` in time order, and remove their files."""

    def timed(f: Iterator[str]) -> Iterator[tuple[float, str]]:
        next(f, None)  # each part starts with its own copy of the header
        for line in f:
            try:
                yield float(json.loads(line)["t"]), line
            except (ValueError, KeyError, TypeError):
                continue  # the last line of a worker that was cut off

    files = [p.open(encoding="utf-8") for p in parts if p.exists()]
    try:
        trace.extend(line for _, line in heapq.merge(*(timed(f) for f in files)))
    finally:
        for f in files:
            f.close()
        for p in parts:
            p.unlink(missing_ok=True)


def run_sessions(
    plan: Plan,
    contexts: Sequence[list[Any]] | Iterable[list[Any]],
    *,
    timeout: float | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    trace: JsonlTracer | None = None,
) -> list[Result]:
    """Run sessions over worker processes; every ``Result`` comes back, in order.

    The contexts are built here and inherited by the forked workers; the final
    contexts come back pickled, so they must be picklable (``troupe.Context``
    records are).
    """
    given = list(contexts)

    def ready_made(i: int) -> Any:
        return dict(zip(plan.role_names, given[i], strict=True))

    chunks, _ = map_sessions(plan, len(given), contexts=ready_made, reduce=list,
                             workers=workers, timeout=timeout, cancel=cancel, trace=trace)
    return [r for chunk in chunks for r in chunk]
