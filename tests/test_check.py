"""The checker: one minimal bad script per rule, located errors, and API argument errors.

Each bad script marks the line the diagnostic must point at with a ``# L:<tag>``
comment; ``line_of(tag)`` finds it in this file, so the expected line numbers
follow the source when it is edited.
"""

from __future__ import annotations

import pickle
import re
import typing
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

import troupe as tp
from troupe._check import CODES, payload_problem

SOURCE = Path(__file__).read_text().splitlines()


def line_of(tag: str) -> int:
    """The line of this file marked ``# L:<tag>`` (exactly one)."""
    marker = re.compile(rf"#\s*L:{re.escape(tag)}\b")
    found = [i for i, text in enumerate(SOURCE, start=1) if marker.search(text)]
    assert len(found) == 1, f"marker L:{tag} must appear exactly once, found at {found}"
    return found[0]


FILE = line_of.__code__.co_filename  # this file, as the checker sees it


class A(tp.Context):
    n: int = 0


class B(tp.Context):
    n: int = 0


class C(tp.Context):
    n: int = 0


a = tp.Role("a", A)
b = tp.Role("b", B)
c = tp.Role("c", C)


class Point(msgspec.Struct):
    x: int
    y: int


class Plain:
    """A class msgspec cannot encode."""


# The stable names, written out here so that a renamed rule fails a test.
RULE_NAMES = {
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


def test_codes_table_is_stable() -> None:
    assert CODES == RULE_NAMES


# -- one minimal bad script per rule -------------------------------------------------
#
# Each builder returns the entry state. ``CASES`` gives, per code: the builder, the
# state and protocol its message must name (``None`` where the rule is not about one
# state), the marker of the line it must point at, and codes that necessarily come
# with it (a state with no branches cannot reach Exit, ...).


def bad_t101() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", c, to=[b])  # L:T101
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t102() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[c])  # L:T102
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t103() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a)  # L:T103
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t104() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b, b])  # L:T104
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t105() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b, a])  # L:T105
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t106() -> tp.State[Any]:
    with tp.protocol("trio", a, b, c):
        s = tp.state("Serve", a, to=[b])  # L:T106
    left = s.branch("left", None, next=tp.Exit)
    s.branch("right", None, next=tp.Exit)

    @s.decide
    def pick(ctx: A) -> tp.Message:
        return left()

    return s


def bad_t107() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
        lost = tp.state("Lost", a, to=[b])  # L:T107
    s.branch("done", None, next=tp.Exit)
    lost.branch("done", None, next=tp.Exit)
    return s


def bad_t108() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
        end = tp.state("End", b, to=[a])  # L:T108
    s.branch("go", None, next=end)
    return s


def bad_t109() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    go = s.branch("go", None, next=tp.Exit)
    s.branch("go", int, next=tp.Exit)  # L:T109

    @s.decide
    def pick(ctx: A) -> tp.Message:
        return go()

    return s


def bad_t110() -> tp.State[Any]:
    # c starts the script outside any protocol, then waits while a and b loop forever.
    start = tp.state("Start", c, to=[a, b])
    with tp.protocol("loop", a, b):
        spin = tp.state("Spin", a, to=[b])  # L:T110
    start.branch("go", None, next=spin)
    spin.branch("again", None, next=spin)
    return start


def bad_t111() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
        twin = tp.state("Serve", b, to=[a])  # L:T111
    s.branch("go", None, next=twin)
    twin.branch("done", None, next=tp.Exit)
    return s


def bad_t112() -> tp.State[Any]:
    with tp.protocol("duo", a, b, a):  # L:T112
        s = tp.state("Serve", a, to=[b])
    s.branch("done", None, next=tp.Exit)
    return s


def bad_t201() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])  # L:T201
    s.branch("count", int, next=tp.Exit)
    return s


def bad_t202() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    done = s.branch("done", None, next=tp.Exit)

    @done.on(a)  # L:T202
    def heard(ctx: A, payload: None) -> None:
        pass

    return s


