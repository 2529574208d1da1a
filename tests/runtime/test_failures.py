"""Failure semantics on every runtime: raising handlers, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import troupe as tp

from .scripts import HANDLERS, relay

RUNTIMES = ["inproc", "asyncio", "threads"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_relay_runs(runtime: str) -> None:
    res = tp.run(relay(), runtime=runtime)
    assert res.ok
    assert res.context("a").n == 3
    assert res.context("c").n == 2
    assert all(o.state == "Exit" for o in res.values())


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("where", HANDLERS)
def test_raising_handler_fails_every_role(runtime: str, where: str) -> None:
    started = time.monotonic()
    res = tp.run(relay(boom=where), runtime=runtime, timeout=5)
    assert time.monotonic() - started < 2
    assert not res.ok
    for outcome in res.values():
        assert isinstance(outcome.error, tp.SessionFailed)
        assert not isinstance(outcome.error, tp.Timeout)
        assert isinstance(outcome.error.cause, ValueError)
        assert str(outcome.error.cause) == f"boom in {where}"
    err = res.error
    assert err is not None
    assert err.role == where[0]
    expected_state = {"a": "AtoB", "b": "BtoC", "c": "CtoA"}
    state = {"a_decide": "AtoB", "b_react": "AtoB", "b_decide": "BtoC",
             "c_react": "BtoC", "c_decide": "CtoA", "a_react": "CtoA"}[where]
    assert err.state == state, expected_state
    assert f"handler of role {where[0]!r} raised ValueError: boom in {where}" in str(err)


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_state_timeout_names_state_and_waited_role(runtime: str) -> None:
    script = relay(sleep_at="b_decide", sleep=3.0, state_timeout=0.2,
                   is_async=runtime == "asyncio")
    started = time.monotonic()
    res = tp.run(script, runtime=runtime)
    assert time.monotonic() - started < 2.5
    err = res.error
    assert isinstance(err, tp.Timeout)
    assert err.state == "BtoC"
    assert err.role == "b"
    assert "waited 0.2s (state timeout) for role 'b'" in str(err)
    assert not res["c"].ok
    assert not res["a"].ok


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_run_timeout(runtime: str) -> None:
    script = relay(sleep_at="c_react", sleep=3.0, is_async=runtime == "asyncio")
    started = time.monotonic()
    res = tp.run(script, runtime=runtime, timeout=0.3)
    assert time.monotonic() - started < 2.5
    assert isinstance(res.error, tp.Timeout)
    assert all(not o.ok for o in res.values())


def test_inproc_run_timeout_between_messages() -> None:
    script = relay(sleep_at="b_react", sleep=0.001)
    res = tp.run_many(script, 2000, timeout=0.05)
    failed = [r for r in res if not r.ok]
    assert failed, "some sessions must have been stopped by the run timeout"
    assert all(isinstance(r.error, tp.Timeout) for r in failed)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_cancel_token(runtime: str) -> None:
    sleep = 0.001 if runtime == "inproc" else 0.05
    script = relay(sleep_at="b_react", sleep=sleep, is_async=runtime == "asyncio")
    token = tp.CancelToken()
    threading.Timer(0.1, token.cancel).start()
    started = time.monotonic()
    res = tp.run_many(script, 3 if runtime != "inproc" else 2000, runtime=runtime, cancel=token)
    assert time.monotonic() - started < 3
    cancelled = [r for r in res if not r.ok]
    assert cancelled
    for r in cancelled:
        assert isinstance(r.error, tp.Cancelled)
        assert all(isinstance(o.error, tp.Cancelled) for o in r.values() if not o.ok)


def test_cancelling_the_asyncio_task_ends_every_role() -> None:
    script = relay(sleep_at="b_react", sleep=10, is_async=True)

    async def main() -> None:
        async with asyncio.timeout(3):
            task = asyncio.create_task(tp.arun(script))
            await asyncio.sleep(0.1)
            assert len(asyncio.all_tasks()) > 2  # the roles are running
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(main())


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_one_failing_session_does_not_disturb_others(runtime: str) -> None:
    a, b = tp.Role("a", _Num), tp.Role("b", _Num)
    with tp.protocol("p", a, b):
        s = tp.state("S", a, to=[b])
    val = s.branch("val", int, next=tp.Exit)

    @s.decide
    def d(ctx: _Num) -> tp.Message:
        return val(ctx.n)

    @val.on(b)
    def r(ctx: _Num, n: int) -> None:
        if n == 3:
            raise RuntimeError("three")
        ctx.n = n * 10

    script = tp.script("p", s)
    res = tp.run_many(script, [{"a": _Num(n=i)} for i in range(6)], runtime=runtime)
    assert [r.ok for r in res] == [True, True, True, False, True, True]
    assert [r.context("b").n for r in res if r.ok] == [0, 10, 20, 40, 50]
    assert res[3].error is not None and res[3].error.session == 3


class _Num(tp.Context):
    n: int = 0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_wrong_message_fails_with_clear_error(runtime: str) -> None:
    a, b = tp.Role("a", _Num), tp.Role("b", _Num)
    with tp.protocol("p", a, b):
        s = tp.state("S", a, to=[b])
        t = tp.state("T", b, to=[a])
    val = s.branch("val", int, next=t)
    back = t.branch("back", None, next=tp.Exit)
    t.decide(lambda ctx: back())
    mode = {"m": "foreign"}
    hidden = {"back": back}  # out of the checker's sight (T203 would catch a direct use)

    @s.decide
    def choose(ctx: _Num) -> tp.Message:
        if mode["m"] == "foreign":
            return hidden["back"]()
        if mode["m"] == "payload":
            return val("seven")  # type: ignore[arg-type]
        return 42  # type: ignore[return-value]

    script = tp.script("p", s)
    res = tp.run(script, runtime=runtime)
    assert isinstance(res.error, tp.SessionFailed)
    assert isinstance(res.error.cause, tp.MessageError)
    assert "returned branch 'back' of state 'T'; expected a branch of 'S' (val)" in str(res.error)
    mode["m"] = "payload"
    res = tp.run(script, runtime=runtime)
    assert "branch 'val' expects a payload of type int, got str 'seven'" in str(res.error)
    mode["m"] = "other"
    res = tp.run(script, runtime=runtime)
    assert "must return a message made by calling one of its branches (val), got int 42" in str(
        res.error
    )


def test_inproc_refuses_async_handlers() -> None:
    with pytest.raises(tp.TroupeError, match=r"inproc runtime cannot run async handlers.*asyncio"):
        tp.run(relay(is_async=True), runtime="inproc")


def test_async_handlers_on_asyncio() -> None:
    res = tp.run(relay(is_async=True), runtime="asyncio")
    assert res.ok and res.context("a").n == 3


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown runtime 'fibers'; expected one of inproc"):
        tp.run(relay(), runtime="fibers")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="context of role 'a' must be a A, got B"):
        from .scripts import B
        tp.run(relay(), {"a": B()})
    with pytest.raises(TypeError, match="has no role 'zed'"):
        tp.run(relay(), {"zed": 1})


def test_a_script_cannot_start_at_exit() -> None:
    with pytest.raises(TypeError, match="entry must be a state to start at, got Exit"):
        tp.script("empty", tp.Exit)
