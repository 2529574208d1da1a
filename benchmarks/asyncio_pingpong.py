"""Pingpong in plain asyncio, without troupe: a task per role, a Queue per direction.

The baseline ``troupe bench pingpong --compare asyncio`` runs (in its own
interpreter, after troupe's run). The program lives in the package, as
``troupe._baseline_asyncio``, so the installed ``troupe`` command has it; this
file is the same program for a checkout::

    python benchmarks/asyncio_pingpong.py --pairs 100000 [--rounds 30] [--window 10000] [--json]

``run(pairs)`` returns ``(messages, wall seconds)``; every pair's counters are
checked (alice 31, bob 30; 63 messages a pair).
"""

from __future__ import annotations

from troupe._baseline_asyncio import main, messages_per_pair, play, run

__all__ = ["main", "messages_per_pair", "play", "run"]

if __name__ == "__main__":
    raise SystemExit(main())
