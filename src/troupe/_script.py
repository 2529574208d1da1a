"""Define: roles, states, branches, protocols and their handlers.

A script is plain Python objects. States are created first and branches added
afterwards, so a branch can point at any state, earlier or later (recursion and
forward references need no strings). Protocol factories are ordinary functions
that take roles and continuation states and return an entry state; every call
creates a fresh ``ProtocolDef`` instance, so a factory used twice gives two
distinct groups of states.

Nothing here checks the script as a whole: ``troupe.script`` (in ``_compile``)
walks it, checks it and projects it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeAlias, TypeVar, overload

import msgspec

__all__ = [
    "Branch",
    "Context",
    "Exit",
    "Message",
    "Next",
    "ProtocolDef",
    "Role",
    "State",
    "branch_of",
    "protocol",
    "state",
]

C = TypeVar("C", covariant=True)
C2 = TypeVar("C2")
T = TypeVar("T")

Message: TypeAlias = "tuple[Branch[Any], Any]"
"""What a sender's decision returns: made by calling a branch, e.g. ``hit(3)``."""

DecideFn: TypeAlias = Callable[[C], "Message | Awaitable[Message]"]
ReactFn: TypeAlias = Callable[[C, T], object]


class Context(msgspec.Struct, kw_only=True):
    """Base class for a role's private data (a mutable, typed record).

    ``class Alice(tp.Context): counter: int = 0``. Any class works as a context
    type; deriving from ``Context`` makes it a fast slotted record that can be
    sent between processes.
    """


def _caller(depth: int = 2) -> tuple[str, int]:
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


class Role(Generic[C]):
    """A named participant whose handlers receive a context of type ``C``.

    Args:
        name: the role's name, unique within a script.
        context: the context class; ``Role("alice", Alice)`` is a ``Role[Alice]``.
    """

    __slots__ = ("context", "file", "line", "name")

    def __init__(self, name: str, context: type[C]) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"role name must be an identifier string, got {name!r}")
        if not isinstance(context, type):
            raise TypeError(f"context of role {name!r} must be a class, got {context!r}")
        self.name = name
        self.context = context
        self.file, self.line = _caller()

    def __repr__(self) -> str:
        return f"Role({self.name!r}, {self.context.__name__})"


class ProtocolDef:
    """One instance of a protocol: a named group of states with internal roles.

    Made by ``troupe.protocol``; each ``with`` block is a new instance.
    """

    __slots__ = ("file", "is_root", "line", "name", "roles", "states")

    def __init__(
        self, name: str, roles: tuple[Role[Any], ...], file: str, line: int, is_root: bool = False
    ) -> None:
        self.name = name
        self.roles = roles
        self.states: list[State[Any]] = []
        self.file = file
        self.line = line
        self.is_root = is_root
        """Whether this is a script's root protocol (its states outside any protocol)."""

    def __repr__(self) -> str:
        return f"ProtocolDef({self.name!r}, roles={[r.name for r in self.roles]})"


_active = threading.local()


def _stack() -> list[ProtocolDef]:
    stack: list[ProtocolDef] | None = getattr(_active, "stack", None)
    if stack is None:
        stack = _active.stack = []
    return stack


@contextmanager
def protocol(name: str, *roles: Role[Any]) -> Iterator[ProtocolDef]:
    """Group the states created inside the ``with`` block into a protocol.

    Args:
        name: the protocol's name (instances of one factory share it and are
            told apart as ``name[1]``, ``name[2]``, ...).
        *roles: its internal roles, in order; the first one notifies the
            external roles when control leaves the protocol.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"protocol name must be a non-empty string, got {name!r}")
    if not roles:
        raise TypeError(f"protocol {name!r} needs at least one internal role")
    for r in roles:
        if not isinstance(r, Role):
            raise TypeError(f"protocol {name!r}: expected Role objects, got {r!r}")
    file, line = _caller(3)
    group = ProtocolDef(name, tuple(roles), file, line)
    stack = _stack()
    stack.append(group)
    try:
        yield group
    finally:
        stack.pop()


class State(Generic[C]):
    """A step of the script: one sender (context ``C``), its receivers, its branches.

    Create states with ``troupe.state`` and add branches with ``State.branch``.
    """

    __slots__ = (
        "branches",
        "deciders",
        "file",
        "line",
        "name",
        "protocol",
        "receivers",
        "sender",
        "timeout",
    )

    def __init__(
        self,
        name: str,
        sender: Role[C] | None,
        receivers: tuple[Role[Any], ...],
        protocol: ProtocolDef | None,
        timeout: float | None,
        file: str,
        line: int,
    ) -> None:
        self.name = name
        self.sender = sender
        self.receivers = receivers
        self.protocol = protocol
        self.timeout = timeout
        self.branches: list[Branch[Any]] = []
        self.deciders: list[Callable[..., Any]] = []
        self.file = file
        self.line = line

    @overload
    def branch(self, label: str, payload: None, next: State[Any]) -> Branch[None]: ...
    @overload
    def branch(self, label: str, payload: type[T], next: State[Any]) -> Branch[T]: ...
    @overload
    def branch(self, label: str, payload: object, next: State[Any]) -> Branch[Any]: ...
    def branch(self, label: str, payload: object, next: State[Any]) -> Branch[Any]:
        """Add a branch ``(label, payload type, next state)`` and return it.

        Calling the returned branch makes the message a decision returns:
        ``hit(3)``, or ``stop()`` for a payload of ``None``.
        """
        if self is Exit:
            raise TypeError("Exit is terminal: it cannot have branches")
        if not isinstance(label, str) or not label.isidentifier():
            raise TypeError(
                f"branch label of state {self.name!r} must be an identifier string, got {label!r}"
            )
        if not isinstance(next, State):
            raise TypeError(
                f"branch {label!r} of state {self.name!r}: next must be a State or Exit, "
                f"got {next!r}"
            )
        file, line = _caller()
        b: Branch[Any] = Branch(self, len(self.branches), label, payload, next, file, line)
        self.branches.append(b)
        return b.call

    def decide(self, fn: DecideFn[C]) -> DecideFn[C]:
        """Register the sender's decision ``(ctx) -> Message`` (plain or ``async``)."""
        self.deciders.append(fn)
        return fn

    def __repr__(self) -> str:
        return f"State({self.name!r})"


