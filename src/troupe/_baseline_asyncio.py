"""Pingpong in plain asyncio, without troupe: the baseline of ``troupe bench --compare asyncio``.

The same workload as ``examples/pingpong.py``, written the way a Python
programmer would without troupe: a task per role, an ``asyncio.Queue`` per
direction, tagged tuples for messages. alice sends ``("ping", counter)``; bob
stores it and replies ``("pong", counter + 1)``; alice stores that, and once her
counter passes the limit (30) she sends ``("stop", None)`` and both end. That is
``2 * (limit + 1) + 1`` one-way messages a pair (63 for 30). Every pair's final
counters are checked (alice ``limit + 1``, bob ``limit``).

Pairs run concurrently, at most ``window`` of them alive at once (10,000 by
default, as the troupe ``asyncio`` runtime; ``0`` starts them all at once —
about 9 KB a pair). The bound keeps a million pairs within memory; it is the
favourable case for this baseline, not a handicap.

This file imports only the standard library: ``troupe bench`` runs it by path
in a fresh interpreter (``python -I _baseline_asyncio.py --json``), so its
memory and time are its own. ``benchmarks/asyncio_pingpong.py`` is the same
program for a source checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Sequence

# No __all__: a standalone program, not part of troupe's API (its ``run`` is not ``troupe.run``).

DEFAULT_WINDOW = 10_000
"""Pairs alive at once by default."""


def messages_per_pair(limit: int = 30) -> int:
    """One-way messages of one pair counting to ``limit``: ``2 * (limit + 1) + 1``."""
    return 2 * (limit + 1) + 1


async def _alice(inbox: asyncio.Queue[tuple[str, int | None]],
                 outbox: asyncio.Queue[tuple[str, int | None]], limit: int) -> tuple[int, int]:
    counter = 0
    sent = 0
    while True:
        if counter > limit:
            await outbox.put(("stop", None))
            return counter, sent + 1
        await outbox.put(("ping", counter))
        sent += 1
        tag, n = await inbox.get()
        if tag != "pong" or n is None:
            raise RuntimeError(f"alice expected a pong, got {tag!r}")
        counter = n


async def _bob(inbox: asyncio.Queue[tuple[str, int | None]],
               outbox: asyncio.Queue[tuple[str, int | None]]) -> tuple[int, int]:
    counter = 0
    sent = 0
    while True:
        tag, n = await inbox.get()
        if tag == "stop":
            return counter, sent
        if tag != "ping" or n is None:
            raise RuntimeError(f"bob expected a ping or a stop, got {tag!r}")
        counter = n
        await outbox.put(("pong", counter + 1))
        sent += 1


async def play(limit: int = 30) -> tuple[int, int, int]:
    """One pair: alice's and bob's final counters and the messages they sent."""
    to_bob: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()
    to_alice: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()
    (a, sent_a), (b, sent_b) = await asyncio.gather(
        _alice(to_alice, to_bob, limit), _bob(to_bob, to_alice)
    )
    return a, b, sent_a + sent_b


async def _run_all(pairs: int, limit: int, window: int) -> int:
    step = window if window > 0 else max(pairs, 1)
    messages = 0
    bad = 0
    first_bad = ""
    for start in range(0, pairs, step):
        done = await asyncio.gather(*(play(limit) for _ in range(min(step, pairs - start))))
        for i, (a, b, sent) in enumerate(done, start=start):
            if a != limit + 1 or b != limit:
                bad += 1
                first_bad = first_bad or (
                    f"pair {i}: alice's counter {a} (expected {limit + 1}), bob's {b} "
                    f"(expected {limit})"
                )
            messages += sent
    if bad:
        raise RuntimeError(f"{bad} of {pairs} pairs ended with wrong counters; first: {first_bad}")
    return messages


def run(pairs: int, rounds: int = 30, *, window: int = DEFAULT_WINDOW) -> tuple[int, float]:
    """Play ``pairs`` pairs counting to ``rounds``; every pair's counters are checked.

    Args:
        pairs: number of alice/bob pairs (>= 1).
        rounds: the limit alice's counter must pass (30 as in the example).
        window: pairs alive at once; ``0`` for all of them.

    Returns:
        The number of one-way messages sent and the wall time in seconds.

    Raises:
        ValueError: ``pairs < 1``, ``rounds < 0`` or ``window < 0``.
        RuntimeError: a pair ended with the wrong counters.
    """
    if pairs < 1:
        raise ValueError(f"pairs must be >= 1, got {pairs}")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}")
    started = time.perf_counter()
    messages = asyncio.run(_run_all(pairs, rounds, window))
    return messages, time.perf_counter() - started


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB: ``VmHWM`` where Linux has it (``ru_maxrss``
    survives ``exec``, so it would count the peak of whoever started us)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Run the baseline and print its figures (one JSON line with ``--json``)."""
    parser = argparse.ArgumentParser(
        description="Pingpong pairs in plain asyncio (a task per role, a Queue per direction).")
    parser.add_argument("--pairs", type=int, default=10_000, help="default: 10000")
    parser.add_argument("--rounds", type=int, default=30, help="count limit (default: 30)")
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW,
                        help=f"pairs alive at once, 0 for all (default: {DEFAULT_WINDOW})")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        messages, wall = run(args.pairs, args.rounds, window=args.window)
    except ValueError as e:
        parser.error(str(e))
    except RuntimeError as e:
        print(f"asyncio pingpong: {e}", file=sys.stderr)
        return 1
    rate = messages / wall if wall > 0 else 0.0
    figures = {"runtime": "asyncio-plain", "workers": 1, "pairs": args.pairs,
               "messages": messages, "wall_s": wall, "msgs_per_s": rate,
               "peak_rss_mb": _peak_rss_mb()}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"plain asyncio pingpong: {args.pairs:,} pairs, {messages:,} messages in "
              f"{wall:.3f} s: {rate:,.0f} messages/s, peak RSS {figures['peak_rss_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
