"""Clean user code: mypy --strict reports no error, and on each line with an ``R:``
comment the revealed type (module prefixes dropped) is exactly the one written there.

Not run by pytest: ``test_typing.py`` type-checks this file.
"""

from __future__ import annotations

from typing import reveal_type

import msgspec

import troupe as tp


class Alice(tp.Context):
    counter: int = 0


class Bob(tp.Context):
    counter: int = 0


class Point(msgspec.Struct):
    x: int
    y: int


def pingpong(a: tp.Role[Alice], b: tp.Role[Bob], then: tp.Next) -> tp.Next:
    with tp.protocol("pingpong", a, b) as group:
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a], timeout=2.5)
    reveal_type(group)  # R: ProtocolDef
    reveal_type(ping)  # R: State[Alice]
    reveal_type(pong)  # R: State[Bob]
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=then)
    points = pong.branch("points", list[Point], next=ping)
    reveal_type(hit)  # R: Branch[int]
    reveal_type(stop)  # R: Branch[None]
    reveal_type(points)  # R: Branch[list[Point]]
    reveal_type(hit(3))  # R: tuple[Branch[Any], Any]
    reveal_type(stop())  # R: tuple[Branch[Any], Any]

    @ping.decide
    async def serve(ctx: Alice) -> tp.Message:
        return stop() if ctx.counter > 3 else hit(ctx.counter)

    @hit.on(b)
    def got_ping(ctx: Bob, n: int) -> None:
        ctx.counter = n

    @hit.on(b)
    async def got_ping_async(ctx: Bob, n: int) -> None:
        ctx.counter = n

    @pong.decide
    def reply(ctx: Bob) -> tp.Message:
        return points([Point(x=ctx.counter, y=0)])

    @points.on(a)
    def got_points(ctx: Alice, ps: list[Point]) -> None:
        ctx.counter = ps[0].x

    return ping


alice = tp.Role("alice", Alice)
bob = tp.Role("bob", Bob)
reveal_type(alice)  # R: Role[Alice]
reveal_type(bob)  # R: Role[Bob]
reveal_type(tp.Exit)  # R: State[Any]
entry = pingpong(alice, bob, tp.Exit)
reveal_type(entry)  # R: State[Any]
script = tp.script("pingpong", entry)
reveal_type(script)  # R: Script
reveal_type(script.machine(alice).steps[0].action)  # R: Action
reveal_type(tp.diagnose("pingpong", entry))  # R: list[Diagnostic]
