"""Outcomes: what a run returns, one per role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import SessionFailed

__all__ = ["Outcome", "Result"]


@dataclass(slots=True)
class Outcome:
    """How one role of one session ended.

    Attributes:
        role: the role's name.
        context: its context as the run left it (also when it failed).
        state: the state where it ended (``"Exit"`` when it completed).
        error: ``None`` when the role reached Exit, else the ``SessionFailed``
            (or ``Timeout`` / ``Cancelled``) that ended it.
    """

    role: str
    context: Any
    state: str
    error: SessionFailed | None = None

    @property
    def ok(self) -> bool:
        """Whether the role reached Exit."""
        return self.error is None

    def __str__(self) -> str:
        if self.error is None:
            return f"{self.role}: ok at {self.state} — {self.context!r}"
        return f"{self.role}: FAILED at {self.state} — {type(self.error).__name__}: {self.error}"


NO_ERRORS: Sequence[SessionFailed | None] = (None,) * 64
"""Errors of a session every role of which reached Exit (shared; read as many as roles)."""


class Result(Mapping[str, Outcome]):
    """The outcome of every role of one session, by role name.

    Cheap to make (runtimes make one per session): it keeps the roles' names,
    contexts, final states and errors side by side and builds an ``Outcome``
    only when one is asked for.
    """

    __slots__ = ("_contexts", "_errors", "_names", "_states", "session")

    def __init__(
        self,
        session: int,
        names: Sequence[str],
        contexts: Sequence[Any],
        states: Sequence[str],
        errors: Sequence[SessionFailed | None],
    ) -> None:
        self.session = session
        self._names = names
        self._contexts = contexts
        self._states = states
        self._errors = errors

    def _index(self, role: str) -> int:
        try:
            return self._names.index(role)
        except ValueError:
            raise KeyError(role) from None

    def __getitem__(self, role: str) -> Outcome:
        i = self._index(role)
        return Outcome(role, self._contexts[i], self._states[i], self._errors[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def ok(self) -> bool:
        """Whether every role reached Exit."""
        return self._errors is NO_ERRORS or not any(self._errors)

    @property
    def error(self) -> SessionFailed | None:
        """The error that ended the session (the first failed role's), or ``None``."""
        if self._errors is NO_ERRORS:
            return None
        for e in self._errors:
            if e is not None:
                return e
        return None

    def context(self, role: str) -> Any:
        """The final context of ``role``."""
        try:
            return self._contexts[self._names.index(role)]
        except ValueError:
            raise KeyError(role) from None

    def raise_for_error(self) -> Result:
        """Raise the session's error if it failed; return ``self`` otherwise."""
        err = self.error
        if err is not None:
            raise err
        return self

    def __reduce__(self) -> tuple[object, ...]:
        n = len(self._names)
        return (Result, (self.session, list(self._names), list(self._contexts),
                         list(self._states), list(self._errors[:n])))

    def __repr__(self) -> str:
        status = "ok" if self.ok else "failed"
        return f"<Result session={self.session} {status} roles={list(self._names)}>"
