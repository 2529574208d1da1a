"""Benchmarks behind ``troupe bench``: the examples run many times, every session checked.

The runners return ``BenchResult`` records; ``troupe.cli`` only parses the
command line and prints them (``format_table``, ``rich_table``, ``to_json``).

- ``bench_pingpong``: ``examples/pingpong.py`` (the script users read; with
  ``rounds`` other than its default, the same factory with ``limit=rounds``)
  run ``pairs`` times concurrently. Every session is checked: alice's counter
  is ``rounds + 1``, bob's ``rounds``, each played one game. Messages a pair:
  ``2 * (rounds + 1) + 1`` (63 for 30 rounds).
- ``bench_2pc``: ``examples/two_phase_commit.py``, session ``i`` seeded with
  ``default_contexts(seed=2 * i + 1)`` (distinct seeds for every participant).
  Checked: the transaction ended once (committed or aborted) on every role,
  each participant voted once an attempt. Messages: 6 an attempt (begin to
  two participants, two votes, the outcome to two participants).
- ``bench_sweep``: pingpong at 1k, 10k, 100k, 1M pairs; ``ns_per_msg`` shows
  the cost of a message does not grow with the number of sessions.
- ``bench_baseline``: ``troupe._baseline_asyncio`` (plain asyncio, a task per
  role, a Queue per direction) in a fresh interpreter.

How it is measured. ``wall_s`` is the time from admitting the first session
to having every result checked (results are checked where they are made: in
the worker processes for ``inproc`` with several workers). ``peak_rss_mb`` is
the peak resident memory over all processes: this process's peak during the
run (``VmHWM``, reset before the run through ``/proc/self/clear_refs`` where
Linux allows, otherwise its lifetime peak) plus each worker's peak (forked
workers report ``ru_maxrss``, their own: a fork does not inherit it). Summing counts the
pages a forked worker shares with its parent twice, so it errs high. The
plain asyncio baseline runs after troupe's run, alone, in its own interpreter
(``python -I``): neither's memory or CPU is in the other's figures.

Runtimes: ``inproc`` with one worker runs in this process; with ``workers > 1``
the sessions are sharded over forked processes
(``troupe.runtime.processes.map_sessions``). ``asyncio`` and ``threads`` run in
this process through ``troupe.run_many``, ``CHUNK`` sessions at a time so
memory stays flat.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import msgspec

from . import _baseline_asyncio
from ._baseline_asyncio import messages_per_pair
from ._compile import Script, script
from ._errors import TroupeError
from ._load import load_target
from ._outcome import Result
from ._plan import Plan
from ._run import run_many
from ._script import Exit
from .runtime import processes

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "BASELINE_PAIRS",
    "CHUNK",
    "MAX_SESSIONS",
    "MAX_THREAD_PAIRS",
    "MAX_WORKERS",
    "RUNTIMES",
    "SWEEP_MAX",
    "BenchError",
    "BenchResult",
    "BenchUsageError",
    "Progress",
    "Tally",
    "Workload",
    "bench_2pc",
    "bench_baseline",
    "bench_pingpong",
    "bench_sweep",
    "check_2pc_args",
    "check_pingpong_args",
    "default_workers",
    "example_path",
    "format_table",
    "messages_per_pair",
    "pingpong_workload",
    "progress_bar",
    "ratio",
    "rich_table",
    "run_workload",
    "sweep_sizes",
    "to_json",
    "two_phase_commit_workload",
]

BenchRuntime: TypeAlias = Literal["inproc", "asyncio", "threads"]
RUNTIMES: tuple[BenchRuntime, ...] = ("inproc", "asyncio", "threads")
"""Runtimes ``troupe bench`` measures (``inproc`` covers processes: ``workers > 1``)."""

MAX_SESSIONS = 100_000_000
"""Most sessions one benchmark runs (a guard against a typo, not a limit of troupe)."""
MAX_WORKERS = 256
"""Most worker processes one benchmark forks."""
MAX_THREAD_PAIRS = 2_000
"""Most pingpong pairs on the ``threads`` runtime: it runs a thread per role."""
MAX_ROUNDS = 1_000_000
"""Largest ``rounds`` (count limit) for pingpong."""
CHUNK = 10_000
"""Sessions per ``run_many`` call for the ``asyncio`` and ``threads`` runtimes."""
PROGRESS_EVERY = processes.PROGRESS_EVERY
"""Sessions between two progress reports of an in-process run (as of a worker's)."""
BASELINE_PAIRS = 100_000
"""Default cap on the plain asyncio baseline's pairs (its messages/s do not depend on it)."""

Progress: TypeAlias = Callable[[int], None]
"""Called with the number of sessions finished since its last call."""


class BenchUsageError(ValueError):
    """The benchmark was asked for something absurd (the command line's fault: exit 2)."""


class BenchError(TroupeError):
    """A benchmark could not vouch for its figures: sessions failed their check, or
    the baseline failed."""


def default_workers() -> int:
    """Worker processes by default for ``inproc``: one per core this process may use."""
    return processes.default_workers()


# -- records ----------------------------------------------------------------------


class BenchResult(msgspec.Struct, frozen=True, kw_only=True):
    """The figures of one benchmark run.

    Attributes:
        workload: ``"pingpong"``, ``"2pc"`` or ``"asyncio-plain"`` (the baseline).
        runtime: the troupe runtime (``inproc``, ``asyncio``, ``threads``), or
            ``asyncio-plain`` for the baseline.
        workers: processes that ran sessions.
        sessions: sessions run and checked (pairs, for pingpong).
        messages: one-way messages delivered (a message to two receivers counts two).
        wall_s: wall time in seconds.
        msgs_per_s: ``messages / wall_s``.
        peak_rss_mb: peak resident memory over all processes, in MB.
    """

    workload: str
    runtime: str
    workers: int
    sessions: int
    messages: int
    wall_s: float
    msgs_per_s: float
    peak_rss_mb: float

    @property
    def ns_per_msg(self) -> float:
        """Wall nanoseconds per message (over all workers)."""
        return self.wall_s * 1e9 / self.messages if self.messages else 0.0

    def figures(self, *, ns_per_msg: bool = False) -> dict[str, Any]:
        """The JSON figures: ``runtime, workers, pairs`` (``sessions`` for 2pc),
        ``messages, wall_s, msgs_per_s, peak_rss_mb``; ``ns_per_msg`` if asked."""
        count = "sessions" if self.workload == "2pc" else "pairs"
        out: dict[str, Any] = {
            "runtime": self.runtime,
            "workers": self.workers,
            count: self.sessions,
            "messages": self.messages,
            "wall_s": round(self.wall_s, 6),
            "msgs_per_s": round(self.msgs_per_s, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }
        if ns_per_msg:
            out["ns_per_msg"] = round(self.ns_per_msg, 2)
        return out


@dataclass(frozen=True, slots=True)
class Tally:
    """What a worker sends back: how many sessions it checked and what they did.

    Attributes:
        sessions: sessions checked.
        good: sessions that passed their check.
        messages: messages of the good sessions.
        first_failure: what was wrong with the first session that failed, or ``None``.
    """

    sessions: int
    good: int
    messages: int
    first_failure: str | None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.sessions + other.sessions, self.good + other.good,
                     self.messages + other.messages, self.first_failure or other.first_failure)


Check: TypeAlias = Callable[[Result], "int | str"]
"""Checks one session: its number of messages if it is right, else why it is wrong."""


@dataclass(frozen=True, slots=True)
class Workload:
    """A script to benchmark, how to start its sessions and how to check them.

    Attributes:
        name: ``"pingpong"`` or ``"2pc"`` (the label of the figures).
        script: the script.
        check: ``check(result)``: the session's message count if it ended as it
            must, else a sentence saying what is wrong.
        contexts: ``contexts(i)``: session ``i``'s contexts by role name;
            ``None`` uses every role's default context.
    """

    name: str
    script: Script
    check: Check
    contexts: Callable[[int], Mapping[str, Any]] | None = None


def _failed(r: Result) -> str:
    """Why a session failed, without the session number (the caller adds it)."""
    err = r.error
    if err is None:  # pragma: no cover - only called for a failed session
        return "failed"
    where = f"at state {err.state!r} (role {err.role!r})"
    if err.cause is not None:
        return f"failed {where}: {type(err.cause).__name__}: {err.cause}"
    return f"{type(err).__name__} {where}: {err}"


def _tally(check: Check, results: Iterable[Result], offset: int = 0) -> Tally:
    n = good = messages = 0
    first: str | None = None
    for r in results:
        n += 1
        got = check(r)
        if type(got) is int:
            good += 1
            messages += got
        elif first is None:
            first = f"session {r.session + offset}: {got}"
    return Tally(n, good, messages, first)


# -- the examples -----------------------------------------------------------------


def example_path(name: str) -> Path:
    """The file of an installed example (``troupe.examples``, the ``examples/`` folder)."""
    examples = importlib.import_module("troupe.examples")
    return Path(examples.__file__ or "").with_name(f"{name}.py")


@cache
def _example(name: str) -> tuple[Script, ModuleType]:
    """An installed example, loaded as ``troupe run`` loads a file."""
    return load_target(str(example_path(name)))


def _default_of(fn: Callable[..., Any], param: str) -> Any:
    return inspect.signature(fn).parameters[param].default


def _pingpong_script(rounds: int) -> Script:
    """``examples/pingpong.py``'s script; for other ``rounds``, its factory with that limit."""
    s, module = _example("pingpong")
    if rounds == _default_of(module.pingpong, "limit"):
        return s
    entry = module.pingpong(module.alice, module.bob, Exit, limit=rounds)
    return script("pingpong", entry)


def pingpong_workload(rounds: int = 30) -> Workload:
    """Pingpong counting to ``rounds``; a session is right when alice's counter is
    ``rounds + 1``, bob's ``rounds`` and both played one game."""
    s = _pingpong_script(rounds)
    want_a, want_b, per_pair = rounds + 1, rounds, messages_per_pair(rounds)

    def check(r: Result) -> int | str:
        if not r.ok:
            return _failed(r)
        ca, cb = r.context("alice"), r.context("bob")
        if ca.counter != want_a or cb.counter != want_b:
            return (f"alice's counter is {ca.counter} (expected {want_a}), bob's {cb.counter} "
                    f"(expected {want_b})")
        if ca.games != 1 or cb.games != 1:
            return f"alice played {ca.games} games, bob {cb.games} (expected 1 each)"
        return per_pair

    return Workload("pingpong", s, check)


def two_phase_commit_workload() -> Workload:
    """Two-phase commit, session ``i`` seeded ``2 * i + 1``; a session is right when
    every role ended the transaction the same way, once, and each participant voted
    once an attempt (at most ``retries + 1`` attempts)."""
    s, module = _example("two_phase_commit")
    most = _default_of(module.two_phase_commit, "retries") + 1
    make = module.default_contexts

    def contexts(i: int) -> Mapping[str, Any]:
        made: Mapping[str, Any] = make(seed=2 * i + 1)
        return made

    def check(r: Result) -> int | str:
        if not r.ok:
            return _failed(r)
        cc = r.context("coordinator")
        attempts: int = cc.attempts
        if cc.committed + cc.aborted != 1 or not 1 <= attempts <= most:
            return (f"coordinator committed {cc.committed}, aborted {cc.aborted} after "
                    f"{attempts} attempts (expected one outcome within {most} attempts)")
        for name in ("alice", "bob"):
            p = r.context(name)
            if p.votes != attempts or p.committed != cc.committed or p.aborted != cc.aborted:
                return (f"{name} voted {p.votes} times in {attempts} attempts and saw "
                        f"committed={p.committed} aborted={p.aborted}, the coordinator "
                        f"committed={cc.committed} aborted={cc.aborted}")
        return 6 * attempts

    return Workload("2pc", s, check, contexts)


# -- memory -----------------------------------------------------------------------


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux >= 4.0); whether it could."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# -- runners ----------------------------------------------------------------------