def bad_t203() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
        t = tp.state("Return", b, to=[a])
    s.branch("count", int, next=t)
    end = t.branch("end", None, next=tp.Exit)

    @s.decide  # L:T203
    def pick(ctx: A) -> tp.Message:
        return end()

    return s


def bad_t204() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    done = s.branch("done", None, next=tp.Exit)

    @done.on(b)  # type: ignore[arg-type]  # L:T204
    def heard(ctx: B) -> None:
        pass

    return s


def bad_t205() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    count = s.branch("count", int, next=tp.Exit)

    @s.decide
    def first(ctx: A) -> tp.Message:
        return count(1)

    @s.decide  # L:T205
    def second(ctx: A) -> tp.Message:
        return count(2)

    return s


def bad_t301() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    s.branch("blob", object, next=tp.Exit)  # L:T301

    @s.decide
    def pick(ctx: A) -> tp.Message:
        return (s.branches[0], None)

    return s


def bad_t302() -> tp.State[Any]:
    other_a = tp.Role("a", A)  # L:T302
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    with tp.protocol("again", other_a, b):
        t = tp.state("Again", other_a, to=[b])
    s.branch("go", None, next=t)
    t.branch("done", None, next=tp.Exit)
    return s


def bad_w401() -> tp.State[Any]:
    with tp.protocol("duo", a, b):
        s = tp.state("Forever", a, to=[b])  # L:W401
    s.branch("again", None, next=s)
    return s


Case = tuple[Callable[[], tp.State[Any]], str | None, str, frozenset[str]]

CASES: dict[str, Case] = {
    "T101": (bad_t101, "Serve", "duo", frozenset()),
    "T102": (bad_t102, "Serve", "duo", frozenset()),
    "T103": (bad_t103, "Serve", "duo", frozenset()),
    "T104": (bad_t104, "Serve", "duo", frozenset()),
    "T105": (bad_t105, "Serve", "duo", frozenset()),
    "T106": (bad_t106, "Serve", "trio", frozenset()),
    "T107": (bad_t107, "Lost", "duo", frozenset()),
    "T108": (bad_t108, "End", "duo", frozenset({"W401"})),
    "T109": (bad_t109, "Serve", "duo", frozenset()),
    "T110": (bad_t110, "Spin", "loop", frozenset({"W401"})),
    "T111": (bad_t111, "Serve", "duo", frozenset()),
    "T112": (bad_t112, None, "duo", frozenset()),
    "T201": (bad_t201, "Serve", "duo", frozenset()),
    "T202": (bad_t202, "Serve", "duo", frozenset()),
    "T203": (bad_t203, "Serve", "duo", frozenset()),
    "T204": (bad_t204, "Serve", "duo", frozenset()),
    "T205": (bad_t205, "Serve", "duo", frozenset()),
    "T301": (bad_t301, "Serve", "duo", frozenset()),
    "T302": (bad_t302, None, "", frozenset()),
    "W401": (bad_w401, "Forever", "duo", frozenset()),
}


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(CODES)


def _errors_of(entry: tp.State[Any]) -> list[tp.Diagnostic]:
    with pytest.raises(tp.ScriptError) as info:
        tp.script("bad", entry)
    return info.value.diagnostics


@pytest.mark.parametrize("code", sorted(c for c in CASES if c.startswith("T")))
def test_error_rule(code: str) -> None:
    build, state, protocol, companions = CASES[code]
    diagnostics = _errors_of(build())
    assert {d.code for d in diagnostics} == {code} | companions, diagnostics
    [d] = [d for d in diagnostics if d.code == code]
    assert d.name == RULE_NAMES[code]
    assert d.severity == "error"
    assert d.file == FILE
    assert d.line == line_of(code)
    if state is not None:
        assert f"state {state!r}" in d.message or f"state(s) {state!r}" in d.message
    if protocol:
        assert f"protocol {protocol!r}" in d.message
    # The same findings, without raising.
    assert tp.diagnose("bad", build()) != []
    assert [x.code for x in tp.diagnose("bad", build())] == [x.code for x in diagnostics]


