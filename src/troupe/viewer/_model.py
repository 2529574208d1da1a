"""Extract: a trace as a model every renderer reads (pure: no I/O here).

A trace is its header (the script's roles, protocols and states) and its
events. The model adds what the renderers need and the events only imply:

- every event's state as an id (events name states; names repeat across
  protocols, so an ambiguous name is resolved from where the role stands);
- **messages**: a ``send`` at the sender (peer = receiver) and the matching
  ``receive`` at the receiver (peer = sender), matched first-in first-out per
  ``(session, sender, receiver, state, branch)``; a notification likewise from
  a ``notify`` at the notifier and a ``notified`` at the external role. The
  two ends may come in either order (a runtime may stamp the receive first),
  and one may be missing when its session failed in between;
- **failures** (``fail`` events: session, role, state, error) and one summary
  per **session**;
- each role's **projection** read off the header: what the role does at each
  state (``send``, ``receive``, ``skip``, ``wait``, ``exit``).

Big traces are summarised rather than drawn whole: ``pair_counts`` and
``activity`` aggregate the messages, and the renderers cap what they draw.
"""

from __future__ import annotations

import bisect
import collections
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._trace import KINDS, TRACE_VERSION, Event
from ._errors import TraceError

__all__ = [
    "ACTIONS",
    "BranchRow",
    "Failure",
    "Header",
    "ProtocolRow",
    "SessionInfo",
    "StateResolver",
    "StateRow",
    "TraceMessage",
    "TraceModel",
    "build_model",
    "match_messages",
]

Action = Literal["send", "receive", "skip", "wait", "exit"]
ACTIONS: tuple[Action, ...] = ("send", "receive", "skip", "wait", "exit")
"""What a role can do at a state, as the projection says (``Action`` of ``troupe``, lower case)."""

MessageKind = Literal["message", "notify"]


@dataclass(frozen=True, slots=True)
class BranchRow:
    """A branch as the trace header lists it: label, next state id, whether it leaves."""

    label: str
    next: int
    leaves: bool


@dataclass(frozen=True, slots=True)
class StateRow:
    """A state as the trace header lists it.

    Attributes:
        id: the state id (``Exit`` has the last one).
        name: its name (``Ping[2]`` for a repeated protocol).
        protocol: id of its protocol, ``-1`` for ``Exit``.
        sender: the role that sends at it, ``None`` for ``Exit``.
        receivers: the roles it sends to.
        branches: its branches, in order.
    """

    id: int
    name: str
    protocol: int
    sender: str | None
    receivers: tuple[str, ...]
    branches: tuple[BranchRow, ...]


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    """A protocol instance: id, name and internal roles (the notifier first)."""

    id: int
    name: str
    roles: tuple[str, ...]


def _expect(cond: bool, source: str, what: str, got: object) -> None:
    if not cond:
        text = repr(got)
        if len(text) > 80:
            text = text[:77] + "..."
        raise TraceError(f"{source}: bad trace header: expected {what}, got {text}")


