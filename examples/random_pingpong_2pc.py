"""Random pingpong/2pc: a selector picks one of three composed protocols, 300 times.

Four roles: ``selector`` and three players, ``alice``, ``bob`` and ``carol``.
At ``Select`` the selector picks (from a ``random.Random`` seeded by its
context's ``seed``) and tells every player, so everyone knows which way the
script goes:

- ``pingpong``: a game of pingpong between alice and bob;
- ``commit``: a two-phase commit coordinated by carol, alice and bob voting;
- ``both``: a game between bob and carol, then a two-phase commit coordinated
  by alice, bob and carol voting;
- ``done``: after ``rounds`` rounds (300 by default), everyone goes to Exit.

Each composition ends back at ``Select``. The protocols are the factories of
``pingpong.py`` and ``two_phase_commit.py``, imported, not copied: every use is
a new instance (``pingpong[1]``, ``pingpong[2]``, ``2pc[1]``, ``2pc[2]``).
Inside one, the roles not taking part are external: they wait until the
protocol's first internal role (alice in ``pingpong[1]``, carol in ``2pc[1]``,
bob in ``pingpong[2]``, alice in ``2pc[2]``) tells them where control went. A
player's context has every field the factories ask for, whichever part it plays.

``python examples/random_pingpong_2pc.py`` runs it (``--help`` for options).
A run starts from ``default_contexts()``
and ends with the selector's ``played == 300`` and its count of each kind of
round matching the players' counts: alice's ``games`` equals the
``pingpong_rounds``, bob's the ``pingpong_rounds + both_rounds``, carol's the
``both_rounds``, and every player's ``committed + aborted`` equals the
``commit_rounds + both_rounds``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import msgspec

import troupe as tp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling examples

from pingpong import pingpong
from two_phase_commit import two_phase_commit


class Selector(tp.Context):
    seed: int = 0
    rounds: int = 300
    played: int = 0
    pingpong_rounds: int = 0
    commit_rounds: int = 0
    both_rounds: int = 0
    rng: random.Random = msgspec.field(default_factory=random.Random)
    """Seeded from ``seed`` when the context is made."""

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)


class Player(tp.Context):
    # pingpong (either side)
    counter: int = 0
    games: int = 0
    # two-phase commit, as coordinator
    yes: int = 0
    attempt: int = 0
    attempts: int = 0
    # two-phase commit, as participant
    seed: int = 0
    yes_rate: float = 0.5
    votes: int = 0
    rng: random.Random = msgspec.field(default_factory=random.Random)
    # two-phase commit, either part
    committed: int = 0
    aborted: int = 0

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)


def random_rounds(
    selector: tp.Role[Selector],
    alice: tp.Role[Player],
    bob: tp.Role[Player],
    carol: tp.Role[Player],
    then: tp.Next,
) -> tp.Next:
    """A protocol factory: rounds of randomly chosen compositions, then ``then``."""
    with tp.protocol("random_pingpong_2pc", selector, alice, bob, carol):
        select = tp.state("Select", selector, to=[alice, bob, carol])
    game = select.branch("pingpong", None, next=pingpong(alice, bob, select))
    commit = select.branch("commit", None, next=two_phase_commit(carol, alice, bob, select, select))
    both = select.branch(
        "both",
        None,
        next=pingpong(bob, carol, two_phase_commit(alice, bob, carol, select, select)),
    )
    done = select.branch("done", None, next=then)

    @game.on(alice)
    @game.on(bob)
    @both.on(bob)
    @both.on(carol)
    def new_game(ctx: Player, _: None) -> None:
        ctx.counter = 0

    @select.decide
    def choose(ctx: Selector) -> tp.Message:
        if ctx.played >= ctx.rounds:
            return done()
        ctx.played += 1
        pick = ctx.rng.randrange(3)
        if pick == 0:
            ctx.pingpong_rounds += 1
            return game()
        if pick == 1:
            ctx.commit_rounds += 1
            return commit()
        ctx.both_rounds += 1
        return both()

    return select


selector = tp.Role("selector", Selector)
alice = tp.Role("alice", Player)
bob = tp.Role("bob", Player)
carol = tp.Role("carol", Player)
script = tp.script("random_pingpong_2pc", random_rounds(selector, alice, bob, carol, tp.Exit))


def default_contexts(seed: int = 1) -> dict[str, tp.Context]:
    """The contexts a run starts from, by role name (every seed derived from ``seed``)."""
    return {
        "selector": Selector(seed=seed),
        "alice": Player(seed=seed + 1),
        "bob": Player(seed=seed + 2),
        "carol": Player(seed=seed + 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Play the rounds and print what the selector chose and what the players saw."""
    parser = argparse.ArgumentParser(description="A selector picks pingpong, 2pc or both.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runtime", choices=tp.RUNTIMES, default="inproc")
    args = parser.parse_args(argv)
    result = tp.run(script, default_contexts(args.seed), runtime=args.runtime)
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    sel = result.context("selector")
    print(f"{sel.played} rounds (seed {args.seed}): {sel.pingpong_rounds} pingpong, "
          f"{sel.commit_rounds} 2pc, {sel.both_rounds} both")
    for name in ("alice", "bob", "carol"):
        p = result.context(name)
        print(f"  {name}: {p.games} games, {p.committed} committed, {p.aborted} aborted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