def _validate(sessions: int, runtime: str, workers: int, what: str = "sessions") -> None:
    if runtime not in RUNTIMES:
        raise BenchUsageError(f"unknown runtime {runtime!r}; expected one of "
                              f"{', '.join(RUNTIMES)}")
    if not 1 <= sessions <= MAX_SESSIONS:
        raise BenchUsageError(f"{what} must be between 1 and {MAX_SESSIONS:,}, got {sessions:,}")
    if not 1 <= workers <= MAX_WORKERS:
        raise BenchUsageError(f"workers must be between 1 and {MAX_WORKERS}, got {workers}")
    if runtime != "inproc" and workers != 1:
        raise BenchUsageError(f"--workers {workers}: only the inproc runtime shards sessions over "
                              f"processes; {runtime} runs in one process (--workers 1)")


def _counted(results: Iterator[Result], progress: Progress) -> Iterator[Result]:
    n = 0
    for r in results:
        yield r
        n += 1
        if n == PROGRESS_EVERY:
            progress(n)
            n = 0
    if n:
        progress(n)


def run_workload(
    workload: Workload,
    sessions: int,
    *,
    runtime: BenchRuntime = "inproc",
    workers: int = 1,
    progress: Progress | None = None,
) -> BenchResult:
    """Run ``sessions`` sessions of ``workload`` and check every one.

    Args:
        workload: what to run and how to check it.
        sessions: number of sessions (``1 ..= MAX_SESSIONS``).
        runtime: ``inproc`` (with ``workers > 1``: sharded over forked processes),
            ``asyncio`` or ``threads`` (``workers`` must be 1).
        workers: worker processes for ``inproc``.
        progress: called with the sessions finished since its last call.

    Returns:
        The figures; ``workers`` is the number of processes that ran sessions.

    Raises:
        BenchUsageError: arguments out of range.
        BenchError: some sessions failed their check (how many, and the first).
        TroupeError: the engine failed (a worker died, say).
    """
    _validate(sessions, runtime, workers)
    plan = Plan(workload.script)
    reduce = partial(_tally, workload.check)
    make = workload.contexts
    used = min(workers, sessions)
    gc.collect()
    _reset_peak_rss()
    worker_peaks: list[float] = []
    started = time.perf_counter()
    if runtime == "inproc" and used > 1:
        tallies, worker_peaks = processes.map_sessions(
            plan, sessions, contexts=make, reduce=reduce, workers=used, progress=progress
        )
        used = len(tallies)
        total = sum(tallies[1:], tallies[0])
    elif runtime == "inproc":
        from .runtime import inproc

        contexts = (plan.contexts(make(i) if make is not None else None) for i in range(sessions))
        results = inproc.iter_sessions(plan, contexts)
        total = reduce(_counted(results, progress) if progress is not None else results)
    else:
        total = Tally(0, 0, 0, None)
        for start in range(0, sessions, CHUNK):
            n = min(CHUNK, sessions - start)
            given: list[Mapping[str, Any]] | int = (
                [make(i) for i in range(start, start + n)] if make is not None else n
            )
            chunk = run_many(workload.script, given, runtime=runtime)
            total = total + _tally(workload.check, chunk, offset=start)
            if progress is not None:
                progress(n)
    wall = time.perf_counter() - started
    peak = processes.peak_rss_mb() + sum(worker_peaks)
    bad = total.sessions - total.good
    if total.sessions != sessions:
        raise BenchError(f"{workload.name}: {sessions:,} sessions were asked for, "
                         f"{total.sessions:,} came back")
    if bad:
        raise BenchError(f"{workload.name}: {bad:,} of {sessions:,} sessions failed their "
                         f"check; first: {total.first_failure}")
    return BenchResult(
        workload=workload.name, runtime=runtime, workers=used, sessions=sessions,
        messages=total.messages, wall_s=wall,
        msgs_per_s=total.messages / wall if wall > 0 else 0.0, peak_rss_mb=peak,
    )


