"""Layout rules: the core does no I/O, and the public API is curated and documented."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import troupe

PACKAGE = Path(troupe.__file__).resolve().parent
CORE = ["_script", "_walk", "_check", "_project", "_compile", "_errors"]

# Modules that do I/O, concurrency or processes: none of them belongs in the sans-IO core.
IO_MODULES = {
    "asyncio", "concurrent", "multiprocessing", "selectors", "select", "socket",
    "socketserver", "ssl", "subprocess", "threading", "_thread", "http", "urllib",
}
# The one exception: ``_script`` keeps the stack of open ``protocol`` blocks per thread.
ALLOWED_ATTRIBUTES = {("_script", "threading"): {"local"}}


def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{module}.py").read_text(), filename=f"{module}.py")


def _imports(tree: ast.Module) -> list[tuple[int, str, list[str]]]:
    """``(level, module, names)`` for every import statement, at any depth."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((0, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or "", [a.name for a in node.names]))
    return found


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_no_io(module: str) -> None:
    tree = _tree(module)
    for level, name, names in _imports(tree):
        top = name.split(".")[0]
        if level:
            # Relative imports stay inside the core.
            assert top in CORE, f"{module} imports .{name}, which is not a core module"
            continue
        if top not in IO_MODULES:
            continue
        allowed = ALLOWED_ATTRIBUTES.get((module, top))
        assert allowed is not None, f"{module} imports the I/O module {name!r}"
        assert set(names) <= allowed, f"{module} imports {names} from {name}"
    # ``import threading`` is allowed in _script only for ``threading.local``.
    for (owner, top), allowed in ALLOWED_ATTRIBUTES.items():
        if owner != module:
            continue
        used = {
            node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == top
        }
        assert used <= allowed, f"{module} uses {top}.{sorted(used - allowed)}"


def test_the_io_check_sees_an_io_import() -> None:
    tree = ast.parse("import asyncio\nfrom socket import socket\nfrom . import runtime\n")
    assert [(lvl, n) for lvl, n, _ in _imports(tree)] == [(0, "asyncio"), (0, "socket"), (1, "")]


def _children() -> dict[str, types.ModuleType]:
    """``troupe``'s direct submodules: the private ``_x`` modules and the public packages."""
    found = {}
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        if info.name.startswith("__"):
            continue  # __main__ runs the command line
        if info.name.startswith("_") or info.ispkg:
            found[info.name] = importlib.import_module(f"troupe.{info.name}")
    return found


def test_all_has_no_duplicates_and_every_name_exists() -> None:
    names = troupe.__all__
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    missing = [n for n in names if not hasattr(troupe, n)]
    assert not missing, f"troupe.__all__ lists names troupe does not have: {missing}"


def test_every_public_name_comes_from_exactly_one_module() -> None:
    children = _children()
    for module, mod in children.items():
        for name in getattr(mod, "__all__", ()):
            assert hasattr(mod, name), f"troupe.{module}.__all__ lists missing {name!r}"
    for name in troupe.__all__:
        value = getattr(troupe, name, None)
        if isinstance(value, types.ModuleType):
            assert value is children.get(name), f"troupe.{name} is not a troupe subpackage"
            continue
        owners = [m for m, mod in children.items() if name in getattr(mod, "__all__", ())]
        assert len(owners) == 1, f"{name!r} is in the __all__ of {owners}"
        assert getattr(children[owners[0]], name) is value


def test_no_public_object_is_left_out_of_all() -> None:
    exported = set(troupe.__all__)
    stray = [
        name for name, value in vars(troupe).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and name not in exported
    ]
    assert stray == []


def _own_docstring(obj: object) -> str | None:
    doc = vars(obj).get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    if isinstance(obj, type) and doc and doc.startswith(f"{obj.__name__}("):
        return None  # the signature dataclasses write when a class has no docstring
    return doc.strip() if isinstance(doc, str) else None


def _documented_kinds() -> list[str]:
    """Names in ``troupe.__all__`` that are classes or functions (and names it lacks)."""
    return [
        name for name in troupe.__all__
        if not hasattr(troupe, name)
        or inspect.isclass(getattr(troupe, name)) or inspect.isfunction(getattr(troupe, name))
    ]


def test_the_docstring_check_sees_a_missing_docstring() -> None:
    @dataclasses.dataclass
    class Bare:
        x: int

    class Documented:
        """Here."""

    class Inherits(Documented):
        pass

    assert _own_docstring(Bare) is None
    assert _own_docstring(Inherits) is None
    assert _own_docstring(Documented) == "Here."


@pytest.mark.parametrize("name", _documented_kinds())
def test_public_classes_and_functions_have_docstrings(name: str) -> None:
    assert hasattr(troupe, name), f"troupe.__all__ lists {name!r}, which troupe does not have"
    assert _own_docstring(getattr(troupe, name)), f"troupe.{name} has no docstring of its own"
