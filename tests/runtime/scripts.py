"""Small scripts the runtime tests share."""

from __future__ import annotations

import asyncio
import time

import troupe as tp


class A(tp.Context):
    n: int = 0


class B(tp.Context):
    n: int = 0


class C(tp.Context):
    n: int = 0


def relay(boom: str = "", sleep_at: str = "", sleep: float = 0.0, is_async: bool = False,
          state_timeout: float | None = None) -> tp.Script:
    """a -> b -> c -> a, three rounds; ``boom`` names a handler that raises.

    Handler names: a_decide, b_react, b_decide, c_react, c_decide, a_react.
    ``sleep_at`` names a handler that sleeps ``sleep`` seconds (blocking, or
    awaited when ``is_async``).
    """
    a, b, c = tp.Role("a", A), tp.Role("b", B), tp.Role("c", C)
    with tp.protocol("relay", a, b, c):
        s1 = tp.state("AtoB", a, to=[b, c])
        s2 = tp.state("BtoC", b, to=[c], timeout=state_timeout)
        s3 = tp.state("CtoA", c, to=[a])
    go = s1.branch("go", int, next=s2)
    done = s1.branch("done", None, next=tp.Exit)
    bc = s2.branch("bc", int, next=s3)
    ca = s3.branch("ca", int, next=s1)

    def hook(name: str) -> None:
        if name == boom:
            raise ValueError(f"boom in {name}")

    def maybe_sleep(name: str) -> None:
        if name == sleep_at:
            time.sleep(sleep)

    if is_async:
        async def pause(name: str) -> None:
            hook(name)
            if name == sleep_at:
                await asyncio.sleep(sleep)

        @s1.decide
        async def a_decide(ctx: A) -> tp.Message:
            await pause("a_decide")
            return done() if ctx.n >= 3 else go(ctx.n)

        @go.on(b)
        async def b_react(ctx: B, n: int) -> None:
            await pause("b_react")
            ctx.n = n

        @s2.decide
        async def b_decide(ctx: B) -> tp.Message:
            await pause("b_decide")
            return bc(ctx.n)

        @bc.on(c)
        async def c_react(ctx: C, n: int) -> None:
            await pause("c_react")
            ctx.n = n

        @s3.decide
        async def c_decide(ctx: C) -> tp.Message:
            await pause("c_decide")
            return ca(ctx.n + 1)

        @ca.on(a)
        async def a_react(ctx: A, n: int) -> None:
            await pause("a_react")
            ctx.n = n
    else:
        @s1.decide
        def a_decide(ctx: A) -> tp.Message:
            hook("a_decide")
            maybe_sleep("a_decide")
            return done() if ctx.n >= 3 else go(ctx.n)

        @go.on(b)
        def b_react(ctx: B, n: int) -> None:
            hook("b_react")
            maybe_sleep("b_react")
            ctx.n = n

        @s2.decide
        def b_decide(ctx: B) -> tp.Message:
            hook("b_decide")
            maybe_sleep("b_decide")
            return bc(ctx.n)

        @bc.on(c)
        def c_react(ctx: C, n: int) -> None:
            hook("c_react")
            maybe_sleep("c_react")
            ctx.n = n

        @s3.decide
        def c_decide(ctx: C) -> tp.Message:
            hook("c_decide")
            maybe_sleep("c_decide")
            return ca(ctx.n + 1)

        @ca.on(a)
        def a_react(ctx: A, n: int) -> None:
            hook("a_react")
            maybe_sleep("a_react")
            ctx.n = n

    return tp.script("relay", s1)


HANDLERS = ("a_decide", "b_react", "b_decide", "c_react", "c_decide", "a_react")
