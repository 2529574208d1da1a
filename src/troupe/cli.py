"""The ``troupe`` command, thin over the public API.

::

    troupe check TARGET [--projection]        # validate; exit 0 ok, 1 errors, 2 cannot load
    troupe graph TARGET -o FILE [--role R]    # .dot .mmd .svg .png
    troupe run   TARGET [--runtime R] [--timeout S] [--trace FILE.jsonl] [--seed N]
    troupe demo  [--out DIR] [--seed N]       # the random pingpong/2pc showcase

TARGET is a Python file or module, optionally ``:name`` (see ``troupe._load``).

Exit codes: 0 success; 1 the script breaks the rules, or the command could not
do what was asked (unknown role, unsupported output suffix, Graphviz missing);
2 the target cannot be loaded, or the command line is wrong.

Adding a subcommand: write ``_add_NAME(commands)`` that adds its parser and sets
``run=`` to a function ``(args) -> int``, and list it in ``COMMANDS``. Inside,
``_load_script`` loads the target and reports failures the same way for every
command (raising ``_Exit`` with the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO, TypeAlias

from . import __version__
from ._compile import Script
from ._errors import Diagnostic, ScriptError, TroupeError
from ._load import LoadError, load, load_target
from ._outcome import Result
from ._run import RUNTIMES, run
from .views import FORMATS, ViewError, format_of, projection_tables, render, state_table

__all__ = ["COMMANDS", "build_parser", "format_diagnostic", "main"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_LOAD = 2

_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _Exit(Exception):
    """Stop the command with this exit code (what was wrong is already printed)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _path(file: str) -> str:
    """``file`` relative to the current directory when it lies under it."""
    try:
        rel = os.path.relpath(file)
    except ValueError:
        return file
    return file if rel.startswith("..") else rel


def format_diagnostic(d: Diagnostic) -> str:
    """``file:line: CODE name: message``, with ``[warning]`` after a warning."""
    line = f"{_path(d.file)}:{d.line}: {d.code} {d.name}: {d.message}"
    return line + " [warning]" if d.severity == "warning" else line


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _report_script_error(e: ScriptError, out: TextIO) -> None:
    for d in e.diagnostics:
        print(format_diagnostic(d), file=out)
    errors = sum(1 for d in e.diagnostics if d.severity == "error")
    warned = len(e.diagnostics) - errors
    tail = f", {_plural(warned, 'warning')}" if warned else ""
    print(f"{e.script}: {_plural(errors, 'error')}{tail}", file=out)


def _load_script(target: str, *, diagnostics: TextIO) -> Script:
    """Load TARGET; on failure print why and raise ``_Exit`` (1: script errors, 2: load)."""
    try:
        return load(target)
    except ScriptError as e:
        _report_script_error(e, diagnostics)
        raise _Exit(EXIT_ERRORS) from e
    except LoadError as e:
        print(f"troupe: cannot load {e}", file=sys.stderr)
        if e.details:
            print(e.details.rstrip("\n"), file=sys.stderr)
        raise _Exit(EXIT_LOAD) from e


def _fail(message: str, code: int = EXIT_ERRORS) -> _Exit:
    print(f"troupe: {message}", file=sys.stderr)
    return _Exit(code)


# -- check ------------------------------------------------------------------------


def _run_check(args: argparse.Namespace) -> int:
    script = _load_script(args.target, diagnostics=sys.stdout)
    for d in script.warnings:
        print(format_diagnostic(d))
    print(script.summary())
    if args.projection:
        print()
        print(state_table(script))
        print()
        print(projection_tables(script))
    return EXIT_OK


def _add_check(commands: _Commands) -> None:
    p = commands.add_parser(
        "check",
        help="check a script and list its errors",
        description="Check a script: print every error and warning as file:line: CODE name: "
        "message, then a summary. Exit 0 if it is valid, 1 if it has errors, 2 if it cannot "
        "be loaded.",
    )
    p.add_argument("target", metavar="TARGET", help="a .py file or module, optionally :name")
    p.add_argument(
        "--projection", action="store_true",
        help="also print the state table and every role's projection",
    )
    p.set_defaults(run=_run_check)


# -- graph ------------------------------------------------------------------------


def _run_graph(args: argparse.Namespace) -> int:
    try:
        fmt = format_of(args.output)
    except ViewError as e:
        raise _fail(str(e)) from e
    script = _load_script(args.target, diagnostics=sys.stderr)
    try:
        written = render(script, args.output, role=args.role)
    except ViewError as e:
        raise _fail(str(e)) from e
    except OSError as e:
        raise _fail(f"cannot write {args.output}: {e.strerror or e}") from e
    what = "global graph" if args.role is None else f"projection of {args.role}"
    print(f"{script.name}: wrote the {what} to {written} ({FORMATS[fmt]})")
    return EXIT_OK


def _add_graph(commands: _Commands) -> None:
    formats = ", ".join(f"{k} ({v})" for k, v in FORMATS.items())
    p = commands.add_parser(
        "graph",
        help="draw a script, or one role's projection",
        description=f"Draw a script's global graph, or one role's projection. Formats, by the "
        f"output's suffix: {formats}.",
    )
    p.add_argument("target", metavar="TARGET", help="a .py file or module, optionally :name")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--role", metavar="ROLE", help="draw this role's projection instead")
    p.set_defaults(run=_run_graph)


# -- run --------------------------------------------------------------------------


