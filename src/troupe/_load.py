"""Load a TARGET for the command line: a Python file or module, optionally ``:name``.

``examples/pingpong.py``, ``examples/pingpong.py:script``, ``mypkg.protocols``
and ``mypkg.protocols:build`` are targets. Without ``:name`` the module must
hold exactly one ``troupe.Script``. With it, ``name`` (dotted names reach
attributes of attributes) may be:

- a ``Script``;
- a ``State``: the entry of a script built here, named after it;
- a callable taking no arguments that returns a ``Script`` or a ``State``.

A file is imported under a fresh module name, with its directory on
``sys.path`` while it imports, so its sibling imports work; a module is
imported with the current directory on ``sys.path`` (as ``python -m`` does).

A script that breaks the rules raises ``ScriptError`` while it is built (often
during the import itself); that error is passed on untouched, so the caller can
show its diagnostics. Every other failure is a ``LoadError``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
import os
import re
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from ._compile import Script, ScriptWarning, script
from ._errors import ScriptError, TroupeError
from ._script import State

__all__ = ["LoadError", "Target", "load", "load_module", "parse_target"]

_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_counter = itertools.count(1)


class LoadError(TroupeError):
    """A TARGET could not be loaded; raised by ``load``.

    Raised when the file or module does not exist or fails to import (for any
    reason but a ``ScriptError``, which is passed on as it is), when ``:name``
    names nothing usable, or when the module holds no script or several.

    Attributes:
        target: the TARGET as given.
        details: the traceback of the error that stopped the import or the
            call, trimmed to the user's frames; empty when there is none.
    """

    def __init__(self, target: str, message: str, details: str = "") -> None:
        super().__init__(f"{target}: {message}")
        self.target = target
        self.details = details


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed TARGET.

    Attributes:
        source: the file path or dotted module name.
        name: the attribute after ``:``, or ``None``.
        is_file: whether ``source`` is a file path (else a module name).
    """

    source: str
    name: str | None
    is_file: bool


def parse_target(target: str) -> Target:
    """Split ``PATH_OR_MODULE[:name]`` and tell a file path from a module name.

    A source ending in ``.py``, containing a path separator, or naming an
    existing file is a file; anything else is a dotted module name.

    Raises:
        LoadError: if the target is empty or the module name is not dotted identifiers.
    """
    if not isinstance(target, str) or not target.strip():
        raise LoadError(str(target), "expected a Python file or module, optionally with :name")
    source, name = target, None
    head, sep, tail = target.rpartition(":")
    if sep and head and _NAME.fullmatch(tail):
        source, name = head, tail
    elif sep and head and not tail:
        raise LoadError(target, "expected a name after ':' (e.g. FILE.py:script)")
    is_file = (
        source.endswith(".py") or "/" in source or os.sep in source or Path(source).is_file()
    )
    if not is_file and not _NAME.fullmatch(source):
        raise LoadError(
            target, f"expected a .py file or a dotted module name, got {source!r}"
        )
    return Target(source, name, is_file)


def _user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without the frames of this module and of importlib."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and (
        tb.tb_frame.f_code.co_filename == __file__
        or tb.tb_frame.f_code.co_filename.startswith("<frozen importlib")
    ):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _import_failed(target: str, source: str, e: BaseException) -> LoadError:
    return LoadError(
        target, f"importing {source} failed: {type(e).__name__}: {e}", _user_traceback(e)
    )


@contextmanager
def _on_path(directory: str) -> Iterator[None]:
    """Put ``directory`` first on ``sys.path`` for the duration, unless it is there."""
    if directory in sys.path:
        yield
        return
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        with suppress(ValueError):
            sys.path.remove(directory)


@contextmanager
def _quiet() -> Iterator[None]:
    # Scripts warn (ScriptWarning) as they are built; the caller reads them from
    # Script.warnings instead, so they are not printed twice.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScriptWarning)
        yield


def _import_file(target: str, source: str) -> ModuleType:
    path = Path(source)
    if path.is_dir():
        raise LoadError(target, f"{source!r} is a directory; expected a .py file or a module")
    if not path.is_file():
        raise LoadError(target, f"no such file {source!r}")
    path = path.resolve()
    stem = re.sub(r"\W", "_", path.stem)
    modname = f"_troupe_target_{next(_counter)}_{stem}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise LoadError(target, f"cannot import {source!r} as Python source")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        with _on_path(str(path.parent)), _quiet():
            spec.loader.exec_module(module)
    except ScriptError:
        del sys.modules[modname]
        raise
    except (Exception, SystemExit) as e:
        del sys.modules[modname]
        raise _import_failed(target, source, e) from e
    return module


