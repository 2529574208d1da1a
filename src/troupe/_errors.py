"""The error tree.

``TroupeError`` is the root. ``ScriptError`` is raised at definition time, when a
script is built and checked (we wrote the script wrong); the run-time errors
(``SessionFailed``, ``Timeout``, ``ProtocolViolation``, ...) live with the
runtimes and derive from ``RunError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Diagnostic", "RunError", "ScriptError", "TroupeError"]


class TroupeError(Exception):
    """Base class of every error troupe raises on purpose."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding of the checker.

    Attributes:
        code: stable error code, e.g. ``"T101"``.
        name: stable short name of the rule, e.g. ``"sender-not-internal"``.
        message: what is wrong, naming the state and protocol.
        file: file where the offending state (or handler) was written.
        line: line in ``file``.
        severity: ``"error"`` or ``"warning"``.
    """

    code: str
    name: str
    message: str
    file: str
    line: int
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code} {self.name}: {self.message}"


class ScriptError(TroupeError):
    """A script broke one or more rules; raised by ``troupe.script`` when it is built.

    Every error of the script is reported together in ``diagnostics``.
    """

    def __init__(self, script: str, diagnostics: list[Diagnostic]) -> None:
        self.script = script
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        lines = "\n".join(f"  {d}" for d in errors)
        noun = "error" if len(errors) == 1 else "errors"
        super().__init__(f"script {script!r} has {len(errors)} {noun}:\n{lines}")


class RunError(TroupeError):
    """Base class of errors that end a session while it runs."""
