"""The examples: each builds cleanly, projects as expected, runs as a script, and works.

"Works" is checked with two small interpreters kept here, independent of the
runtimes: ``run_global`` walks the global script (sender decides, receivers
react), and ``run_projected`` executes every role's local machine with one FIFO
channel per pair of roles, as a runtime would. Both must end with the same
contexts, and those contexts must say what each example's docstring promises.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import random
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

import troupe as tp
from troupe import Action

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

NAMES = ["counter", "pingpong", "sendfile", "two_phase_commit", "random_pingpong_2pc"]

Example = Callable[[str], ModuleType]
SEND, RECEIVE, SKIP, WAIT, EXIT = Action.SEND, Action.RECEIVE, Action.SKIP, Action.WAIT, Action.EXIT


# -- two reference interpreters ------------------------------------------------------------


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):

        async def wait() -> Any:
            return await result

        return asyncio.run(wait())
    return result


def _decide(st: tp.StateInfo, ctx: Any) -> tuple[int, Any]:
    """The sender's decision at ``st``: branch index and payload."""
    if st.state.deciders:
        branch, payload = _call(st.state.deciders[0], ctx)
        assert branch.state is st.state, f"{st.name}: decision returned {branch!r}"
        return branch.index, payload
    assert len(st.branches) == 1 and st.branches[0].payload is None
    return 0, None


