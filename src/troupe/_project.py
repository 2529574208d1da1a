"""Project: the global script as numbered tables, and each role's local machine.

This is the compiler step. Every reachable state gets an id (``Exit`` is last);
``StateInfo`` is the global row of a state, and a ``LocalMachine`` is one role's
view of the script: a tuple of ``Step`` rows indexed by state id saying what the
role does there:

- ``SEND``: it is the sender; it decides a branch and sends to ``to``;
- ``RECEIVE``: it is a receiver; it waits for the message from ``peer``;
- ``SKIP``: it is internal but not involved; the state has one branch, so it
  moves on to ``next[0]`` without any message;
- ``WAIT``: it is external to the state's protocol; it waits for ``peer`` (the
  protocol's first internal role) to notify it which state comes next;
- ``EXIT``: the terminal row.

After taking branch ``k`` a role notifies the roles in ``notify[k]`` (non-empty
only for a protocol's notifier on a branch that leaves the protocol).

Runtimes execute these tables; nothing here does any I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._script import Branch, Exit, State
from ._walk import Walk

__all__ = ["Action", "BranchInfo", "LocalMachine", "ProtocolInfo", "StateInfo", "Step", "project"]


class Action(enum.IntEnum):
    """What a role does at a state."""

    SEND = 0
    RECEIVE = 1
    SKIP = 2
    WAIT = 3
    EXIT = 4


@dataclass(frozen=True, slots=True)
class BranchInfo:
    """A branch of a numbered state."""

    index: int
    label: str
    payload: Any
    next: int
    leaves: bool
    """Whether the branch leaves the state's protocol."""
    branch: Branch[Any] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ProtocolInfo:
    """A protocol instance of the script."""

    id: int
    name: str
    roles: tuple[int, ...]
    externals: tuple[int, ...]
    file: str
    line: int

    @property
    def notifier(self) -> int:
        """The role that tells the external roles where control goes next."""
        return self.roles[0]


@dataclass(frozen=True, slots=True)
class StateInfo:
    """A numbered state of the global script (the ``Exit`` row has no sender)."""

    id: int
    name: str
    protocol: int
    sender: int
    receivers: tuple[int, ...]
    branches: tuple[BranchInfo, ...]
    timeout: float | None
    file: str
    line: int
    state: State[Any] = field(compare=False, repr=False)

    @property
    def is_exit(self) -> bool:
        return self.sender < 0


@dataclass(frozen=True, slots=True)
class Step:
    """What one role does at one state (a row of its local machine)."""

    state: int
    action: Action
    peer: int = -1
    to: tuple[int, ...] = ()
    next: tuple[int, ...] = ()
    notify: tuple[tuple[int, ...], ...] = ()
    decide: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    react: tuple[Callable[..., Any] | None, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LocalMachine:
    """One role's projection: ``steps[state_id]`` says what the role does there."""

    role: int
    name: str
    steps: tuple[Step, ...]

    def actions(self) -> tuple[Action, ...]:
        """The action at every state, in id order."""
        return tuple(s.action for s in self.steps)


def project(
    w: Walk,
) -> tuple[tuple[StateInfo, ...], tuple[ProtocolInfo, ...], tuple[LocalMachine, ...]]:
    """Number the script and derive every role's local machine.

    Expects a script that passed ``check`` (it trusts the structure).
    """
    rid = w.role_ids
    pnames, snames = w.protocol_names, w.state_names
    protocols: list[ProtocolInfo] = []
    for p, g in enumerate(w.protocols):
        internal = tuple(rid[r.name] for r in g.roles)
        externals = tuple(i for i in range(len(w.roles)) if i not in internal)
        protocols.append(ProtocolInfo(p, pnames[p], internal, externals, g.file, g.line))

    states: list[StateInfo] = []
    for i, s in enumerate(w.states):
        p = w.protocol_of[i]
        branches = []
        for b in s.branches:
            nxt = w.id_of(b.next)
            leaves = nxt == w.exit or w.protocol_of[nxt] != p
            branches.append(BranchInfo(b.index, b.label, b.payload, nxt, leaves, b))
        assert s.sender is not None
        states.append(
            StateInfo(
                i, snames[i], p, rid[s.sender.name], tuple(rid[r.name] for r in s.receivers),
                tuple(branches), s.timeout, s.file, s.line, s,
            )
        )
    states.append(StateInfo(w.exit, "Exit", -1, -1, (), (), None, Exit.file, 0, Exit))

    machines: list[LocalMachine] = []
    for r, role in enumerate(w.roles):
        steps: list[Step] = []
        for st in states[:-1]:
            proto = protocols[st.protocol]
            nexts = tuple(b.next for b in st.branches)
            notify = tuple(
                proto.externals if (b.leaves and r == proto.notifier) else ()
                for b in st.branches
            )
            if r not in proto.roles:
                steps.append(Step(st.id, Action.WAIT, peer=proto.notifier))
            elif r == st.sender:
                decide = st.state.deciders[0] if st.state.deciders else None
                steps.append(
                    Step(st.id, Action.SEND, to=st.receivers, next=nexts, notify=notify,
                         decide=decide)
                )
            elif r in st.receivers:
                react = tuple(
                    next((fn for who, fn in b.branch.reactions if who is role), None)
                    for b in st.branches
                )
                steps.append(
                    Step(st.id, Action.RECEIVE, peer=st.sender, next=nexts, notify=notify,
                         react=react)
                )
            else:
                steps.append(Step(st.id, Action.SKIP, next=nexts, notify=notify))
        steps.append(Step(w.exit, Action.EXIT))
        machines.append(LocalMachine(r, role.name, tuple(steps)))
    return tuple(states), tuple(protocols), tuple(machines)
