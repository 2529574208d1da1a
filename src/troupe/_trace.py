"""Traces: what happened in a run, as events.

An event is ``(t, session, role, kind, state, branch, peer)``:

- ``t``: seconds since the run started (float);
- ``session``: session index (0 for ``run``; the index in ``run_many``);
- ``role``: the role the event happened at;
- ``kind``: ``enter`` (the role entered ``state``), ``send`` (it sent ``branch`` of
  ``state`` to ``peer``), ``receive`` (it received ``branch`` of ``state`` from
  ``peer``), ``notify`` (it told external role ``peer`` that control goes to
  ``state``), ``notified`` (it was told by ``peer`` to go to ``state``), ``exit``
  (it reached Exit), ``fail`` (its session failed at ``state``; ``branch`` holds
  the error text);
- ``state``, ``branch``, ``peer``: names, or ``None`` where they do not apply.

The JSON Lines format (version 1): the first line is a header
``{"troupe_trace": 1, "script": ..., "roles": [...], "protocols": [...],
"states": [...]}`` describing the script (enough to draw its graph); every
further line is one event object with the keys ``t, session, role, kind, state,
branch, peer``. Tracing is off by default; runtimes make no tracer calls then.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from ._compile import Script

__all__ = [
    "TRACE_VERSION",
    "Event",
    "JsonlTracer",
    "ListTracer",
    "RingTracer",
    "Tracer",
    "read_trace",
    "script_header",
]

TRACE_VERSION = 1

KINDS = ("enter", "send", "receive", "notify", "notified", "exit", "fail")


class Event(NamedTuple):
    """One trace event."""

    t: float
    session: int
    role: str
    kind: str
    state: str | None
    branch: str | None
    peer: str | None


class Tracer(Protocol):
    """Receives events from a runtime. Must be cheap; may be called from several threads."""

    def start(self, script: Script) -> None:
        """Called once before the first event of a run."""

    def event(
        self,
        session: int,
        role: str,
        kind: str,
        state: str | None,
        branch: str | None,
        peer: str | None,
    ) -> None:
        """Record one event (the tracer stamps the time)."""

    def close(self) -> None:
        """Called once after the run."""


def script_header(script: Script) -> dict[str, Any]:
    """The trace header: the script's structure, enough to draw its graph."""
    roles = [r.name for r in script.roles]
    return {
        "troupe_trace": TRACE_VERSION,
        "script": script.name,
        "roles": roles,
        "protocols": [
            {"id": p.id, "name": p.name, "roles": [roles[r] for r in p.roles]}
            for p in script.protocols
        ],
        "states": [
            {
                "id": s.id,
                "name": s.name,
                "protocol": s.protocol,
                "sender": roles[s.sender] if s.sender >= 0 else None,
                "receivers": [roles[r] for r in s.receivers],
                "branches": [
                    {"label": b.label, "next": b.next, "leaves": b.leaves} for b in s.branches
                ],
            }
            for s in script.states
        ],
    }


class _Clock:
    def __init__(self, t0: float | None = None) -> None:
        # perf_counter is the system's monotonic clock: comparable across processes.
        self.t0 = time.perf_counter() if t0 is None else t0

    def now(self) -> float:
        return time.perf_counter() - self.t0


class ListTracer:
    """Keeps events in memory: all of them, or the last ``maxlen`` (bounded memory)."""

    def __init__(self, maxlen: int | None = None) -> None:
        if maxlen is not None and maxlen <= 0:
            raise ValueError(f"maxlen must be positive, got {maxlen}")
        self._ring: collections.deque[Event] = collections.deque(maxlen=maxlen)
        self.header: dict[str, Any] = {}
        self._clock = _Clock()

    @property
    def events(self) -> list[Event]:
        """The events kept, oldest first."""
        return list(self._ring)

    def start(self, script: Script) -> None:
        self.header = script_header(script)
        self._clock = _Clock()

    def event(
        self,
        session: int,
        role: str,
        kind: str,
        state: str | None,
        branch: str | None,
        peer: str | None,
    ) -> None:
        self._ring.append(Event(self._clock.now(), session, role, kind, state, branch, peer))

    def close(self) -> None:
        pass


class RingTracer(ListTracer):
    """Keeps the last ``maxlen`` events only (default 100,000)."""

    def __init__(self, maxlen: int = 100_000) -> None:
        super().__init__(maxlen)


class JsonlTracer:
    """Streams events to a JSON Lines file as they happen: memory stays flat.

    Args:
        path: the file to write.
        origin: the ``time.perf_counter()`` reading that is ``t = 0`` (default:
            when ``start`` is called); worker processes of one run share it.
    """

    def __init__(self, path: str | Path, origin: float | None = None) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None
        self._origin = origin
        self._clock = _Clock(origin)
        self._lock = threading.Lock()

    @property
    def origin(self) -> float:
        """The ``time.perf_counter()`` reading of ``t = 0``."""
        return self._clock.t0

    def start(self, script: Script) -> None:
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write(json.dumps(script_header(script)) + "\n")
        self._clock = _Clock(self._origin)

    def extend(self, lines: Iterable[str]) -> None:
        """Append event lines written by other tracers of the same run (worker processes)."""
        if self._file is None:
            raise RuntimeError("JsonlTracer.extend() called before start()")
        with self._lock:
            self._file.writelines(lines)

    def event(
        self,
        session: int,
        role: str,
        kind: str,
        state: str | None,
        branch: str | None,
        peer: str | None,
    ) -> None:
        if self._file is None:
            raise RuntimeError("JsonlTracer.event() called before start()")
        line = (
            json.dumps(
                {
                    "t": round(self._clock.now(), 9),
                    "session": session,
                    "role": role,
                    "kind": kind,
                    "state": state,
                    "branch": branch,
                    "peer": peer,
                }
            )
            + "\n"
        )
        with self._lock:
            self._file.write(line)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_trace(path: str | Path) -> tuple[dict[str, Any], Iterator[Event]]:
    """Open a JSON Lines trace: its header and an iterator over its events.

    Raises:
        ValueError: the file is not a troupe trace of a version this library reads.
    """
    f = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed by the iterator
    first = f.readline()
    try:
        header = json.loads(first)
    except json.JSONDecodeError as e:
        f.close()
        raise ValueError(f"{path}: expected a troupe trace header line, got {first[:80]!r}") from e
    if not isinstance(header, dict) or header.get("troupe_trace") != TRACE_VERSION:
        f.close()
        raise ValueError(
            f"{path}: expected a troupe trace of version {TRACE_VERSION}, "
            f"got header {str(header)[:80]}"
        )

    def events() -> Iterator[Event]:
        with f:
            for n, line in enumerate(f, start=2):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    yield Event(
                        float(d["t"]), int(d["session"]), d["role"], d["kind"],
                        d["state"], d["branch"], d["peer"],
                    )
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                    raise ValueError(f"{path}:{n}: bad trace event: {line[:80]!r}") from e

    return header, events()