def _contexts(module: ModuleType, seed: int | None, target: str) -> dict[str, Any] | None:
    """The module's ``default_contexts()`` (given ``seed=`` if asked), or ``None``."""
    make = getattr(module, "default_contexts", None)
    if make is None:
        if seed is not None:
            raise _fail(f"{target}: --seed needs a default_contexts(seed=...) function in it")
        return None
    try:
        params = inspect.signature(make).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if seed is not None and "seed" not in params:
        raise _fail(f"{target}: default_contexts() takes no seed; drop --seed")
    made = make(seed=seed) if seed is not None else make()
    if not isinstance(made, dict):
        raise _fail(f"{target}: default_contexts() must return a dict, got {type(made).__name__}")
    return made


def _print_result(result: Result, out: TextIO) -> None:
    for outcome in result.values():
        print(f"  {outcome}", file=out)


def _run_run(args: argparse.Namespace) -> int:
    try:
        script, module = load_target(args.target)
    except ScriptError as e:
        _report_script_error(e, sys.stderr)
        raise _Exit(EXIT_ERRORS) from e
    except LoadError as e:
        _load_script(args.target, diagnostics=sys.stderr)  # reports it the same way
        raise _Exit(EXIT_LOAD) from e
    contexts = _contexts(module, args.seed, args.target)
    started = time.perf_counter()
    result = run(script, contexts, runtime=args.runtime, timeout=args.timeout, trace=args.trace)
    took = time.perf_counter() - started
    status = "ok" if result.ok else "FAILED"
    print(f"{script.name} on {args.runtime}: {status} in {took:.3f}s")
    _print_result(result, sys.stdout)
    if args.trace:
        print(f"trace written to {args.trace}")
    if not result.ok and result.error is not None:
        print(f"troupe: session failed: {result.error}", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _add_run(commands: _Commands) -> None:
    p = commands.add_parser(
        "run",
        help="run a script once and print every role's outcome",
        description="Run one session of a script with the contexts its module's "
        "default_contexts() returns (or each role's context class with no arguments). Print "
        "every role's outcome; exit 1 if the session failed.",
    )
    p.add_argument("target", metavar="TARGET", help="a .py file or module, optionally :name")
    p.add_argument("--runtime", choices=RUNTIMES, default="inproc", help="default: inproc")
    p.add_argument("--timeout", type=_positive, metavar="S", help="seconds for the whole run")
    p.add_argument("--trace", metavar="FILE.jsonl", help="write a JSON Lines trace of the run")
    p.add_argument("--seed", type=int, help="passed to default_contexts(seed=N)")
    p.set_defaults(run=_run_run)


# -- demo -------------------------------------------------------------------------


def _run_demo(args: argparse.Namespace) -> int:
    examples = importlib.import_module("troupe.examples")  # the examples/ folder, installed
    source = Path(examples.__file__ or "").with_name("random_pingpong_2pc.py")
    script, module = load_target(str(source))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trace = out / "trace.jsonl"
    result = run(script, module.default_contexts(seed=args.seed), runtime=args.runtime,
                 trace=trace)
    print(f"troupe demo: {script.summary()}")
    sel = result.context("selector")
    print(f"  {sel.played} rounds on {args.runtime} (seed {args.seed}): "
          f"{sel.pingpong_rounds} pingpong, {sel.commit_rounds} two-phase commit, "
          f"{sel.both_rounds} both")
    _print_result(result, sys.stdout)
    written = [render(script, out / "graph.dot"), render(script, out / "graph.mmd")]
    for role in ("selector", "alice"):
        written.append(render(script, out / f"projection-{role}.dot", role=role))
    try:
        written.append(render(script, out / "graph.svg"))
    except ViewError as e:
        print(f"  (no SVG: {str(e).splitlines()[0]})")
    print("wrote:")
    for path in [*written, trace]:
        print(f"  {path}")
    print(f"next: troupe check {source} --projection")
    return EXIT_OK if result.ok else EXIT_ERRORS


def _add_demo(commands: _Commands) -> None:
    p = commands.add_parser(
        "demo",
        help="run the random pingpong/2pc showcase and write its graph and trace",
        description="Run the showcase (four roles; a selector picks pingpong, two-phase "
        "commit or both, 300 rounds), then write its graphs and its trace to --out.",
    )
    p.add_argument("--out", default="troupe-demo", metavar="DIR", help="default: ./troupe-demo")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runtime", choices=RUNTIMES, default="inproc")
    p.set_defaults(run=_run_demo)


# -- main -------------------------------------------------------------------------

COMMANDS: list[Callable[[_Commands], None]] = [
    _add_check,
    _add_graph,
    _add_run,
    _add_demo,
]
"""Each adds one subcommand to the parser (see the module docstring)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``troupe`` argument parser with every subcommand of ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="troupe",
        description="Multi-role finite state machines: check, draw and run troupe scripts.",
    )
    parser.add_argument("--version", action="version", version=f"troupe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``troupe`` command and return its exit code.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        0 on success, 1 when the script has errors or the command could not do
        what was asked, 2 when the target cannot be loaded or the command line
        is wrong.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as e:  # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else (EXIT_OK if e.code is None else EXIT_LOAD)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_LOAD
    try:
        return run(args)
    except _Exit as e:
        return e.code
    except TroupeError as e:
        print(f"troupe: {e}", file=sys.stderr)
        return EXIT_ERRORS
