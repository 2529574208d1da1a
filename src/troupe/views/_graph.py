"""Extract: a script as a small graph model that every renderer reads.

Two graphs can be drawn from a ``Script``:

- the **global graph**: every numbered state is a node labelled with its id,
  name, sender and receivers; every branch is an edge; each protocol instance is
  a cluster; ``Exit`` is a node of its own;
- a **role's projection**: the same states seen by one role, labelled with what
  the role does there (``SEND``, ``RECEIVE``, ``SKIP``, ``WAIT``). A ``WAIT``
  state's edges go to the states its protocol can exit to, labelled ``notify``:
  the role learns which one from the protocol's notifier. States the role never
  stands at (the inner states of a protocol it waits out) are left out.

The model is plain frozen data; DOT and Mermaid renderers turn it into text.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from .._compile import Script
from .._project import Action, LocalMachine
from .._script import Role
from ._errors import ViewError

__all__ = [
    "Cluster",
    "Edge",
    "Graph",
    "Node",
    "braces",
    "build_graph",
    "global_graph",
    "machine_of",
    "protocol_exits",
    "role_graph",
    "type_name",
]

NodeKind = Literal["state", "send", "receive", "skip", "wait", "exit"]
EdgeKind = Literal["branch", "notify"]

_KIND_OF_ACTION: dict[Action, NodeKind] = {
    Action.SEND: "send",
    Action.RECEIVE: "receive",
    Action.SKIP: "skip",
    Action.WAIT: "wait",
    Action.EXIT: "exit",
}


def braces(names: typing.Iterable[str]) -> str:
    """``{a, b}``: a set of role names as the views write it."""
    return "{" + ", ".join(names) + "}"


def type_name(payload: object) -> str:
    """A short readable name of a payload type: ``int``, ``list[str]``, ``Chunk``, ``None``."""
    if payload is None or payload is type(None):
        return "None"
    if payload is Ellipsis:
        return "..."
    origin = typing.get_origin(payload)
    args = typing.get_args(payload)
    if origin is not None:
        if origin is Literal:
            return f"Literal[{', '.join(repr(a) for a in args)}]"
        if origin is typing.Annotated:
            return type_name(args[0])
        if origin in (typing.Union, types.UnionType):
            return " | ".join(type_name(a) for a in args)
        head = getattr(origin, "__name__", None) or repr(origin).removeprefix("typing.")
        return f"{head}[{', '.join(type_name(a) for a in args)}]" if args else head
    if isinstance(payload, type):
        return payload.__qualname__
    return repr(payload).removeprefix("typing.")


@dataclass(frozen=True, slots=True)
class Node:
    """A state drawn as a node.

    Attributes:
        state: the state id (``Exit`` has the last id).
        title: first line, ``[id] Name``.
        detail: second line: ``alice -> {bob}`` in the global graph, what the
            role does (``SEND to {bob}``, ``RECEIVE from alice``, ``SKIP``,
            ``WAIT for alice``) in a projection; empty for ``Exit``.
        kind: ``"state"`` in the global graph, the role's action (``"send"``,
            ``"receive"``, ``"skip"``, ``"wait"``) in a projection, ``"exit"``.
        cluster: id of the protocol the state belongs to; ``-1`` for ``Exit``.
    """

    state: int
    title: str
    detail: str
    kind: NodeKind
    cluster: int

    @property
    def key(self) -> str:
        """The node's identifier in DOT and Mermaid output: ``s<id>``, or ``Exit``."""
        return "Exit" if self.kind == "exit" else f"s{self.state}"

    @property
    def lines(self) -> tuple[str, ...]:
        """The label's lines: the title, then the detail if any."""
        return (self.title, self.detail) if self.detail else (self.title,)