def bench_pingpong(
    pairs: int,
    *,
    rounds: int = 30,
    runtime: BenchRuntime = "inproc",
    workers: int = 1,
    progress: Progress | None = None,
) -> BenchResult:
    """``pairs`` pingpong sessions counting to ``rounds``, every one checked.

    Raises:
        BenchUsageError: out of range, or more than ``MAX_THREAD_PAIRS`` pairs
            on ``threads``.
        BenchError: sessions failed their check.
    """
    check_pingpong_args(pairs, rounds=rounds, runtime=runtime, workers=workers)
    return run_workload(pingpong_workload(rounds), pairs, runtime=runtime, workers=workers,
                        progress=progress)


def check_pingpong_args(pairs: int, *, rounds: int = 30, runtime: str = "inproc",
                        workers: int = 1) -> None:
    """Raise ``BenchUsageError`` for pingpong arguments out of range."""
    _validate(pairs, runtime, workers, what="pairs")
    if not 0 <= rounds <= MAX_ROUNDS:
        raise BenchUsageError(f"rounds must be between 0 and {MAX_ROUNDS:,}, got {rounds:,}")
    if runtime == "threads" and pairs > MAX_THREAD_PAIRS:
        raise BenchUsageError(
            f"--runtime threads runs a thread per role (two per pair): at most "
            f"{MAX_THREAD_PAIRS:,} pairs, got {pairs:,}; use inproc or asyncio for more"
        )


