"""The ``inproc`` runtime: one scheduler, many sessions, one thread.

Theory of operation. Roles are not coroutines or threads: a role is a slot in
flat lists (``cur[slot]`` its state id, ``ctxs[slot]`` its context; ``slot =
session * nroles + role``). All messages of all sessions go through one FIFO of
``(slot, state, branch, payload)``. Popping a message runs the destination
role: if it is at that state (RECEIVE) its reaction runs and it moves on; then
it keeps going through SEND and SKIP states (calling decisions, pushing
messages) until it has to wait again. A notification is ``(slot, NOTIFY, next,
None)``. A message that arrives early (a role can be sent to by a peer that ran
ahead) is stashed until the role gets to that state; per-pair FIFO order is
kept. Dispatch is through the plan's lists indexed by state id.

Handlers must not block; ``async def`` handlers are refused (use ``asyncio``).
Failure: a raising handler or a bad message fails its session only; every role
of it ends with ``SessionFailed`` and later messages to it are dropped. The run
timeout and cancellation are checked every few hundred messages: a handler
that blocks cannot be interrupted here. Per-state timeouts are enforced by the
``asyncio`` and ``threads`` runtimes, where a state can wait on a peer.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .._errors import SessionFailed, TroupeError
from .._outcome import Result
from .._plan import EXIT, NOTIFY, RECEIVE, SEND, SKIP, WAIT, Plan
from .._script import Branch
from .._trace import Tracer
from ._cancel import CancelToken

__all__ = ["iter_sessions", "run_sessions"]

DEAD = 5  # action of the extra row a failed session's roles are parked at

_CHECK_EVERY = 512


class _Fail(Exception):
    def __init__(self, slot: int, sid: int, exc: BaseException) -> None:
        self.slot = slot
        self.sid = sid
        self.exc = exc


def iter_sessions(
    plan: Plan,
    contexts: Iterable[list[Any]],
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
    first_session: int = 0,
    window: int = 50_000,
) -> Iterator[Result]:
    """Run one session per context list, ``window`` at a time, yielding results in order.

    Contexts are taken from the iterable only as windows are admitted, so memory
    stays flat however many sessions there are.
    """
    where = plan.async_handler()
    if where is not None:
        raise TroupeError(
            f"the inproc runtime cannot run async handlers ({where}); use runtime='asyncio'"
        )
    deadline = None if timeout is None else time.monotonic() + timeout
    it = iter(contexts)
    start = first_session
    while True:
        chunk = list(itertools.islice(it, window))
        if not chunk:
            return
        yield from _run_chunk(plan, chunk, start, deadline, timeout, tracer, cancel)
        start += len(chunk)


def run_sessions(
    plan: Plan,
    contexts: Sequence[list[Any]],
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
    first_session: int = 0,
    window: int = 50_000,
) -> list[Result]:
    """Run one session per context list, at most ``window`` at a time; results in order."""
    where = plan.async_handler()
    if where is not None:
        raise TroupeError(
            f"the inproc runtime cannot run async handlers ({where}); use runtime='asyncio'"
        )
    deadline = None if timeout is None else time.monotonic() + timeout
    results: list[Result] = []
    for start in range(0, len(contexts), window):
        chunk = contexts[start : start + window]
        results.extend(
            _run_chunk(plan, chunk, first_session + start, deadline, timeout, tracer, cancel)
        )
    return results


def _run_chunk(
    plan: Plan,
    contexts: Sequence[list[Any]],
    first: int,
    deadline: float | None,
    timeout: float | None,
    tracer: Tracer | None,
    cancel: CancelToken | None,
) -> list[Result]:
    R = plan.nroles
    n = len(contexts)
    exit_sid = plan.exit
    dead_sid = exit_sid + 1
    action = [[*row, DEAD] for row in plan.action]
    decide = plan.decide
    react = plan.react
    to = plan.to
    notify = plan.notify
    nexts = plan.next
    accept = plan.accept
    stobj = plan.state_objects
    fixed = plan.fixed
    names = plan.state_names
    labels = plan.labels
    rnames = plan.role_names
    tr = tracer

    cur = [0] * (n * R)
    ctxs: list[Any] = [c for ctx_list in contexts for c in ctx_list]
    errors: list[SessionFailed | None] = [None] * n
    queue: deque[tuple[int, int, int, Any]] = deque()
    push = queue.append
    pending: dict[int, list[tuple[int, int, Any]]] = {}
    died_at: dict[int, int] = {}

    def advance(slot: int, sid: int) -> None:
        # Hot path: runs a role through SEND/SKIP states until it must wait.
        r = slot % R
        base = slot - r
        act = action[r]
        try:
            while True:
                a = act[sid]
                if tr is not None and a != EXIT:
                    tr.event(first + slot // R, rnames[r], "enter", names[sid], None, None)
                if a == SEND:
                    fn = decide[r][sid]
                    msg: Any = fn(ctxs[slot]) if fn is not None else fixed[sid]
                    if type(msg) is not tuple or len(msg) != 2:
                        plan.check_message(sid, r, msg)
                    b, payload = msg
                    if type(b) is not Branch or b.state is not stobj[sid]:
                        plan.check_message(sid, r, msg)
                    bi = b.index
                    acc = accept[sid][bi]
                    if acc is not None and not isinstance(payload, acc):
                        plan.check_message(sid, r, msg)
                    for dest in to[r][sid]:
                        push((base + dest, sid, bi, payload))
                        if tr is not None:
                            tr.event(first + slot // R, rnames[r], "send", names[sid],
                                     labels[sid][bi], rnames[dest])
                    nsid = nexts[sid][bi]
                    for ext in notify[r][sid][bi]:
                        push((base + ext, NOTIFY, nsid, None))
                        if tr is not None:
                            tr.event(first + slot // R, rnames[r], "notify", names[nsid], None,
                                     rnames[ext])
                    sid = nsid
                elif a == SKIP:
                    nsid = nexts[sid][0]
                    for ext in notify[r][sid][0]:
                        push((base + ext, NOTIFY, nsid, None))
                        if tr is not None:
                            tr.event(first + slot // R, rnames[r], "notify", names[nsid], None,
                                     rnames[ext])
                    sid = nsid
                elif a == EXIT:
                    cur[slot] = sid
                    if tr is not None:
                        tr.event(first + slot // R, rnames[r], "exit", names[sid], None, None)
                    return
                else:
                    cur[slot] = sid
                    if pending and slot in pending:
                        _unstash(slot)
                    return
        except _Fail:
            raise
        except Exception as e:
            raise _Fail(slot, sid, e) from e

    def deliver(slot: int, msid: int, bi: int, payload: Any) -> bool:
        # Hot path: one call per message popped. False: the role is not there yet.
        r = slot % R
        sid = cur[slot]
        a = action[r][sid]
        if a == RECEIVE and msid == sid:
            if tr is not None:
                tr.event(first + slot // R, rnames[r], "receive", names[sid], labels[sid][bi],
                         rnames[plan.sender[sid]])
            fn = react[r][sid][bi]
            try:
                if fn is not None:
                    fn(ctxs[slot], payload)
            except Exception as e:
                raise _Fail(slot, sid, e) from e
            nsid = nexts[sid][bi]
            exts = notify[r][sid][bi]
            if exts:
                base = slot - r
                for ext in exts:
                    push((base + ext, NOTIFY, nsid, None))
                    if tr is not None:
                        tr.event(first + slot // R, rnames[r], "notify", names[nsid], None,
                                 rnames[ext])
            advance(slot, nsid)
            return True
        if a == WAIT and msid == NOTIFY:
            if tr is not None:
                tr.event(first + slot // R, rnames[r], "notified", names[bi], None,
                         rnames[plan.peer[r][sid]])
            advance(slot, bi)
            return True
        return a == DEAD  # True: its session failed, drop the message

    def _unstash(slot: int) -> None:
        stash = pending[slot]
        i = 0
        while i < len(stash):
            msid, bi, payload = stash[i]
            r = slot % R
            sid = cur[slot]
            a = action[r][sid]
            if (a == RECEIVE and msid == sid) or (a == WAIT and msid == NOTIFY):
                del stash[i]
                if not stash:
                    del pending[slot]
                deliver(slot, msid, bi, payload)
                return  # deliver() advanced the role, which unstashes again if needed
            i += 1

    def fail(session_local: int, err: SessionFailed) -> None:
        if errors[session_local] is not None:
            return
        errors[session_local] = err
        base = session_local * R
        for r in range(R):
            slot = base + r
            if cur[slot] != exit_sid:
                if tr is not None:
                    tr.event(first + session_local, rnames[r], "fail", names[cur[slot]],
                             str(err), None)
                died_at[slot] = cur[slot]
                cur[slot] = dead_sid
            pending.pop(slot, None)

    def fail_from(f: _Fail) -> None:
        s = f.slot // R
        if cur[f.slot] != dead_sid:
            cur[f.slot] = f.sid
        fail(s, plan.handler_failure(first + s, f.sid, f.slot % R, f.exc))

    # Start every role: each runs until it must wait.
    for slot in range(n * R):
        if cur[slot] == dead_sid:
            continue
        try:
            advance(slot, 0)
        except _Fail as f:
            fail_from(f)

    popleft = queue.popleft
    count = 0
    while queue:
        slot, msid, bi, payload = popleft()
        try:
            if not deliver(slot, msid, bi, payload):
                pending.setdefault(slot, []).append((msid, bi, payload))
        except _Fail as f:
            fail_from(f)
        count += 1
        if count >= _CHECK_EVERY:
            count = 0
            if cancel is not None and cancel.cancelled:
                _stop_all(plan, n, R, cur, exit_sid, fail, first, "cancel", timeout)
                break
            if deadline is not None and time.monotonic() > deadline:
                _stop_all(plan, n, R, cur, exit_sid, fail, first, "timeout", timeout)
                break
    else:
        if cancel is not None and cancel.cancelled:
            _stop_all(plan, n, R, cur, exit_sid, fail, first, "cancel", timeout)

    # Anything still not at Exit now can never move: nothing is left to deliver.
    for s in range(n):
        if errors[s] is None:
            base = s * R
            stuck = [r for r in range(R) if cur[base + r] != exit_sid]
            if stuck:
                r = stuck[0]
                sid = cur[base + r]
                peer = plan.peer[r][sid]
                fail(s, plan.failure(
                    SessionFailed, first + s, sid, peer, None,
                    f"session {first + s} stalled at state {names[sid]!r}: role {rnames[r]!r} "
                    f"waits for {rnames[peer] if peer >= 0 else '?'!r}, but no message can come",
                ))
    results = []
    for s in range(n):
        err = errors[s]
        states: list[int] = []
        errs: list[SessionFailed | None] = []
        for slot in range(s * R, s * R + R):
            st = cur[slot]
            states.append(died_at.get(slot, 0) if st == dead_sid else st)
            errs.append(err if st == dead_sid else None)
        results.append(plan.result(first + s, ctxs[s * R : s * R + R], states, errs))
    return results


def _stop_all(
    plan: Plan, n: int, R: int, cur: list[int], exit_sid: int, fail: Any, first: int,
    why: str, timeout: float | None,
) -> None:
    for s in range(n):
        base = s * R
        live = [r for r in range(R) if cur[base + r] not in (exit_sid, exit_sid + 1)]
        if not live:
            continue
        r = live[0]
        sid = cur[base + r]
        if why == "cancel":
            fail(s, plan.cancelled(first + s, sid, r))
        else:
            peer = plan.peer[r][sid]
            fail(s, plan.timeout_failure(first + s, sid, r, peer if peer >= 0 else r,
                                         timeout or 0.0, run=True))