@dataclass(frozen=True)
class Header:
    """A trace header: the script's structure, enough to draw it and project it.

    Build one with ``Header.parse`` from the header line's JSON object.

    Attributes:
        script: the script's name.
        roles: the role names.
        protocols: the protocol instances, by id.
        states: the states, by id; the last is ``Exit``.
        raw: the header object as it was read.
    """

    script: str
    roles: tuple[str, ...]
    protocols: tuple[ProtocolRow, ...]
    states: tuple[StateRow, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    _by_name: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _exits: dict[int, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[int]] = collections.defaultdict(list)
        exits: dict[int, set[int]] = {p.id: set() for p in self.protocols}
        for s in self.states:
            by_name[s.name].append(s.id)
            for b in s.branches:
                if b.leaves:
                    exits.setdefault(s.protocol, set()).add(b.next)
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_exits", {k: tuple(sorted(v)) for k, v in exits.items()})

    @classmethod
    def parse(cls, raw: Mapping[str, Any], source: str = "trace") -> Header:
        """Check and read a header object (the first line of a trace file).

        Raises:
            TraceError: naming what was expected and what the header holds.
        """
        _expect(isinstance(raw, Mapping), source, "a JSON object", raw)
        _expect(raw.get("troupe_trace") == TRACE_VERSION, source,
                f'"troupe_trace": {TRACE_VERSION}', raw.get("troupe_trace"))
        script: Any = raw.get("script")
        _expect(isinstance(script, str), source, '"script": a name', script)
        roles: Any = raw.get("roles")
        _expect(isinstance(roles, list) and bool(roles) and all(isinstance(r, str) for r in roles)
                and len(set(roles)) == len(roles),
                source, '"roles": a list of distinct role names', roles)
        known = set(roles)
        protocols: list[ProtocolRow] = []
        for n, p in enumerate(raw.get("protocols") or []):
            _expect(isinstance(p, Mapping) and p.get("id") == n and isinstance(p.get("name"), str)
                    and isinstance(p.get("roles"), list) and set(p["roles"]) <= known,
                    source, f'protocol {n} as {{"id": {n}, "name", "roles"}}', p)
            protocols.append(ProtocolRow(n, p["name"], tuple(p["roles"])))
        raw_states: Any = raw.get("states")
        _expect(isinstance(raw_states, list) and bool(raw_states), source,
                '"states": a list of states ending with Exit', raw_states)
        states: list[StateRow] = []
        count = len(raw_states)
        for n, s in enumerate(raw_states):
            ok = (
                isinstance(s, Mapping) and s.get("id") == n and isinstance(s.get("name"), str)
                and isinstance(s.get("protocol"), int) and -1 <= s["protocol"] < len(protocols)
                and (s.get("sender") is None or s.get("sender") in known)
                and isinstance(s.get("receivers"), list) and set(s["receivers"]) <= known
                and isinstance(s.get("branches"), list)
            )
            _expect(ok, source, f'state {n} as {{"id": {n}, "name", "protocol", "sender", '
                    f'"receivers", "branches"}} naming known roles and protocols', s)
            branches = []
            for b in s["branches"]:
                _expect(isinstance(b, Mapping) and isinstance(b.get("label"), str)
                        and isinstance(b.get("next"), int) and 0 <= b["next"] < count,
                        source, f'a branch of state {n} as {{"label", "next", "leaves"}} with '
                        f"next in 0..{count - 1}", b)
                branches.append(BranchRow(b["label"], b["next"], bool(b.get("leaves"))))
            states.append(StateRow(n, s["name"], s["protocol"], s.get("sender"),
                                   tuple(s["receivers"]), tuple(branches)))
        return cls(script, tuple(roles), tuple(protocols), tuple(states), raw)

    @property
    def exit(self) -> int:
        """The id of ``Exit`` (the last state)."""
        return len(self.states) - 1

    def role_index(self, role: str) -> int:
        """The index of ``role`` in ``roles``; ``TraceError`` if the header has no such role."""
        try:
            return self.roles.index(role)
        except ValueError:
            raise TraceError(
                f"no role {role!r} in script {self.script!r}; expected one of: "
                f"{', '.join(self.roles)}"
            ) from None

    def ids_named(self, name: str) -> tuple[int, ...]:
        """The ids of the states called ``name`` (several when protocols reuse a name)."""
        return self._by_name.get(name, ())

    def exits(self, protocol: int) -> tuple[int, ...]:
        """The states outside ``protocol`` that its branches lead to."""
        return self._exits.get(protocol, ())

    def externals(self, protocol: int) -> tuple[str, ...]:
        """The roles that wait while control is inside ``protocol``."""
        if protocol < 0:
            return ()
        inside = set(self.protocols[protocol].roles)
        return tuple(r for r in self.roles if r not in inside)

    def notifier(self, protocol: int) -> str | None:
        """The internal role that tells the external roles where control goes (the first)."""
        if protocol < 0 or not self.protocols[protocol].roles:
            return None
        return self.protocols[protocol].roles[0]

    def action(self, role: str, state: int) -> Action:
        """What ``role`` does at ``state``: its projection's action there.

        ``send`` if it is the sender, ``receive`` if a receiver, ``wait`` if it
        is not an internal role of the state's protocol, else ``skip``;
        ``exit`` at ``Exit``.
        """
        s = self.states[state]
        if s.protocol < 0 or not s.branches:
            return "exit"
        if s.sender == role:
            return "send"
        if role in s.receivers:
            return "receive"
        if role not in self.protocols[s.protocol].roles:
            return "wait"
        return "skip"

    def successors(self, state: int, role: str | None = None) -> tuple[int, ...]:
        """Where control can go from ``state``: its branches' targets, or, for a
        role that waits there, the states its protocol can exit to."""
        s = self.states[state]
        if role is not None and self.action(role, state) == "wait":
            return self.exits(s.protocol)
        return tuple(dict.fromkeys(b.next for b in s.branches))

    def projection(self, role: str) -> tuple[int, ...]:
        """The states ``role`` can stand at, reached from the entry (its projection's nodes)."""
        self.role_index(role)
        seen: set[int] = set()
        todo = [0]
        while todo:
            s = todo.pop()
            if s not in seen:
                seen.add(s)
                todo.extend(self.successors(s, role))
        return tuple(sorted(seen))

    def state_name(self, state: int) -> str:
        """The name of state ``state``, or ``"-"`` for ``-1``."""
        return self.states[state].name if 0 <= state < len(self.states) else "-"


class StateResolver:
    """Turns the state names of events into state ids, following each role.

    A name is usually unique; when protocols reuse one, the candidate that
    fits where the role stands (a successor of its current state for
    ``enter``, its current state for ``send``/``receive``/``fail``, an exit of
    its protocol for ``notify``/``notified``) is chosen, else the first.
    """

    def __init__(self, header: Header) -> None:
        self.header = header
        self._at: dict[tuple[int, str], int] = {}

    def resolve(self, session: int, role: str, kind: str, name: str | None) -> int:
        """The id of the state ``name`` in an event of ``kind`` at ``role``; -1 for ``None``.

        Raises:
            TraceError: if the header has no state called ``name``.
        """
        h = self.header
        if name is None:
            sid = -1
        else:
            ids = h.ids_named(name)
            if not ids:
                raise TraceError(f"no state {name!r} in script {h.script!r}")
            sid = ids[0] if len(ids) == 1 else self._pick(ids, session, role, kind)
        if kind == "enter" and sid >= 0:
            self._at[session, role] = sid
        elif kind == "exit":
            self._at[session, role] = h.exit
            sid = h.exit if sid < 0 else sid
        return sid

    def _pick(self, ids: tuple[int, ...], session: int, role: str, kind: str) -> int:
        at = self._at.get((session, role))
        if at is None:
            return 0 if 0 in ids else ids[0]
        h = self.header
        if kind == "enter":
            fits: Iterable[int] = h.successors(at, role) + h.successors(at)
        elif kind in ("notify", "notified"):
            fits = h.exits(h.states[at].protocol)
        else:
            fits = (at,)
        for s in fits:
            if s in ids:
                return s
        return ids[0]


@dataclass(slots=True)
class TraceMessage:
    """One message (or notification), matched from its two ends.

    Attributes:
        session: the session it belongs to.
        sender: the role that sent it (the notifier for a notification).
        receiver: the role it went to (the external role for a notification).
        state: the state it was sent at (for a notification: the state
            control goes to).
        label: the branch label; ``None`` for a notification.
        kind: ``"message"`` or ``"notify"``.
        sent: time of the ``send`` (``notify``) event, ``None`` if absent.
        received: time of the ``receive`` (``notified``) event, ``None`` if absent.
    """

    session: int
    sender: str
    receiver: str
    state: int
    label: str | None
    kind: MessageKind
    sent: float | None = None
    received: float | None = None

    @property
    def start(self) -> float:
        """When the message appeared: the earlier of its two ends."""
        ends = [t for t in (self.sent, self.received) if t is not None]
        return min(ends)

    @property
    def end(self) -> float:
        """When it was over: the later of its two ends."""
        ends = [t for t in (self.sent, self.received) if t is not None]
        return max(ends)

    @property
    def matched(self) -> bool:
        """Whether both ends are in the trace (else its session failed in between)."""
        return self.sent is not None and self.received is not None


@dataclass(frozen=True, slots=True)
class Failure:
    """A ``fail`` event: ``role`` of ``session`` failed at ``state`` with ``error``."""

    t: float
    session: int
    role: str
    state: int
    error: str


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What one session did.

    Attributes:
        id: the session index.
        events: how many events it has.
        messages: how many messages and notifications.
        start: time of its first event.
        end: time of its last event.
        failures: its ``fail`` events.
        exited: the roles that reached ``Exit``.
    """

    id: int
    events: int
    messages: int
    start: float
    end: float
    failures: tuple[Failure, ...]
    exited: tuple[str, ...]

    @property
    def failed(self) -> bool:
        """Whether the session failed."""
        return bool(self.failures)


def match_messages(
    events: Sequence[Event], states: Sequence[int]
) -> list[TraceMessage]:
    """Pair ``send``/``receive`` and ``notify``/``notified`` events into messages.

    Ends are matched first-in first-out per ``(session, sender, receiver,
    state, branch)``, in whichever order they come; an end with no partner
    gives a message with the other end ``None``. Messages come in the order
    of their first end.

    Args:
        events: the events, in time order.
        states: each event's state id (see ``StateResolver``).
    """
    out: list[TraceMessage] = []
    waiting: dict[tuple[Any, ...], collections.deque[TraceMessage]] = {}
    for e, sid in zip(events, states, strict=True):
        kind = e.kind
        sender: str | None
        receiver: str | None
        if kind in ("send", "notify"):
            first = True
            sender, receiver = e.role, e.peer
        elif kind in ("receive", "notified"):
            first = False
            sender, receiver = e.peer, e.role
        else:
            continue
        if sender is None or receiver is None:
            continue
        is_note = kind in ("notify", "notified")
        label = None if is_note else e.branch
        # The side that came first waits under its own key; the other side looks there.
        key = (e.session, sender, receiver, sid, label, is_note)
        mine = (*key, first)
        theirs = (*key, not first)
        queue = waiting.get(theirs)
        if queue:
            m = queue.popleft()
            if first:
                m.sent = e.t
            else:
                m.received = e.t
            continue
        m = TraceMessage(e.session, sender, receiver, sid, label,
                         "notify" if is_note else "message",
                         e.t if first else None, None if first else e.t)
        out.append(m)
        waiting.setdefault(mine, collections.deque()).append(m)
    return out


@dataclass(frozen=True)
class TraceModel:
    """A trace ready to draw: header, sorted events, messages, failures, sessions.

    Build one with ``build_model`` (from a header and events) or
    ``troupe.viewer.load_trace`` (from a file); pick one session with
    ``select``.

    Attributes:
        header: the script's structure.
        events: every event, in time order (ties keep the file's order).
        states: the state id of each event (``-1`` where it has none).
        messages: the matched messages and notifications, by start time.
        failures: the ``fail`` events.
        sessions: one summary per session, by id.
        source: where the trace came from (a file name), for titles and errors.
        selected: ``None`` for every session, else the one session kept.
    """

    header: Header
    events: tuple[Event, ...]
    states: tuple[int, ...]
    messages: tuple[TraceMessage, ...]
    failures: tuple[Failure, ...]
    sessions: tuple[SessionInfo, ...]
    source: str = "trace"
    selected: int | None = None

    @property
    def duration(self) -> float:
        """Time of the last event (0 for an empty trace)."""
        return self.events[-1].t if self.events else 0.0

    @property
    def start(self) -> float:
        """Time of the first event (0 for an empty trace)."""
        return self.events[0].t if self.events else 0.0

    @property
    def ok(self) -> bool:
        """No session failed."""
        return not self.failures

    def session_ids(self) -> tuple[int, ...]:
        """The ids of the sessions in the trace, in order."""
        return tuple(s.id for s in self.sessions)

    def session_id(self, session: int | str) -> int:
        """The id of a session the trace has, from a number or its text.

        Raises:
            TraceError: if ``session`` is not a number, or the trace has no such session.
        """
        if isinstance(session, str):
            try:
                session = int(session)
            except ValueError:
                raise TraceError(f"expected a session number or 'all', got {session!r}") from None
        ids = self.session_ids()
        if session not in ids:
            shown = ", ".join(map(str, ids[:10])) + (", ..." if len(ids) > 10 else "")
            raise TraceError(f"{self.source}: no session {session}; the trace has sessions "
                             f"{shown or '(none)'}")
        return session

    def select(self, session: int | str | None) -> TraceModel:
        """This trace narrowed to one session.

        Args:
            session: a session id; ``None`` for the first session; ``"all"``
                to keep every session (returns the model itself).

        Raises:
            ViewerError: if the trace has no such session.
        """
        if session == "all":
            return self
        if session is None:
            if not self.sessions:
                return self
            session = self.sessions[0].id
        session = self.session_id(session)
        keep = [i for i, e in enumerate(self.events) if e.session == session]
        return TraceModel(
            self.header,
            tuple(self.events[i] for i in keep),
            tuple(self.states[i] for i in keep),
            tuple(m for m in self.messages if m.session == session),
            tuple(f for f in self.failures if f.session == session),
            tuple(s for s in self.sessions if s.id == session),
            self.source,
            session,
        )

    def final_states(self) -> dict[tuple[int, str], int]:
        """Where each ``(session, role)`` stood at the end (its last state id)."""
        at: dict[tuple[int, str], int] = {}
        for e, sid in zip(self.events, self.states, strict=True):
            if e.kind in ("enter", "exit") and sid >= 0:
                at[e.session, e.role] = sid
        return at

    def pair_counts(self) -> dict[tuple[str, str, str | None], int]:
        """Messages per ``(sender, receiver, label)``: the run at a glance, for big traces."""
        counts: collections.Counter[tuple[str, str, str | None]] = collections.Counter()
        for m in self.messages:
            counts[m.sender, m.receiver, m.label] += 1
        return dict(counts)

    def activity(self, bins: int = 200) -> list[int]:
        """Messages started in each of ``bins`` equal slices of ``[0, duration]``."""
        if bins <= 0:
            raise ValueError(f"bins must be positive, got {bins}")
        out = [0] * bins
        span = self.duration
        if span <= 0:
            out[0] = len(self.messages)
            return out
        for m in self.messages:
            out[min(bins - 1, max(0, math.floor(m.start / span * bins)))] += 1
        return out

    def sample_messages(self, limit: int) -> tuple[list[TraceMessage], int]:
        """At most ``limit`` messages to draw, the first ones, and how many were left out."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        kept = list(self.messages[:limit])
        return kept, len(self.messages) - len(kept)

    def messages_between(self, t0: float, t1: float) -> list[TraceMessage]:
        """The messages that start within ``[t0, t1]``."""
        starts = [m.start for m in self.messages]
        lo = bisect.bisect_left(starts, t0)
        hi = bisect.bisect_right(starts, t1)
        return list(self.messages[lo:hi])


def _check_event(header: Header, known: set[str], e: Event, where: str) -> None:
    if e.role not in known:
        raise TraceError(f"{where}: event at role {e.role!r}, which the header does not have; "
                         f"expected one of: {', '.join(header.roles)}")
    if e.kind not in KINDS:
        raise TraceError(f"{where}: expected an event kind of {', '.join(KINDS)}, "
                         f"got {e.kind!r}")
    if e.peer is not None and e.peer not in known:
        raise TraceError(f"{where}: event with peer {e.peer!r}, which the header does not "
                         f"have; expected one of: {', '.join(header.roles)}")


def build_model(
    header: Header | Mapping[str, Any], events: Iterable[Event], source: str = "trace"
) -> TraceModel:
    """Build the model of a trace from its header and events.

    Args:
        header: a ``Header``, or the header line's object.
        events: the events, in any order (they are sorted by time, stably).
        source: where the trace came from, for messages.

    Raises:
        TraceError: if the header is malformed, or an event names a role,
            kind, peer or state the header does not have.
    """
    h = header if isinstance(header, Header) else Header.parse(header, source)
    known = set(h.roles)
    evs: list[Event] = []
    for n, e in enumerate(events, start=2):
        _check_event(h, known, e, f"{source}:{n}")
        evs.append(e)
    evs.sort(key=lambda e: e.t)
    resolver = StateResolver(h)
    states: list[int] = []
    for e in evs:
        try:
            states.append(resolver.resolve(e.session, e.role, e.kind, e.state))
        except TraceError as err:
            raise TraceError(f"{source}: {err} (event {tuple(e)})") from None
    messages = match_messages(evs, states)
    failures = [Failure(e.t, e.session, e.role, sid, e.branch or "failed")
                for e, sid in zip(evs, states, strict=True) if e.kind == "fail"]
    return TraceModel(h, tuple(evs), tuple(states), tuple(messages), tuple(failures),
                      _sessions(evs, messages, failures), source)


def _sessions(
    events: Sequence[Event], messages: Sequence[TraceMessage], failures: Sequence[Failure]
) -> tuple[SessionInfo, ...]:
    count: collections.Counter[int] = collections.Counter()
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    exited: dict[int, list[str]] = collections.defaultdict(list)
    for e in events:
        count[e.session] += 1
        first.setdefault(e.session, e.t)
        last[e.session] = e.t
        if e.kind == "exit":
            exited[e.session].append(e.role)
    sent = collections.Counter(m.session for m in messages)
    failed: dict[int, list[Failure]] = collections.defaultdict(list)
    for f in failures:
        failed[f.session].append(f)
    return tuple(
        SessionInfo(s, count[s], sent[s], first[s], last[s], tuple(failed[s]),
                    tuple(dict.fromkeys(exited[s])))
        for s in sorted(count)
    )
