"""The ``threads`` runtime: one thread per role; handlers may block.

Each role runs a ``RoleMachine`` in its own thread with a queue as its inbox.
Waiting at a state is bounded by the state's timeout and the run's deadline.
The first error fails the session: every inbox gets a wake-up so waiting roles
end with the same ``SessionFailed``. A thread blocked inside a handler cannot be
interrupted: once the session has failed (or the run's deadline passed) it is
given a short grace period, then left behind as a daemon thread and its role is
reported failed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from .._errors import SessionFailed
from .._machine import EXIT, NOTIFY, SEND, SKIP, Item, RoleMachine, finish
from .._outcome import Result
from .._plan import Plan
from .._trace import Tracer
from ._cancel import CancelToken

__all__ = ["run_session", "run_sessions"]

GRACE = 0.5
"""Seconds a role thread gets to finish after its session failed."""


def run_sessions(
    plan: Plan,
    contexts: Sequence[list[Any]],
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
    first_session: int = 0,
    max_threads: int = 256,
) -> list[Result]:
    """Run sessions with at most ``max_threads`` role threads at once; results in order."""
    deadline = None if timeout is None else time.monotonic() + timeout
    per_batch = max(1, max_threads // max(1, plan.nroles))
    results: list[Result | None] = [None] * len(contexts)
    for start in range(0, len(contexts), per_batch):
        batch = range(start, min(len(contexts), start + per_batch))
        runners = [_Session(plan, contexts[i], first_session + i, deadline, timeout, tracer,
                            cancel) for i in batch]
        for s in runners:
            s.start()
        for i, s in zip(batch, runners, strict=True):
            results[i] = s.finish()
    return [r for r in results if r is not None]


def run_session(
    plan: Plan,
    ctxs: list[Any],
    session: int = 0,
    *,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Run one session to its end and return every role's outcome."""
    deadline = None if timeout is None else time.monotonic() + timeout
    s = _Session(plan, ctxs, session, deadline, timeout, tracer, cancel)
    s.start()
    return s.finish()


class _Session:
    def __init__(
        self,
        plan: Plan,
        ctxs: list[Any],
        session: int,
        deadline: float | None,
        timeout: float | None,
        tracer: Tracer | None,
        cancel: CancelToken | None,
    ) -> None:
        self.plan = plan
        self.ctxs = ctxs
        self.session = session
        self.deadline = deadline
        self.timeout = timeout
        self.tracer = tracer
        self.cancel = cancel
        R = plan.nroles
        self.inboxes: list[queue.SimpleQueue[Item | None]] = [queue.SimpleQueue() for _ in range(R)]
        self.machines = [RoleMachine(plan, r, session, tracer) for r in range(R)]
        self.failure: SessionFailed | None = None
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [
            threading.Thread(target=self.role, args=(m,), daemon=True,
                             name=f"troupe-{plan.role_names[m.role]}-{session}")
            for m in self.machines
        ]
        self.remove_cancel = (
            cancel.on_cancel(lambda: self.fail(plan.cancelled(session, self.machines[0].state, -1)))
            if cancel is not None else None
        )

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def fail(self, err: SessionFailed) -> None:
        with self.lock:
            if self.failure is not None:
                return
            self.failure = err
        for box in self.inboxes:
            box.put(None)

    def take(self, m: RoleMachine) -> Item | None:
        plan = self.plan
        got = m.next_message()
        while got is None:
            run_left = None if self.deadline is None else self.deadline - time.monotonic()
            wait, is_run = plan.wait_budget(m.state, m.action, run_left)
            try:
                item = self.inboxes[m.role].get(timeout=wait)
            except queue.Empty:
                seconds = (self.timeout or 0.0) if is_run else (wait or 0.0)
                raise plan.timeout_failure(
                    self.session, m.state, m.role, m.waits_for, seconds, run=is_run
                ) from None
            if item is None:
                return None
            m.feed(item)
            got = m.next_message()
        return got

    def post(self, out: list[tuple[int, Item]]) -> None:
        for dest, item in out:
            self.inboxes[dest].put(item)

    def role(self, m: RoleMachine) -> None:
        ctx = self.ctxs[m.role]
        try:
            while m.action != EXIT:
                if self.failure is not None:
                    return
                a = m.action
                if a == SEND:
                    fn = m.decide
                    msg = fn(ctx) if fn is not None else m.fixed_message()
                    self.post(m.send(msg))
                elif a == SKIP:
                    self.post(m.skip())
                else:
                    got = self.take(m)
                    if got is None:
                        return
                    if got[1] != NOTIFY:
                        fn = m.reaction(got)
                        if fn is not None:
                            fn(ctx, got[3])
                    self.post(m.received(got))
        except Exception as e:
            self.fail(self.plan.handler_failure(self.session, m.state, m.role, e))

    def finish(self) -> Result:
        plan = self.plan
        for t in self.threads:
            while t.is_alive():
                if self.failure is not None:
                    t.join(GRACE)
                    break
                left = None if self.deadline is None else self.deadline - time.monotonic()
                if left is not None and left <= 0:
                    m = self.machines[self.threads.index(t)]
                    self.fail(plan.timeout_failure(
                        self.session, m.state, m.role, m.role, self.timeout or 0.0, run=True))
                    continue
                t.join(0.05 if left is None else min(0.05, left))
        if self.remove_cancel is not None:
            self.remove_cancel()
        return finish(plan, self.session, self.ctxs, self.machines, self.failure, self.tracer)
