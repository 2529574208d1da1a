"""The ``troupe`` command: ``check`` and ``graph``, in process and as ``python -m troupe``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from troupe import __version__
from troupe._load import LoadError, load, parse_target
from troupe.cli import main

ROOT = Path(__file__).resolve().parent.parent
PINGPONG = str(ROOT / "examples" / "pingpong.py")
PINGPONG_OK = "pingpong: 2 roles, 3 states, 3 branches — ok"

TINY = """\
import troupe as tp


class C(tp.Context):
    n: int = 0


def duet(name: str) -> tp.Script:
    a, b = tp.Role("a", C), tp.Role("b", C)
    with tp.protocol(name, a, b):
        hello = tp.state("Hello", a, to=[b])
    hello.branch("bye", None, next=tp.Exit)
    return tp.script(name, hello)
"""

BROKEN = """\
import troupe as tp


class C(tp.Context):
    n: int = 0


a, b, c, d = tp.Role("a", C), tp.Role("b", C), tp.Role("c", C), tp.Role("d", C)

with tp.protocol("broken", a, b, d):
    ask = tp.state("Ask", c, to=[a, b, d])  # T101: c is not one of the protocol's roles
    pick = tp.state("Pick", a, to=[b])  # T106: two branches, but d is not told which
    done = tp.state("Done", b, to=[a, d])
ask.branch("go", None, next=pick)
x = pick.branch("x", None, next=done)
pick.branch("y", None, next=done)
end = done.branch("end", object, next=tp.Exit)  # T301: object cannot be sent


@pick.decide
def choose(ctx: C) -> tp.Message:
    return x()


@done.decide
def finish(ctx: C) -> tp.Message:
    return end(None)


script = tp.script("broken", ask)
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def line_of(path: Path, marker: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return n
    raise AssertionError(f"{marker!r} not in {path}")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- check ------------------------------------------------------------------------


def test_check_valid_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", PINGPONG], capsys)
    assert (code, out, err) == (0, PINGPONG_OK + "\n", "")


def test_check_projection(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", PINGPONG, "--projection"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == PINGPONG_OK
    assert "pingpong: states" in lines
    assert "alice: projection (role 0 of pingpong)" in lines
    assert "bob: projection (role 1 of pingpong)" in lines
    assert any(line.startswith("[0] Ping  RECEIVE  from alice; ping (int) -> [1] Pong")
               for line in lines)


def test_check_three_located_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "broken.py", BROKEN)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "broken.py"], capsys)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert len(lines) == 4
    expected = [
        (line_of(path, "# T101"), "T101 sender-not-internal",
         "state 'Ask' of protocol 'broken': sender 'c' is not an internal role"),
        (line_of(path, "# T106"), "T106 choice-not-known", "state 'Pick' of protocol 'broken'"),
        (line_of(path, "# T301"), "T301 payload-not-serialisable", "branch 'end' of state 'Done'"),
    ]
    for line, (n, rule, words) in zip(lines, expected, strict=False):
        assert line.startswith(f"broken.py:{n}: {rule}: "), line
        assert words in line
    assert lines[3] == "broken: 3 errors"


def test_check_warnings_are_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "forever.py", """\
        import troupe as tp


        class C(tp.Context):
            n: int = 0


        a = tp.Role("a", C)
        with tp.protocol("loop", a):
            spin = tp.state("Spin", a)  # W401
        spin.branch("again", None, next=spin)
        script = tp.script("forever", spin)
    """)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "forever.py"], capsys)
    assert code == 0 and err == ""
    first, summary = out.splitlines()
    assert first.startswith(f"forever.py:{line_of(path, '# W401')}: W401 exit-unreachable: ")
    assert first.endswith(" [warning]")
    assert summary == load("forever.py").summary()
    assert summary.startswith("forever: ") and "— ok" in summary and "1 warning" in summary


def test_import_error_is_a_load_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "boom.py", """\
        import troupe as tp

        raise RuntimeError("no script today")
    """)
    code, out, err = run(["check", str(path)], capsys)
    assert code == 2 and out == ""
    assert f"troupe: cannot load {path}: importing {path} failed: RuntimeError: no script today" \
        in err
    assert "Traceback (most recent call last)" in err
    assert f'File "{path}", line 3' in err
    assert "_load.py" not in err  # the traceback shows the user's frames only


def test_syntax_error_is_a_load_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "typo.py", "def broken(:\n")
    code, _, err = run(["check", str(path)], capsys)
    assert code == 2
    assert "SyntaxError" in err and "typo.py" in err


def test_missing_file_and_module(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(["check", str(tmp_path / "nope.py")], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run(["check", "no_such_module_here"], capsys)
    assert code == 2 and "no module named 'no_such_module_here'" in err


def test_name_selection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "two.py", TINY + textwrap.dedent("""\

        first = duet("first")
        second = duet("second")
        also_first = first
        entry = second.entry
        number = 7


        def make() -> tp.Script:
            return duet("made")


        def needs(x: int) -> tp.Script:
            return duet("needs")
    """))
    code, _, err = run(["check", str(path)], capsys)
    assert code == 2
    assert "expected one troupe.Script in the module, found 2 (first, second)" in err
    assert f"choose one with {path}:first" in err

    for name, expected in [("second", "second"), ("entry", "entry"), ("make", "made")]:
        code, out, err = run(["check", f"{path}:{name}"], capsys)
        assert (code, err) == (0, ""), err
        assert out.startswith(f"{expected}: 2 roles, 2 states, 1 branch")
        assert out == load(f"{path}:{name}").summary() + "\n"

    code, _, err = run(["check", f"{path}:missing"], capsys)
    assert code == 2 and "has no attribute 'missing' (scripts in the module: first, second)" in err
    code, _, err = run(["check", f"{path}:number"], capsys)
    assert code == 2
    assert "'number' must be a Script, a State, or a function taking no arguments that " \
           "returns one; got int 7" in err
    code, _, err = run(["check", f"{path}:needs"], capsys)
    assert code == 2 and "'needs' is a callable that needs arguments (x: int)" in err


def test_no_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "empty.py", "x = 1\n")
    code, _, err = run(["check", str(path)], capsys)
    assert code == 2 and "expected one troupe.Script in the module, found none" in err


