"""Fixtures for the viewer tests: real traces, and a headless Chromium driven by Playwright.

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by
``scripts/install-chromium.sh``, which ``scripts/install-system.sh`` runs). A
missing browser fails the tests, it does not skip them: CI must run them.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import troupe as tp
from troupe._load import load_target

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts" / "viewer"
CHROMIUM = os.environ.get("TROUPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

BOOM = textwrap.dedent('''
    """Three roles; b's handler raises at the third round."""
    import troupe as tp

    class A(tp.Context):
        n: int = 0

    a, b, c = tp.Role("a", A), tp.Role("b", A), tp.Role("c", A)
    with tp.protocol("p", a, b, c):
        s = tp.state("S", a, to=[b, c])
        t = tp.state("T", b, to=[a, c])
    go = s.branch("go", int, next=t)
    back = t.branch("back", None, next=s)

    @s.decide
    def send(ctx: A) -> tp.Message:
        ctx.n += 1
        return go(ctx.n)

    @go.on(b)
    def explode(ctx: A, n: int) -> None:
        if n == 3:
            raise RuntimeError("disk on fire")

    script = tp.script("boom", s)
''')

SLOW = textwrap.dedent('''
    """Pingpong with handlers that sleep: a run to watch live (about 1.5 s)."""
    import time
    import troupe as tp

    class C(tp.Context):
        n: int = 0

    a, b = tp.Role("alice", C), tp.Role("bob", C)
    with tp.protocol("slow", a, b):
        ping = tp.state("Ping", a, to=[b])
        pong = tp.state("Pong", b, to=[a])
    hit = ping.branch("ping", int, next=pong)
    stop = ping.branch("stop", None, next=tp.Exit)
    back = pong.branch("pong", int, next=ping)

    @ping.decide
    def serve(ctx: C) -> tp.Message:
        time.sleep(0.08)
        return stop() if ctx.n >= 8 else hit(ctx.n)

    @hit.on(b)
    def got(ctx: C, n: int) -> None:
        ctx.n = n

    @pong.decide
    def reply(ctx: C) -> tp.Message:
        time.sleep(0.08)
        return back(ctx.n + 1)

    @back.on(a)
    def got_back(ctx: C, n: int) -> None:
        ctx.n = n

    script = tp.script("slow", ping)
''')


class Traces:
    """Real traces, made once per test session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[str, Path] = {}

    def _once(self, name: str, make: Any) -> Path:
        if name not in self._made:
            path = self.root / f"{name}.jsonl"
            # In a thread of its own: Playwright's sync API runs an event loop in this one,
            # and runtime="asyncio" needs a thread without one.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(make, path).result()
            self._made[name] = path
        return self._made[name]

    @property
    def two_pc(self) -> Path:
        """examples/two_phase_commit.py on asyncio: coordinator, alice, bob; ok."""
        def make(path: Path) -> None:
            script, module = load_target(str(EXAMPLES / "two_phase_commit.py"))
            assert tp.run(script, module.default_contexts(seed=1), runtime="asyncio",
                          trace=path).ok
        return self._once("two_phase_commit", make)

    @property
    def showcase(self) -> Path:
        """examples/random_pingpong_2pc.py: four roles, notifications, ~75k events."""
        def make(path: Path) -> None:
            script, module = load_target(str(EXAMPLES / "random_pingpong_2pc.py"))
            assert tp.run(script, module.default_contexts(seed=1), trace=path).ok
        return self._once("random_pingpong_2pc", make)

    @property
    def boom(self) -> Path:
        """A failing run: b's handler raises; every role fails."""
        def make(path: Path) -> None:
            source = self.root / "boom.py"
            source.write_text(BOOM)
            script, _ = load_target(str(source))
            assert not tp.run(script, runtime="asyncio", trace=path).ok
        return self._once("boom", make)

    @property
    def many(self) -> Path:
        """examples/pingpong.py, 420 sessions at once: over 100,000 events."""
        def make(path: Path) -> None:
            script, _ = load_target(str(EXAMPLES / "pingpong.py"))
            results = tp.run_many(script, 420, trace=path)
            assert all(r.ok for r in results)
        return self._once("pingpong_420", make)

    def script(self, name: str, text: str) -> Path:
        """Write a script file and return its path."""
        path = self.root / f"{name}.py"
        path.write_text(text)
        return path


@pytest.fixture(scope="session")
def traces(tmp_path_factory: pytest.TempPathFactory) -> Traces:
    """Real traces of the examples and of a failing script, made on first use."""
    return Traces(tmp_path_factory.mktemp("traces"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/viewer/``: screenshots the browser tests keep."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright; fails (never skips) if it is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail("the viewer's browser tests need Playwright: pip install -e '.[test]'")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"the viewer's browser tests need Chromium at {CHROMIUM}: run "
                    f"`bash scripts/install-chromium.sh` (scripts/install-system.sh does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh 1440x900 page; JavaScript errors on it fail the test."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield pg
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
