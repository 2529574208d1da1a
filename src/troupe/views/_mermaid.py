"""Render a graph model as a Mermaid ``stateDiagram-v2``.

States are declared as ``state "label" as s<id>``; every edge is a transition
line ``s0 --> s1 : label``; ``[*]`` points at the entry and ``Exit`` leads to
``[*]``. Mermaid forbids transitions between states of different composite
states, so protocols are drawn as a note on their first state and a colour
class on all their states rather than as composite states.

Labels are escaped with Mermaid's entity codes (``#58;`` for ``:``, ...) where
its grammar would otherwise misread them: a transition label ends at ``:`` or
``;``, a state label at ``"``, ``%%`` starts a comment, and so on.
"""

from __future__ import annotations

import re
from typing import Any

from .._compile import Script
from .._script import Role
from ._dot import PALETTE, tint
from ._graph import Graph, Node, build_graph

__all__ = ["mermaid_text", "to_mermaid"]

_ENTITIES = {
    "#": "#35;",
    ":": "#58;",
    ";": "#59;",
    '"': "#quot;",
    "%": "#37;",
    "<": "#lt;",
}
_SPECIAL = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
# Mermaid's lexer reads "direction TB" anywhere in a line, and "end note" inside
# a note, as keywords: break the space so the words stay words.
_KEYWORDS = re.compile(r"\b(direction)\s+(?=(?:TB|BT|RL|LR)\b)|\b(end)\s+(?=note\b)", re.IGNORECASE)


def _one_line(text: str) -> str:
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def mermaid_text(text: str) -> str:
    """``text`` made safe for a Mermaid label: one line, special characters as entities."""
    escaped = _SPECIAL.sub(lambda m: _ENTITIES[m.group()], _one_line(text))
    return _KEYWORDS.sub(lambda m: (m.group(1) or m.group(2)) + "#32;", escaped)


def _note_text(text: str) -> str:
    # Notes and comments run to "end note" or the line end: only keywords and "<" need care.
    escaped = _one_line(text).replace("<", "#lt;")
    return _KEYWORDS.sub(lambda m: (m.group(1) or m.group(2)) + "#32;", escaped)


_KIND_CLASS = {
    "send": "color:#000000,font-weight:bold",
    "skip": "color:#555555",
    "wait": "color:#555555,stroke-dasharray:4 3",
}


def _label(node: Node) -> str:
    return mermaid_text("  ".join(node.lines))


def to_mermaid(source: Script | Graph, role: str | Role[Any] | None = None) -> str:
    """The Mermaid ``stateDiagram-v2`` of a script's global graph, or of one role's projection.

    Args:
        source: a built script, or a graph model from ``build_graph``.
        role: with a script, the role whose projection to draw; ``None`` for
            the global graph (ignored when ``source`` is already a graph).

    Raises:
        ViewError: if the script has no such role.
    """
    g = source if isinstance(source, Graph) else build_graph(source, role)
    out = ["stateDiagram-v2", f"    %% troupe: {_note_text(g.title)}"]
    for n in g.nodes:
        text = "Exit" if n.kind == "exit" else _label(n)
        out.append(f'    state "{text}" as {n.key}')
    out.append(f"    [*] --> {g.key_of(g.entry)}")
    for e in g.edges:
        label = mermaid_text(" / ".join(e.lines))
        out.append(f"    {g.key_of(e.src)} --> {g.key_of(e.dst)} : {label}")
    has_exit = any(n.kind == "exit" for n in g.nodes)
    if has_exit:
        out.append(f"    {g.key_of(g.exit)} --> [*]")
    for c in g.clusters:
        members = g.in_cluster(c)
        out.append(f"    note right of {members[0].key}")
        out.append(f"        protocol {_note_text(c.label)}")
        if c.externals:
            out.append(f"        waiting: {_note_text(', '.join(c.externals))}")
        out.append("    end note")
    for c in g.clusters:
        colour = PALETTE[c.id % len(PALETTE)]
        out.append(f"    classDef p{c.id} fill:{tint(colour)},stroke:{colour}")
        out.append(f"    class {','.join(n.key for n in g.in_cluster(c))} p{c.id}")
    kinds = sorted({n.kind for n in g.nodes if n.kind in _KIND_CLASS})
    for kind in kinds:
        keys = ",".join(n.key for n in g.nodes if n.kind == kind)
        out.append(f"    classDef {kind} {_KIND_CLASS[kind]}")
        out.append(f"    class {keys} {kind}")
    if has_exit:
        out.append("    classDef exit fill:#333333,color:#ffffff")
        out.append(f"    class {g.key_of(g.exit)} exit")
    return "\n".join(out) + "\n"
