"""The ``asyncio`` runtime: one task per role, plain or ``async def`` handlers.

Each role runs its projection in its own task. Its inbox is a deque with at
most one waiting future: delivering a message appends it and wakes the role if
it waits, so a message costs one task switch and nothing else (no
``asyncio.Queue``, no coroutine per wait). A role takes the first message in
its inbox that belongs to its current state; one from a peer that ran ahead
stays until the role gets there. Plain handlers are called directly, ``async
def`` ones awaited. The role loop is a hot path: it reads the plan's tables
directly rather than going through ``RoleMachine`` (which ``threads`` uses),
with the same checks and the same trace events in the same order; a session is
a slotted record, so starting one costs a few allocations.

Waiting at a state is bounded by the state's timeout and by the run's
deadline; the first error (a raising handler, a bad message, a timeout) fails
the session: its other role tasks are cancelled and end with the same error.
Cancelling the task that awaits ``arun`` cancels every role and re-raises
``CancelledError``; a ``CancelToken`` ends the roles with ``Cancelled``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Sequence
from typing import Any

from .._errors import SessionFailed, Timeout
from .._machine import NOTIFY, RECEIVE, SEND, SKIP, WAIT, Item
from .._outcome import Result
from .._plan import Plan
from .._trace import Tracer
from ._cancel import CancelToken

__all__ = ["run_session", "run_sessions"]


class _Session:
    """One running session: its roles' inboxes, positions and outcome."""

    __slots__ = (
        "boxes", "ctxs", "deadline", "done", "failure", "index", "loop", "plan", "tasks",
        "timeout", "tracer", "waiters", "where",
    )

    def __init__(
        self, plan: Plan, ctxs: list[Any], index: int, loop: asyncio.AbstractEventLoop,
        deadline: float | None, timeout: float | None, tracer: Tracer | None,
    ) -> None:
        R = plan.nroles
        self.plan = plan
        self.ctxs = ctxs
        self.index = index
        self.loop = loop
        self.deadline = deadline
        self.timeout = timeout
        self.tracer = tracer
        self.boxes: list[deque[Item]] = [deque() for _ in range(R)]
        self.waiters: list[asyncio.Future[None] | None] = [None] * R
        self.where = [0] * R  # each role's state: where it ended, if the session fails
        self.done = [False] * R
        self.failure: SessionFailed | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def fail(self, err: SessionFailed) -> None:
        if self.failure is not None:
            return
        self.failure = err
        me = asyncio.current_task()
        for t in self.tasks:
            if t is not me:
                t.cancel()

    def result(self) -> Result:
        plan, err, tr = self.plan, self.failure, self.tracer
        if err is not None and tr is not None:
            for r in range(plan.nroles):
                if not self.done[r]:
                    tr.event(self.index, plan.role_names[r], "fail",
                             plan.state_names[self.where[r]], str(err), None)
        errors = [None if ok else err for ok in self.done]
        return plan.result(self.index, self.ctxs, self.where, errors)


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


async def _wait(s: _Session, r: int, sid: int, action: int) -> Item:
    """The message role ``r`` takes at ``sid``: a kept one, or the next to come, in time."""
    plan, loop = s.plan, s.loop
    box = s.boxes[r]
    peer = plan.peer[r][sid]
    while True:
        for i, item in enumerate(box):
            if (item[1] == sid) if action == RECEIVE else (item[1] == NOTIFY and item[0] == peer):
                del box[i]
                return item
        fut: asyncio.Future[None] = loop.create_future()
        s.waiters[r] = fut
        run_left = None if s.deadline is None else s.deadline - loop.time()
        left, is_run = plan.wait_budget(sid, action, run_left)
        if left is None:
            await fut
            continue
        handle = loop.call_later(left, _expire, fut)
        try:
            await fut
        except TimeoutError:
            seconds = (s.timeout or 0.0) if is_run else left
            raise plan.timeout_failure(s.index, sid, r, peer, seconds, run=is_run) from None
        finally:
            handle.cancel()


async def _finish_handler(s: _Session, r: int, sid: int, pending: Any) -> Any:
    if s.deadline is None:
        return await pending
    try:
        async with asyncio.timeout(max(0.0, s.deadline - s.loop.time())):
            return await pending
    except TimeoutError:
        state, who = s.plan.state_names[sid], s.plan.role_names[r]
        raise Timeout(
            f"session {s.index} timed out at state {state!r}: a handler of role {who!r} ran "
            f"past the run timeout ({s.timeout or 0:g}s)",
            state=state, role=who, session=s.index,
        ) from None


