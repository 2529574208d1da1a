"""The viewer: a trace replayed in a browser, drawn as a sequence diagram, or watched live.

A pipeline like ``troupe.views``: a trace file is read into a model (its
messages matched, its sessions and failures summarised), and renderers turn
the model into a self-contained HTML replay page, a Mermaid sequence diagram
or an SVG one::

    import troupe.viewer as viewer

    model = viewer.load_trace("t.jsonl")            # TraceError if it is not a trace
    viewer.write_view(model, "run.html")            # the replay page
    viewer.write_view(model, "run.mmd", session=3)  # one session's sequence diagram
    with viewer.LiveView(script) as live:           # the same page, live, on 127.0.0.1
        troupe.run(script, trace=live.tracer)

Modules: ``_model`` (the pure model: header, state resolution, message
matching, sessions, aggregation), ``_graph`` (state graphs as DOT, laid out by
Graphviz here or by the vendored Viz.js in the page), ``_sequence`` (Mermaid
and SVG sequence diagrams), ``_page`` (the HTML page and its data), ``_files``
(reading traces, writing views), ``_live`` (the live server: stdlib
``http.server`` in a thread, server-sent events, 127.0.0.1 only). The page's
own code is ``static/viewer.js``; ``vendor/viz-js`` holds Viz.js, pinned, with
its licenses.
"""

from ._errors import TraceError as TraceError
from ._errors import ViewerError as ViewerError
from ._files import VIEW_FORMATS as VIEW_FORMATS
from ._files import load_trace as load_trace
from ._files import replay_html as replay_html
from ._files import view_format as view_format
from ._files import write_view as write_view
from ._graph import VIZ_JS_VERSION as VIZ_JS_VERSION
from ._graph import global_dot as global_dot
from ._graph import layout as layout
from ._graph import projection_dot as projection_dot
from ._live import LiveTracer as LiveTracer
from ._live import LiveView as LiveView
from ._model import Failure as Failure
from ._model import Header as Header
from ._model import SessionInfo as SessionInfo
from ._model import StateResolver as StateResolver
from ._model import TraceMessage as TraceMessage
from ._model import TraceModel as TraceModel
from ._model import build_model as build_model
from ._model import match_messages as match_messages
from ._page import encode_events as encode_events
from ._page import render_page as render_page
from ._sequence import DEFAULT_LIMIT as DEFAULT_LIMIT
from ._sequence import sequence_mermaid as sequence_mermaid
from ._sequence import sequence_svg as sequence_svg

__all__ = [
    "DEFAULT_LIMIT",
    "VIEW_FORMATS",
    "VIZ_JS_VERSION",
    "Failure",
    "Header",
    "LiveTracer",
    "LiveView",
    "SessionInfo",
    "StateResolver",
    "TraceError",
    "TraceMessage",
    "TraceModel",
    "ViewerError",
    "build_model",
    "encode_events",
    "global_dot",
    "layout",
    "load_trace",
    "match_messages",
    "projection_dot",
    "render_page",
    "replay_html",
    "sequence_mermaid",
    "sequence_svg",
    "view_format",
    "write_view",
]