def test_warning_rule_w401() -> None:
    with pytest.warns(tp.ScriptWarning, match=r"W401 exit-unreachable: .*cannot reach Exit"):
        built = tp.script("forever", bad_w401())
    [d] = built.warnings
    assert (d.code, d.name, d.severity) == ("W401", "exit-unreachable", "warning")
    assert (d.file, d.line) == (FILE, line_of("W401"))
    assert "state 'Forever' of protocol 'duo'" in d.message
    assert tp.diagnose("forever", bad_w401()) == [d]


def test_warning_is_reported_by_file_and_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tp.script("forever", bad_w401())
    [w] = [w for w in caught if issubclass(w.category, tp.ScriptWarning)]
    assert str(w.message).startswith(f"{FILE}:{line_of('W401')}: W401 exit-unreachable: ")


def test_script_error_lists_errors_and_keeps_warnings_in_diagnostics() -> None:
    # Forever loops (W401) and has a payload without a decision (T201).
    with tp.protocol("duo", a, b):
        s = tp.state("Forever", a, to=[b])
    s.branch("again", int, next=s)
    with pytest.raises(tp.ScriptError) as info:
        tp.script("bad", s)
    err = info.value
    assert sorted(d.code for d in err.diagnostics) == ["T201", "W401"]
    assert str(err).startswith("script 'bad' has 1 error:\n")
    assert "T201" in str(err)
    assert "W401" not in str(err)


# -- messages: wording pinned ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "pattern"),
    [
        ("T101", r"^state 'Serve' of protocol 'duo': sender 'c' is not an internal role of the "
                 r"protocol \(internal: \{a, b\}\)$"),
        ("T102", r"receiver 'c' is not an internal role of the protocol \(internal: \{a, b\}\)$"),
        ("T103", r"no receivers, but the protocol has 2 internal roles \{a, b\}$"),
        ("T104", r"receiver 'b' is listed more than once$"),
        ("T105", r"sender 'a' is also listed as a receiver$"),
        ("T106", r"has 2 branches \(left \| right\) but does not send to internal role\(s\) "
                 r"\{c\}, which could not know which way the script went$"),
        ("T107", r"^state 'Lost' of protocol 'duo' is not reachable from the entry 'Serve'$"),
        ("T108", r"^state 'End' of protocol 'duo' has no branches"),
        ("T109", r"branch label 'go' is used more than once$"),
        ("T110", r"^protocol 'loop' has external role\(s\) \{c\} waiting for it to end, but "
                 r"control never leaves it from state\(s\) 'Spin'$"),
        ("T111", r"^state 'Serve' of protocol 'duo' is defined more than once"),
        ("T112", r"^protocol 'duo' lists internal role 'a' twice$"),
        ("T201", r"needs a decision for its sender 'a' to choose a branch \(count\) and give "
                 r"its payload: add @serve\.decide$"),
        ("T202", r"^reaction 'heard' on branch 'done' of state 'Serve' of protocol 'duo' is "
                 r"for role 'a', which does not receive it \(receivers: \{b\}\)$"),
        ("T203", r"^decision 'pick' of state 'Serve' of protocol 'duo' uses branch 'end' of "
                 r"state 'Return'; it may only return branches of its own state \(count\)$"),
        ("T204", r"^reaction 'heard' on branch 'done' of .* must take two arguments "
                 r"\(ctx, payload\)$"),
        ("T205", r"^state 'Serve' of protocol 'duo' has 2 decisions; keep one$"),
        ("T301", r"^payload of branch 'blob' of state 'Serve' of protocol 'duo' is not "
                 r"serialisable: object cannot be encoded"),
        ("T302", r"^role name 'a' is used by two different Role objects \(first defined at "
                 rf"{re.escape(FILE)}:\d+\)$"),
    ],
)
def test_message_wording(code: str, pattern: str) -> None:
    build = CASES[code][0]
    [d] = [d for d in _errors_of(build()) if d.code == code]
    assert re.search(pattern, d.message), d.message


