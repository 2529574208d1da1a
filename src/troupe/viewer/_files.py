"""Files: read a trace into a model, write a view of it (the I/O of ``troupe view``)."""

from __future__ import annotations

import os
from pathlib import Path

from .._trace import read_trace
from ._errors import TraceError, ViewerError
from ._graph import LayoutMode
from ._model import Header, TraceModel, build_model
from ._page import render_page
from ._sequence import DEFAULT_LIMIT, sequence_mermaid, sequence_svg

__all__ = ["VIEW_FORMATS", "load_trace", "replay_html", "view_format", "write_view"]

VIEW_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "html": ("the replay page: animation, state graph, sequence diagram", (".html", ".htm")),
    "mmd": ("the sequence diagram as Mermaid text", (".mmd",)),
    "svg": ("the sequence diagram as an SVG image", (".svg",)),
}
"""What ``write_view`` can write: format -> (what it is, the file suffixes it takes)."""


def load_trace(path: str | os.PathLike[str]) -> TraceModel:
    """Read a JSON Lines trace file into a model.

    Raises:
        TraceError: if the file is missing or unreadable, or is not a
            version-1 troupe trace (the message names the file and line).
    """
    p = Path(path)
    if not p.exists():
        raise TraceError(f"{p}: no such trace file")
    if p.is_dir():
        raise TraceError(f"{p}: expected a trace file (.jsonl), got a directory")
    try:
        raw, events = read_trace(p)
        header = Header.parse(raw, str(p))
        return build_model(header, events, str(p))
    except TraceError:
        raise
    except UnicodeDecodeError as e:
        raise TraceError(f"{p}: expected a JSON Lines trace (UTF-8 text), got binary data") from e
    except ValueError as e:
        raise TraceError(str(e)) from e
    except OSError as e:
        raise TraceError(f"{p}: cannot read: {e.strerror or e}") from e


def view_format(output: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write to ``output``: ``fmt`` if given, else read off the suffix.

    Raises:
        ViewerError: for an unknown format, an unknown suffix, or a suffix that
            does not fit ``fmt``.
    """
    p = Path(output)
    suffix = p.suffix.lower()
    expected = ", ".join(s for _, suffixes in VIEW_FORMATS.values() for s in suffixes)
    if fmt is not None:
        if fmt not in VIEW_FORMATS:
            raise ViewerError(f"expected a format of {', '.join(VIEW_FORMATS)}, got {fmt!r}")
        wanted = VIEW_FORMATS[fmt][1]
        if suffix not in wanted:
            got = repr(p.suffix) if p.suffix else "no suffix"
            raise ViewerError(f"--format {fmt} writes a file ending in {', '.join(wanted)}; "
                              f"{str(p)!r} has {got}")
        return fmt
    for name, (_, suffixes) in VIEW_FORMATS.items():
        if suffix in suffixes:
            return name
    got = repr(p.suffix) if p.suffix else "no suffix"
    raise ViewerError(f"cannot tell what to write to {str(p)!r}: expected a file ending in "
                      f"{expected}, got {got}")


def replay_html(
    model: TraceModel, *, session: int | str | None = None, layout: LayoutMode = "auto"
) -> str:
    """The self-contained replay page of a trace, as HTML text.

    Args:
        model: the trace (``load_trace`` or ``build_model``).
        session: the session the page shows first: an id, ``"all"``, or
            ``None`` for the first; the page can switch to any other.
        layout: ``"auto"`` lays out the graphs with Graphviz when installed,
            else in the browser; ``"graphviz"`` or ``"browser"`` forces one.

    Raises:
        TraceError: if the trace has no such session.
        ViewError: with ``layout="graphviz"`` when Graphviz cannot run.
    """
    if session is not None and session != "all":
        session = model.session_id(session)  # checks it exists; the page narrows to it
    name = Path(model.source).name if model.source else ""
    return render_page(model.header, model=model, session=session, source=name,
                       layout_mode=layout)


def write_view(
    trace: str | os.PathLike[str] | TraceModel,
    output: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    session: int | str | None = None,
    limit: int = DEFAULT_LIMIT,
    layout: LayoutMode = "auto",
) -> Path:
    """Write a view of a trace: the replay page, or the sequence diagram alone.

    Args:
        trace: a trace file, or a model already read.
        output: the file to write; its suffix picks the format unless ``fmt`` is given.
        fmt: ``"html"``, ``"mmd"`` or ``"svg"``.
        session: the session to show (``None``: the first; ``"all"``: every
            one; the page can switch, a diagram shows just that).
        limit: messages drawn at most in a sequence diagram.
        layout: the page's graph layout (see ``replay_html``).

    Returns:
        The path written. Nothing is written unless the whole view could be made.

    Raises:
        TraceError: if the trace cannot be read or has no such session.
        ViewerError: for an unsupported format or suffix.
        OSError: if the file cannot be written.
    """
    kind = view_format(output, fmt)
    model = trace if isinstance(trace, TraceModel) else load_trace(trace)
    if kind == "html":
        text = replay_html(model, session=session, layout=layout)
    else:
        chosen = model.select(session)
        text = sequence_mermaid(chosen, limit=limit) if kind == "mmd" else sequence_svg(
            chosen, limit=limit)
    out = Path(output)
    out.write_text(text, encoding="utf-8")
    return out
