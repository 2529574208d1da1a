"""The inproc engine at scale: 100,000 sessions, every counter right, memory flat."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PROGRAM = textwrap.dedent('''
    import json, resource, sys
    sys.path.insert(0, sys.argv[1])
    import pingpong
    from troupe._plan import Plan
    from troupe.runtime import inproc

    plan = Plan(pingpong.script)
    n = int(sys.argv[2])
    sessions = (plan.contexts(None) for _ in range(n))
    seen = bad = 0
    for r in inproc.iter_sessions(plan, sessions, window=int(sys.argv[3])):
        seen += 1
        if not (r.ok and r.context("alice").counter == 31 and r.context("bob").counter == 30):
            bad += 1
        assert r.session == seen - 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seen": seen, "bad": bad, "peak_mb": peak}))
''')


def _run(n: int, window: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(EXAMPLES), str(n), str(window)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, float] = json.loads(done.stdout)
    return out


def test_hundred_thousand_sessions_every_counter_right_memory_flat() -> None:
    small = _run(10_000, 5_000)
    large = _run(100_000, 5_000)
    assert small["seen"] == 10_000 and small["bad"] == 0
    assert large["seen"] == 100_000 and large["bad"] == 0
    # Ten times the sessions, same window: the peak must not grow with the count.
    assert large["peak_mb"] < small["peak_mb"] + 20, (small, large)
