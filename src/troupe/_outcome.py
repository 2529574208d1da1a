"""Outcomes: what a run returns, one per role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


class Result(Mapping[str, Outcome]):
    """The outcome of every role of one session, by role name."""

    __slots__ = ("_outcomes", "session")

    def __init__(self, session: int, outcomes: list[Outcome]) -> None:
        self.session = session
        self._outcomes = {o.role: o for o in outcomes}

    def __getitem__(self, role: str) -> Outcome:
        return self._outcomes[role]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outcomes)

    def __len__(self) -> int:
        return len(self._outcomes)

    @property
    def ok(self) -> bool:
        """Whether every role reached Exit."""
        return all(o.error is None for o in self._outcomes.values())

    @property
    def error(self) -> SessionFailed | None:
        """The error that ended the session (the first role's), or ``None``."""
        for o in self._outcomes.values():
            if o.error is not None:
                return o.error
        return None

    def context(self, role: str) -> Any:
        """The final context of ``role``."""
        return self._outcomes[role].context

    def raise_for_error(self) -> Result:
        """Raise the session's error if it failed; return ``self`` otherwise."""
        err = self.error
        if err is not None:
            raise err
        return self

    def __repr__(self) -> str:
        status = "ok" if self.ok else "failed"
        return f"<Result session={self.session} {status} roles={list(self._outcomes)}>"
