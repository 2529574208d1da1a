"""The sans-IO endpoint of one role in one session.

Like h11's connection object: a ``RoleMachine`` knows the role's projection and
its current state and answers what to do next; it never does I/O and never
calls handlers. A runtime loop looks like this::

    m = RoleMachine(plan, role, session)
    while m.action != EXIT:
        if m.action == SEND:
            msg = decide(ctx)                       # the runtime calls handlers
            for dest, item in m.send(msg):          # validated, state advanced
                transport(dest, item)
        elif m.action == SKIP:
            for dest, item in m.skip(): transport(dest, item)
        else:                                       # RECEIVE or WAIT
            got = m.next_message()
            while got is None:
                m.feed(await inbox.get())           # early messages are kept
                got = m.next_message()
            ... react(ctx, payload) for a RECEIVE ...
            for dest, item in m.received(got): transport(dest, item)

An item is ``(sender, state, branch, payload)``; a notification is ``(sender,
NOTIFY, next_state, None)``. Messages between two roles keep their order, but a
role may get a message from a peer that ran ahead before the one it waits for:
``feed`` keeps such messages until the role reaches their state.
"""

from __future__ import annotations

from typing import Any

from ._errors import ProtocolViolation, SessionFailed
from ._outcome import Result
from ._plan import EXIT, NOTIFY, RECEIVE, SEND, SKIP, WAIT, Plan
from ._trace import Tracer

__all__ = [
    "EXIT", "NOTIFY", "RECEIVE", "SEND", "SKIP", "WAIT", "Item", "RoleMachine", "finish",
]

Item = tuple[int, int, int, Any]
"""``(sender, state, branch, payload)``; ``branch`` is the next state for a notification."""


