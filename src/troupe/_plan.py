"""What every runtime executes: a script's projection as flat tables.

``Plan`` lays the local machines out as lists indexed by ``[role][state]`` so a
runtime's loop does list lookups and integer compares only; it also prepares
contexts and checks messages a decision returns.
"""

from __future__ import annotations

import inspect
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ._compile import Script, script
from ._errors import Cancelled, MessageError, SessionFailed, Timeout
from ._outcome import Result
from ._project import Action
from ._script import Branch, Role, State

__all__ = ["NOTIFY", "Plan", "accepted_types", "plan_of", "resolve"]

SEND, RECEIVE, SKIP, WAIT, EXIT = (int(a) for a in Action)

NOTIFY = -1
"""Branch index of a notification (its payload is the next state id)."""


def plan_of(target: Script | State[Any]) -> Plan:
    """The ``Plan`` of a script (made once per Script, then reused by every run)."""
    s = resolve(target)
    if s.plan is None:
        s.plan = Plan(s)
    plan: Plan = s.plan
    return plan


def resolve(target: Script | State[Any]) -> Script:
    """A Script as given, or the script starting at an entry state."""
    if isinstance(target, Script):
        return target
    if isinstance(target, State):
        return script(target.name, target)
    raise TypeError(f"expected a troupe Script or an entry State, got {target!r}")


