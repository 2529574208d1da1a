"""The state graphs of the replay page, drawn from a trace header alone.

Two kinds of graph, as DOT source: the **global graph** (every state, branch
and protocol) and each role's **projection** (the states it can stand at,
labelled with what it does there; a ``WAIT`` state's dotted ``notify`` edges go
to where its protocol can exit). Every node is named ``s<id>`` -- Graphviz
writes that name in the node's SVG ``<title>``, which the page uses to find
the node of a state and light it.

``layout`` lays them out with Graphviz's ``dot`` when it is installed (the page
then embeds SVG); without it, the page carries the DOT sources and the
vendored Viz.js (Graphviz compiled to WebAssembly) to lay them out in the
browser, with no network access either way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from importlib import resources
from typing import Literal

from ..views import ViewError, run_graphviz
from ..views._dot import PALETTE, dot_attrs, quote, tint
from ..views._graph import braces
from ._errors import ViewerError
from ._model import Header

__all__ = [
    "VIZ_JS_SHA256",
    "VIZ_JS_VERSION",
    "Layout",
    "dot_sources",
    "global_dot",
    "layout",
    "projection_dot",
    "viz_js",
]

VIZ_JS_VERSION = "3.31.0"
"""The vendored Viz.js (npm ``@viz-js/viz``) version, pinned."""

VIZ_JS_SHA256 = "c9e0b310f9883910e01c66054b48b7ff4be3d8695141116635e72b0af152692e"
"""SHA-256 of the vendored ``viz-global.js``."""

LayoutMode = Literal["auto", "graphviz", "browser"]

_FONT = "Helvetica"
_INK = "#1f2937"
_MUTED = "#6b7280"


def _head(title: str) -> list[str]:
    graph = dot_attrs(fontname=_FONT, fontsize="11", nodesep="0.3", ranksep="0.4", pad="0.2",
                      bgcolor="transparent")
    node = dot_attrs(shape="box", style="rounded,filled", fillcolor="#ffffff", color="#9ca3af",
                     fontname=_FONT, fontsize="11", fontcolor=_INK, margin="0.12,0.05")
    edge = dot_attrs(fontname=_FONT, fontsize="9", arrowsize="0.7")
    start = dot_attrs(shape="point", width="0.12", label="", color=_INK)
    return [
        f"digraph {quote(title)} {{",
        f"  graph {graph};",
        f"  node {node};",
        f"  edge {edge};",
        f"  start {start};",
    ]


def _exit_node(h: Header) -> str:
    attrs = dot_attrs(label="Exit", shape="doublecircle", style="filled", fillcolor="#374151",
                      fontcolor="#ffffff", color="#374151", width="0.5", fixedsize="true",
                      tooltip=f"[{h.exit}] Exit")
    return f"  s{h.exit} {attrs};"


def _clusters(h: Header, drawn: set[int], node: dict[int, str]) -> list[str]:
    out = []
    for p in h.protocols:
        inside = [s.id for s in h.states if s.protocol == p.id and s.id in drawn]
        if not inside:
            continue
        colour = PALETTE[p.id % len(PALETTE)]
        out.append(f"  subgraph cluster_{p.id} {{")
        out.append(f"    label={quote(p.name + ': ' + braces(p.roles))};")
        out.append(f"    style={quote('rounded,filled')}; color={quote(tint(colour, 0.5))}; "
                   f"fillcolor={quote(tint(colour, 0.92))}; fontcolor={quote(colour)};")
        out.extend(f"    {node[s]}" for s in inside)
        out.append("  }")
    return out


def global_dot(h: Header) -> str:
    """The DOT source of the script's global graph: states, branches, protocols as clusters."""
    node: dict[int, str] = {}
    for s in h.states[:-1]:
        label = f"[{s.id}] {s.name}\n{s.sender} → {braces(s.receivers)}"
        node[s.id] = f"s{s.id} {dot_attrs(label=label, tooltip=label)};"
    out = _head(h.script)
    out += _clusters(h, set(node), node)
    out.append(_exit_node(h))
    out.append("  start -> s0;")
    n = 0
    for s in h.states[:-1]:
        told = h.externals(s.protocol)
        for b in s.branches:
            colour = PALETTE[n % len(PALETTE)]
            n += 1
            tip = f"{s.name} --{b.label}--> {h.states[b.next].name}"
            if b.leaves and told:
                tip += f"; {h.notifier(s.protocol)} notifies {braces(told)}"
            attrs = {"label": b.label, "color": colour, "fontcolor": colour, "tooltip": tip}
            if b.leaves:
                attrs["style"] = "dashed"
            out.append(f"  s{s.id} -> s{b.next} {dot_attrs(**attrs)};")
    out.append("}")
    return "\n".join(out) + "\n"


