"""Counter: troupe with one role is a plain finite state machine.

One role, ``counter``, and one state, ``Count``, with two branches: ``inc``
carries the new value and comes back to ``Count``; ``done`` goes to ``Exit``
once the value has reached the context's ``limit``. With one role there is
nobody to receive: every state sends to no one, and the messages are only the
steps of the machine (they still appear in a trace, payload included).

``python examples/counter.py`` runs it (``--help`` for options).
A run starts from ``default_contexts()``
(a limit of 10) and ends with ``Counter(limit=10, value=10)`` after ten
``inc`` messages (payloads 1 to 10) and one ``done``.
"""

from __future__ import annotations

import argparse

import troupe as tp


class Counter(tp.Context):
    limit: int = 10
    value: int = 0


def count_to_limit(c: tp.Role[Counter], then: tp.Next) -> tp.Next:
    """A protocol factory: count up to ``ctx.limit``, then go to ``then``."""
    with tp.protocol("counter", c):
        count = tp.state("Count", c)
    inc = count.branch("inc", int, next=count)
    done = count.branch("done", None, next=then)

    @count.decide
    def step(ctx: Counter) -> tp.Message:
        if ctx.value >= ctx.limit:
            return done()
        ctx.value += 1
        return inc(ctx.value)

    return count


counter = tp.Role("counter", Counter)
script = tp.script("counter", count_to_limit(counter, tp.Exit))


def default_contexts() -> dict[str, tp.Context]:
    """The contexts a run starts from, by role name."""
    return {"counter": Counter(limit=10)}


def main(argv: list[str] | None = None) -> int:
    """Count to ``--limit`` and print the outcome."""
    parser = argparse.ArgumentParser(description="Count to a limit (one role: a plain FSM).")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--runtime", choices=tp.RUNTIMES, default="inproc")
    args = parser.parse_args(argv)
    result = tp.run(script, {"counter": Counter(limit=args.limit)}, runtime=args.runtime)
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    print(f"counter reached {result.context('counter').value} (limit {args.limit})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