def accepted_types(payload: object) -> type | tuple[type, ...] | None:
    """What ``isinstance`` accepts for a payload type, or ``None`` to accept anything.

    A shallow check, cheap enough to run on every message: ``list[int]`` accepts
    any list. Network transports decode fully against the type.
    """
    if payload is None or payload is type(None):
        return type(None)
    if payload is float:
        return (float, int)
    supertype = getattr(payload, "__supertype__", None)
    if supertype is not None:  # typing.NewType
        return accepted_types(supertype)
    if typing.is_typeddict(payload):
        return dict
    origin = typing.get_origin(payload)
    if origin is typing.Annotated:
        return accepted_types(typing.get_args(payload)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[type] = []
        for arg in typing.get_args(payload):
            acc = accepted_types(arg)
            if acc is None:
                return None
            out.extend(acc if isinstance(acc, tuple) else (acc,))
        return tuple(out)
    if origin is typing.Literal:
        return None
    if isinstance(origin, type):
        return origin
    if isinstance(payload, type):
        return payload
    return None


def _type_name(payload: object) -> str:
    if payload is None:
        return "None"
    return getattr(payload, "__name__", None) or repr(payload)


class Plan:
    """A script's projection as flat lists, shared by all runtimes.

    Attributes:
        script: the script.
        nroles: number of roles.
        role_names: role names by id.
        state_names: state names by id (``Exit`` last).
        action: ``action[role][state]``: SEND/RECEIVE/SKIP/WAIT/EXIT as ints.
        peer: ``peer[role][state]``: the sender (RECEIVE) or notifier (WAIT).
        to: ``to[role][state]``: receivers (SEND).
        next: ``next[state][branch]``: next state id.
        notify: ``notify[role][state][branch]``: roles to notify after the branch.
        decide: ``decide[role][state]``: the decision (SEND) or ``None``.
        react: ``react[role][state][branch]``: the reaction or ``None``.
        accept: ``accept[state][branch]``: types ``isinstance`` accepts.
        branches: ``branches[state]``: the Branch objects (identity checks).
        labels: ``labels[state][branch]``: branch labels.
        timeout: ``timeout[state]``: per-state timeout or ``None``.
        context_classes: each role's context class, by role id.
        compiled: the ``inproc`` runtime's generated step function, once made.
    """

    def __init__(self, target: Script | State[Any]) -> None:
        s = resolve(target)
        self.script = s
        self.nroles = len(s.roles)
        self.role_names = [r.name for r in s.roles]
        self.state_names = [st.name for st in s.states]
        self.exit = s.exit
        self.next = [[b.next for b in st.branches] for st in s.states]
        self.accept = [[accepted_types(b.payload) for b in st.branches] for st in s.states]
        self.payload_names = [[_type_name(b.payload) for b in st.branches] for st in s.states]
        self.branches = [[b.branch for b in st.branches] for st in s.states]
        self.labels = [[b.label for b in st.branches] for st in s.states]
        self.timeout = [st.timeout for st in s.states]
        self.sender = [st.sender for st in s.states]
        self.state_objects = [st.state for st in s.states]
        self.action = [[int(step.action) for step in m.steps] for m in s.machines]
        self.peer = [[step.peer for step in m.steps] for m in s.machines]
        self.to = [[step.to for step in m.steps] for m in s.machines]
        self.notify = [[step.notify for step in m.steps] for m in s.machines]
        self.decide = [[step.decide for step in m.steps] for m in s.machines]
        self.react = [[step.react for step in m.steps] for m in s.machines]
        # A single-branch state with an empty payload needs no decision: its message is fixed.
        self.fixed: list[tuple[Branch[Any], Any] | None] = [
            (st.branches[0].branch, None)
            if len(st.branches) == 1 and st.branches[0].payload is None
            else None
            for st in s.states
        ]
        self.compiled: Callable[..., Any] | None = None
        self.context_classes = [r.context for r in s.roles]

    def async_handler(self) -> str | None:
        """Name and state of the first ``async def`` handler, or ``None``."""
        for r in range(self.nroles):
            for sid, fn in enumerate(self.decide[r]):
                if fn is not None and inspect.iscoroutinefunction(fn):
                    return f"decision {fn.__name__!r} of state {self.state_names[sid]!r}"
            for sid, per_branch in enumerate(self.react[r]):
                for fn in per_branch:
                    if fn is not None and inspect.iscoroutinefunction(fn):
                        return f"reaction {fn.__name__!r} at state {self.state_names[sid]!r}"
        return None

    # -- contexts ---------------------------------------------------------------------

    def contexts(self, given: Mapping[str, Any] | Mapping[Role[Any], Any] | None) -> list[Any]:
        """One context per role id: the given ones, others made with their class.

        Raises:
            TypeError: a context of the wrong type, an unknown role, or a missing
                context whose class cannot be built without arguments.
        """
        roles = self.script.roles
        if not given:
            try:
                return list(map(operator.call, self.context_classes))
            except TypeError:
                pass  # say which role below
        by_name: dict[str, Any] = {}
        for key, ctx in (given or {}).items():
            name = key.name if isinstance(key, Role) else key
            if name not in self.role_names:
                raise TypeError(
                    f"script {self.script.name!r} has no role {name!r} "
                    f"(roles: {', '.join(self.role_names)})"
                )
            by_name[name] = ctx
        out: list[Any] = []
        for role in roles:
            if role.name in by_name:
                ctx = by_name[role.name]
                if not isinstance(ctx, role.context):
                    raise TypeError(
                        f"context of role {role.name!r} must be a {role.context.__name__}, "
                        f"got {type(ctx).__name__}"
                    )
            else:
                try:
                    ctx = role.context()
                except TypeError as e:
                    raise TypeError(
                        f"no context given for role {role.name!r} and "
                        f"{role.context.__name__}() cannot be built without arguments: {e}"
                    ) from e
            out.append(ctx)
        return out

    # -- checks -----------------------------------------------------------------------

    def check_message(self, sid: int, role: int, msg: object) -> int:
        """The branch index of a decision's message, or raise ``MessageError``."""
        if type(msg) is tuple and len(msg) == 2:
            b = msg[0]
            if isinstance(b, Branch) and b.state is self.state_objects[sid]:
                acc = self.accept[sid][b.index]
                if acc is None or isinstance(msg[1], acc):
                    return b.index
        raise MessageError(self.describe_bad_message(sid, role, msg))

    def describe_bad_message(self, sid: int, role: int, msg: object) -> str:
        """Why ``msg`` is not a message of state ``sid`` (names expected and got)."""
        name = self.state_names[sid]
        expected = " | ".join(self.labels[sid])
        who = self.role_names[role]
        fn = self.decide[role][sid]
        by = f"decision {getattr(fn, '__name__', '?')!r}" if fn is not None else "the decision"
        if type(msg) is tuple and len(msg) == 2 and isinstance(msg[0], Branch):
            b: Branch[Any] = msg[0]
            if b.state is not self.state_objects[sid]:
                return (
                    f"{by} of state {name!r} ({who}) returned branch {b.label!r} of state "
                    f"{b.state.name!r}; expected a branch of {name!r} ({expected})"
                )
            got = msg[1]
            return (
                f"{by} of state {name!r} ({who}): branch {b.label!r} expects a payload of type "
                f"{self.payload_names[sid][b.index]}, got {type(got).__name__} {got!r:.60}"
            )
        if inspect.isawaitable(msg):
            return (
                f"{by} of state {name!r} ({who}) returned an awaitable; this runtime cannot "
                f"await handlers — use runtime='asyncio'"
            )
        return (
            f"{by} of state {name!r} ({who}) must return a message made by calling one of "
            f"its branches ({expected}), got {type(msg).__name__} {msg!r:.60}"
        )

    # -- outcomes ---------------------------------------------------------------------

    def failure(
        self, kind: type[SessionFailed], session: int, sid: int, role: int, cause: BaseException |
        None, text: str,
    ) -> SessionFailed:
        """Build the error every role of a failed session ends with."""
        state = self.state_names[sid] if 0 <= sid < len(self.state_names) else "?"
        who = self.role_names[role] if 0 <= role < self.nroles else "?"
        return kind(text, cause=cause, state=state, role=who, session=session)

    def handler_failure(
        self, session: int, sid: int, role: int, exc: BaseException
    ) -> SessionFailed:
        """The ``SessionFailed`` for a handler of ``role`` raising ``exc`` at ``sid``."""
        if isinstance(exc, SessionFailed):
            return exc
        state = self.state_names[sid]
        who = self.role_names[role]
        if isinstance(exc, MessageError):
            text = f"session {session} failed: {exc}"
        else:
            text = (
                f"session {session} failed at state {state!r}: handler of role {who!r} raised "
                f"{type(exc).__name__}: {exc}"
            )
        return SessionFailed(text, cause=exc, state=state, role=who, session=session)

    def wait_budget(
        self, sid: int, action: int, run_left: float | None
    ) -> tuple[float | None, bool]:
        """How long a role may wait at ``sid`` (``None``: for ever), and whether the run's
        deadline rather than the state's own timeout is what bounds it."""
        limit = self.timeout[sid] if action == RECEIVE else None
        if run_left is not None and (limit is None or run_left <= limit):
            return max(0.0, run_left), True
        return limit, False

    def timeout_failure(
        self, session: int, sid: int, waiter: int, waited_on: int, seconds: float, run: bool,
    ) -> Timeout:
        """The ``Timeout`` for ``waiter`` waiting too long on ``waited_on`` at ``sid``."""
        state = self.state_names[sid]
        scope = "run" if run else "state"
        text = (
            f"session {session} timed out at state {state!r}: role "
            f"{self.role_names[waiter]!r} waited {seconds:g}s ({scope} timeout) for role "
            f"{self.role_names[waited_on]!r}"
        )
        return Timeout(text, state=state, role=self.role_names[waited_on], session=session)

    def cancelled(self, session: int, sid: int, role: int) -> Cancelled:
        """The ``Cancelled`` error for a cancelled session."""
        state = self.state_names[sid] if 0 <= sid < len(self.state_names) else "?"
        return Cancelled(
            f"session {session} was cancelled at state {state!r}",
            state=state, role=self.role_names[role] if role >= 0 else "", session=session,
        )

    def result(
        self, session: int, contexts: list[Any], states: list[int],
        errors: list[SessionFailed | None],
    ) -> Result:
        """Pack per-role final contexts, states and errors into a ``Result``."""
        names = self.state_names
        return Result(
            session, self.role_names, contexts,
            [names[s] if 0 <= s < len(names) else "?" for s in states], errors,
        )