class RoleMachine:
    """One role's position in one session, and what it must do there.

    Args:
        plan: the script's plan.
        role: the role id.
        session: the session index (for traces and errors).
        tracer: if given, the machine records every event of the role.
    """

    __slots__ = ("_stash", "action", "plan", "role", "session", "state", "tracer")

    def __init__(self, plan: Plan, role: int, session: int = 0, tracer: Tracer | None = None):
        self.plan = plan
        self.role = role
        self.session = session
        self.tracer = tracer
        self._stash: list[Item] = []
        self.state = 0
        self.action = plan.action[role][0]
        self._enter(0)

    def _enter(self, sid: int) -> None:
        self.state = sid
        self.action = self.plan.action[self.role][sid]
        tr = self.tracer
        if tr is not None:
            p = self.plan
            kind = "exit" if sid == p.exit else "enter"
            tr.event(self.session, p.role_names[self.role], kind, p.state_names[sid], None, None)

    def _moved(self, bi: int) -> list[tuple[int, Item]]:
        p = self.plan
        sid = self.state
        nsid = p.next[sid][bi]
        out = [(ext, (self.role, NOTIFY, nsid, None)) for ext in p.notify[self.role][sid][bi]]
        tr = self.tracer
        if tr is not None:
            me = p.role_names[self.role]
            for ext, _ in out:
                tr.event(self.session, me, "notify", p.state_names[nsid], None, p.role_names[ext])
        self._enter(nsid)
        return out

    # -- SEND / SKIP ------------------------------------------------------------------

    @property
    def decide(self) -> Any:
        """The decision to call at this SEND state, or ``None`` (fixed message)."""
        return self.plan.decide[self.role][self.state]

    def fixed_message(self) -> Any:
        """The message of a single-branch state with no payload (no decision needed)."""
        return self.plan.fixed[self.state]

    def send(self, msg: object) -> list[tuple[int, Item]]:
        """Take the decision's message: check it, move on, return what to send.

        Raises:
            MessageError: ``msg`` is not a message of this state.
        """
        if self.action != SEND:
            raise RuntimeError(f"send() at a {self.action} state")
        p = self.plan
        sid = self.state
        bi = p.check_message(sid, self.role, msg)
        payload = msg[1]  # type: ignore[index]
        item: Item = (self.role, sid, bi, payload)
        out = [(dest, item) for dest in p.to[self.role][sid]]
        tr = self.tracer
        if tr is not None:
            me = p.role_names[self.role]
            for dest, _ in out:
                tr.event(self.session, me, "send", p.state_names[sid], p.labels[sid][bi],
                         p.role_names[dest])
        return out + self._moved(bi)

    def skip(self) -> list[tuple[int, Item]]:
        """Move past a state this role takes no part in (one branch)."""
        if self.action != SKIP:
            raise RuntimeError(f"skip() at a {self.action} state")
        return self._moved(0)

    # -- RECEIVE / WAIT ---------------------------------------------------------------

    @property
    def waits_for(self) -> int:
        """The role this one waits on (the sender, or the notifier), or -1."""
        return self.plan.peer[self.role][self.state]

    def feed(self, item: Item) -> None:
        """Keep an item that arrived for this role (checked when it is its turn).

        Raises:
            ProtocolViolation: the item cannot belong to this script at all (bad
                state id or branch index, or a sender that never sends there).
        """
        p = self.plan
        sender, sid, bi, _ = item
        if sid == NOTIFY:
            if not (0 <= bi <= p.exit):
                raise ProtocolViolation(
                    f"session {self.session}, role {p.role_names[self.role]!r}: notification "
                    f"names state id {bi}, expected 0..{p.exit}"
                )
        elif not (0 <= sid < p.exit) or not (0 <= bi < len(p.next[sid])):
            raise ProtocolViolation(
                f"session {self.session}, role {p.role_names[self.role]!r}: message for state id "
                f"{sid} branch {bi} does not exist in script {p.script.name!r}"
            )
        elif p.sender[sid] != sender:
            raise ProtocolViolation(
                f"session {self.session}, role {p.role_names[self.role]!r}: state "
                f"{p.state_names[sid]!r} is sent by {p.role_names[p.sender[sid]]!r}, got a "
                f"message from {p.role_names[sender] if 0 <= sender < p.nroles else sender!r}"
            )
        self._stash.append(item)

    def next_message(self) -> Item | None:
        """The kept item this role can take now, or ``None`` if it must wait."""
        a = self.action
        sid = self.state
        if a == RECEIVE:
            for i, item in enumerate(self._stash):
                if item[1] == sid:
                    return self._stash.pop(i)
        elif a == WAIT:
            notifier = self.plan.peer[self.role][sid]
            for i, item in enumerate(self._stash):
                if item[1] == NOTIFY and item[0] == notifier:
                    return self._stash.pop(i)
        return None

    def reaction(self, item: Item) -> Any:
        """The reaction to call for a received message (``None`` if there is none)."""
        if item[1] == NOTIFY:
            return None
        return self.plan.react[self.role][self.state][item[2]]

    def received(self, item: Item) -> list[tuple[int, Item]]:
        """Move on past a message taken with ``next_message``; returns notifications."""
        p = self.plan
        tr = self.tracer
        sender, sid, bi, _ = item
        if sid == NOTIFY:
            if tr is not None:
                tr.event(self.session, p.role_names[self.role], "notified", p.state_names[bi],
                         None, p.role_names[sender])
            self._enter(bi)
            return []
        if tr is not None:
            tr.event(self.session, p.role_names[self.role], "receive", p.state_names[sid],
                     p.labels[sid][bi], p.role_names[sender])
        return self._moved(bi)


def finish(
    plan: Plan,
    session: int,
    ctxs: list[Any],
    machines: list[RoleMachine],
    err: SessionFailed | None,
    tracer: Tracer | None,
) -> Result:
    """The session's result: roles not at Exit end with ``err`` (traced as ``fail``)."""
    failed = [m.action != EXIT for m in machines]
    if err is not None and tracer is not None:
        for m in machines:
            if m.action != EXIT:
                tracer.event(session, plan.role_names[m.role], "fail", plan.state_names[m.state],
                             str(err), None)
    return plan.result(
        session, ctxs, [m.state for m in machines], [err if f else None for f in failed]
    )