def bench_2pc(
    sessions: int,
    *,
    runtime: BenchRuntime = "inproc",
    workers: int = 1,
    progress: Progress | None = None,
) -> BenchResult:
    """``sessions`` two-phase commit sessions (seeded by index), every one checked."""
    check_2pc_args(sessions, runtime=runtime, workers=workers)
    return run_workload(two_phase_commit_workload(), sessions, runtime=runtime,
                        workers=workers, progress=progress)


def check_2pc_args(sessions: int, *, runtime: str = "inproc", workers: int = 1) -> None:
    """Raise ``BenchUsageError`` for two-phase commit arguments out of range."""
    _validate(sessions, runtime, workers)
    if runtime == "threads" and sessions > MAX_THREAD_PAIRS:
        raise BenchUsageError(
            f"--runtime threads runs a thread per role (three per session): at most "
            f"{MAX_THREAD_PAIRS:,} sessions, got {sessions:,}; use inproc or asyncio for more"
        )


SWEEP_MAX = 1_000_000
"""Largest size of ``troupe bench sweep`` by default."""


def sweep_sizes(most: int = SWEEP_MAX) -> list[int]:
    """1k, 10k, 100k ... pairs up to ``most`` (and ``most`` itself when it lies between).

    Raises:
        BenchUsageError: ``most`` below 1,000 or above ``MAX_SESSIONS``.
    """
    if not 1_000 <= most <= MAX_SESSIONS:
        raise BenchUsageError(f"--max must be between 1,000 and {MAX_SESSIONS:,}, got {most:,}")
    sizes, n = [], 1_000
    while n <= most:
        sizes.append(n)
        n *= 10
    if sizes[-1] != most:
        sizes.append(most)
    return sizes


