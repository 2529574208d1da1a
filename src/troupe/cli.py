"""The ``troupe`` command, thin over the public API.

::

    troupe check TARGET [--projection]        # validate; exit 0 ok, 1 errors, 2 cannot load
    troupe graph TARGET -o FILE [--role R]    # .dot .mmd .svg .png
    troupe run   TARGET [--runtime R] [--timeout S] [--trace FILE.jsonl] [--seed N]
                        [--live [PORT]] [--live-linger S]
    troupe view  TRACE.jsonl [-o FILE] [--format html|mmd|svg] [--session N|all]
    troupe demo  [--out DIR] [--seed N]       # the random pingpong/2pc showcase
    troupe bench pingpong [--pairs N] [--rounds R] [--workers K] [--runtime R]
                          [--compare asyncio] [--json]
    troupe bench 2pc      [--sessions N] [--workers K] [--runtime R] [--json]
    troupe bench sweep    [--max N] [--workers K] [--json]

TARGET is a Python file or module, optionally ``:name`` (see ``troupe._load``).

Exit codes: 0 success; 1 the script breaks the rules, or the command could not
do what was asked (unknown role, unsupported output suffix, Graphviz missing);
2 the target cannot be loaded, or the command line is wrong. ``bench`` exits 1
when a session fails its check.

Adding a subcommand: write ``_add_NAME(commands)`` that adds its parser and sets
``run=`` to a function ``(args) -> int``, and list it in ``COMMANDS``. Inside,
``_load_script`` (``_load_target`` when the module is needed too) loads the target
and reports failures the same way for every command (raising ``_Exit`` with the
exit code).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO, TypeAlias

from . import __version__, bench
from ._compile import Script
from ._errors import Diagnostic, ScriptError, TroupeError
from ._load import LoadError, load_target
from ._outcome import Result
from ._run import RUNTIMES, run
from .views import FORMATS, ViewError, format_of, projection_tables, render, state_table

__all__ = ["COMMANDS", "build_parser", "format_diagnostic", "main"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_LOAD = 2
EXIT_USAGE = 2

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


def _load_target(target: str, *, diagnostics: TextIO) -> tuple[Script, ModuleType]:
    """Load TARGET and its module; on failure print why and raise ``_Exit`` (1: script
    errors, 2: load)."""
    try:
        return load_target(target)
    except ScriptError as e:
        _report_script_error(e, diagnostics)
        raise _Exit(EXIT_ERRORS) from e
    except LoadError as e:
        print(f"troupe: cannot load {e}", file=sys.stderr)
        if e.details:
            print(e.details.rstrip("\n"), file=sys.stderr)
        raise _Exit(EXIT_LOAD) from e


def _load_script(target: str, *, diagnostics: TextIO) -> Script:
    """Load TARGET's script, as ``_load_target``."""
    return _load_target(target, diagnostics=diagnostics)[0]


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
    script, module = _load_target(args.target, diagnostics=sys.stderr)
    contexts = _contexts(module, args.seed, args.target)
    live = _start_live(script, args) if args.live is not None else None
    try:
        started = time.perf_counter()
        result = run(script, contexts, runtime=args.runtime, timeout=args.timeout,
                     trace=args.trace if live is None else live.tracer)
        took = time.perf_counter() - started
        status = "ok" if result.ok else "FAILED"
        print(f"{script.name} on {args.runtime}: {status} in {took:.3f}s")
        _print_result(result, sys.stdout)
        if args.trace:
            print(f"trace written to {args.trace}")
        if live is not None:
            live.finish(result.ok, None if result.error is None else str(result.error))
            _linger(live, args.live_linger)
    finally:
        if live is not None:
            live.close()
    if not result.ok and result.error is not None:
        print(f"troupe: session failed: {result.error}", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def _start_live(script: Script, args: argparse.Namespace) -> Any:
    """Serve the live view (``troupe.viewer.LiveView``) and print its address."""
    from .viewer import LiveView, ViewerError

    try:
        live = LiveView(script, args.live, forward=args.trace)
    except ViewerError as e:
        raise _fail(str(e)) from e
    print(f"live view: {live.url}", flush=True)
    return live


def _linger(live: Any, seconds: float) -> None:
    if seconds > 0:
        print(f"live view: serving {live.url} {seconds:g} s more (Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        live.linger(seconds)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


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
    p.add_argument("--live", nargs="?", type=_port, const=0, metavar="PORT",
                   help="serve a live view of the run on http://127.0.0.1:PORT/ (a free port "
                   "if none is given) and stream its events to it")
    p.add_argument("--live-linger", type=_seconds, default=5.0, metavar="S",
                   help="with --live: keep serving S seconds after the run (default: 5)")
    p.set_defaults(run=_run_run)


# -- demo -------------------------------------------------------------------------


def _run_demo(args: argparse.Namespace) -> int:
    source = bench.example_path("random_pingpong_2pc")
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
    from .viewer import write_view

    replay = write_view(trace, out / "replay.html")
    print("wrote:")
    for path in [*written, trace, replay]:
        print(f"  {path}")
    print(f"replay: open {replay} in a browser")
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


# -- view -------------------------------------------------------------------------


def _session(text: str) -> int | str:
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a session number or 'all', got {text!r}") \
            from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a session number >= 0, got {value}")
    return value


def _run_view(args: argparse.Namespace) -> int:
    from . import viewer

    suffix = {"html": ".html", "mmd": ".mmd", "svg": ".svg"}[args.format or "html"]
    output = args.output or str(Path(args.trace).with_suffix(suffix))
    try:
        fmt = viewer.view_format(output, args.format)
        if Path(output).resolve() == Path(args.trace).resolve():
            raise viewer.ViewerError(f"-o {output} is the trace itself; pick another file")
        model = viewer.load_trace(args.trace)
        written = viewer.write_view(model, output, fmt=fmt, session=args.session,
                                    limit=args.limit)
    except (viewer.ViewerError, ViewError) as e:
        raise _fail(str(e)) from e
    except OSError as e:
        raise _fail(f"cannot write {output}: {e.strerror or e}") from e
    what = {"html": "replay page", "mmd": "sequence diagram (Mermaid)",
            "svg": "sequence diagram (SVG)"}[fmt]
    n = len(model.sessions)
    print(f"{model.header.script}: wrote the {what} of {_plural(n, 'session')}, "
          f"{len(model.events):,} events, to {written}")
    return EXIT_OK


def _add_view(commands: _Commands) -> None:
    p = commands.add_parser(
        "view",
        help="replay a trace in a browser page, or draw its sequence diagram",
        description="Write a trace's replay page (one self-contained HTML file: roles and "
        "moving messages, state graph with each role's state, sequence diagram, failures), "
        "or only its sequence diagram as Mermaid text (.mmd) or SVG (.svg). Exit 1 if the "
        "trace cannot be read or the output cannot be written, 2 on a bad command line.",
    )
    p.add_argument("trace", metavar="TRACE.jsonl", help="a trace (troupe run --trace FILE)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the file to write (default: TRACE with the format's suffix)")
    p.add_argument("--format", choices=["html", "mmd", "svg"],
                   help="default: by the output's suffix, else html")
    p.add_argument("--session", type=_session, metavar="N|all",
                   help="the session to show (default: the first; the page can switch)")
    p.add_argument("--limit", type=_at_least(0), default=1000, metavar="N",
                   help="messages drawn at most in a sequence diagram (default: 1000)")
    p.set_defaults(run=_run_view)


# -- bench ------------------------------------------------------------------------


def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a number >= {low}, got {value}")
        return value

    parse.__name__ = f"number >= {low}"
    return parse


def _bench_usage(args: argparse.Namespace, message: str) -> _Exit:
    parser: argparse.ArgumentParser = args.bench_parser
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return _Exit(EXIT_USAGE)


def _bench_workers(args: argparse.Namespace) -> tuple[int, str]:
    """The workers to use and how they were chosen (for the header line)."""
    if args.workers is not None:
        return args.workers, ""
    if args.runtime == "inproc":
        return bench.default_workers(), " (default: one per core)"
    return 1, ""


def _on_terminal(args: argparse.Namespace) -> bool:
    return not args.json and sys.stdout.isatty()


def _show_table(rows: Sequence[bench.BenchResult], args: argparse.Namespace, *,
                ns_per_msg: bool = False) -> None:
    if _on_terminal(args):
        from rich.console import Console

        Console(file=sys.stdout).print(bench.rich_table(rows, ns_per_msg=ns_per_msg))
    else:
        print(bench.format_table(rows, ns_per_msg=ns_per_msg))


def _run_bench_pingpong(args: argparse.Namespace) -> int:
    workers, how = _bench_workers(args)
    baseline_pairs = args.baseline_pairs or min(args.pairs, bench.BASELINE_PAIRS)
    try:
        bench.check_pingpong_args(args.pairs, rounds=args.rounds, runtime=args.runtime,
                                  workers=workers)
        if args.compare:
            bench.check_pingpong_args(baseline_pairs, rounds=args.rounds)
    except bench.BenchUsageError as e:
        raise _bench_usage(args, str(e)) from e
    per_pair = bench.messages_per_pair(args.rounds)
    if not args.json:
        print(f"pingpong (examples/pingpong.py, {args.rounds} rounds): {args.pairs:,} pairs "
              f"x {per_pair} messages on {args.runtime}, "
              f"{_plural(min(workers, args.pairs), 'worker')}{how}")
    with bench.progress_bar(args.pairs, "pingpong", enabled=_on_terminal(args)) as progress:
        row = bench.bench_pingpong(args.pairs, rounds=args.rounds, runtime=args.runtime,
                                   workers=workers, progress=progress)
    baseline = None
    if args.compare:
        what = f"plain asyncio baseline: {baseline_pairs:,} pairs, in its own process"
        if _on_terminal(args):
            from rich.console import Console

            with Console(file=sys.stdout).status(what):
                baseline = bench.bench_baseline(baseline_pairs, rounds=args.rounds)
        else:
            if not args.json:
                print(what, flush=True)
            baseline = bench.bench_baseline(baseline_pairs, rounds=args.rounds)
    if args.json:
        print(bench.to_json(row, baseline))
        return EXIT_OK
    _show_table([row] if baseline is None else [row, baseline], args)
    if baseline is not None:
        print(f"ratio: troupe {row.runtime} does {bench.ratio(row, baseline):.1f}x the "
              f"messages/s of plain asyncio")
    return EXIT_OK


def _run_bench_2pc(args: argparse.Namespace) -> int:
    workers, how = _bench_workers(args)
    try:
        bench.check_2pc_args(args.sessions, runtime=args.runtime, workers=workers)
    except bench.BenchUsageError as e:
        raise _bench_usage(args, str(e)) from e
    if not args.json:
        print(f"two-phase commit (examples/two_phase_commit.py, seeded by session): "
              f"{args.sessions:,} sessions on {args.runtime}, "
              f"{_plural(min(workers, args.sessions), 'worker')}{how}")
    with bench.progress_bar(args.sessions, "2pc", enabled=_on_terminal(args)) as progress:
        row = bench.bench_2pc(args.sessions, runtime=args.runtime, workers=workers,
                              progress=progress)
    if args.json:
        print(bench.to_json(row))
    else:
        _show_table([row], args)
    return EXIT_OK


def _run_bench_sweep(args: argparse.Namespace) -> int:
    workers, how = _bench_workers(args)
    try:
        sizes = bench.sweep_sizes(args.max)
        bench.check_pingpong_args(sizes[-1], workers=workers)
    except bench.BenchUsageError as e:
        raise _bench_usage(args, str(e)) from e
    tty = _on_terminal(args)
    if not args.json:
        print(f"pingpong sweep on inproc, {_plural(workers, 'worker')}{how}: "
              f"{', '.join(f'{n:,}' for n in sizes)} pairs")
    rows = bench.bench_sweep(
        args.max, workers=workers,
        bar=lambda n: bench.progress_bar(n, f"{n:,} pairs", enabled=tty),
    )
    if args.json:
        print(json.dumps({"rows": [r.figures(ns_per_msg=True) for r in rows]}))
        return EXIT_OK
    _show_table(rows, args, ns_per_msg=True)
    ns = [r.ns_per_msg for r in rows]
    print(f"ns/message from {min(ns):.1f} to {max(ns):.1f} over "
          f"{sizes[0]:,} .. {sizes[-1]:,} pairs")
    return EXIT_OK


def _add_bench(commands: _Commands) -> None:
    p = commands.add_parser(
        "bench",
        help="benchmark the examples: many sessions, every one checked",
        description="Run the examples many times at once, check every session, and print "
        "runtime, workers, sessions, messages, wall time, messages/s and peak RSS over all "
        "processes. Exit 1 if a session fails its check, 2 on a bad command line.",
    )
    kinds = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    cores = bench.default_workers()

    def common(q: argparse.ArgumentParser, *, runtime: bool = True) -> None:
        q.add_argument("--workers", type=_at_least(1), metavar="K",
                       help=f"processes for inproc (default: one per core, {cores} here; "
                       f"1 runs in this process)")
        if runtime:
            q.add_argument("--runtime", choices=bench.RUNTIMES, default="inproc",
                           help="default: inproc")
        q.add_argument("--json", action="store_true",
                       help="print one JSON line with the figures, nothing else")
        q.set_defaults(bench_parser=q)

    pp = kinds.add_parser(
        "pingpong",
        help="examples/pingpong.py, N pairs at once",
        description="Run examples/pingpong.py PAIRS times at once; every pair must end with "
        "alice's counter at ROUNDS+1 and bob's at ROUNDS (2*(ROUNDS+1)+1 messages a pair).",
    )
    pp.add_argument("--pairs", type=_at_least(1), default=100_000, metavar="N",
                    help="default: 100000")
    pp.add_argument("--rounds", type=_at_least(0), default=30, metavar="R",
                    help="the count limit (default: 30, as in the example)")
    pp.add_argument("--compare", choices=["asyncio"],
                    help="also run plain asyncio pingpong (a task per role, a Queue per "
                    "direction) in its own process, after troupe's run, and print the ratio")
    pp.add_argument("--baseline-pairs", type=_at_least(1), metavar="N",
                    help=f"pairs for --compare (default: --pairs, at most "
                    f"{bench.BASELINE_PAIRS:,})")
    common(pp)
    pp.set_defaults(run=_run_bench_pingpong)

    tpc = kinds.add_parser(
        "2pc",
        help="examples/two_phase_commit.py, N sessions at once",
        description="Run examples/two_phase_commit.py SESSIONS times at once, session i "
        "seeded 2i+1; every session must end with one outcome on every role.",
    )
    tpc.add_argument("--sessions", type=_at_least(1), default=100_000, metavar="N",
                     help="default: 100000")
    common(tpc)
    tpc.set_defaults(run=_run_bench_2pc)

    sw = kinds.add_parser(
        "sweep",
        help="pingpong at 1k, 10k, 100k, 1M pairs: ns per message",
        description="Run pingpong on inproc at 1,000, 10,000, 100,000 ... pairs up to --max "
        "and print one row each with nanoseconds per message.",
    )
    sw.add_argument("--max", type=_at_least(1), default=bench.SWEEP_MAX, metavar="N",
                    help=f"largest size (default: {bench.SWEEP_MAX:,})")
    common(sw, runtime=False)
    sw.set_defaults(run=_run_bench_sweep, runtime="inproc")


# -- main -------------------------------------------------------------------------

COMMANDS: list[Callable[[_Commands], None]] = [
    _add_check,
    _add_graph,
    _add_run,
    _add_demo,
    _add_view,
    _add_bench,
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
    except BrokenPipeError:
        # The reader went away (``troupe run ... | head``): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERRORS
