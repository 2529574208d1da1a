"""Pingpong: alice and bob count to 30 by turns.

alice serves the counter, bob returns it plus one; when alice's counter passes
30 she says stop and both end. 31 round trips and a final message: 63 messages.

The factory asks of a context only the fields it uses (``Rally``: ``counter``
and ``games``), so any role whose context has them can play: the random
pingpong/2pc example reuses it with other roles and contexts. A game counts one
more game on both sides.

``python examples/pingpong.py`` runs it (``--help`` for options).
A run starts from ``default_contexts()``
and ends with ``Alice(counter=31, games=1)`` and ``Bob(counter=30, games=1)``.
"""

from __future__ import annotations

import argparse
from typing import Protocol, TypeVar

import troupe as tp


class Rally(Protocol):
    """What pingpong needs of a player's context."""

    counter: int
    games: int


A = TypeVar("A", bound=Rally)
B = TypeVar("B", bound=Rally)


class Alice(tp.Context):
    counter: int = 0
    games: int = 0


class Bob(tp.Context):
    counter: int = 0
    games: int = 0


def pingpong(a: tp.Role[A], b: tp.Role[B], then: tp.Next, limit: int = 30) -> tp.Next:
    """A protocol factory: roles and the continuation in, entry state out."""
    with tp.protocol("pingpong", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=then)
    back = pong.branch("pong", int, next=ping)

    @ping.decide
    def serve(ctx: A) -> tp.Message:
        if ctx.counter > limit:
            ctx.games += 1
            return stop()
        return hit(ctx.counter)

    @hit.on(b)
    def got_ping(ctx: B, n: int) -> None:
        ctx.counter = n

    @stop.on(b)
    def got_stop(ctx: B, _: None) -> None:
        ctx.games += 1

    @pong.decide
    def reply(ctx: B) -> tp.Message:
        return back(ctx.counter + 1)

    @back.on(a)
    def got_pong(ctx: A, n: int) -> None:
        ctx.counter = n

    return ping


alice = tp.Role("alice", Alice)
bob = tp.Role("bob", Bob)
script = tp.script("pingpong", pingpong(alice, bob, tp.Exit))


def default_contexts() -> dict[str, tp.Context]:
    """The contexts a run starts from, by role name."""
    return {"alice": Alice(), "bob": Bob()}


def main(argv: list[str] | None = None) -> int:
    """Play one game and print both counters."""
    parser = argparse.ArgumentParser(description="alice and bob count to 30 by turns.")
    parser.add_argument("--runtime", choices=tp.RUNTIMES, default="inproc")
    args = parser.parse_args(argv)
    result = tp.run(script, default_contexts(), runtime=args.runtime)
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    a, b = result.context("alice"), result.context("bob")
    print(f"pingpong on {args.runtime}: alice's counter {a.counter}, bob's {b.counter}, "
          f"{2 * a.counter + 1} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