def projection_dot(h: Header, role: str) -> str:
    """The DOT source of ``role``'s projection: what it does at each state it can stand at.

    Raises:
        TraceError: if the header has no such role.
    """
    states = h.projection(role)
    node: dict[int, str] = {}
    for sid in states:
        s = h.states[sid]
        act = h.action(role, sid)
        if act == "exit":
            continue
        if act == "send":
            detail = f"SEND to {braces(s.receivers)}"
            style = {"style": "rounded,filled,bold", "fillcolor": "#ffffff", "color": "#111827"}
        elif act == "receive":
            detail = f"RECEIVE from {s.sender}"
            style = {}
        elif act == "wait":
            detail = f"WAIT for {h.notifier(s.protocol)}"
            style = {"style": "rounded,filled,dashed", "fillcolor": "#f3f4f6",
                     "fontcolor": _MUTED}
        else:
            detail = "SKIP"
            style = {"fontcolor": _MUTED, "color": "#d1d5db"}
        label = f"[{sid}] {s.name}\n{detail}"
        node[sid] = f"s{sid} {dot_attrs(label=label, tooltip=label, **style)};"
    out = _head(f"{h.script}: projection of {role}")
    out += _clusters(h, set(node), node)
    out.append(_exit_node(h))
    out.append("  start -> s0;")
    n = 0
    for sid in states:
        s = h.states[sid]
        if h.action(role, sid) == "wait":
            notify = dot_attrs(label="notify", style="dotted", color=_MUTED, fontcolor=_MUTED)
            for target in h.exits(s.protocol):
                out.append(f"  s{sid} -> s{target} {notify};")
            continue
        for b in s.branches:
            colour = PALETTE[n % len(PALETTE)]
            n += 1
            attrs = {"label": b.label, "color": colour, "fontcolor": colour}
            if b.leaves:
                attrs["style"] = "dashed"
            out.append(f"  s{sid} -> s{b.next} {dot_attrs(**attrs)};")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_sources(h: Header) -> dict[str, str]:
    """Every graph of the page as DOT: key ``""`` for the global graph, else a role name."""
    out = {"": global_dot(h)}
    for role in h.roles:
        out[role] = projection_dot(h, role)
    return out


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')


def _clean_svg(svg: str) -> str:
    """Graphviz SVG made embeddable: no XML prologue or comments, sized by its viewBox."""
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    for _ in range(2):
        svg = _SIZE.sub(r"\1", svg, count=1)
    return svg.strip()


class Layout:
    """The page's graphs: laid out as SVG here, or as DOT for the browser to lay out.

    Attributes:
        svgs: key (``""`` or a role) -> SVG, when Graphviz laid them out here.
        dots: key -> DOT source (always; the browser uses it when ``svgs`` is empty).
        engine: ``"graphviz"`` or ``"browser"``.
        note: why the browser lays them out, when it does.
    """

    def __init__(self, dots: dict[str, str], svgs: dict[str, str], engine: str, note: str = ""):
        self.dots = dots
        self.svgs = svgs
        self.engine = engine
        self.note = note


def layout(h: Header, mode: LayoutMode = "auto") -> Layout:
    """Lay out the page's graphs.

    Args:
        h: the trace header.
        mode: ``"graphviz"`` runs ``dot`` here (``ViewError`` if it cannot);
            ``"browser"`` leaves the layout to Viz.js in the page; ``"auto"``
            runs ``dot`` when it is on PATH and otherwise leaves it to the browser.

    Raises:
        ViewError: with ``mode="graphviz"``, if Graphviz is missing or fails.
        ValueError: for an unknown mode.
    """
    if mode not in ("auto", "graphviz", "browser"):
        raise ValueError(f"expected layout 'auto', 'graphviz' or 'browser', got {mode!r}")
    dots = dot_sources(h)
    if mode == "browser":
        return Layout(dots, {}, "browser", "asked for")
    if mode == "auto" and shutil.which("dot") is None:
        return Layout(dots, {}, "browser", "Graphviz is not installed")
    try:
        svgs = {k: _clean_svg(run_graphviz(v, "svg").decode("utf-8")) for k, v in dots.items()}
    except ViewError as e:
        if mode == "graphviz":
            raise
        return Layout(dots, {}, "browser", str(e).splitlines()[0])
    return Layout(dots, svgs, "graphviz")


def viz_js() -> str:
    """The vendored Viz.js (``viz-global.js``), checked against its pinned checksum.

    Raises:
        ViewerError: if the file is missing or not the pinned one.
    """
    try:
        data = (resources.files(__package__) / "vendor" / "viz-js" / "viz-global.js").read_bytes()
    except OSError as e:
        raise ViewerError(f"the vendored Viz.js is missing from the troupe package: {e}") from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != VIZ_JS_SHA256:
        raise ViewerError(f"vendored Viz.js: expected sha256 {VIZ_JS_SHA256}, got {digest}")
    return data.decode("utf-8")
