"""Render a graph model as Graphviz DOT source.

One ``subgraph cluster_<protocol id>`` per protocol, labelled ``name: {roles}``
and tinted with its own colour; edges cycle through the same palette, and an
edge that leaves its protocol is dashed (a waiting role's ``notify`` edge is
dotted). ``Exit`` is a double circle; a point marks the entry.
"""

from __future__ import annotations

from typing import Any

from .._compile import Script
from .._script import Role
from ._graph import Graph, Node, build_graph

__all__ = ["PALETTE", "dot_attrs", "quote", "tint", "to_dot"]

PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
"""Colours of clusters and edges, cycled (Tableau 10)."""

_FONT = "Helvetica"
_NODE_DEFAULTS = {
    "shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "fontname": _FONT,
    "fontsize": "11",
}


def tint(colour: str, amount: float = 0.85) -> str:
    """``colour`` (``#rrggbb``) mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * amount) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become DOT's ``\\n`` line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def dot_attrs(**attrs: str) -> str:
    """A DOT attribute list: ``[k="v", ...]``, every value quoted."""
    return "[" + ", ".join(f"{k}={quote(v)}" for k, v in attrs.items()) + "]"


def _node_attrs(node: Node) -> dict[str, str]:
    label = "\n".join(node.lines)
    if node.kind == "exit":
        return {"label": "Exit", "shape": "doublecircle", "style": "filled",
                "fillcolor": "#333333", "fontcolor": "#ffffff", "tooltip": node.title}
    if node.kind == "send":
        return {"label": label, "style": "rounded,filled,bold"}
    if node.kind == "skip":
        return {"label": label, "fontcolor": "#555555", "color": "#777777"}
    if node.kind == "wait":
        return {"label": label, "style": "rounded,filled,dashed", "fillcolor": "#f2f2f2",
                "fontcolor": "#555555", "color": "#777777"}
    return {"label": label}


def to_dot(source: Script | Graph, role: str | Role[Any] | None = None) -> str:
    """The DOT source of a script's global graph, or of one role's projection.

    Args:
        source: a built script, or a graph model from ``build_graph``.
        role: with a script, the role whose projection to draw; ``None`` for
            the global graph (ignored when ``source`` is already a graph).

    Raises:
        ViewError: if the script has no such role.
    """
    g = source if isinstance(source, Graph) else build_graph(source, role)
    out = [
        f"digraph {quote(g.title)} {{",
        f"  graph {dot_attrs(label=g.title, labelloc='t', fontname=_FONT, fontsize='14')};",
        f"  node {dot_attrs(**_NODE_DEFAULTS)};",
        f"  edge {dot_attrs(fontname=_FONT, fontsize='10')};",
        f"  start {dot_attrs(shape='point', width='0.15', label='', tooltip='entry')};",
    ]
    for c in g.clusters:
        colour = PALETTE[c.id % len(PALETTE)]
        out.append(f"  subgraph cluster_{c.id} {{")
        out.append(f"    label={quote(c.label)};")
        out.append(f"    style={quote('rounded,filled')}; color={quote(colour)}; "
                   f"fillcolor={quote(tint(colour))}; fontcolor={quote(colour)};")
        if c.externals:
            out.append(f"    tooltip={quote('waiting: ' + ', '.join(c.externals))};")
        for n in g.in_cluster(c):
            out.append(f"    {n.key} {dot_attrs(**_node_attrs(n))};")
        out.append("  }")
    for n in g.loose:
        out.append(f"  {n.key} {dot_attrs(**_node_attrs(n))};")
    out.append(f"  start -> {g.key_of(g.entry)};")
    for e in g.edges:
        colour = PALETTE[e.index % len(PALETTE)]
        attrs = {"label": "\n".join(e.lines), "color": colour, "fontcolor": colour}
        if e.kind == "notify":
            attrs["style"] = "dotted"
        elif e.leaves:
            attrs["style"] = "dashed"
        out.append(f"  {g.key_of(e.src)} -> {g.key_of(e.dst)} {dot_attrs(**attrs)};")
    out.append("}")
    return "\n".join(out) + "\n"
