"""Shared test fixtures."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def import_example(name: str) -> ModuleType:
    """Import ``examples/NAME.py`` as module ``NAME`` (as ``python examples/NAME.py`` sees it).

    The examples import each other as siblings, so the examples directory goes
    on ``sys.path`` and each example is imported once per test session.
    """
    if not (EXAMPLES / f"{name}.py").is_file():
        raise LookupError(f"no example {name!r} in {EXAMPLES}")
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    module = importlib.import_module(name)
    if Path(module.__file__ or "").resolve().parent != EXAMPLES:
        raise LookupError(f"{name!r} imported from {module.__file__}, not from {EXAMPLES}")
    return module


@pytest.fixture
def example() -> Callable[[str], ModuleType]:
    """``example("pingpong")`` imports ``examples/pingpong.py`` and returns the module."""
    return import_example
