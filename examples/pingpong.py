"""Pingpong: alice and bob count to 30 by turns.

alice serves the counter, bob returns it plus one; when alice's counter passes
30 she says stop and both end. 31 round trips and a final message: 63 messages.
"""

from __future__ import annotations

import troupe as tp


class Alice(tp.Context):
    counter: int = 0


class Bob(tp.Context):
    counter: int = 0


def pingpong(a: tp.Role[Alice], b: tp.Role[Bob], then: tp.Next, limit: int = 30) -> tp.Next:
    """A protocol factory: roles and the continuation in, entry state out."""
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=then)
    back = pong.branch("pong", int, next=ping)

    @ping.decide
    def serve(ctx: Alice) -> tp.Message:
        return stop() if ctx.counter > limit else hit(ctx.counter)

    @hit.on(b)
    def got_ping(ctx: Bob, n: int) -> None:
        ctx.counter = n

    @pong.decide
    def reply(ctx: Bob) -> tp.Message:
        return back(ctx.counter + 1)

    @back.on(a)
    def got_pong(ctx: Alice, n: int) -> None:
        ctx.counter = n

    return ping


alice = tp.Role("alice", Alice)
bob = tp.Role("bob", Bob)
script = tp.script("pingpong", pingpong(alice, bob, tp.Exit))


def main() -> None:
    print(script.summary())


if __name__ == "__main__":
    main()
