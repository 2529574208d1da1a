"""Views: a script drawn as a graph (DOT, Mermaid, SVG, PNG) or printed as tables.

Drawing is a pipeline: ``build_graph`` extracts a small model (nodes, clusters,
edges) from a ``Script`` -- its global graph, or one role's projection -- and
separate renderers turn the model into text. Everything here is pure except
``render`` and ``run_graphviz``, which write files and run Graphviz::

    import troupe.views as views

    views.to_dot(script)                   # DOT source of the global graph
    views.to_mermaid(script, role="bob")   # bob's projection as Mermaid
    views.render(script, "pingpong.svg")   # by suffix: .dot .mmd .svg .png
    print(views.projection_tables(script)) # every role's local machine

Modules: ``_graph`` (the model), ``_dot``, ``_mermaid``, ``_table`` (renderers),
``_render`` (files and Graphviz), ``_errors`` (``ViewError``).
"""

from ._dot import to_dot as to_dot
from ._errors import ViewError as ViewError
from ._graph import Cluster as Cluster
from ._graph import Edge as Edge
from ._graph import Graph as Graph
from ._graph import Node as Node
from ._graph import build_graph as build_graph
from ._mermaid import to_mermaid as to_mermaid
from ._render import FORMATS as FORMATS
from ._render import format_of as format_of
from ._render import render as render
from ._render import run_graphviz as run_graphviz
from ._table import projection_table as projection_table
from ._table import projection_tables as projection_tables
from ._table import state_table as state_table

__all__ = [
    "FORMATS",
    "Cluster",
    "Edge",
    "Graph",
    "Node",
    "ViewError",
    "build_graph",
    "format_of",
    "projection_table",
    "projection_tables",
    "render",
    "run_graphviz",
    "state_table",
    "to_dot",
    "to_mermaid",
]
