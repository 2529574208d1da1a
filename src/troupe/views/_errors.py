"""The views' error: a graph or table that cannot be drawn as asked."""

from __future__ import annotations

from .._errors import TroupeError

__all__ = ["ViewError"]


class ViewError(TroupeError):
    """A view cannot be made as asked.

    Raised by the ``troupe.views`` functions (and so by ``troupe graph``) for an
    unknown role, an output file with an unsupported suffix, or a Graphviz
    rendering that cannot run (``dot`` missing, failing or timing out). The
    message says what was expected and what was given.
    """
