"""Check: the rules a script must keep, each a named function with a stable code.

Every check reads the ``Walk`` and yields ``Diagnostic`` records; ``check`` runs
them all, so every mistake of a script is reported together. Codes are stable:

========  ==========================  =================================================
code      name                        rule
========  ==========================  =================================================
T101      sender-not-internal         a state's sender is an internal role of its protocol
T102      receiver-not-internal       its receivers are internal roles too
T103      no-receivers                a state of a protocol with several roles has receivers
T104      duplicate-receiver          no receiver is listed twice
T105      sender-is-receiver          the sender is not among its own receivers
T106      choice-not-known            a state with several branches sends to every other
                                      internal role (knowledge of choice)
T107      unreachable-state           every state of a used protocol is reachable
T108      no-branches                 every state but Exit has a branch
T109      duplicate-branch            branch labels are unique within a state
T110      extern-not-notified         external roles of a protocol are told where to go:
                                      from every state of it control can leave it
T111      duplicate-state             state names are unique within a protocol instance
T112      duplicate-protocol-role     a protocol lists each internal role once
T201      missing-decide              a state needs a decision unless it has one branch
                                      with no payload
T202      handler-role-not-receiver   a reaction is registered for a receiver of the state
T203      decide-foreign-branch       a decision does not return another state's branch
T204      handler-signature           decisions take (ctx), reactions take (ctx, payload)
T205      duplicate-handler           one decision per state, one reaction per role/branch
T301      payload-not-serialisable    payload types can be encoded (msgspec MessagePack)
T302      role-conflict               one role name, one Role object (and context type)
W401      exit-unreachable            (warning) Exit can be reached from every state
========  ==========================  =================================================
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import dis
import enum
import inspect
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

import msgspec

from ._errors import Diagnostic
from ._script import Branch, ProtocolDef, Role, branch_of
from ._walk import Walk, backward_closure

__all__ = ["CODES", "check", "payload_problem"]

CODES: dict[str, str] = {
    "T101": "sender-not-internal",
    "T102": "receiver-not-internal",
    "T103": "no-receivers",
    "T104": "duplicate-receiver",
    "T105": "sender-is-receiver",
    "T106": "choice-not-known",
    "T107": "unreachable-state",
    "T108": "no-branches",
    "T109": "duplicate-branch",
    "T110": "extern-not-notified",
    "T111": "duplicate-state",
    "T112": "duplicate-protocol-role",
    "T201": "missing-decide",
    "T202": "handler-role-not-receiver",
    "T203": "decide-foreign-branch",
    "T204": "handler-signature",
    "T205": "duplicate-handler",
    "T301": "payload-not-serialisable",
    "T302": "role-conflict",
    "W401": "exit-unreachable",
}


def _diag(
    code: str, message: str, file: str, line: int, severity: Literal["error", "warning"] = "error"
) -> Diagnostic:
    return Diagnostic(code, CODES[code], message, file, line, severity)


def _where(w: Walk, i: int) -> str:
    return f"state {w.state_names[i]!r} of protocol {w.protocol_names[w.protocol_of[i]]!r}"


def _names(roles: typing.Iterable[Role[Any]]) -> str:
    return "{" + ", ".join(r.name for r in roles) + "}"


def _has(roles: tuple[Role[Any], ...], r: Role[Any]) -> bool:
    return any(x is r for x in roles)


def _fn_location(fn: Callable[..., Any], fallback: tuple[str, int]) -> tuple[str, int]:
    code = getattr(fn, "__code__", None)
    if code is None:
        return fallback
    return code.co_filename, code.co_firstlineno


# -- structure --------------------------------------------------------------------


def check_roles(w: Walk) -> Iterator[Diagnostic]:
    for i, s in enumerate(w.states):
        group = w.protocols[w.protocol_of[i]]
        internal = group.roles
        where = _where(w, i)
        if s.sender is not None and not _has(internal, s.sender):
            yield _diag(
                "T101",
                f"{where}: sender {s.sender.name!r} is not an internal role of the protocol "
                f"(internal: {_names(internal)})",
                s.file,
                s.line,
            )
        seen: list[Role[Any]] = []
        for r in s.receivers:
            if s.sender is not None and r is s.sender:
                yield _diag(
                    "T105", f"{where}: sender {r.name!r} is also listed as a receiver",
                    s.file, s.line,
                )
            elif any(r is x for x in seen):
                yield _diag(
                    "T104", f"{where}: receiver {r.name!r} is listed more than once",
                    s.file, s.line,
                )
            elif not _has(internal, r):
                yield _diag(
                    "T102",
                    f"{where}: receiver {r.name!r} is not an internal role of the protocol "
                    f"(internal: {_names(internal)})",
                    s.file,
                    s.line,
                )
            seen.append(r)
        if not s.receivers and len(internal) > 1:
            yield _diag(
                "T103",
                f"{where}: no receivers, but the protocol has {len(internal)} internal roles "
                f"{_names(internal)}",
                s.file,
                s.line,
            )


def check_choice(w: Walk) -> Iterator[Diagnostic]:
    for i, s in enumerate(w.states):
        if len(s.branches) < 2:
            continue
        group = w.protocols[w.protocol_of[i]]
        told = [s.sender, *s.receivers]
        missing = [r for r in group.roles if not any(r is x for x in told)]
        if missing:
            labels = " | ".join(b.label for b in s.branches)
            yield _diag(
                "T106",
                f"{_where(w, i)} has {len(s.branches)} branches ({labels}) but does not send to "
                f"internal role(s) {_names(missing)}, which could not know which way the script "
                f"went",
                s.file,
                s.line,
            )


def check_branches(w: Walk) -> Iterator[Diagnostic]:
    for i, s in enumerate(w.states):
        if not s.branches:
            yield _diag(
                "T108", f"{_where(w, i)} has no branches (only Exit may end the script)",
                s.file, s.line,
            )
        labels: set[str] = set()
        for b in s.branches:
            if b.label in labels:
                yield _diag(
                    "T109", f"{_where(w, i)}: branch label {b.label!r} is used more than once",
                    b.file, b.line,
                )
            labels.add(b.label)


def check_reachable(w: Walk) -> Iterator[Diagnostic]:
    for group in w.protocols:
        names: set[str] = set()
        for s in group.states:
            if s.name in names:
                yield _diag(
                    "T111",
                    f"state {s.name!r} of protocol {w.protocol_name(group)!r} is defined more "
                    f"than once in the same protocol instance",
                    s.file,
                    s.line,
                )
            names.add(s.name)
            if s not in w.ids:
                yield _diag(
                    "T107",
                    f"state {s.name!r} of protocol {w.protocol_name(group)!r} is not reachable "
                    f"from the entry {w.state_names[0]!r}",
                    s.file,
                    s.line,
                )
        seen: list[Role[Any]] = []
        for r in group.roles:
            if any(r is x for x in seen):
                yield _diag(
                    "T112",
                    f"protocol {w.protocol_name(group)!r} lists internal role {r.name!r} twice",
                    group.file, group.line,
                )
            seen.append(r)


def _preds(w: Walk) -> list[list[int]]:
    preds: list[list[int]] = [[] for _ in range(w.exit + 1)]
    for i, s in enumerate(w.states):
        for b in s.branches:
            preds[w.id_of(b.next)].append(i)
    return preds


def check_externs(w: Walk) -> Iterator[Diagnostic]:
    by_group: dict[int, list[int]] = {}
    for i, p in enumerate(w.protocol_of):
        by_group.setdefault(p, []).append(i)
    for p, members in by_group.items():
        group: ProtocolDef = w.protocols[p]
        externals = [r for r in w.roles if not _has(group.roles, r)]
        if not externals:
            continue
        inside = set(members)
        leaving = [
            i for i in members if any(w.id_of(b.next) not in inside for b in w.states[i].branches)
        ]
        preds = [[q for q in ps if q in inside] for ps in _preds(w)]
        can_leave = backward_closure(leaving, preds)
        stuck = [i for i in members if i not in can_leave]
        if stuck:
            first = w.states[stuck[0]]
            names = ", ".join(repr(w.state_names[i]) for i in stuck)
            yield _diag(
                "T110",
                f"protocol {w.protocol_name(group)!r} has external role(s) {_names(externals)} "
                f"waiting for it to end, but control never leaves it from state(s) {names}",
                first.file,
                first.line,
            )


def check_exit_reachable(w: Walk) -> Iterator[Diagnostic]:
    reach = backward_closure([w.exit], _preds(w))
    for i, s in enumerate(w.states):
        if i not in reach:
            yield _diag(
                "W401", f"{_where(w, i)} cannot reach Exit: the script never ends from there",
                s.file, s.line, "warning",
            )


# -- handlers ---------------------------------------------------------------------


def _accepts(fn: Callable[..., Any], n: int) -> bool | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        sig.bind(*range(n))
    except TypeError:
        return False
    return True


def _referenced_branches(fn: Callable[..., Any]) -> Iterator[Branch[Any]]:
    code = getattr(fn, "__code__", None)
    if code is None:
        return
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        b = branch_of(value)
        if b is not None:
            yield b
    globs = getattr(fn, "__globals__", {})
    codes = [code]
    while codes:
        c = codes.pop()
        # Only names loaded as globals: co_names also holds attribute names (ctx.stop).
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                b = branch_of(globs.get(ins.argval))
                if b is not None:
                    yield b
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))


def check_handlers(w: Walk) -> Iterator[Diagnostic]:
    for i, s in enumerate(w.states):
        where = _where(w, i)
        needs = len(s.branches) > 1 or any(b.payload is not None for b in s.branches)
        if not s.deciders and needs and s.sender is not None:
            labels = " | ".join(b.label for b in s.branches)
            yield _diag(
                "T201",
                f"{where} needs a decision for its sender {s.sender.name!r} to choose a branch "
                f"({labels}) and give its payload: add @{s.name.lower()}.decide",
                s.file,
                s.line,
            )
        if len(s.deciders) > 1:
            file, line = _fn_location(s.deciders[1], (s.file, s.line))
            yield _diag("T205", f"{where} has {len(s.deciders)} decisions; keep one", file, line)
        for fn in s.deciders:
            file, line = _fn_location(fn, (s.file, s.line))
            if _accepts(fn, 1) is False:
                yield _diag(
                    "T204",
                    f"decision {getattr(fn, '__name__', fn)!r} of {where} must take one "
                    f"argument (ctx)",
                    file,
                    line,
                )
            foreign = sorted(
                {f"{b.label!r} of state {b.state.name!r}" for b in _referenced_branches(fn)
                 if b.state is not s}
            )
            if foreign:
                yield _diag(
                    "T203",
                    f"decision {getattr(fn, '__name__', fn)!r} of {where} uses branch "
                    f"{', '.join(foreign)}; it may only return branches of its own state "
                    f"({' | '.join(b.label for b in s.branches)})",
                    file,
                    line,
                )
        for b in s.branches:
            seen: list[Role[Any]] = []
            for role, fn in b.reactions:
                file, line = _fn_location(fn, (b.file, b.line))
                fname = getattr(fn, "__name__", repr(fn))
                if not _has(s.receivers, role):
                    yield _diag(
                        "T202",
                        f"reaction {fname!r} on branch {b.label!r} of {where} is for role "
                        f"{role.name!r}, which does not receive it (receivers: "
                        f"{_names(s.receivers)})",
                        file,
                        line,
                    )
                elif any(role is x for x in seen):
                    yield _diag(
                        "T205",
                        f"branch {b.label!r} of {where} has more than one reaction for role "
                        f"{role.name!r}",
                        file,
                        line,
                    )
                seen.append(role)
                if _accepts(fn, 2) is False:
                    yield _diag(
                        "T204",
                        f"reaction {fname!r} on branch {b.label!r} of {where} must take two "
                        f"arguments (ctx, payload)",
                        file,
                        line,
                    )


# -- types ------------------------------------------------------------------------

_SCALARS: tuple[type, ...] = (
    bool, int, float, str, bytes, bytearray,
    datetime.datetime, datetime.date, datetime.time, datetime.timedelta,
    uuid.UUID, decimal.Decimal,
)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_ABSTRACT = (
    collections.abc.Collection, collections.abc.Sequence, collections.abc.MutableSequence,
    collections.abc.Set, collections.abc.MutableSet, collections.abc.Mapping,
    collections.abc.MutableMapping,
)


def payload_problem(tp: object, _seen: frozenset[int] = frozenset()) -> str | None:
    """Why ``tp`` cannot be a payload type, or ``None`` if msgspec can encode it."""
    if tp is None or tp is type(None):
        return None
    if id(tp) in _seen:
        return None
    seen = _seen | {id(tp)}
    supertype = getattr(tp, "__supertype__", None)
    if supertype is not None:  # typing.NewType
        return payload_problem(supertype, seen)
    if typing.is_typeddict(tp):
        for name, hint in typing.get_type_hints(tp).items():
            problem = payload_problem(hint, seen)
            if problem:
                return f"field {name!r} of {getattr(tp, '__name__', tp)}: {problem}"
        return None
    origin = typing.get_origin(tp)
    if origin is not None:
        if origin is Literal:
            return None
        if origin is typing.Annotated:
            return payload_problem(typing.get_args(tp)[0], seen)
        if origin in (typing.Union, types.UnionType) or origin in _CONTAINERS + _ABSTRACT:
            for arg in typing.get_args(tp):
                if arg is Ellipsis:
                    continue
                problem = payload_problem(arg, seen)
                if problem:
                    return problem
            return None
        return f"{tp!r} is not a supported payload type"
    if isinstance(tp, type):
        if tp in _SCALARS or tp in _CONTAINERS + _ABSTRACT or issubclass(tp, enum.Enum):
            return None
        if issubclass(tp, tuple) and hasattr(tp, "_fields"):  # a NamedTuple
            for name, hint in typing.get_type_hints(tp).items():
                problem = payload_problem(hint, seen)
                if problem:
                    return f"field {name!r} of {tp.__name__}: {problem}"
            return None
        if issubclass(tp, msgspec.Struct):
            for f in msgspec.structs.fields(tp):
                problem = payload_problem(f.type, seen)
                if problem:
                    return f"field {f.name!r} of {tp.__name__}: {problem}"
            return None
        if dataclasses.is_dataclass(tp):
            for name, hint in typing.get_type_hints(tp).items():
                problem = payload_problem(hint, seen)
                if problem:
                    return f"field {name!r} of {tp.__name__}: {problem}"
            return None
        return (
            f"{tp.__qualname__} cannot be encoded; use None, bool, int, float, str, bytes, "
            f"lists, tuples, dicts or a msgspec.Struct"
        )
    return f"{tp!r} is not a type"


def check_payloads(w: Walk) -> Iterator[Diagnostic]:
    for i, s in enumerate(w.states):
        for b in s.branches:
            problem = payload_problem(b.payload)
            if problem:
                yield _diag(
                    "T301",
                    f"payload of branch {b.label!r} of {_where(w, i)} is not serialisable: "
                    f"{problem}",
                    b.file,
                    b.line,
                )


def check_role_conflicts(w: Walk) -> Iterator[Diagnostic]:
    conflicts = list(w.conflicts)
    for s in w.states:  # roles that appear only in reactions
        for b in s.branches:
            for role, _ in b.reactions:
                known = w.role_ids.get(role.name)
                if known is None or w.roles[known] is role:
                    continue
                if not any(role is o for _, o in conflicts):
                    conflicts.append((w.roles[known], role))
    for first, other in conflicts:
        extra = (
            f" with context {other.context.__name__} instead of {first.context.__name__}"
            if other.context is not first.context
            else ""
        )
        yield _diag(
            "T302",
            f"role name {other.name!r} is used by two different Role objects{extra} "
            f"(first defined at {first.file}:{first.line})",
            other.file,
            other.line,
        )


CHECKS: tuple[Callable[[Walk], Iterator[Diagnostic]], ...] = (
    check_roles,
    check_choice,
    check_branches,
    check_reachable,
    check_externs,
    check_handlers,
    check_payloads,
    check_role_conflicts,
    check_exit_reachable,
)


def check(w: Walk) -> list[Diagnostic]:
    """Run every check; errors and warnings, sorted by file and line."""
    found = [d for rule in CHECKS for d in rule(w)]
    found.sort(key=lambda d: (d.file, d.line, d.code))
    return found