def run_global(script: tp.Script, contexts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Walk the global script; return the trace of (state, branch) taken."""
    trace: list[tuple[str, str]] = []
    s = 0
    while not script.states[s].is_exit:
        st = script.states[s]
        k, payload = _decide(st, contexts[script.roles[st.sender].name])
        b = st.branches[k]
        for r in st.receivers:
            role = script.roles[r]
            for who, fn in b.branch.reactions:
                if who is role:
                    _call(fn, contexts[role.name], payload)
        trace.append((st.name, b.label))
        s = b.next
    return trace


def run_projected(script: tp.Script, contexts: Mapping[str, Any]) -> dict[str, int]:
    """Run every role's local machine, round robin; return messages sent per kind."""
    n = len(script.roles)
    ctxs = [contexts[r.name] for r in script.roles]
    at = [0] * n
    channels: dict[tuple[int, int], deque[tuple[Any, ...]]] = {
        (i, j): deque() for i in range(n) for j in range(n)
    }
    sent = {"message": 0, "notify": 0}

    def move(r: int, step: tp.Step, k: int) -> None:
        for j in step.notify[k]:
            channels[r, j].append(("notify", step.state, step.next[k]))
            sent["notify"] += 1
        at[r] = step.next[k]

    progress = True
    while progress:
        progress = False
        for r in range(n):
            step = script.machines[r].steps[at[r]]
            if step.action is SEND:
                k, payload = _decide(script.states[step.state], ctxs[r])
                for j in step.to:
                    channels[r, j].append(("message", step.state, k, payload))
                    sent["message"] += 1
                move(r, step, k)
            elif step.action is SKIP:
                move(r, step, 0)
            elif step.action in (RECEIVE, WAIT) and channels[step.peer, r]:
                kind, state, *rest = channels[step.peer, r].popleft()
                if step.action is WAIT:
                    assert kind == "notify", f"{script.roles[r].name} expected a notification"
                    at[r] = rest[0]
                else:
                    assert (kind, state) == ("message", step.state), (kind, state, step)
                    k, payload = rest
                    react = step.react[k]
                    if react is not None:
                        _call(react, ctxs[r], payload)
                    move(r, step, k)
            else:
                continue
            progress = True
    stuck = [
        f"{script.roles[r].name} at {script.states[at[r]].name}"
        for r in range(n)
        if at[r] != script.exit
    ]
    assert not stuck, f"deadlock: {stuck}"
    assert not any(channels.values()), "messages left unread"
    return sent


def comparable(ctx: Any) -> dict[str, Any]:
    """A context as a dict; a random generator by its state."""
    return {
        k: v.getstate() if isinstance(v, random.Random) else v
        for k, v in msgspec.structs.asdict(ctx).items()
    }


def run_both(script: tp.Script, make: Callable[[], dict[str, tp.Context]]) -> dict[str, Any]:
    """Run with both interpreters from fresh contexts; check they agree; return the contexts."""
    one, two = make(), make()
    run_global(script, one)
    run_projected(script, two)
    assert {k: comparable(v) for k, v in one.items()} == {k: comparable(v) for k, v in two.items()}
    return two


# -- every example ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_builds_without_errors_or_warnings(name: str, example: Example) -> None:
    module = example(name)
    sc = module.script
    assert isinstance(sc, tp.Script)
    assert sc.warnings == ()
    assert tp.diagnose(sc.name, sc.entry) == []
    assert module.__doc__ and callable(module.main) and callable(module.default_contexts)
    assert set(module.default_contexts()) == {r.name for r in sc.roles}


@pytest.mark.parametrize("name", NAMES)
def test_projection_one_sender_receivers_receive_others_skip_or_wait(
    name: str, example: Example
) -> None:
    sc: tp.Script = example(name).script
    for st in sc.states[:-1]:
        proto = sc.protocols[st.protocol]
        steps = [m.steps[st.id] for m in sc.machines]
        assert [r for r, s in enumerate(steps) if s.action is SEND] == [st.sender], st.name
        for r, s in enumerate(steps):
            if r == st.sender:
                assert s.to == st.receivers
            elif r in st.receivers:
                assert (s.action, s.peer) == (RECEIVE, st.sender), (st.name, r)
            elif r in proto.roles:
                assert s.action is SKIP and len(st.branches) == 1, (st.name, r)
            else:
                assert (s.action, s.peer) == (WAIT, proto.notifier), (st.name, r)
    assert all(m.steps[sc.exit].action is EXIT for m in sc.machines)


@pytest.mark.parametrize("name", NAMES)
def test_runs_as_a_script_from_anywhere(name: str, example: Example, tmp_path: Path) -> None:
    # From another directory, so a sibling import cannot rely on the working directory.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert RESULT_LINES[name] in done.stdout.splitlines()[0]


RESULT_LINES = {
    "counter": "counter reached 10 (limit 10)",
    "pingpong": "pingpong on inproc: alice's counter 31, bob's 30, 63 messages",
    "sendfile": ": identical",
    "two_phase_commit": "two-phase commit (seed 1): committed after 4 attempt(s)",
    "random_pingpong_2pc": "300 rounds (seed 1): 97 pingpong, 98 2pc, 105 both",
}


def test_loads_with_run_path_from_elsewhere(tmp_path: Path) -> None:
    # How a tool loads a target file: no examples directory on sys.path beforehand.
    path = EXAMPLES / "random_pingpong_2pc.py"
    code = f"import runpy; print(runpy.run_path({str(path)!r})['script'].summary())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("random_pingpong_2pc: 4 roles")


def table(sc: tp.Script) -> dict[str, dict[str, str]]:
    """Per role, the action at each state, by state name."""
    return {m.name: {sc.states[s.state].name: s.action.name for s in m.steps} for m in sc.machines}


# -- counter ---------------------------------------------------------------------------------


def test_counter_table(example: Example) -> None:
    sc: tp.Script = example("counter").script
    assert [s.name for s in sc.states] == ["Count", "Exit"]
    assert table(sc) == {"counter": {"Count": "SEND", "Exit": "EXIT"}}
    count = sc.state("Count")
    assert [(b.label, b.payload, sc.states[b.next].name) for b in count.branches] == [
        ("inc", int, "Count"),
        ("done", None, "Exit"),
    ]
    assert count.receivers == ()


def test_counter_counts_to_its_limit(example: Example) -> None:
    module = example("counter")
    contexts = module.default_contexts()
    trace = run_global(module.script, contexts)
    assert trace == [("Count", "inc")] * 10 + [("Count", "done")]
    assert contexts["counter"] == module.Counter(limit=10, value=10)
    got = run_both(module.script, lambda: {"counter": module.Counter(limit=3)})
    assert got["counter"].value == 3


# -- pingpong --------------------------------------------------------------------------------


def test_pingpong_table(example: Example) -> None:
    sc: tp.Script = example("pingpong").script
    assert table(sc) == {
        "alice": {"Ping": "SEND", "Pong": "RECEIVE", "Exit": "EXIT"},
        "bob": {"Ping": "RECEIVE", "Pong": "SEND", "Exit": "EXIT"},
    }


def test_pingpong_counts_to_30_in_63_messages(example: Example) -> None:
    module = example("pingpong")
    contexts = module.default_contexts()
    assert run_projected(module.script, contexts) == {"message": 63, "notify": 0}
    assert contexts == {
        "alice": module.Alice(counter=31, games=1),
        "bob": module.Bob(counter=30, games=1),
    }
    run_both(module.script, module.default_contexts)


# -- two-phase commit ------------------------------------------------------------------------


def test_two_phase_commit_table(example: Example) -> None:
    sc: tp.Script = example("two_phase_commit").script
    assert table(sc) == {
        "coordinator": {
            "Begin": "SEND",
            "Vote1": "RECEIVE",
            "Vote2": "RECEIVE",
            "Check": "SEND",
            "Exit": "EXIT",
        },
        "alice": {
            "Begin": "RECEIVE",
            "Vote1": "SEND",
            "Vote2": "SKIP",
            "Check": "RECEIVE",
            "Exit": "EXIT",
        },
        "bob": {
            "Begin": "RECEIVE",
            "Vote1": "SKIP",
            "Vote2": "SEND",
            "Check": "RECEIVE",
            "Exit": "EXIT",
        },
    }
    check = sc.state("Check")
    assert [(b.label, sc.states[b.next].name) for b in check.branches] == [
        ("commit", "Exit"),
        ("abort", "Exit"),
        ("retry", "Begin"),
    ]


def test_two_phase_commit_default_run_commits_on_the_fourth_attempt(example: Example) -> None:
    module = example("two_phase_commit")
    got = run_both(module.script, module.default_contexts)
    assert got["coordinator"] == module.Coordinator(yes=2, attempt=0, attempts=4, committed=1)
    for p in ("alice", "bob"):
        assert (got[p].votes, got[p].committed, got[p].aborted) == (4, 1, 0)


@pytest.mark.parametrize(
    ("yes_rate", "attempts", "committed", "aborted"),
    [(1.0, 1, 1, 0), (0.0, 41, 0, 1)],
)
def test_two_phase_commit_commits_or_aborts_after_40_retries(
    example: Example, yes_rate: float, attempts: int, committed: int, aborted: int
) -> None:
    module = example("two_phase_commit")

    def contexts() -> dict[str, tp.Context]:
        made = module.default_contexts()
        made["bob"].yes_rate = yes_rate
        return dict(made)

    got = run_both(module.script, contexts)
    c = got["coordinator"]
    assert (c.attempts, c.attempt, c.committed, c.aborted) == (attempts, 0, committed, aborted)
    assert [(got[p].committed, got[p].aborted) for p in ("alice", "bob")] == [
        (committed, aborted)
    ] * 2


def test_two_phase_commit_votes_are_seeded(example: Example) -> None:
    module = example("two_phase_commit")

    def attempts(seed: int) -> int:
        got = run_both(module.script, lambda: module.default_contexts(seed))
        return int(got["coordinator"].attempts)

    tries = [attempts(seed) for seed in range(8)]
    assert tries == [attempts(seed) for seed in range(8)]
    assert len(set(tries)) > 1


# -- sendfile --------------------------------------------------------------------------------


def test_sendfile_uses_the_check_hash_factory_twice(example: Example) -> None:
    sc: tp.Script = example("sendfile").script
    assert [p.name for p in sc.protocols] == ["sendfile", "CheckHash[1]", "CheckHash[2]"]
    assert [s.name for s in sc.states] == [
        "Offer",
        "Send",
        "Hash[1]",
        "Verdict[1]",
        "Hash[2]",
        "Verdict[2]",
        "Exit",
    ]
    send = sc.state("Send").id
    assert [(b.label, b.next) for b in sc.state("Send").branches] == [
        ("chunk", send),
        ("check", sc.state("Hash[1]").id),
        ("end", sc.state("Hash[2]").id),
    ]
    # The mid-file check goes on sending; the final one ends; both resend from Send.
    assert [(b.label, b.next) for b in sc.state("Verdict[1]").branches] == [
        ("ok", send),
        ("resend", send),
    ]
    assert [(b.label, b.next) for b in sc.state("Verdict[2]").branches] == [
        ("ok", sc.exit),
        ("resend", send),
    ]
    assert table(sc) == {
        "sender": {
            "Offer": "SEND",
            "Send": "SEND",
            "Hash[1]": "SEND",
            "Verdict[1]": "RECEIVE",
            "Hash[2]": "SEND",
            "Verdict[2]": "RECEIVE",
            "Exit": "EXIT",
        },
        "receiver": {
            "Offer": "RECEIVE",
            "Send": "RECEIVE",
            "Hash[1]": "RECEIVE",
            "Verdict[1]": "SEND",
            "Hash[2]": "RECEIVE",
            "Verdict[2]": "SEND",
            "Exit": "EXIT",
        },
    }


def test_sendfile_default_run_resends_two_damaged_windows(example: Example) -> None:
    module = example("sendfile")
    contexts = module.default_contexts()
    trace = run_global(module.script, contexts)
    data = (EXAMPLES / "sendfile.py").read_bytes()
    sender, receiver = contexts["sender"], contexts["receiver"]
    assert bytes(receiver.data) == data
    assert (sender.resends, receiver.resends, sender.damaged) == (2, 2, [3, 9])
    assert receiver.size == sender.size == sender.offset == sender.verified == len(data)
    chunks = -(-len(data) // 256)
    assert sender.chunks == chunks + 8  # two windows of four chunks sent again
    assert trace.count(("Verdict[1]", "resend")) == 2
    assert trace[-1] == ("Verdict[2]", "ok")
    run_both(module.script, module.default_contexts)


@pytest.mark.parametrize(
    ("size", "corrupt"),
    [
        (0, frozenset()),
        (1, frozenset({0})),
        (64 * 8, frozenset()),  # exactly two windows: the last check is the final one
        (64 * 8, frozenset({7})),  # the last chunk of the file, damaged: the final check fails
        (64 * 21 + 5, frozenset({0, 4, 5, 20, 21})),
    ],
)
def test_sendfile_delivers_any_file(
    example: Example, tmp_path: Path, size: int, corrupt: frozenset[int]
) -> None:
    module = example("sendfile")
    path = tmp_path / "data.bin"
    data = random.Random(size).randbytes(size)
    path.write_bytes(data)

    def contexts() -> dict[str, tp.Context]:
        return {
            "sender": module.Sender(path=str(path), chunk_size=64, corrupt=corrupt),
            "receiver": module.Receiver(),
        }

    got = run_both(module.script, contexts)
    assert bytes(got["receiver"].data) == data
    assert got["sender"].damaged == sorted(corrupt)
    assert got["receiver"].resends == len({n // 4 for n in corrupt})


# -- random pingpong/2pc ---------------------------------------------------------------------


def test_random_pingpong_2pc_instances_and_choice(example: Example) -> None:
    sc: tp.Script = example("random_pingpong_2pc").script
    assert [p.name for p in sc.protocols] == [
        "random_pingpong_2pc",
        "pingpong[1]",
        "2pc[1]",
        "pingpong[2]",
        "2pc[2]",
    ]
    select = sc.state("Select")
    assert select.id == 0
    # Knowledge of choice: the selector tells every other role.
    assert sorted(select.receivers) == [sc.role_id(r) for r in ("alice", "bob", "carol")]
    assert [(b.label, sc.states[b.next].name) for b in select.branches] == [
        ("pingpong", "Ping[1]"),
        ("commit", "Begin[1]"),
        ("both", "Ping[2]"),
        ("done", "Exit"),
    ]


def test_random_pingpong_2pc_externals_wait_for_the_right_notifier(example: Example) -> None:
    sc: tp.Script = example("random_pingpong_2pc").script
    # protocol -> (internal roles, in order; who waits; for whom)
    expected = {
        "random_pingpong_2pc": (("selector", "alice", "bob", "carol"), (), None),
        "pingpong[1]": (("alice", "bob"), ("selector", "carol"), "alice"),
        "2pc[1]": (("carol", "alice", "bob"), ("selector",), "carol"),
        "pingpong[2]": (("bob", "carol"), ("selector", "alice"), "bob"),
        "2pc[2]": (("alice", "bob", "carol"), ("selector",), "alice"),
    }
    names = [r.name for r in sc.roles]
    for p in sc.protocols:
        internal, waiting, notifier = expected[p.name]
        assert tuple(names[r] for r in p.roles) == internal
        assert tuple(names[r] for r in p.externals) == waiting
        for st in sc.states[:-1]:
            if st.protocol != p.id:
                continue
            for role in waiting:
                step = sc.machine(role).steps[st.id]
                assert step.action is WAIT and names[step.peer] == notifier, (st.name, role)
    # Who notifies whom, on the branches that leave a protocol.
    leaving = {
        (st.name, b.label): {
            m.name: tuple(names[r] for r in m.steps[st.id].notify[b.index])
            for m in sc.machines
            if m.steps[st.id].action is not WAIT and m.steps[st.id].notify[b.index]
        }
        for st in sc.states[1:-1]
        for b in st.branches
        if b.leaves
    }
    assert leaving == {
        ("Ping[1]", "stop"): {"alice": ("selector", "carol")},
        ("Check[1]", "commit"): {"carol": ("selector",)},
        ("Check[1]", "abort"): {"carol": ("selector",)},
        ("Ping[2]", "stop"): {"bob": ("selector", "alice")},
        ("Check[2]", "commit"): {"alice": ("selector",)},
        ("Check[2]", "abort"): {"alice": ("selector",)},
    }


def test_random_pingpong_2pc_counters_agree_after_300_rounds(example: Example) -> None:
    module = example("random_pingpong_2pc")
    got = run_both(module.script, module.default_contexts)
    sel, alice, bob, carol = (got[r] for r in ("selector", "alice", "bob", "carol"))
    assert sel.played == 300 == sel.pingpong_rounds + sel.commit_rounds + sel.both_rounds
    assert min(sel.pingpong_rounds, sel.commit_rounds, sel.both_rounds) > 50
    assert (alice.games, bob.games, carol.games) == (
        sel.pingpong_rounds,
        sel.pingpong_rounds + sel.both_rounds,
        sel.both_rounds,
    )
    transactions = sel.commit_rounds + sel.both_rounds
    for p in (alice, bob, carol):
        assert p.committed + p.aborted == transactions
        assert p.attempt == 0  # no transaction left half done
    # Every game starts from 0 and the server ends it past 30.
    assert alice.counter == 31 if sel.pingpong_rounds else alice.counter == 0
    # Everyone saw the same outcomes; every vote belongs to an attempt.
    assert alice.committed == bob.committed == carol.committed
    assert carol.attempts + alice.attempts == bob.votes
    assert alice.votes == carol.attempts and carol.votes == alice.attempts
