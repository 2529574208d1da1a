"""User code with planted mistakes: mypy --strict must report each line that ends in
an ``E:`` comment, with the error codes it lists.

Not run by pytest: ``test_typing.py`` type-checks this file. Lines with a ``GAP:``
comment are mistakes the current typing of the API cannot catch (the checker
catches some of them when the script is built); mypy must stay silent there, so
that a typing improvement shows up as a test to update.
"""

from __future__ import annotations

import troupe as tp


class Alice(tp.Context):
    counter: int = 0


class Bob(tp.Context):
    counter: int = 0


alice = tp.Role("alice", Alice)
bob = tp.Role("bob", Bob)

with tp.protocol("pingpong", alice, bob):
    ping = tp.state("Ping", alice, to=[bob])
    pong = tp.state("Pong", bob, to=[alice])
hit = ping.branch("ping", int, next=pong)
stop = ping.branch("stop", None, next=tp.Exit)
back = pong.branch("pong", int, next=ping)
maybe = pong.branch("maybe", int | None, next=ping)


# A receiver handler taking ``str`` for a ``Branch[int]``.
@hit.on(bob)  # E: arg-type
def got_ping(ctx: Bob, n: str) -> None:
    print(n)


# A decision typed for the wrong role's context (pong is sent by bob).
@pong.decide  # E: arg-type
def reply(ctx: Alice) -> tp.Message:
    return back(ctx.counter)


# A reaction typed for the wrong role's context (alice receives "pong").
@back.on(alice)  # E: arg-type
def got_pong(ctx: Bob, n: int) -> None:
    print(n)


# A decision that returns nothing.
@ping.decide  # E: arg-type
def serve_nothing(ctx: Alice) -> None:
    pass


def serve_str(ctx: Bob) -> tp.Message:
    return back("x")  # E: arg-type


def stop_with_payload(ctx: Alice) -> tp.Message:
    return stop(3)  # E: call-overload


def hit_without_payload(ctx: Alice) -> tp.Message:
    return hit()  # E: call-arg


def forgot_to_call(ctx: Alice) -> tp.Message:
    return hit  # E: return-value


sender_by_name = tp.state("Bad", "alice")  # E: arg-type, var-annotated
receiver_by_name = tp.state("Bad", alice, to=["bob"])  # E: list-item
wrong_context: tp.Role[Bob] = tp.Role("carol", Alice)  # E: arg-type
timeout_text = tp.state("Slow", alice, to=[bob], timeout="5")  # E: arg-type


# -- gaps: not caught by mypy today ---------------------------------------------------


def handmade(ctx: Alice) -> tp.Message:
    # ``Message`` is ``tuple[Branch[Any], Any]``: a hand-built tuple escapes the payload type.
    return (hit, "x")  # GAP: Message does not tie the payload to the branch


def other_state(ctx: Bob) -> tp.Message:
    # A decision of pong returning ping's branch: Message does not carry its state
    # (the checker reports T203 when the script is built).
    return hit(3)  # GAP: Message does not carry the state it belongs to


def optional_payload(ctx: Bob) -> tp.Message:
    # ``int | None`` is not a ``type[T]``, so the branch is a ``Branch[Any]``.
    return maybe("x")  # GAP: a union payload type makes Branch[Any]
