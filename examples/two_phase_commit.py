"""Two-phase commit: a coordinator asks two participants to commit a transaction.

``Begin``: the coordinator broadcasts the attempt number to both participants.
``Vote1``, ``Vote2``: each participant votes yes or no (at random, from a
``random.Random`` seeded by its context's ``seed``) to the coordinator; the
other participant is not involved and skips. ``Check``: the coordinator tells
both the outcome: ``commit`` if both voted yes, else ``retry`` (back to
``Begin``) while retries are left, else ``abort``. As in the original, up to 40
retries: 41 attempts at most.

The factory asks of contexts only the fields it uses (``Coordinating`` and
``Voting``), so the random pingpong/2pc example reuses it with roles that take
turns at coordinating. It counts outcomes (``committed``, ``aborted``) rather
than storing one, and resets ``attempt`` when a transaction ends, so it can run
again.

``python examples/two_phase_commit.py`` runs it (``--help`` for options).
A run starts from ``default_contexts()``
(seeds 1 and 2) and ends with every role's ``committed`` or ``aborted`` at 1;
the coordinator's ``attempts`` and each participant's ``votes`` say how many
attempts it took (with these seeds: committed at the fourth attempt).
"""

from __future__ import annotations

import argparse
import random
from typing import Protocol, TypeVar

import msgspec

import troupe as tp


class Coordinating(Protocol):
    """What two-phase commit needs of the coordinator's context."""

    yes: int
    attempt: int
    attempts: int
    committed: int
    aborted: int


class Voting(Protocol):
    """What two-phase commit needs of a participant's context."""

    rng: random.Random
    yes_rate: float
    votes: int
    committed: int
    aborted: int


C = TypeVar("C", bound=Coordinating)
P = TypeVar("P", bound=Voting)


class Coordinator(tp.Context):
    yes: int = 0
    """Yes votes in the current attempt."""
    attempt: int = 0
    """Attempt number in the current transaction (0 between transactions)."""
    attempts: int = 0
    """Attempts over all transactions."""
    committed: int = 0
    aborted: int = 0


class Participant(tp.Context):
    seed: int = 0
    yes_rate: float = 0.5
    """Chance of voting yes."""
    votes: int = 0
    committed: int = 0
    aborted: int = 0
    rng: random.Random = msgspec.field(default_factory=random.Random)
    """Seeded from ``seed`` when the context is made."""

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)


def two_phase_commit(
    coordinator: tp.Role[C],
    p1: tp.Role[P],
    p2: tp.Role[P],
    committed: tp.Next,
    aborted: tp.Next,
    retries: int = 40,
) -> tp.Next:
    """A protocol factory: commit (go to ``committed``) or abort (go to ``aborted``)."""
    with tp.protocol("2pc", coordinator, p1, p2):
        begin = tp.state("Begin", coordinator, to=[p1, p2])
        vote1 = tp.state("Vote1", p1, to=[coordinator])
        vote2 = tp.state("Vote2", p2, to=[coordinator])
        check = tp.state("Check", coordinator, to=[p1, p2])
    start = begin.branch("begin", int, next=vote1)
    yes1 = vote1.branch("vote", bool, next=vote2)
    yes2 = vote2.branch("vote", bool, next=check)
    commit = check.branch("commit", None, next=committed)
    abort = check.branch("abort", None, next=aborted)
    retry = check.branch("retry", None, next=begin)

    @begin.decide
    def ask(ctx: C) -> tp.Message:
        ctx.yes = 0
        ctx.attempt += 1
        ctx.attempts += 1
        return start(ctx.attempt)

    def vote(ctx: P) -> bool:
        ctx.votes += 1
        return ctx.rng.random() < ctx.yes_rate

    @vote1.decide
    def vote_1(ctx: P) -> tp.Message:
        return yes1(vote(ctx))

    @vote2.decide
    def vote_2(ctx: P) -> tp.Message:
        return yes2(vote(ctx))

    @yes1.on(coordinator)
    @yes2.on(coordinator)
    def tally(ctx: C, yes: bool) -> None:
        ctx.yes += yes

    @check.decide
    def conclude(ctx: C) -> tp.Message:
        if ctx.yes == 2:
            ctx.attempt = 0
            ctx.committed += 1
            return commit()
        if ctx.attempt <= retries:
            return retry()
        ctx.attempt = 0
        ctx.aborted += 1
        return abort()

    @commit.on(p1)
    @commit.on(p2)
    def got_commit(ctx: P, _: None) -> None:
        ctx.committed += 1

    @abort.on(p1)
    @abort.on(p2)
    def got_abort(ctx: P, _: None) -> None:
        ctx.aborted += 1

    return begin


coordinator = tp.Role("coordinator", Coordinator)
alice = tp.Role("alice", Participant)
bob = tp.Role("bob", Participant)
script = tp.script("two_phase_commit", two_phase_commit(coordinator, alice, bob, tp.Exit, tp.Exit))


def default_contexts(seed: int = 1) -> dict[str, tp.Context]:
    """The contexts a run starts from, by role name."""
    return {
        "coordinator": Coordinator(),
        "alice": Participant(seed=seed),
        "bob": Participant(seed=seed + 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one transaction with seeded random votes and print how it ended."""
    parser = argparse.ArgumentParser(description="Two-phase commit with random votes.")
    parser.add_argument("--seed", type=int, default=1, help="seeds the participants' votes")
    parser.add_argument("--runtime", choices=tp.RUNTIMES, default="inproc")
    args = parser.parse_args(argv)
    result = tp.run(script, default_contexts(args.seed), runtime=args.runtime)
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    c = result.context("coordinator")
    verdict = "committed" if c.committed else "aborted"
    print(f"two-phase commit (seed {args.seed}): {verdict} after {c.attempts} attempt(s); "
          f"alice voted {result.context('alice').votes} times, bob "
          f"{result.context('bob').votes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
