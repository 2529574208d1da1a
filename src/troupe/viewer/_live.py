"""The live view: the replay page of a running program, fed as events happen.

``LiveView(script)`` binds an HTTP server to 127.0.0.1 (only) in a daemon
thread, and gives a ``tracer`` to pass to ``troupe.run(..., trace=...)``. The
server answers:

- ``GET /``: the replay page, laid out for the script, with no events;
- ``GET /events``: a server-sent event stream: ``events`` messages, each a
  batch of events as the page's columns (``encode_events``), from the first
  event of the run (a page opened late gets everything so far), then one
  ``end`` message (``{"ok": ..., "error": ...}``) once the run is over.
  Batches carry ids, so a reconnecting ``EventSource`` resumes where it was.

The tracer only appends to a list under a lock (it is called on the run's hot
path, possibly from several threads); the server threads resolve states and
encode batches. The last ``KEEP_BATCHES`` batches are kept (a million events),
so memory stays bounded however long the run: a page opened later than that
sees the run from the oldest batch kept on.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._trace import Event, JsonlTracer, Tracer, script_header
from ._errors import ViewerError
from ._graph import LayoutMode
from ._model import Header, StateResolver
from ._page import encode_events, render_page

if TYPE_CHECKING:
    from .._compile import Script

__all__ = ["HOST", "KEEP_BATCHES", "LiveTracer", "LiveView"]

HOST = "127.0.0.1"
"""The only address the live view listens on."""

_BATCH = 5000          # events per streamed batch at most
KEEP_BATCHES = 200
"""Encoded batches the live view keeps for pages that open late (oldest dropped first)."""
_POLL = 0.05           # seconds between looks for new events
_KEEPALIVE = 15.0      # seconds between keep-alive comments on an idle stream

_Raw = tuple[float, int, str, str, "str | None", "str | None", "str | None"]


class _Hub:
    """Events in, encoded batches out, for any number of readers."""

    def __init__(self, header: Header) -> None:
        self.header = header
        self._cond = threading.Condition()
        self._encode = threading.Lock()
        self._raw: list[_Raw] = []
        self._batches: list[str] = []
        self._dropped = 0  # batches dropped from the front of _batches
        self._resolver = StateResolver(header)
        self._first_error: str | None = None  # set by the first fail event
        self.started = False
        self.done: dict[str, Any] | None = None
        self.closing = False
        self.events = 0

    def add(self, event: _Raw) -> None:
        with self._cond:
            self._raw.append(event)

    def _flush(self) -> None:
        """Encode what came since the last flush (one flusher at a time keeps the order)."""
        with self._encode:
            with self._cond:
                raw, self._raw = self._raw, []
            for n in range(0, len(raw), _BATCH):
                chunk = [Event(*e) for e in raw[n : n + _BATCH]]
                states = []
                for e in chunk:
                    try:
                        states.append(self._resolver.resolve(e.session, e.role, e.kind, e.state))
                    except ViewerError:
                        states.append(-1)
                    if e.kind == "fail" and self._first_error is None:
                        self._first_error = (f"session {e.session}: {e.role} failed at "
                                             f"{e.state}: {e.branch}")
                batch = encode_events(self.header, chunk, states)
                text = json.dumps(batch, separators=(",", ":"), ensure_ascii=False)
                with self._cond:
                    self._batches.append(text)
                    extra = len(self._batches) - KEEP_BATCHES
                    if extra > 0:
                        del self._batches[:extra]
                        self._dropped += extra
                    self.events += len(chunk)
                    self._cond.notify_all()

    def finish(self, ok: bool | None = None, error: str | None = None) -> None:
        """The run is over: flush, then tell every reader."""
        self._flush()
        with self._cond:
            if self.done is None or ok is not None:  # what the caller says wins
                failed = self._first_error is not None if ok is None else not ok
                self.done = {"ok": not failed, "error": error or self._first_error,
                             "events": self.events}
            self._cond.notify_all()

    def read(self, since: int) -> tuple[int, list[str], dict[str, Any] | None]:
        """The batches from index ``since`` on (or from the oldest kept, if that was
        dropped) with the index of the first, and the end message if the run is over."""
        self._flush()
        with self._cond:
            first = max(since, self._dropped)
            return first, self._batches[first - self._dropped :], self.done

    def wait(self, timeout: float) -> None:
        with self._cond:
            if not self.closing:
                self._cond.wait(timeout)

    def close(self) -> None:
        with self._cond:
            self.closing = True
            self._cond.notify_all()


class LiveTracer:
    """A tracer that feeds a ``LiveView`` (and, optionally, another tracer too).

    Cheap on the hot path: ``event`` stamps the time and appends under a lock.
    """

    def __init__(self, hub: _Hub, forward: Tracer | None = None) -> None:
        self._hub = hub
        self._forward = forward
        self._t0 = time.perf_counter()

    def start(self, script: Script) -> None:
        """Called by the run before its first event: starts the clock."""
        self._t0 = time.perf_counter()
        self._hub.started = True
        if self._forward is not None:
            self._forward.start(script)

    def event(
        self,
        session: int,
        role: str,
        kind: str,
        state: str | None,
        branch: str | None,
        peer: str | None,
    ) -> None:
        """Record one event: stamped now, streamed to every open page shortly."""
        self._hub.add((time.perf_counter() - self._t0, session, role, kind, state, branch, peer))
        if self._forward is not None:
            self._forward.event(session, role, kind, state, branch, peer)

    def close(self) -> None:
        """Called by the run after its last event: pages are told the run is over."""
        if self._forward is not None:
            self._forward.close()
        self._hub.finish()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, hub: _Hub, page: bytes) -> None:
        self.hub = hub
        self.page = page
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the command's own output is what matters

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", self.server.page)
        elif path == "/events":
            self._stream()
        elif path == "/favicon.ico":
            self._send(204, "image/x-icon", b"")
        else:
            self._send(404, "text/plain; charset=utf-8",
                       f"not found: {path}; the live view serves / and /events\n".encode())

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        hub = self.server.hub
        try:
            since = max(0, int(self.headers.get("Last-Event-ID") or 0))
        except ValueError:
            since = 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        quiet = time.monotonic()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not hub.closing:
                since, batches, done = hub.read(since)
                for text in batches:
                    since += 1
                    self.wfile.write(f"id: {since}\nevent: events\ndata: {text}\n\n".encode())
                if batches:
                    quiet = time.monotonic()
                if done is not None and not batches:
                    self.wfile.write(f"event: end\ndata: {json.dumps(done)}\n\n".encode())
                    self.wfile.flush()
                    return
                if time.monotonic() - quiet > _KEEPALIVE:
                    self.wfile.write(b": keep-alive\n\n")
                    quiet = time.monotonic()
                self.wfile.flush()
                hub.wait(_POLL)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return


class LiveView:
    """Serve a script's replay page on 127.0.0.1 and stream a run's events to it.

    ::

        with LiveView(script) as live:      # listens now; live.url to open
            troupe.run(script, trace=live.tracer)
            live.linger(5)                  # keep serving a while for late pages

    Args:
        script: the script about to run (its page is laid out from it).
        port: the port to listen on; 0 picks a free one.
        forward: also trace to this: a JSON Lines path or another tracer.
        layout: the page's graph layout (see ``troupe.viewer.replay_html``).

    Raises:
        ViewerError: if the port cannot be listened on (in use, not allowed).
    """

    def __init__(
        self,
        script: Script,
        port: int = 0,
        *,
        forward: Tracer | str | os.PathLike[str] | None = None,
        layout: LayoutMode = "auto",
    ) -> None:
        if not 0 <= port <= 65535:
            raise ViewerError(f"expected a port number 0-65535, got {port}")
        self.header = Header.parse(script_header(script), f"script {script.name}")
        page = render_page(self.header, live={"events": "events"},
                           source=f"live: {script.name}", layout_mode=layout)
        self._hub = _Hub(self.header)
        try:
            self._server = _Server(port, self._hub, page.encode("utf-8"))
        except OSError as e:
            raise ViewerError(
                f"cannot serve the live view on {HOST}:{port}: {e.strerror or e}"
                + (" (pick another port, or none for a free one)" if port else "")
            ) from e
        if isinstance(forward, str | os.PathLike):
            forward = JsonlTracer(Path(forward))
        self.tracer = LiveTracer(self._hub, forward)
        """The tracer to pass to ``troupe.run(..., trace=...)``."""
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="troupe-live-view", daemon=True)
        self._thread.start()
        self._closed = False

    @property
    def port(self) -> int:
        """The port the view listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The page's address: ``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.port}/"

    @property
    def events(self) -> int:
        """How many events have been streamed so far."""
        return self._hub.events

    def finish(self, ok: bool | None = None, error: str | None = None) -> None:
        """Tell the pages the run is over (the tracer's ``close`` does it too).

        Args:
            ok: whether the run succeeded; ``None`` reads it off the events
                (a ``fail`` event means it did not).
            error: what went wrong, shown on the page.
        """
        self._hub.finish(ok, error)

    def linger(self, seconds: float) -> None:
        """Keep serving for ``seconds`` (for pages still replaying or opened late)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self._closed and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        """Stop serving: open streams end, the port is released."""
        if self._closed:
            return
        self._closed = True
        self._hub.finish()
        self._hub.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LiveView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
