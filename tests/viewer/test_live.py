"""The live server: the page on 127.0.0.1, events streamed as server-sent events."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest

import troupe as tp
from troupe._load import load_target
from troupe.viewer import LiveView, ViewerError

from .conftest import BOOM, EXAMPLES, Traces


def read_stream(port: int, last_id: int | None = None, timeout: float = 20.0) -> list[
        tuple[str, str, str]]:
    """Every (id, event, data) of /events until the stream ends."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {} if last_id is None else {"Last-Event-ID": str(last_id)}
    conn.request("GET", "/events", headers=headers)
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")
    out: list[tuple[str, str, str]] = []
    ident = event = ""
    data: list[str] = []
    while True:
        raw = response.readline()
        if not raw:
            break
        line = raw.decode().rstrip("\n")
        if not line:
            if data:
                out.append((ident, event, "\n".join(data)))
            ident, event, data = "", "", []
            if out and out[-1][1] == "end":
                break
        elif line.startswith("id: "):
            ident = line[4:]
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
    conn.close()
    return out


def get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, r.getheader("Content-Type", ""), body


def two_phase_commit() -> tuple[tp.Script, Any]:
    return load_target(str(EXAMPLES / "two_phase_commit.py"))


def test_a_run_streams_every_event_then_the_end() -> None:
    script, module = two_phase_commit()
    reference = tp.ListTracer()
    with LiveView(script, forward=reference) as live:
        assert live.url == f"http://127.0.0.1:{live.port}/"
        got: list[list[tuple[str, str, str]]] = []
        reader = threading.Thread(target=lambda: got.append(read_stream(live.port)))
        reader.start()
        result = tp.run(script, module.default_contexts(seed=1), runtime="threads",
                        trace=live.tracer)
        reader.join(timeout=20)
        assert result.ok and got
        late = read_stream(live.port)            # a page opened after the run gets it all
    for stream in (got[0], late):
        batches = [json.loads(d) for _, e, d in stream if e == "events"]
        assert sum(len(b["t"]) for b in batches) == len(reference.events)
        kinds = [k for b in batches for k in b["k"]]
        assert kinds.count(1) == sum(1 for e in reference.events if e.kind == "send")
        end = stream[-1]
        assert end[1] == "end" and json.loads(end[2]) == {
            "ok": True, "error": None, "events": len(reference.events)}
        assert [int(i) for i, e, _ in stream if e == "events"] == list(
            range(1, len(batches) + 1))


def test_the_page_and_a_resumed_stream() -> None:
    script, module = two_phase_commit()
    with LiveView(script) as live:
        status, kind, body = get(live.port, "/")
        assert status == 200 and kind.startswith("text/html")
        assert '"live":{"events":"events"}' in body and "troupe · two_phase_commit · live" in body
        assert get(live.port, "/nope")[0] == 404
        tp.run(script, module.default_contexts(seed=1), trace=live.tracer)
        whole = read_stream(live.port)
        n = len([x for x in whole if x[1] == "events"])
        resumed = read_stream(live.port, last_id=n)
        assert [e for _, e, _ in resumed] == ["end"]


def test_a_failed_run_ends_not_ok_with_its_error(traces: Traces) -> None:
    script, _ = load_target(str(traces.script("boom_live", BOOM)))
    with LiveView(script) as live:
        assert not tp.run(script, runtime="threads", trace=live.tracer).ok
        end = json.loads(read_stream(live.port)[-1][2])
    assert end["ok"] is False and "disk on fire" in end["error"]


def test_the_view_listens_on_loopback_only_and_frees_its_port() -> None:
    script, _ = two_phase_commit()
    live = LiveView(script)
    port = live.port
    assert live._server.server_address[0] == "127.0.0.1"
    live.close()
    live.close()  # twice is fine
    again = LiveView(script, port)                # the port is free again
    again.close()
    with pytest.raises(ViewerError, match="expected a port number 0-65535, got 70000"):
        LiveView(script, 70000)


def test_memory_stays_bounded_a_late_page_gets_the_newest_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import troupe.viewer._live as live_mod

    monkeypatch.setattr(live_mod, "_BATCH", 10)
    monkeypatch.setattr(live_mod, "KEEP_BATCHES", 3)
    script, _ = load_target(str(EXAMPLES / "pingpong.py"))
    with LiveView(script) as live:
        tp.run(script, trace=live.tracer)  # 63 messages: far more than 3 batches of 10
        late = read_stream(live.port)
        early = read_stream(live.port, last_id=1)  # asks for a batch long dropped
    for stream in (late, early):
        ids = [int(i) for i, e, _ in stream if e == "events"]
        assert len(ids) == 3 and ids == list(range(ids[0], ids[0] + 3)) and ids[0] > 1
        assert stream[-1][1] == "end"
