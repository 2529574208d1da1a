"""The ``asyncio`` runtime: one task per role, plain or ``async def`` handlers.

Each role runs a ``RoleMachine`` in its own task with an ``asyncio.Queue`` as
its inbox. Waiting at a state is bounded by the state's timeout and by the run's
deadline; the first error (a raising handler, a bad message, a timeout) fails the
session: its other role tasks are cancelled and end with the same error.
Cancelling the task that awaits ``arun`` cancels every role and re-raises
``CancelledError``; a ``CancelToken`` ends the roles with ``Cancelled``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any

from .._errors import SessionFailed, Timeout
from .._machine import EXIT, NOTIFY, RECEIVE, SEND, SKIP, Item, RoleMachine, finish
from .._outcome import Result
from .._plan import Plan
from .._trace import Tracer
from ._cancel import CancelToken

__all__ = ["run_session", "run_sessions"]


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
    """Run one session per context list, at most ``window`` at once; results in order."""
    limit = asyncio.Semaphore(window)
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout

    async def one(i: int, ctxs: list[Any]) -> Result:
        async with limit:
            return await run_session(plan, ctxs, first_session + i, deadline=deadline,
                                     timeout=timeout, tracer=tracer, cancel=cancel)

    return list(await asyncio.gather(*(one(i, c) for i, c in enumerate(contexts))))


async def run_session(
    plan: Plan,
    ctxs: list[Any],
    session: int = 0,
    *,
    deadline: float | None = None,
    timeout: float | None = None,
    tracer: Tracer | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Run one session to its end and return every role's outcome."""
    loop = asyncio.get_running_loop()
    if deadline is None and timeout is not None:
        deadline = loop.time() + timeout
    R = plan.nroles
    inboxes: list[asyncio.Queue[Item]] = [asyncio.Queue() for _ in range(R)]
    machines = [RoleMachine(plan, r, session, tracer) for r in range(R)]
    failure: list[SessionFailed] = []
    tasks: list[asyncio.Task[None]] = []

    def fail(err: SessionFailed) -> None:
        if failure:
            return
        failure.append(err)
        for t in tasks:
            if t is not asyncio.current_task():
                t.cancel()

    def post(out: list[tuple[int, Item]]) -> None:
        for dest, item in out:
            inboxes[dest].put_nowait(item)

    async def take(m: RoleMachine) -> Item:
        got = m.next_message()
        while got is None:
            state_limit = plan.timeout[m.state] if m.action == RECEIVE else None
            run_left = None if deadline is None else deadline - loop.time()
            wait: float | None
            if run_left is not None and (state_limit is None or run_left <= state_limit):
                wait, is_run = max(0.0, run_left), True
            else:
                wait, is_run = state_limit, False
            try:
                async with asyncio.timeout(wait):
                    item = await inboxes[m.role].get()
            except TimeoutError:
                seconds = (timeout or 0.0) if is_run else (state_limit or 0.0)
                raise plan.timeout_failure(
                    session, m.state, m.role, m.waits_for, seconds, run=is_run
                ) from None
            m.feed(item)
            got = m.next_message()
        return got

    async def call(m: RoleMachine, fn: Any, *args: Any) -> Any:
        result = fn(*args)
        if inspect.isawaitable(result):
            if deadline is None:
                return await result
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    return await result
            except TimeoutError:
                state = plan.state_names[m.state]
                who = plan.role_names[m.role]
                raise Timeout(
                    f"session {session} timed out at state {state!r}: a handler of role "
                    f"{who!r} ran past the run timeout ({timeout or 0:g}s)",
                    state=state, role=who, session=session,
                ) from None
        return result

    async def role(m: RoleMachine) -> None:
        ctx = ctxs[m.role]
        try:
            while m.action != EXIT:
                if failure:
                    return  # a cancellation can be lost when it races a wake-up
                a = m.action
                if a == SEND:
                    fn = m.decide
                    msg = await call(m, fn, ctx) if fn is not None else m.fixed_message()
                    post(m.send(msg))
                elif a == SKIP:
                    post(m.skip())
                else:
                    got = await take(m)
                    if got[1] != NOTIFY:
                        fn = m.reaction(got)
                        if fn is not None:
                            await call(m, fn, ctx, got[3])
                    post(m.received(got))
        except asyncio.CancelledError:
            if not failure:
                raise
        except Exception as e:
            fail(plan.handler_failure(session, m.state, m.role, e))

    def cancelled() -> None:
        loop.call_soon_threadsafe(fail, plan.cancelled(session, machines[0].state, -1))

    remove = cancel.on_cancel(cancelled) if cancel is not None else None
    tasks.extend(asyncio.ensure_future(role(m)) for m in machines)
    try:
        # return_exceptions: role tasks we cancel on failure end here quietly; if the
        # task awaiting us is cancelled, gather cancels them all and raises.
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        if remove is not None:
            remove()
    return finish(plan, session, ctxs, machines, failure[0] if failure else None, tracer)