@dataclass(frozen=True, slots=True)
class Edge:
    """A transition: one branch of a state, or a notification a waiting role receives.

    Attributes:
        src: id of the state the edge leaves.
        dst: id of the state it leads to.
        label: the branch label, or ``"notify"`` for a waiting role's edge.
        payload: name of the branch's payload type; ``None`` when it carries nothing.
        kind: ``"branch"`` or ``"notify"``.
        leaves: whether the edge leaves the protocol of ``src``.
        notifier: in the global graph, the role that notifies ``notify`` when
            this branch is taken; ``None`` in a projection (the role itself
            notifies) or when nobody is notified.
        notify: the roles told where control goes when this branch is taken.
        index: position of the edge in the graph (renderers cycle colours by it).
    """

    src: int
    dst: int
    label: str
    payload: str | None
    kind: EdgeKind
    leaves: bool
    notifier: str | None
    notify: tuple[str, ...]
    index: int

    @property
    def lines(self) -> tuple[str, ...]:
        """The label's lines: ``label (payload)``, then who is notified, if anyone."""
        first = self.label if self.payload is None else f"{self.label} ({self.payload})"
        if not self.notify:
            return (first,)
        if self.notifier is None:
            return (first, f"notify {braces(self.notify)}")
        return (first, f"{self.notifier} notifies {braces(self.notify)}")


@dataclass(frozen=True, slots=True)
class Cluster:
    """A protocol instance drawn as a group of nodes.

    Attributes:
        id: the protocol's id.
        name: its display name (``CheckHash[2]`` for a repeated protocol).
        roles: its internal roles, the notifier first.
        externals: the roles that wait while control is inside it.
        states: ids of its states drawn in this graph.
    """

    id: int
    name: str
    roles: tuple[str, ...]
    externals: tuple[str, ...]
    states: tuple[int, ...]

    @property
    def label(self) -> str:
        """``name: {role1, role2}``."""
        return f"{self.name}: {braces(self.roles)}"


@dataclass(frozen=True, slots=True)
class Graph:
    """A script, or one role's projection of it, as nodes, clusters and edges.

    Attributes:
        script: the script's name.
        role: the projected role, or ``None`` for the global graph.
        entry: id of the entry state.
        exit: id of ``Exit``.
        nodes: the drawn states, in id order.
        clusters: the protocols with at least one drawn state, in id order.
        edges: the transitions, in order of their source state and branch.
    """

    script: str
    role: str | None
    entry: int
    exit: int
    nodes: tuple[Node, ...]
    clusters: tuple[Cluster, ...]
    edges: tuple[Edge, ...]

    @property
    def title(self) -> str:
        """``pingpong``, or ``pingpong: projection of alice``."""
        return self.script if self.role is None else f"{self.script}: projection of {self.role}"

    def key_of(self, state: int) -> str:
        """The DOT/Mermaid identifier of a state id (``s3``, or ``Exit``)."""
        return "Exit" if state == self.exit else f"s{state}"

    def in_cluster(self, cluster: Cluster) -> tuple[Node, ...]:
        """The nodes drawn inside ``cluster``."""
        return tuple(n for n in self.nodes if n.cluster == cluster.id)

    @property
    def loose(self) -> tuple[Node, ...]:
        """The nodes outside every cluster (``Exit``)."""
        return tuple(n for n in self.nodes if n.cluster < 0)


def machine_of(script: Script, role: str | Role[Any]) -> LocalMachine:
    """The local machine of ``role`` (a name or ``Role``); ``ViewError`` if there is none."""
    name = role.name if isinstance(role, Role) else role
    if not isinstance(name, str):
        raise ViewError(f"role must be a role name or a Role, got {role!r}")
    for m in script.machines:
        if m.name == name:
            return m
    known = ", ".join(r.name for r in script.roles)
    raise ViewError(f"script {script.name!r} has no role {name!r}; expected one of: {known}")


def _clusters(script: Script, drawn: typing.Collection[int]) -> tuple[Cluster, ...]:
    names = [r.name for r in script.roles]
    out = []
    for p in script.protocols:
        states = tuple(s.id for s in script.states if s.protocol == p.id and s.id in drawn)
        if states:
            out.append(
                Cluster(
                    p.id, p.name, tuple(names[r] for r in p.roles),
                    tuple(names[r] for r in p.externals), states,
                )
            )
    return tuple(out)


