"""The error tree.

``TroupeError`` is the root. ``ScriptError`` is raised at definition time, when a
script is built and checked (we wrote the script wrong); the run-time errors
(``SessionFailed``, ``Timeout``, ``ProtocolViolation``, ...) live with the
runtimes and derive from ``RunError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Cancelled",
    "Diagnostic",
    "MessageError",
    "ProtocolViolation",
    "RunError",
    "ScriptError",
    "SessionFailed",
    "Timeout",
    "TroupeError",
]


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

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.script, self.diagnostics))


class RunError(TroupeError):
    """Base class of errors that end a session while it runs."""


class SessionFailed(RunError):
    """A session ended before every role reached Exit.

    Every role of a failed session ends with a ``SessionFailed`` (or one of its
    subclasses), so no role is left waiting.

    Attributes:
        cause: the root error: the exception a handler raised, a ``MessageError``,
            or ``None`` for timeouts and cancellation.
        state: name of the state where the session failed.
        role: name of the role where it happened (the one whose handler raised,
            or the one that was waited on).
        session: index of the session (in ``run_many``; 0 for ``run``).
    """

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        state: str = "",
        role: str = "",
        session: int = 0,
    ) -> None:
        super().__init__(message)
        self.cause = cause
        self.state = state
        self.role = role
        self.session = session

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.cause, self.state, self.role, self.session))


def _rebuild(
    cls: type[SessionFailed],
    message: str,
    cause: BaseException | None,
    state: str,
    role: str,
    session: int,
) -> SessionFailed:
    return cls(message, cause=cause, state=state, role=role, session=session)


class Timeout(SessionFailed):
    """A state (or the whole run) took longer than its timeout.

    ``state`` names the state and ``role`` the role that was waited on.
    """


class Cancelled(SessionFailed):
    """The session was cancelled from outside (a ``CancelToken`` or its asyncio task)."""


class MessageError(RunError):
    """A decision returned something that is not a message of its state.

    Raised inside the session (and carried as ``SessionFailed.cause``): the
    message names the state, the branches it has and what came instead.
    """


class ProtocolViolation(RunError):
    """A peer sent a message the projection does not allow at the current state."""