def bench_sweep(
    most: int = SWEEP_MAX,
    *,
    workers: int = 1,
    bar: Callable[[int], AbstractContextManager[Progress | None]] | None = None,
) -> list[BenchResult]:
    """Pingpong (30 rounds, inproc) at each of ``sweep_sizes(most)`` pairs, one row each.

    Args:
        most: the largest size.
        workers: worker processes for every row.
        bar: ``bar(pairs)`` gives a context manager yielding the row's progress
            callback (``progress_bar``, say), or ``None``.
    """
    sizes = sweep_sizes(most)
    check_pingpong_args(sizes[-1], workers=workers)
    workload = pingpong_workload()
    rows = []
    for n in sizes:
        with bar(n) if bar is not None else nullcontext(None) as progress:
            rows.append(run_workload(workload, n, workers=workers, progress=progress))
    return rows


def bench_baseline(pairs: int, *, rounds: int = 30, timeout: float | None = None) -> BenchResult:
    """The plain asyncio pingpong (``troupe._baseline_asyncio``) in a fresh interpreter.

    It runs by path with ``python -I``: only the standard library is imported,
    so its time and memory are its own.

    Raises:
        BenchError: it failed or its output could not be read.
    """
    check_pingpong_args(pairs, rounds=rounds)
    path = Path(_baseline_asyncio.__file__)
    argv = [sys.executable, "-I", str(path), "--pairs", str(pairs), "--rounds", str(rounds),
            "--json"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"the plain asyncio baseline took more than {timeout:g}s") from e
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise BenchError(f"the plain asyncio baseline failed: {why[0]}")
    try:
        got = json.loads(done.stdout.strip().splitlines()[-1])
        return BenchResult(
            workload="asyncio-plain", runtime="asyncio-plain", workers=1,
            sessions=int(got["pairs"]), messages=int(got["messages"]),
            wall_s=float(got["wall_s"]), msgs_per_s=float(got["msgs_per_s"]),
            peak_rss_mb=float(got["peak_rss_mb"]),
        )
    except (IndexError, KeyError, TypeError, ValueError) as e:
        raise BenchError(f"cannot read the plain asyncio baseline's output: "
                         f"{done.stdout[-200:]!r}") from e


