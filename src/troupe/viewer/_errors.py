"""The viewer's errors: a trace that cannot be read, a view that cannot be made."""

from __future__ import annotations

from .._errors import TroupeError

__all__ = ["TraceError", "ViewerError"]


class ViewerError(TroupeError):
    """A replay page, sequence diagram or live view cannot be made as asked.

    Raised by ``troupe.viewer`` (and so by ``troupe view`` and ``troupe run
    --live``) for an unsupported output format, an unknown session, or a live
    server that cannot listen. The message says what was expected and what
    was given.
    """


class TraceError(ViewerError, ValueError):
    """A trace file is not a readable troupe trace.

    Raised when the file is missing, its header is not a version-1 troupe
    trace header, or an event line is malformed or names a role or state the
    header does not have. The message names the file and line.
    """
