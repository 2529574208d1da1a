"""Pure graph walks over a script: reachability, numbering, protocols and roles.

The walk is the first step of building a script. It numbers the states reachable
from the entry in depth-first preorder (branches in the order they were
declared; the entry is 0, ``Exit`` is last), so both ends of a network session
number one script the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._script import Exit, ProtocolDef, Role, State

__all__ = ["Walk", "backward_closure", "walk"]


@dataclass
class Walk:
    """What the walk found: states in id order, their protocols and roles."""

    name: str
    states: list[State[Any]]
    ids: dict[State[Any], int]
    protocols: list[ProtocolDef]
    protocol_of: list[int]
    roles: list[Role[Any]]
    role_ids: dict[str, int]
    conflicts: list[tuple[Role[Any], Role[Any]]] = field(default_factory=list)
    protocol_names: list[str] = field(default_factory=list)
    """Display names: ``name[k]`` on the instances of a protocol used more than once."""
    state_names: list[str] = field(default_factory=list)
    """Display names of the states, with their protocol instance's ``[k]``."""

    def protocol_name(self, group: ProtocolDef) -> str:
        """The display name of a protocol instance of this script."""
        for g, name in zip(self.protocols, self.protocol_names, strict=True):
            if g is group:
                return name
        return group.name

    @property
    def exit(self) -> int:
        """Id of ``Exit``: one past the last real state."""
        return len(self.states)

    def id_of(self, s: State[Any]) -> int:
        """The id of a reachable state (``Exit`` included)."""
        return self.exit if s is Exit else self.ids[s]


def walk(name: str, entry: State[Any]) -> Walk:
    """Number every state reachable from ``entry`` and collect protocols and roles.

    States created outside any ``troupe.protocol`` block belong to a root
    protocol named after the script, whose internal roles are all its roles.
    """
    if not isinstance(entry, State):
        raise TypeError(f"script {name!r}: entry must be a State, got {entry!r}")
    if entry is Exit:
        raise TypeError(f"script {name!r}: entry must be a state to start at, got Exit")
    states: list[State[Any]] = []
    ids: dict[State[Any], int] = {}
    todo: list[State[Any]] = [entry]
    while todo:
        s = todo.pop()
        if s is Exit or s in ids:
            continue
        ids[s] = len(states)
        states.append(s)
        todo.extend(reversed([b.next for b in s.branches]))

    protocols: list[ProtocolDef] = []
    index: dict[int, int] = {}
    root: ProtocolDef | None = None
    protocol_of: list[int] = []
    for s in states:
        group = s.protocol
        if group is None:
            if root is None:
                root = ProtocolDef(name, (), entry.file, entry.line, is_root=True)
            group = root
        key = id(group)
        if key not in index:
            index[key] = len(protocols)
            protocols.append(group)
        protocol_of.append(index[key])

    roles: list[Role[Any]] = []
    role_ids: dict[str, int] = {}
    conflicts: list[tuple[Role[Any], Role[Any]]] = []

    def add(rs: Iterable[Role[Any] | None]) -> None:
        for r in rs:
            if r is None:
                continue
            known = role_ids.get(r.name)
            if known is None:
                role_ids[r.name] = len(roles)
                roles.append(r)
            elif roles[known] is not r and all(r is not b for _, b in conflicts):
                conflicts.append((roles[known], r))

    for i, s in enumerate(states):
        add(protocols[protocol_of[i]].roles)
        add([s.sender])
        add(s.receivers)
    if root is not None:
        root.roles = tuple(roles)
        root.states = [s for s in states if s.protocol is None]
    suffix = _instance_suffixes(protocols)
    return Walk(
        name, states, ids, protocols, protocol_of, roles, role_ids, conflicts,
        [g.name + suffix[p] for p, g in enumerate(protocols)],
        [s.name + suffix[protocol_of[i]] for i, s in enumerate(states)],
    )


def _instance_suffixes(protocols: list[ProtocolDef]) -> list[str]:
    """``[k]`` for the k-th instance of a protocol name used more than once, else ``""``."""
    counts: dict[str, int] = {}
    for g in protocols:
        counts[g.name] = counts.get(g.name, 0) + (not g.is_root)
    seen: dict[str, int] = {}
    out: list[str] = []
    for g in protocols:
        if counts[g.name] > 1 and not g.is_root:
            seen[g.name] = seen.get(g.name, 0) + 1
            out.append(f"[{seen[g.name]}]")
        else:
            out.append("")
    return out


def backward_closure(targets: Iterable[int], preds: list[list[int]]) -> set[int]:
    """Every node from which one of ``targets`` can be reached (targets included)."""
    seen = set(targets)
    todo = list(seen)
    while todo:
        n = todo.pop()
        for p in preds[n]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen
