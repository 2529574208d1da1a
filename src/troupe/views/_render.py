"""Write a view to a file, choosing the format by the file's suffix.

``.dot`` and ``.mmd`` are text made here and need nothing else; ``.svg`` and
``.png`` run Graphviz's ``dot`` command on the DOT source. This is the only
module of ``troupe.views`` that does I/O.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .._compile import Script
from .._script import Role
from ._dot import to_dot
from ._errors import ViewError
from ._graph import build_graph
from ._mermaid import to_mermaid

__all__ = ["FORMATS", "format_of", "render", "run_graphviz"]

FORMATS: dict[str, str] = {
    ".dot": "Graphviz DOT source",
    ".mmd": "Mermaid state diagram",
    ".svg": "SVG image, drawn by Graphviz",
    ".png": "PNG image, drawn by Graphviz",
}
"""The suffixes ``render`` understands, with what each writes."""

_GRAPHVIZ = {".svg", ".png"}

GRAPHVIZ_HINT = (
    "install Graphviz: `apt-get install graphviz` on Debian or Ubuntu (or run "
    "`bash scripts/install-graphviz.sh` from the troupe repository), `brew install graphviz` "
    "on macOS; .dot and .mmd files need nothing and can be drawn elsewhere"
)


def format_of(path: str | os.PathLike[str]) -> str:
    """The output format of ``path``, by its suffix: ``".dot"``, ``".mmd"``, ``".svg"``, ``".png"``.

    Raises:
        ViewError: if the suffix is none of these.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        got = repr(p.suffix) if p.suffix else "no suffix"
        raise ViewError(
            f"cannot tell what to write to {str(p)!r}: expected a file ending in "
            f"{', '.join(FORMATS)}, got {got}"
        )
    return suffix


def run_graphviz(dot: str, fmt: str, *, timeout: float = 120.0) -> bytes:
    """Draw DOT source with Graphviz's ``dot`` command and return the image.

    Args:
        dot: DOT source, e.g. from ``to_dot``.
        fmt: a Graphviz output format (``"svg"``, ``"png"``, ...).
        timeout: seconds to let ``dot`` run before giving up.

    Raises:
        ViewError: if ``dot`` is not installed, fails, or takes longer than
            ``timeout`` seconds (it is then killed).
    """
    exe = shutil.which("dot")
    if exe is None:
        raise ViewError(
            f"drawing {fmt.upper()} needs Graphviz, but its `dot` command was not found on "
            f"PATH; {GRAPHVIZ_HINT}"
        )
    import subprocess  # lazily: only drawing images needs it

    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True,
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ViewError(f"Graphviz `dot -T{fmt}` did not finish within {timeout:g} s") from e
    except OSError as e:
        raise ViewError(f"could not run Graphviz ({exe}): {e}") from e
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip() or "no message"
        raise ViewError(f"Graphviz `dot -T{fmt}` failed with exit code {done.returncode}: {err}")
    return done.stdout


def render(
    script: Script, path: str | os.PathLike[str], role: str | Role[Any] | None = None
) -> Path:
    """Draw ``script`` (or ``role``'s projection) into ``path``, in the format its suffix names.

    ``.dot`` writes DOT source, ``.mmd`` a Mermaid state diagram, ``.svg`` and
    ``.png`` an image drawn by Graphviz. Nothing is written unless the whole
    view could be made.

    Args:
        script: a built script.
        path: the file to write (its directory must exist).
        role: a role name or ``Role`` to draw that role's projection; ``None``
            for the global graph.

    Returns:
        The path written.

    Raises:
        ViewError: for an unsupported suffix, an unknown role, or when Graphviz
            is missing or fails (for ``.svg``/``.png``).
        OSError: if the file cannot be written.
    """
    out = Path(path)
    fmt = format_of(out)
    graph = build_graph(script, role)
    if fmt == ".mmd":
        out.write_text(to_mermaid(graph), encoding="utf-8")
    elif fmt in _GRAPHVIZ:
        out.write_bytes(run_graphviz(to_dot(graph), fmt[1:]))
    else:
        out.write_text(to_dot(graph), encoding="utf-8")
    return out