async def _role(s: _Session, r: int) -> None:
    # Hot path: one iteration per state the role passes.
    plan = s.plan
    ctx = s.ctxs[r]
    act = plan.action[r]
    decide, react, to, notify = plan.decide[r], plan.react[r], plan.to[r], plan.notify[r]
    nexts, accept, records, fixed, peers = (
        plan.next, plan.accept, plan.branches, plan.fixed, plan.peer[r])
    rn, sn, labels = plan.role_names, plan.state_names, plan.labels
    boxes, waiters, where = s.boxes, s.waiters, s.where
    box = boxes[r]
    tr = s.tracer
    timed = s.deadline is not None or any(t is not None for t in plan.timeout)
    new_future = s.loop.create_future
    session = s.index
    me = rn[r]
    exit_sid = plan.exit
    sid = 0
    try:
        if tr is not None:
            tr.event(session, me, "enter" if exit_sid else "exit", sn[0], None, None)
        while sid != exit_sid:
            where[r] = sid
            if s.failure is not None:
                return  # a cancellation can be lost when it races a wake-up
            a = act[sid]
            if a == SEND:
                fn = decide[sid]
                if fn is None:
                    msg: Any = fixed[sid]
                else:
                    msg = fn(ctx)
                    if type(msg) is not tuple and inspect.isawaitable(msg):
                        msg = await _finish_handler(s, r, sid, msg)
                ok = False
                if type(msg) is tuple and len(msg) == 2:
                    b, payload = msg
                    try:
                        k = b.index
                        acc = accept[sid][k]
                        ok = records[sid][k] is b and (acc is None or isinstance(payload, acc))
                    except (AttributeError, IndexError, TypeError):
                        pass
                if not ok:
                    plan.check_message(sid, r, msg)  # raises MessageError, saying why
                bi = b.index
                item = (r, sid, bi, payload)
                for d in to[sid]:
                    boxes[d].append(item)
                    w = waiters[d]
                    if w is not None:
                        waiters[d] = None
                        if not w.done():
                            w.set_result(None)
                    if tr is not None:
                        tr.event(session, me, "send", sn[sid], labels[sid][bi], rn[d])
            elif a == SKIP:
                bi = 0
            else:
                while True:
                    if box:
                        first = box[0]
                        if (first[1] == sid) if a == RECEIVE else (
                                first[1] == NOTIFY and first[0] == peers[sid]):
                            item = box.popleft()
                            break
                    if timed or box:
                        item = await _wait(s, r, sid, a)  # timers, or an early message
                        break
                    fut = new_future()
                    waiters[r] = fut
                    await fut
                if a == WAIT:
                    if tr is not None:
                        tr.event(session, me, "notified", sn[item[2]], None, rn[item[0]])
                    sid = item[2]
                    if tr is not None:
                        tr.event(session, me, "exit" if sid == exit_sid else "enter", sn[sid],
                                 None, None)
                    continue
                bi = item[2]
                fn = react[sid][bi]
                if fn is not None:
                    got = fn(ctx, item[3])
                    if got is not None and inspect.isawaitable(got):
                        await _finish_handler(s, r, sid, got)
                if tr is not None:
                    tr.event(session, me, "receive", sn[sid], labels[sid][bi], rn[item[0]])
            nsid = nexts[sid][bi]
            for e in notify[sid][bi]:
                boxes[e].append((r, NOTIFY, nsid, None))
                w = waiters[e]
                if w is not None:
                    waiters[e] = None
                    if not w.done():
                        w.set_result(None)
                if tr is not None:
                    tr.event(session, me, "notify", sn[nsid], None, rn[e])
            sid = nsid
            if tr is not None:
                tr.event(session, me, "exit" if sid == exit_sid else "enter", sn[sid], None, None)
        where[r] = sid
        s.done[r] = True
    except asyncio.CancelledError:
        if s.failure is None:
            raise
    except Exception as e:
        s.fail(plan.handler_failure(session, where[r], r, e))


async def run_sessions(
    plan: Plan,
    contexts: Sequence[list[Any]],
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
    first_session: int = 0,
    window: int = 10_000,
) -> list[Result]:
    """Run one session per context list, ``window`` sessions at a time; results in order."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    results: list[Result] = []
    for start in range(0, len(contexts), window):
        sessions = [
            _Session(plan, ctxs, first_session + start + i, loop, deadline, timeout, tracer)
            for i, ctxs in enumerate(contexts[start : start + window])
        ]

        def cancelled(sessions: list[_Session] = sessions) -> None:
            for s in sessions:
                loop.call_soon_threadsafe(s.fail, plan.cancelled(s.index, s.where[0], -1))

        remove = cancel.on_cancel(cancelled) if cancel is not None else None
        tasks: list[asyncio.Task[None]] = []
        for s in sessions:
            s.tasks = [asyncio.ensure_future(_role(s, r)) for r in range(plan.nroles)]
            tasks.extend(s.tasks)
        try:
            # return_exceptions: role tasks cancelled by a failure end quietly; if the
            # task awaiting us is cancelled, gather cancels them all and raises.
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if remove is not None:
                remove()
        results.extend(s.result() for s in sessions)
    return results


async def run_session(
    plan: Plan,
    ctxs: list[Any],
    session: int = 0,
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Run one session to its end and return every role's outcome."""
    results = await run_sessions(plan, [ctxs], timeout=timeout, tracer=tracer, cancel=cancel,
                                 first_session=session)
    return results[0]