def test_role_conflict_names_both_contexts_and_the_first_definition() -> None:
    other = tp.Role("a", B)  # L:conflict-ctx
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    with tp.protocol("again", other, b):
        t = tp.state("Again", other, to=[b])
    s.branch("go", None, next=t)
    t.branch("done", None, next=tp.Exit)
    [d] = [d for d in _errors_of(s) if d.code == "T302"]
    assert d.line == line_of("conflict-ctx")
    assert "with context B instead of A" in d.message
    assert f"(first defined at {a.file}:{a.line})" in d.message


def test_decision_with_wrong_arity() -> None:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    count = s.branch("count", int, next=tp.Exit)

    @s.decide  # type: ignore[arg-type]  # L:decide-arity
    def pick(ctx: A, extra: int) -> tp.Message:
        return count(extra)

    [d] = _errors_of(s)
    assert (d.code, d.line) == ("T204", line_of("decide-arity"))
    assert re.search(r"^decision 'pick' of state 'Serve' .* must take one argument \(ctx\)$",
                     d.message)


def test_duplicate_reaction_points_at_the_second_one() -> None:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    done = s.branch("done", None, next=tp.Exit)

    @done.on(b)
    def once(ctx: B, payload: None) -> None:
        pass

    @done.on(b)  # L:dup-reaction
    def twice(ctx: B, payload: None) -> None:
        pass

    [d] = _errors_of(s)
    assert (d.code, d.line) == ("T205", line_of("dup-reaction"))
    assert d.message == (
        "branch 'done' of state 'Serve' of protocol 'duo' has more than one reaction for role 'b'"
    )


def test_handlers_with_defaults_and_varargs_are_accepted() -> None:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    count = s.branch("count", int, next=tp.Exit)

    @s.decide
    def pick(ctx: A, scale: int = 2) -> tp.Message:
        return count(scale)

    @count.on(b)
    def heard(*args: object) -> None:
        pass

    assert tp.diagnose("ok", s) == []


def test_states_outside_protocols_belong_to_the_script() -> None:
    s = tp.state("Alone", a)  # L:root-state
    s.branch("count", int, next=tp.Exit)
    [d] = _errors_of(s)
    assert d.code == "T201"
    assert d.line == line_of("root-state")
    assert "state 'Alone' of protocol 'solo'" in tp.diagnose("solo", s)[0].message


def test_duplicate_state_names_outside_protocols() -> None:
    # States written outside any ``with tp.protocol`` form the script's root protocol,
    # so the duplicate-state rule holds there too.
    first = tp.state("Step", a)
    again = tp.state("Step", a)  # L:root-dup
    first.branch("go", None, next=again)
    again.branch("end", None, next=tp.Exit)
    [d] = _errors_of(first)
    assert (d.code, d.line) == ("T111", line_of("root-dup"))
    assert "state 'Step' of protocol 'bad'" in d.message


def test_multi_line_state_points_at_its_first_line() -> None:
    with tp.protocol("duo", a, b):
        s = tp.state(  # L:multi-line
            "Serve",
            c,
            to=[b],
        )
    s.branch("done", None, next=tp.Exit)
    [d] = _errors_of(s)
    assert (d.code, d.line) == ("T101", line_of("multi-line"))


def test_reaction_for_a_twin_role_is_a_role_conflict() -> None:
    # A second Role object named "b", used only to register a reaction: the rule
    # "one role name, one Role object" is broken. Reporting only T202 ("is for role 'b',
    # which does not receive it (receivers: {b})") would leave the user puzzled.
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
    done = s.branch("done", None, next=tp.Exit)
    twin = tp.Role("b", B)  # L:twin

    @done.on(twin)
    def heard(ctx: B, payload: None) -> None:
        pass

    codes = {d.code: d for d in _errors_of(s)}
    assert "T302" in codes, list(codes.values())
    assert codes["T302"].line == line_of("twin")


