"""Build a script: walk it, check it, project it (``troupe.script``)."""

from __future__ import annotations

import warnings
from typing import Any

from ._check import check
from ._errors import Diagnostic, ScriptError
from ._project import LocalMachine, ProtocolInfo, StateInfo, project
from ._script import Role, State
from ._walk import walk

__all__ = ["Script", "ScriptWarning", "diagnose", "script"]


class ScriptWarning(UserWarning):
    """A checker warning (e.g. a state that cannot reach Exit)."""


class Script:
    """A checked, projected script: what every view and runtime reads.

    Attributes:
        name: the script's name.
        entry: the state it starts at (id 0).
        states: every reachable state in id order; the last row is ``Exit``.
        protocols: the protocol instances, in order of first reach.
        roles: the roles, in order of first appearance (index = role id).
        machines: each role's local machine, indexed by role id.
        warnings: the checker's warnings.
    """

    __slots__ = (
        "entry", "machines", "name", "plan", "protocols", "roles", "states", "warnings",
    )

    def __init__(
        self,
        name: str,
        entry: State[Any],
        states: tuple[StateInfo, ...],
        protocols: tuple[ProtocolInfo, ...],
        roles: tuple[Role[Any], ...],
        machines: tuple[LocalMachine, ...],
        warnings: tuple[Diagnostic, ...],
    ) -> None:
        self.name = name
        self.entry = entry
        self.states = states
        self.protocols = protocols
        self.roles = roles
        self.machines = machines
        self.warnings = warnings
        self.plan: Any = None
        """The runtimes' ``Plan`` of this script, made on its first run and reused."""

    @property
    def exit(self) -> int:
        """The id of ``Exit``."""
        return len(self.states) - 1

    @property
    def branch_count(self) -> int:
        """Number of branches over all states."""
        return sum(len(s.branches) for s in self.states)

    def role_id(self, role: str | Role[Any]) -> int:
        """The id of a role, given its name or the Role object."""
        name = role.name if isinstance(role, Role) else role
        for i, r in enumerate(self.roles):
            if r.name == name:
                return i
        known = ", ".join(r.name for r in self.roles)
        raise KeyError(f"script {self.name!r} has no role {name!r} (roles: {known})")

    def machine(self, role: str | Role[Any]) -> LocalMachine:
        """The local machine (projection) of one role."""
        return self.machines[self.role_id(role)]

    def state(self, name: str) -> StateInfo:
        """The numbered state with this display name (e.g. ``"Ping"``, ``"CheckHash[2]"``)."""
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(f"script {self.name!r} has no state {name!r}")

    def summary(self) -> str:
        """One line: ``pingpong: 2 roles, 3 states, 3 branches — ok``."""
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (
            f"{self.name}: {_count(len(self.roles), 'role')}, {_count(len(self.states), 'state')}, "
            f"{_count(self.branch_count, 'branch')} — ok{warned}"
        )

    def __repr__(self) -> str:
        return f"<Script {self.summary()}>"


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun}es" if noun.endswith("ch") else f"{n} {noun}s"


def diagnose(name: str, entry: State[Any]) -> list[Diagnostic]:
    """Check a script without building it: every error and warning, sorted by location."""
    return check(walk(name, entry))


def script(name: str, entry: State[Any]) -> Script:
    """Check and project the script that starts at ``entry``.

    Raises:
        ScriptError: listing every error of the script, each with its code and
            the file:line where the offending state or handler was written.
    """
    w = walk(name, entry)
    found = check(w)
    errors = [d for d in found if d.severity == "error"]
    if errors:
        raise ScriptError(name, found)
    notes = tuple(d for d in found if d.severity == "warning")
    for d in notes:
        warnings.warn(str(d), ScriptWarning, stacklevel=2)
    states, protocols, machines = project(w)
    return Script(name, entry, states, protocols, tuple(w.roles), machines, notes)