def _import_module(target: str, source: str) -> ModuleType:
    try:
        with _on_path(os.getcwd()), _quiet():
            return importlib.import_module(source)
    except ScriptError:
        raise
    except ModuleNotFoundError as e:
        if e.name is not None and source.startswith(e.name) and (
            len(source) == len(e.name) or source[len(e.name)] == "."
        ):
            raise LoadError(
                target, f"no module named {e.name!r} (expected a .py file or an importable module)"
            ) from e
        raise _import_failed(target, source, e) from e
    except (Exception, SystemExit) as e:
        raise _import_failed(target, source, e) from e


def load_module(target: str | Target) -> ModuleType:
    """Import the file or module of a TARGET (its ``:name`` is ignored).

    Raises:
        ScriptError: if a script of the module breaks the rules as it is built.
        LoadError: if the file or module is missing or its import fails.
    """
    t = target if isinstance(target, Target) else parse_target(target)
    text = target if isinstance(target, str) else t.source
    return _import_file(text, t.source) if t.is_file else _import_module(text, t.source)


def _describe(value: object) -> str:
    if isinstance(value, type):
        return f"class {value.__qualname__}"
    if inspect.isroutine(value):
        return f"function {getattr(value, '__qualname__', value)!r}"
    return f"{type(value).__name__} {value!r}"[:120]


def _scripts(module: ModuleType) -> list[tuple[str, Script]]:
    """The module's Script attributes, one name per distinct Script."""
    found: list[tuple[str, Script]] = []
    for attr, value in vars(module).items():
        if isinstance(value, Script) and all(value is not s for _, s in found):
            found.append((attr, value))
    return found


def _resolve(module: ModuleType, target: str, name: str) -> Script:
    value: Any = module
    for i, part in enumerate(name.split(".")):
        try:
            value = getattr(value, part)
        except AttributeError:
            where = repr(".".join(name.split(".")[:i])) if i else "the module"
            scripts = ", ".join(a for a, _ in _scripts(module)) or "none"
            raise LoadError(
                target, f"{where} has no attribute {part!r} (scripts in the module: {scripts})"
            ) from None
    label = name.rsplit(".", 1)[-1]
    if isinstance(value, Script):
        return value
    if isinstance(value, State):
        with _quiet():
            return script(label, value)
    if not callable(value):
        raise LoadError(
            target,
            f"{name!r} must be a Script, a State, or a function taking no arguments that "
            f"returns one; got {_describe(value)}",
        )
    try:
        inspect.signature(value).bind()
    except TypeError:
        raise LoadError(
            target,
            f"{name!r} is a callable that needs arguments {inspect.signature(value)}; expected "
            f"a Script, a State, or a function taking no arguments",
        ) from None
    except ValueError:
        pass  # no signature to read (a builtin): just call it
    try:
        with _quiet():
            made = value()
    except ScriptError:
        raise
    except Exception as e:
        raise LoadError(
            target, f"calling {name}() failed: {type(e).__name__}: {e}", _user_traceback(e)
        ) from e
    if isinstance(made, Script):
        return made
    if isinstance(made, State):
        with _quiet():
            return script(label, made)
    raise LoadError(target, f"{name}() must return a Script or a State, got {_describe(made)}")


def load(target: str) -> Script:
    """The Script a TARGET names; see ``load_target``."""
    return load_target(target)[0]


def load_target(target: str) -> tuple[Script, ModuleType]:
    """The Script a TARGET names and its module: ``FILE.py`` or ``module``, optionally ``:name``.

    Args:
        target: ``path/to/file.py``, ``dotted.module``, either followed by
            ``:name`` naming a Script, an entry State, or a function taking no
            arguments that returns either.

    Raises:
        ScriptError: if the script (or one built while importing the module)
            breaks the rules; its ``diagnostics`` say where.
        LoadError: if the target cannot be imported, names nothing usable, or
            (without ``:name``) holds no Script or several.
    """
    t = parse_target(target)
    module = load_module(t)
    if t.name is not None:
        return _resolve(module, target, t.name), module
    found = _scripts(module)
    if len(found) == 1:
        return found[0][1], module
    if not found and getattr(module, "__file__", None) is None and hasattr(module, "__path__"):
        raise LoadError(
            target,
            f"{t.source!r} is a directory without scripts of its own; expected a .py file or a "
            f"module in it, e.g. {t.source}.NAME or {t.source}/NAME.py",
        )
    if not found:
        states = [a for a, v in vars(module).items() if isinstance(v, State)]
        hint = (
            f"; it has states {', '.join(states)}: pick an entry with {t.source}:{states[0]}"
            if states
            else "; build one with troupe.script(name, entry) at module level, or name a "
            "function that returns one with :name"
        )
        raise LoadError(target, f"expected one troupe.Script in the module, found none{hint}")
    names = ", ".join(a for a, _ in found)
    raise LoadError(
        target,
        f"expected one troupe.Script in the module, found {len(found)} ({names}); "
        f"choose one with {t.source}:{found[0][0]}",
    )