DECISION_READS_AN_ATTRIBUTE = """
import troupe as tp

class Tally(tp.Context):
    count: int = 0

a = tp.Role("a", Tally)
b = tp.Role("b", Tally)
with tp.protocol("duo", a, b):
    serve = tp.state("Serve", a, to=[b])
    reply = tp.state("Reply", b, to=[a])
count = serve.branch("count", int, next=reply)
done = reply.branch("done", int, next=tp.Exit)

@serve.decide
def pick(ctx):
    return count(1)

@reply.decide
def finish(ctx):
    return done(ctx.count)  # the attribute ctx.count, not the branch ``count``
"""


def test_decision_reading_an_attribute_named_like_a_global_branch_is_fine() -> None:
    # Module-level scripts (as the examples write them) keep their branches in globals.
    # A decision of Reply that reads ``ctx.count`` does not use Serve's branch ``count``.
    namespace: dict[str, Any] = {"__name__": "attribute_script"}
    exec(compile(DECISION_READS_AN_ATTRIBUTE, "attribute_script.py", "exec"), namespace)
    assert tp.diagnose("tally", namespace["serve"]) == []


def test_decision_using_a_global_branch_of_another_state_is_found() -> None:
    source = DECISION_READS_AN_ATTRIBUTE.replace("done(ctx.count)", "count(ctx.count)")
    namespace: dict[str, Any] = {"__name__": "foreign_script"}
    exec(compile(source, "foreign_script.py", "exec"), namespace)
    [d] = tp.diagnose("tally", namespace["serve"])
    assert d.code == "T203"
    assert "uses branch 'count' of state 'Serve'" in d.message


def test_script_error_survives_pickling() -> None:
    # Runtimes that use worker processes send errors between processes.
    with pytest.raises(tp.ScriptError) as info:
        tp.script("three", three_mistakes())
    err = info.value
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is tp.ScriptError
    assert again.diagnostics == err.diagnostics
    assert str(again) == str(err)


# -- several mistakes at once ---------------------------------------------------------


def three_mistakes() -> tp.State[Any]:
    # Outside any protocol: the script's root protocol, whose internal roles are all roles.
    # The mistakes are written in a different order from the one the checks run in.
    first = tp.state("First", a, to=[b, c])
    third = tp.state("Third", c, to=[a, b])  # L:three-no-decide
    first.branch("blob", Plain, next=third)  # L:three-payload
    second = tp.state("Second", b, to=[c, c])  # L:three-dup-receiver
    third.branch("n", int, next=second)
    second.branch("on", None, next=tp.Exit)

    @first.decide
    def pick(ctx: A) -> tp.Message:
        return (first.branches[0], Plain())

    return first


def test_all_errors_are_reported_together_sorted_by_location() -> None:
    with pytest.raises(tp.ScriptError) as info:
        tp.script("three", three_mistakes())
    err = info.value
    got = [(d.code, d.line) for d in err.diagnostics]
    # The checks find T104 first and T301 last; the report is in source order.
    assert got == [
        ("T201", line_of("three-no-decide")),
        ("T301", line_of("three-payload")),
        ("T104", line_of("three-dup-receiver")),
    ]
    assert err.script == "three"
    text = str(err)
    lines = text.splitlines()
    assert lines[0] == "script 'three' has 3 errors:"
    assert lines[1:] == [f"  {d}" for d in err.diagnostics]
    for d in err.diagnostics:
        assert f"{FILE}:{d.line}: {d.code} {d.name}: " in text


def test_diagnose_is_sorted_by_file_then_line() -> None:
    found = tp.diagnose("three", three_mistakes())
    keys = [(d.file, d.line) for d in found]
    assert keys == sorted(keys)
    assert len(found) == 3