class _ExitState(State[Any]):
    __slots__ = ()

    def __repr__(self) -> str:
        return "Exit"


Exit: State[Any] = _ExitState("Exit", None, (), None, None, __file__, 0)
"""The terminal state: a run ends when every role has reached it."""

Next: TypeAlias = State[Any]
"""Type of a continuation parameter of a protocol factory (any state, or ``Exit``)."""


class Branch(Generic[T]):
    """A branch of a state: label, payload type ``T`` and next state.

    ``branch(payload)`` makes a ``Message``. What ``State.branch`` hands out is
    ``call``: a plain function carrying this branch's attributes (``label``,
    ``index``, ``payload``, ``next``, ``state``, ``on``, ...), because calling a
    function is the cheapest call in Python and a decision makes one message per
    step; calling the ``Branch`` record itself does the same, more slowly.
    ``branch_of`` finds the record behind either.
    """

    __slots__ = (
        "call", "file", "index", "label", "line", "next", "payload", "reactions", "state",
    )

    def __init__(
        self,
        state: State[Any],
        index: int,
        label: str,
        payload: object,
        next: State[Any],
        file: str,
        line: int,
    ) -> None:
        self.state = state
        self.index = index
        self.label = label
        self.payload = payload
        self.next = next
        self.reactions: list[tuple[Role[Any], Callable[..., Any]]] = []
        self.file = file
        self.line = line
        self.call: Branch[T] = _branch_function(self)

    @overload
    def __call__(self: Branch[None]) -> Message: ...
    @overload
    def __call__(self: Branch[T], payload: T) -> Message: ...
    def __call__(self, payload: Any = None) -> Message:
        # Hot path: one call per message sent.
        return (self, payload)

    def on(self, role: Role[C2]) -> Callable[[ReactFn[C2, T]], ReactFn[C2, T]]:
        """Register ``role``'s reaction ``(ctx, payload)`` when this branch arrives."""
        if not isinstance(role, Role):
            raise TypeError(f"branch {self.label!r}: on() expects a Role, got {role!r}")

        def register(fn: ReactFn[C2, T]) -> ReactFn[C2, T]:
            self.reactions.append((role, fn))
            return fn

        return register

    def __repr__(self) -> str:
        return f"Branch({self.state.name}.{self.label})"


def _branch_function(b: Branch[T]) -> Branch[T]:
    def branch(payload: Any = None) -> Message:
        # Hot path: one call per message sent.
        return (b, payload)

    branch.__name__ = b.label
    branch.__qualname__ = f"{b.state.name}.{b.label}"
    branch.__doc__ = f"Branch {b.label!r} of state {b.state.name!r}: make its message."
    attrs = branch.__dict__
    for name in ("file", "index", "label", "line", "next", "payload", "reactions", "state"):
        attrs[name] = getattr(b, name)
    attrs["on"] = b.on
    attrs["__troupe_branch__"] = b
    return branch  # type: ignore[return-value]


def branch_of(obj: object) -> Branch[Any] | None:
    """The ``Branch`` record of a branch (as ``State.branch`` returns it), or ``None``."""
    if isinstance(obj, Branch):
        return obj
    found = getattr(obj, "__troupe_branch__", None) if callable(obj) else None
    return found if isinstance(found, Branch) else None


def state(
    name: str, sender: Role[C], to: Iterable[Role[Any]] = (), *, timeout: float | None = None
) -> State[C]:
    """Create a state of the enclosing protocol (or of the script, outside any).

    Args:
        name: the state's name, unique within its protocol.
        sender: the role that decides which branch is taken.
        to: the roles that receive the message.
        timeout: seconds the state may take at run time (``None``: the run's).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(f"state name must be an identifier string, got {name!r}")
    if not isinstance(sender, Role):
        raise TypeError(f"state {name!r}: sender must be a Role, got {sender!r}")
    receivers = tuple(to)
    for r in receivers:
        if not isinstance(r, Role):
            raise TypeError(f"state {name!r}: receivers must be Roles, got {r!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not (isinstance(timeout, int | float) and timeout > 0)
    ):
        raise TypeError(f"state {name!r}: timeout must be a positive number, got {timeout!r}")
    stack = _stack()
    group = stack[-1] if stack else None
    file, line = _caller()
    s: State[C] = State(name, sender, receivers, group, timeout, file, line)
    if group is not None:
        group.states.append(s)
    return s