def test_module_target_and_sibling_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "tinyduet.py", TINY)
    write(tmp_path, "usesibling.py", "from tinyduet import duet\n\nscript = duet('sib')\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(["check", str(tmp_path / "usesibling.py")], capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith("sib: 2 roles")
    assert str(tmp_path) not in sys.path  # only while importing

    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "usesibling:script"], capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith("sib: 2 roles")


def test_script_error_during_call_is_reported_as_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "lazy.py", BROKEN.replace(
        'script = tp.script("broken", ask)',
        'def build() -> tp.Script:\n    return tp.script("broken", ask)',
    ))
    code, out, _ = run(["check", f"{path}:build"], capsys)
    assert code == 1 and out.endswith("broken: 3 errors\n")


def test_parse_target() -> None:
    t = parse_target("examples/pingpong.py:script")
    assert (t.source, t.name, t.is_file) == ("examples/pingpong.py", "script", True)
    t = parse_target("pkg.mod:factory")
    assert (t.source, t.name, t.is_file) == ("pkg.mod", "factory", False)
    with pytest.raises(LoadError, match="expected a name after ':'"):
        parse_target("pkg.mod:")
    with pytest.raises(LoadError, match=r"expected a \.py file or a dotted module name, got 'a b'"):
        parse_target("a b")


def test_load_gives_fresh_modules() -> None:
    assert load(PINGPONG) is not load(PINGPONG)
    assert load(PINGPONG).name == "pingpong"


# -- graph ------------------------------------------------------------------------


def test_graph_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dot = tmp_path / "pp.dot"
    code, out, err = run(["graph", PINGPONG, "-o", str(out_dot)], capsys)
    assert (code, err) == (0, "")
    assert out == f"pingpong: wrote the global graph to {out_dot} (Graphviz DOT source)\n"
    assert out_dot.read_text().startswith('digraph "pingpong" {')
    assert 'subgraph cluster_0 {' in out_dot.read_text()

    out_mmd = tmp_path / "bob.mmd"
    code, out, _ = run(["graph", PINGPONG, "-o", str(out_mmd), "--role", "bob"], capsys)
    assert code == 0 and "wrote the projection of bob" in out
    text = out_mmd.read_text()
    assert text.startswith("stateDiagram-v2\n")
    assert '"[1] Pong  SEND to {alice}"' in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pp.svg"
    code, out, _ = run(["graph", PINGPONG, "-o", str(target), "--role", "alice"], capsys)
    assert code == 0 and out.endswith("(SVG image, drawn by Graphviz)\n")
    svg = target.read_text()
    assert "<svg" in svg and "SEND to {bob}" in svg


def test_graph_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["graph", PINGPONG, "-o", str(tmp_path / "x.dot"), "--role", "carol"],
                         capsys)
    assert (code, out) == (1, "")
    assert err == "troupe: script 'pingpong' has no role 'carol'; expected one of: alice, bob\n"
    assert not (tmp_path / "x.dot").exists()

    code, _, err = run(["graph", PINGPONG, "-o", str(tmp_path / "x.jpg")], capsys)
    assert code == 1
    assert "expected a file ending in .dot, .mmd, .svg, .png, got '.jpg'" in err

    broken = write(tmp_path, "broken.py", BROKEN)
    code, out, err = run(["graph", str(broken), "-o", str(tmp_path / "b.dot")], capsys)
    assert (code, out) == (1, "")
    assert err.count(": T") == 3 and err.endswith("broken: 3 errors\n")

    code, _, err = run(["graph", str(tmp_path / "nope.py"), "-o", str(tmp_path / "b.dot")],
                       capsys)
    assert code == 2 and "no such file" in err

    code, _, err = run(["graph", PINGPONG, "-o", str(tmp_path / "no" / "dir.dot")], capsys)
    assert code == 1 and "cannot write" in err

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    code, _, err = run(["graph", PINGPONG, "-o", str(tmp_path / "x.png")], capsys)
    assert code == 1
    assert "needs Graphviz" in err and "apt-get install graphviz" in err
    assert not (tmp_path / "x.png").exists()


# -- the command line itself ------------------------------------------------------


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)
    assert code == 2 and "usage: troupe" in err and "check" in err and "graph" in err
    code, _, err = run(["graph", PINGPONG], capsys)
    assert code == 2 and "-o/--output" in err
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out == f"troupe {__version__}\n"
    code, out, _ = run(["check", "--help"], capsys)
    assert code == 0 and "--projection" in out


def test_python_dash_m(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "troupe", "check", "examples/pingpong.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, PINGPONG_OK + "\n", "")

    broken = write(tmp_path, "broken.py", BROKEN)
    bad = subprocess.run(
        [sys.executable, "-m", "troupe", "check", "broken.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith(
        f"broken.py:{line_of(broken, '# T101')}: T101 sender-not-internal: "
    )

    missing = subprocess.run(
        [sys.executable, "-m", "troupe", "check", "nope.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert missing.returncode == 2 and "no such file 'nope.py'" in missing.stderr