def test_diagnostic_str_is_file_line_code_name_message() -> None:
    d = tp.Diagnostic("T101", "sender-not-internal", "what", "f.py", 7)
    assert str(d) == "f.py:7: T101 sender-not-internal: what"
    assert d.severity == "error"


def test_script_error_is_a_troupe_error() -> None:
    assert issubclass(tp.ScriptError, tp.TroupeError)
    err = tp.ScriptError("x", [tp.Diagnostic("T101", "sender-not-internal", "m", "f.py", 1)])
    assert str(err) == "script 'x' has 1 error:\n  f.py:1: T101 sender-not-internal: m"


def test_a_good_script_has_no_diagnostics() -> None:
    with tp.protocol("duo", a, b):
        s = tp.state("Serve", a, to=[b])
        t = tp.state("Return", b, to=[a])
    count = s.branch("count", int, next=t)
    s.branch("stop", None, next=tp.Exit)
    back = t.branch("back", int, next=s)

    @s.decide
    def pick(ctx: A) -> tp.Message:
        return count(ctx.n)

    @t.decide
    def reply(ctx: B) -> tp.Message:
        return back(ctx.n + 1)

    @count.on(b)
    def heard(ctx: B, n: int) -> None:
        ctx.n = n

    assert tp.diagnose("good", s) == []
    assert tp.script("good", s).warnings == ()


# -- payload types --------------------------------------------------------------------


class Color(msgspec.Struct):
    name: str
    shade: list[int]


class Holder(msgspec.Struct):
    thing: Plain


@pytest.mark.parametrize(
    "payload",
    [
        None, bool, int, float, str, bytes, list[int], dict[str, list[float]],
        tuple[int, ...], tuple[int, str], int | None, typing.Optional[str],  # noqa: UP045
        typing.Literal["a", "b"], Point, Color, set[str], frozenset[int],
    ],
)
def test_serialisable_payloads(payload: object) -> None:
    assert payload_problem(payload) is None
    if payload is not None:
        msgspec.msgpack.Decoder(payload)  # what the checker accepts, msgspec can decode


class PointTuple(typing.NamedTuple):
    x: int
    y: int


class PointDict(typing.TypedDict):
    x: int
    y: int


UserId = typing.NewType("UserId", int)


@pytest.mark.parametrize(
    ("payload", "value"),
    [(PointTuple, PointTuple(1, 2)), (PointDict, {"x": 1, "y": 2}), (UserId, UserId(3))],
    ids=["NamedTuple", "TypedDict", "NewType"],
)
def test_payload_types_msgspec_encodes_are_accepted(payload: object, value: object) -> None:
    # msgspec encodes and decodes these (checked here), so T301 must not reject them.
    decoded = msgspec.msgpack.Decoder(payload).decode(msgspec.msgpack.encode(value))
    assert decoded == value
    assert payload_problem(payload) is None


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        (object, r"^object cannot be encoded; use None, bool, int"),
        (Plain, r"^Plain cannot be encoded"),
        (list[Plain], r"^Plain cannot be encoded"),
        (dict[str, object], r"^object cannot be encoded"),
        (int | Plain, r"^Plain cannot be encoded"),
        (Holder, r"^field 'thing' of Holder: Plain cannot be encoded"),
        (typing.Callable[[int], int], r"is not a supported payload type$"),
        (3, r"^3 is not a type$"),
        ("int", r"^'int' is not a type$"),
    ],
)
def test_unserialisable_payloads(payload: object, pattern: str) -> None:
    problem = payload_problem(payload)
    assert problem is not None
    assert re.search(pattern, problem), problem


# -- API argument errors --------------------------------------------------------------


def test_role_arguments() -> None:
    with pytest.raises(TypeError, match=r"^role name must be an identifier string, got 'no way'$"):
        tp.Role("no way", A)
    with pytest.raises(TypeError, match=r"role name must be an identifier string, got 3"):
        tp.Role(3, A)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^context of role 'a' must be a class, got 'A'$"):
        tp.Role("a", "A")  # type: ignore[arg-type]