def _exit_node(script: Script) -> Node:
    return Node(script.exit, f"[{script.exit}] Exit", "", "exit", -1)


def global_graph(script: Script) -> Graph:
    """The whole script: every state, branch and protocol."""
    names = [r.name for r in script.roles]
    nodes: list[Node] = []
    edges: list[Edge] = []
    for s in script.states[:-1]:
        detail = f"{names[s.sender]} -> {braces(names[r] for r in s.receivers)}"
        nodes.append(Node(s.id, f"[{s.id}] {s.name}", detail, "state", s.protocol))
        proto = script.protocols[s.protocol]
        for b in s.branches:
            told = tuple(names[r] for r in proto.externals) if b.leaves else ()
            edges.append(
                Edge(
                    s.id, b.next, b.label, None if b.payload is None else type_name(b.payload),
                    "branch", b.leaves, names[proto.notifier] if told else None, told,
                    len(edges),
                )
            )
    nodes.append(_exit_node(script))
    drawn = {n.state for n in nodes}
    return Graph(
        script.name, None, 0, script.exit, tuple(nodes), _clusters(script, drawn), tuple(edges)
    )


def protocol_exits(script: Script) -> dict[int, tuple[int, ...]]:
    """For each protocol, the states outside it that its branches lead to."""
    found: dict[int, set[int]] = {p.id: set() for p in script.protocols}
    for s in script.states[:-1]:
        for b in s.branches:
            if b.leaves:
                found[s.protocol].add(b.next)
    return {p: tuple(sorted(targets)) for p, targets in found.items()}


def role_graph(script: Script, role: str | Role[Any]) -> Graph:
    """One role's projection: its local machine, from the states it can stand at.

    Raises:
        ViewError: if the script has no such role.
    """
    machine = machine_of(script, role)
    names = [r.name for r in script.roles]
    exits = protocol_exits(script)

    def successors(state: int) -> tuple[int, ...]:
        step = machine.steps[state]
        if step.action is Action.WAIT:
            return exits[script.states[state].protocol]
        return step.next

    reached: set[int] = set()
    todo = [0]
    while todo:
        s = todo.pop()
        if s not in reached:
            reached.add(s)
            todo.extend(successors(s))

    nodes: list[Node] = []
    edges: list[Edge] = []
    for sid in sorted(reached):
        info = script.states[sid]
        step = machine.steps[sid]
        if step.action is Action.EXIT:
            nodes.append(_exit_node(script))
            continue
        if step.action is Action.SEND:
            detail = f"SEND to {braces(names[r] for r in step.to)}"
        elif step.action is Action.RECEIVE:
            detail = f"RECEIVE from {names[step.peer]}"
        elif step.action is Action.WAIT:
            detail = f"WAIT for {names[step.peer]}"
        else:
            detail = "SKIP"
        nodes.append(
            Node(sid, f"[{sid}] {info.name}", detail, _KIND_OF_ACTION[step.action], info.protocol)
        )
        if step.action is Action.WAIT:
            for target in exits[info.protocol]:
                edges.append(
                    Edge(sid, target, "notify", None, "notify", True, None, (), len(edges))
                )
            continue
        for k, b in enumerate(info.branches):
            told = tuple(names[r] for r in step.notify[k]) if step.notify else ()
            edges.append(
                Edge(
                    sid, step.next[k], b.label,
                    None if b.payload is None else type_name(b.payload),
                    "branch", b.leaves, None, told, len(edges),
                )
            )
    return Graph(
        script.name, machine.name, 0, script.exit, tuple(nodes), _clusters(script, reached),
        tuple(edges),
    )


def build_graph(script: Script, role: str | Role[Any] | None = None) -> Graph:
    """The graph model of ``script``: the global graph, or ``role``'s projection.

    Args:
        script: a built script (``troupe.script``).
        role: a role name or ``Role``; ``None`` for the global graph.

    Raises:
        ViewError: if ``script`` is not a Script, or has no such role.
    """
    if not isinstance(script, Script):
        raise ViewError(f"expected a troupe.Script, got {type(script).__name__}")
    return global_graph(script) if role is None else role_graph(script, role)
