"""Render a script as plain-text tables: the global states, and each role's projection.

The tables are the projection's data as it is (one row per state id, as the
runtimes index it), in aligned columns of plain text so they print anywhere and
can be compared in tests::

    alice: projection (role 0 of pingpong)
    state     action   details
    --------  -------  ------------------------------------------------
    [0] Ping  SEND     to {bob}; ping (int) -> [1] Pong, stop -> [2] Exit
    [1] Pong  RECEIVE  from bob; pong (int) -> [0] Ping
    [2] Exit  EXIT
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._compile import Script
from .._project import Action, BranchInfo, StateInfo, Step
from .._script import Role
from ._errors import ViewError
from ._graph import braces, machine_of, protocol_exits, type_name

__all__ = ["format_table", "projection_table", "projection_tables", "state_table"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned plain-text columns: a header line, a rule, then the rows.

    Raises:
        ViewError: if a row does not have one cell per header.
    """
    for row in rows:
        if len(row) != len(headers):
            raise ViewError(f"table row needs {len(headers)} cells, got {len(row)}: {row!r}")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _state(script: Script, sid: int) -> str:
    return f"[{sid}] {script.states[sid].name}"


def _branch(script: Script, b: BranchInfo, notify: tuple[int, ...] = ()) -> str:
    label = b.label if b.payload is None else f"{b.label} ({type_name(b.payload)})"
    text = f"{label} -> {_state(script, b.next)}"
    if notify:
        text += f" (notify {braces(script.roles[r].name for r in notify)})"
    return text


def state_table(script: Script) -> str:
    """The global script, one row per state: protocol, sender, receivers and branches.

    Args:
        script: a built script.
    """
    names = [r.name for r in script.roles]
    rows: list[list[str]] = []
    for s in script.states:
        if s.is_exit:
            rows.append([_state(script, s.id), "", "", ""])
            continue
        rows.append([
            _state(script, s.id),
            script.protocols[s.protocol].name,
            f"{names[s.sender]} -> {braces(names[r] for r in s.receivers)}",
            ", ".join(_branch(script, b) for b in s.branches),
        ])
    title = f"{script.name}: states"
    return title + "\n" + format_table(["state", "protocol", "message", "branches"], rows)


def _details(
    script: Script, info: StateInfo, step: Step, exits: dict[int, tuple[int, ...]]
) -> str:
    names = [r.name for r in script.roles]
    if step.action is Action.EXIT:
        return ""
    if step.action is Action.WAIT:
        proto = script.protocols[info.protocol]
        where = ", ".join(_state(script, t) for t in exits[info.protocol])
        return f"for {names[step.peer]} (protocol {proto.name}); notify -> {where}"
    branches = ", ".join(
        _branch(script, b, step.notify[k] if step.notify else ())
        for k, b in enumerate(info.branches)
    )
    if step.action is Action.SEND:
        return f"to {braces(names[r] for r in step.to)}; {branches}"
    if step.action is Action.RECEIVE:
        return f"from {names[step.peer]}; {branches}"
    return branches


def projection_table(script: Script, role: str | Role[Any]) -> str:
    """One role's local machine, one row per state: ``[id] State | ACTION | details``.

    Details name the peers (``to {..}`` when sending, ``from x`` when receiving,
    ``for x`` when waiting to be notified), each branch's next state, and whom
    the role notifies when it takes a branch that leaves a protocol.

    Args:
        script: a built script.
        role: a role name or ``Role``.

    Raises:
        ViewError: if the script has no such role.
    """
    machine = machine_of(script, role)
    exits = protocol_exits(script)
    rows = [
        [_state(script, step.state), step.action.name,
         _details(script, script.states[step.state], step, exits)]
        for step in machine.steps
    ]
    title = f"{machine.name}: projection (role {machine.role} of {script.name})"
    return title + "\n" + format_table(["state", "action", "details"], rows)


def projection_tables(script: Script) -> str:
    """Every role's projection table, in role order, separated by blank lines."""
    return "\n\n".join(projection_table(script, m.name) for m in script.machines)