# -- output -----------------------------------------------------------------------

_HEADERS = ("runtime", "workers", "{count}", "messages", "wall s", "messages/s", "peak RSS MB")


def _cells(row: BenchResult, ns: bool) -> list[str]:
    label = "asyncio plain" if row.runtime == "asyncio-plain" else row.runtime
    cells = [label, str(row.workers), f"{row.sessions:,}", f"{row.messages:,}",
             f"{row.wall_s:.3f}", f"{row.msgs_per_s:,.0f}", f"{row.peak_rss_mb:,.1f}"]
    if ns:
        cells.append(f"{row.ns_per_msg:.1f}")
    return cells


def _headers(rows: Sequence[BenchResult], ns: bool) -> list[str]:
    count = "sessions" if rows and rows[0].workload == "2pc" else "pairs"
    heads = [h.format(count=count) for h in _HEADERS]
    return [*heads, "ns/msg"] if ns else heads


def format_table(rows: Sequence[BenchResult], *, ns_per_msg: bool = False) -> str:
    """The rows as plain text, one line each under a header, numbers right-aligned."""
    table = [_headers(rows, ns_per_msg), *(_cells(r, ns_per_msg) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    out = []
    for line in table:
        first = line[0].ljust(widths[0])
        rest = (cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True))
        out.append("  ".join([first, *rest]).rstrip())
    return "\n".join(out)


def rich_table(rows: Sequence[BenchResult], *, ns_per_msg: bool = False,
               title: str | None = None) -> Table:
    """The rows as a ``rich`` table (for a terminal)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)
    for i, head in enumerate(_headers(rows, ns_per_msg)):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        table.add_row(*_cells(r, ns_per_msg))
    return table


def to_json(row: BenchResult, compare: BenchResult | None = None) -> str:
    """One JSON line: the row's figures, and a ``compare`` object (the baseline's
    figures and ``ratio``, row messages/s over the baseline's) when given."""
    out = row.figures()
    if compare is not None:
        out["compare"] = {**compare.figures(), "ratio": round(ratio(row, compare), 3)}
    return json.dumps(out)


def ratio(row: BenchResult, baseline: BenchResult) -> float:
    """``row``'s messages/s over ``baseline``'s."""
    return row.msgs_per_s / baseline.msgs_per_s if baseline.msgs_per_s else 0.0


@contextmanager
def progress_bar(total: int, description: str, *, enabled: bool) -> Iterator[Progress | None]:
    """A ``rich`` progress bar on stdout counting sessions, or ``None`` when not ``enabled``.

    The bar disappears when done (the table follows).
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    bar = RichProgress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stdout), transient=True, refresh_per_second=4,
    )
    task = bar.add_task(description, total=total)

    def advance(n: int) -> None:
        bar.update(task, advance=n)

    with bar:
        yield advance