def test_state_arguments() -> None:
    with pytest.raises(TypeError, match=r"^state 'S': sender must be a Role, got 'a'$"):
        tp.state("S", "a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^state 'S': receivers must be Roles, got 'b'$"):
        tp.state("S", a, to=["b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^state name must be an identifier string, got '1st'$"):
        tp.state("1st", a)
    with pytest.raises(TypeError, match=r"state name must be an identifier string, got None"):
        tp.state(None, a)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [-1, 0, -0.5, "5", float("nan"), True])
def test_state_timeout_must_be_a_positive_number(timeout: object) -> None:
    with pytest.raises(TypeError, match=r"^state 'S': timeout must be a positive number, got "):
        tp.state("S", a, timeout=timeout)  # type: ignore[arg-type]


def test_state_timeout_accepted() -> None:
    assert tp.state("S", a, timeout=2).timeout == 2
    assert tp.state("S", a, timeout=0.25).timeout == 0.25
    assert tp.state("S", a).timeout is None


def test_branch_arguments() -> None:
    s = tp.state("S", a)
    with pytest.raises(
        TypeError, match=r"^branch label of state 'S' must be an identifier string, got 'a-b'$"
    ):
        s.branch("a-b", None, next=tp.Exit)
    with pytest.raises(
        TypeError, match=r"^branch 'go' of state 'S': next must be a State or Exit, got 'T'$"
    ):
        s.branch("go", None, next="T")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"next must be a State or Exit, got None"):
        s.branch("go", None, next=None)  # type: ignore[call-overload]
    assert s.branches == []


def test_exit_has_no_branches() -> None:
    with pytest.raises(TypeError, match=r"^Exit is terminal: it cannot have branches$"):
        tp.Exit.branch("again", None, next=tp.Exit)
    assert tp.Exit.branches == []


def test_on_expects_a_role() -> None:
    s = tp.state("S", a)
    go = s.branch("go", None, next=tp.Exit)
    with pytest.raises(TypeError, match=r"^branch 'go': on\(\) expects a Role, got 'b'$"):
        go.on("b")  # type: ignore[arg-type]


def test_protocol_arguments() -> None:
    # The arguments are checked when the ``with`` block is entered.
    with pytest.raises(TypeError, match=r"^protocol name must be a non-empty string, got ''$"):
        tp.protocol("", a).__enter__()
    with pytest.raises(TypeError, match=r"^protocol 'p' needs at least one internal role$"):
        tp.protocol("p").__enter__()
    with pytest.raises(TypeError, match=r"^protocol 'p': expected Role objects, got 'a'$"):
        tp.protocol("p", "a").__enter__()  # type: ignore[arg-type]
    # A failed ``with`` leaves no protocol open: the next state belongs to the script.
    assert tp.state("Free", a).protocol is None


def test_script_entry_must_be_a_state() -> None:
    with pytest.raises(TypeError, match=r"^script 'x': entry must be a State, got 'Start'$"):
        tp.script("x", "Start")  # type: ignore[arg-type]


def test_diagnostics_name_the_protocol_instance() -> None:
    # A factory used twice, broken in its second instance only: the message says which.
    class X(tp.Context):
        pass

    p, q = tp.Role("p", X), tp.Role("q", X)

    def twice(then: tp.Next, bad: bool) -> tp.Next:
        with tp.protocol("duo", p, q):
            s = tp.state("Go", p, to=[] if bad else [q])
        s.branch("go", None, next=then)
        return s

    entry = twice(twice(tp.Exit, bad=True), bad=False)
    found = [d for d in tp.diagnose("two", entry) if d.code == "T103"]
    assert len(found) == 1
    assert "state 'Go[2]' of protocol 'duo[2]'" in found[0].message
