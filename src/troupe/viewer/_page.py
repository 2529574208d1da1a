"""The replay page: one self-contained HTML file (its JS, CSS and data inlined).

The page is a template (``static/page.html``), a script (``static/viewer.js``)
and a style sheet (``static/viewer.css``) shipped with the package, plus one
JSON object: the header, each state's projection actions, the laid-out graphs,
and every event as columns (``encode_events``). The live view
serves the same page with no events and streams batches of the same columns.
Opening the file needs no network access: nothing is loaded from elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from .._trace import KINDS, Event
from ._graph import VIZ_JS_VERSION, Layout, LayoutMode, layout, viz_js
from ._model import Header, TraceModel

__all__ = ["PAGE_VERSION", "encode_events", "page_data", "render_page"]

PAGE_VERSION = 1
"""Version of the data object the page reads."""

_KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSS|VENDOR|JS|DATA)\}\}")


def _static(name: str) -> str:
    return (resources.files(__package__) / "static" / name).read_text(encoding="utf-8")


def encode_events(
    header: Header, events: Iterable[Event], states: Iterable[int]
) -> dict[str, Any]:
    """Events as the page's columns: ``t, s, r, k, st, b, p`` and a ``strings`` table.

    ``r`` and ``p`` are role indices (``p`` is -1 without a peer), ``k`` the
    index of the kind in ``enter, send, receive, notify, notified, exit,
    fail``, ``st`` the state id (-1 without one), ``b`` an index into
    ``strings`` (the branch label or the error text; -1 without one).
    """
    role = {r: i for i, r in enumerate(header.roles)}
    cols: dict[str, list[Any]] = {k: [] for k in ("t", "s", "r", "k", "st", "b", "p")}
    strings: list[str] = []
    index: dict[str, int] = {}
    for e, sid in zip(events, states, strict=True):
        cols["t"].append(round(e.t, 9))
        cols["s"].append(e.session)
        cols["r"].append(role[e.role])
        cols["k"].append(_KIND_INDEX[e.kind])
        cols["st"].append(sid)
        if e.branch is None:
            cols["b"].append(-1)
        else:
            n = index.get(e.branch)
            if n is None:
                n = index[e.branch] = len(strings)
                strings.append(e.branch)
            cols["b"].append(n)
        cols["p"].append(-1 if e.peer is None else role[e.peer])
    return {**cols, "strings": strings}


def _header_data(h: Header) -> dict[str, Any]:
    return {
        "script": h.script,
        "roles": list(h.roles),
        "protocols": [{"id": p.id, "name": p.name, "roles": list(p.roles)} for p in h.protocols],
        "states": [
            {
                "id": s.id, "name": s.name, "protocol": s.protocol, "sender": s.sender,
                "receivers": list(s.receivers),
                "branches": [{"label": b.label, "next": b.next, "leaves": b.leaves}
                             for b in s.branches],
                "actions": [h.action(r, s.id) for r in h.roles],
            }
            for s in h.states
        ],
    }


def page_data(
    header: Header,
    graphs: Layout,
    *,
    model: TraceModel | None = None,
    session: int | str | None = None,
    live: Mapping[str, Any] | None = None,
    source: str = "",
) -> dict[str, Any]:
    """The JSON object the page reads.

    Args:
        header: the trace header.
        graphs: the laid-out graphs (``layout``).
        model: the trace's events (``None`` for the live view, which streams them).
        session: the session shown first: an id, ``"all"``, or ``None`` for the first.
        live: for the live view, ``{"events": URL}`` of the event stream.
        source: the trace's file name, shown in the page.
    """
    if model is not None:
        events = encode_events(header, model.events, model.states)
    else:
        events = encode_events(header, (), ())
    return {
        "version": PAGE_VERSION,
        "header": _header_data(header),
        "graphs": {"engine": graphs.engine, "note": graphs.note, "svgs": graphs.svgs,
                   "dots": {} if graphs.svgs else graphs.dots},
        "events": events,
        "session": session,
        "live": dict(live) if live is not None else None,
        "source": source,
    }


def _json_for_script(data: Any) -> str:
    # Inside <script>, "<" could start "</script" or "<!--": write every one as \u003c.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_page(
    header: Header,
    *,
    model: TraceModel | None = None,
    session: int | str | None = None,
    live: Mapping[str, Any] | None = None,
    source: str = "",
    graphs: Layout | None = None,
    layout_mode: LayoutMode = "auto",
) -> str:
    """The replay page as one HTML string.

    Args:
        header: the trace header.
        model: the trace (``None`` for the live view).
        session: the session shown first: an id, ``"all"``, or ``None`` for the first.
        live: for the live view, ``{"events": URL}``.
        source: the trace's file name, shown in the page.
        graphs: graphs already laid out; by default ``layout(header, layout_mode)``.
        layout_mode: see ``layout``; without Graphviz the page carries Viz.js.

    Raises:
        ViewError: with ``layout_mode="graphviz"`` when Graphviz cannot run.
    """
    g = graphs if graphs is not None else layout(header, layout_mode)
    data = page_data(header, g, model=model, session=session, live=live, source=source)
    vendor = ""
    if not g.svgs:
        vendor = (f"<script>/* Viz.js {VIZ_JS_VERSION} (MIT; contains Graphviz, EPL-1.0, "
                  f"and Expat, MIT): lays out the graphs */\n{viz_js()}\n</script>")
    page = _static("page.html")
    title = f"troupe · {header.script}" + (" · live" if live is not None else "")
    parts = {
        "TITLE": _escape(title),
        "CSS": _static("viewer.css"),
        "VENDOR": vendor,
        "JS": _static("viewer.js"),
        "DATA": _json_for_script(data),
    }
    # One pass, so that nothing inserted is taken for a placeholder.
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], page)
