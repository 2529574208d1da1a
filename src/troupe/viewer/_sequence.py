"""The sequence diagram of a run, alone: Mermaid text or a standalone SVG.

One lifeline per role, one arrow per message in the order the messages
started, labelled with its branch; notifications are dashed and labelled
``notify → State``; a message whose other end never came (its session failed
in between) ends in a cross; a failure is a red mark on the failing role's
lifeline with the error. Big traces are cut at ``limit`` messages, with a note
saying how many were left out. Pure: these functions return text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ._model import Failure, TraceMessage, TraceModel

__all__ = ["DEFAULT_LIMIT", "sequence_mermaid", "sequence_svg"]

DEFAULT_LIMIT = 1000
"""Messages drawn at most by default; the rest are counted in a note."""


@dataclass(frozen=True, slots=True)
class _Row:
    t: float
    message: TraceMessage | None
    failure: Failure | None


def _rows(model: TraceModel, limit: int) -> tuple[list[_Row], int]:
    kept, left = model.sample_messages(limit)  # ValueError for a negative limit
    rows = [_Row(m.start, m, None) for m in kept]
    last = kept[-1].start if left and kept else float("inf")
    rows += [_Row(f.t, None, f) for f in model.failures if f.t <= last or not left]
    rows.sort(key=lambda r: (r.t, r.failure is not None))
    return rows, left


def _what(model: TraceModel) -> str:
    if model.selected is not None:
        return f"session {model.selected}"
    n = len(model.sessions)
    return "1 session" if n == 1 else f"{n} sessions"


def _label(model: TraceModel, m: TraceMessage, many: bool) -> str:
    text = f"notify → {model.header.state_name(m.state)}" if m.kind == "notify" else (
        m.label or "?")
    if not m.matched:
        text += " (lost)" if m.received is None else " (not sent?)"
    return f"s{m.session}: {text}" if many else text


_MERMAID_ESCAPES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_MERMAID_SPECIAL = re.compile("[#;<>]")


def _mermaid_text(text: str) -> str:
    """One line of Mermaid text: whitespace folded, its special characters as entity codes."""
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ESCAPES[m.group()], " ".join(text.split()))


def sequence_mermaid(model: TraceModel, *, limit: int = DEFAULT_LIMIT) -> str:
    """The run as a Mermaid ``sequenceDiagram``.

    Args:
        model: a trace model, usually narrowed to one session with ``select``.
        limit: at most this many messages; a note counts the rest.
    """
    h = model.header
    alias = {r: f"r{i}" for i, r in enumerate(h.roles)}
    many = model.selected is None and len(model.sessions) > 1
    out = [
        "sequenceDiagram",
        f"    %% {h.script}: {_what(model)}, {len(model.messages)} messages "
        f"(troupe view --format mmd)",
    ]
    out += [f"    participant {alias[r]} as {_mermaid_text(r)}" for r in h.roles]
    rows, left = _rows(model, limit)
    for row in rows:
        if row.message is not None:
            m = row.message
            arrow = "-->>" if m.kind == "notify" else "->>"
            if m.received is None:
                arrow = "--x" if m.kind == "notify" else "-x"
            out.append(f"    {alias[m.sender]}{arrow}{alias[m.receiver]}: "
                       f"{_mermaid_text(_label(model, m, many))}")
        elif row.failure is not None:
            f = row.failure
            at = h.state_name(f.state)
            who = f"session {f.session}: " if many else ""
            note = _mermaid_text(f"✕ {who}{f.role} failed at {at}: {f.error}")
            out.append(f"    Note over {alias[f.role]}: {note}")
    if left:
        ends = {alias[h.roles[0]], alias[h.roles[-1]]}
        span = ",".join(sorted(ends, key=lambda a: int(a[1:])))
        out.append(f"    Note over {span}: … {left:,} more messages not drawn (--limit)")
    return "\n".join(out) + "\n"


_ROW = 26
_TOP = 78
_LEFT = 78
_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#db2777", "#65a30d",
            "#b45309", "#4f46e5", "#0d9488")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _fmt_t(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.3f} s"


def sequence_svg(model: TraceModel, *, limit: int = DEFAULT_LIMIT) -> str:
    """The run as a standalone SVG sequence diagram (one lifeline per role).

    Args:
        model: a trace model, usually narrowed to one session with ``select``.
        limit: at most this many messages; a note counts the rest.
    """
    h = model.header
    many = model.selected is None and len(model.sessions) > 1
    col = max(130, 9 * max(len(r) for r in h.roles) + 40)
    x = {r: _LEFT + col // 2 + i * col for i, r in enumerate(h.roles)}
    colour = {r: _COLOURS[i % len(_COLOURS)] for i, r in enumerate(h.roles)}
    rows, left = _rows(model, limit)
    n_rows = len(rows) + (1 if left else 0)
    width = _LEFT + col * len(h.roles) + 20
    bottom = _TOP + (n_rows + 1) * _ROW
    height = bottom + 50
    title = f"{h.script} — {_what(model)}, {len(model.messages):,} messages"
    status = "ok" if model.ok else f"{len(model.failures)} failure(s)"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="12">',
        f"<title>{_e(title)}</title>",
        "<defs>",
        '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker>',
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="24" font-size="15" font-weight="bold" fill="#111827">{_e(title)}</text>',
        f'<text x="16" y="42" fill="{"#16a34a" if model.ok else "#dc2626"}">{_e(status)}</text>',
    ]
    for r in h.roles:
        cx = x[r]
        out.append(f'<line x1="{cx}" y1="{_TOP}" x2="{cx}" y2="{bottom}" stroke="#d1d5db" '
                   f'stroke-dasharray="4 4"/>')
        for y in (_TOP - 26, bottom):
            out.append(f'<rect x="{cx - col // 2 + 8}" y="{y}" width="{col - 16}" height="26" '
                       f'rx="6" fill="{colour[r]}"/>')
            out.append(f'<text x="{cx}" y="{y + 17}" text-anchor="middle" fill="#ffffff" '
                       f'font-weight="bold">{_e(r)}</text>')
    for i, row in enumerate(rows):
        y = _TOP + (i + 1) * _ROW
        out.append(f'<text x="8" y="{y + 4}" fill="#9ca3af" font-size="10">'
                   f"{_e(_fmt_t(row.t))}</text>")
        if row.message is not None:
            m = row.message
            x1, x2 = x[m.sender], x[m.receiver]
            note = m.kind == "notify"
            stroke = "#d97706" if note else "#374151"
            if not m.matched:
                stroke = "#dc2626"
            dash = ' stroke-dasharray="5 3"' if note else ""
            end = x2 - (6 if x2 > x1 else -6) if m.received is None else x2
            head = "" if m.received is None else ' marker-end="url(#head)"'
            out.append(f'<line x1="{x1}" y1="{y}" x2="{end}" y2="{y}" stroke="{stroke}" '
                       f'stroke-width="1.5"{dash}{head}/>')
            if m.received is None:
                out.append(f'<text x="{end}" y="{y + 4}" text-anchor="middle" fill="#dc2626" '
                           f'font-weight="bold">✕</text>')
            out.append(f'<text x="{(x1 + x2) / 2}" y="{y - 5}" text-anchor="middle" '
                       f'fill="{stroke}">{_e(_label(model, m, many))}</text>')
        elif row.failure is not None:
            f = row.failure
            cx = x[f.role]
            who = f"session {f.session}: " if many else ""
            text = f"{who}failed at {h.state_name(f.state)}: {f.error}"
            out.append(f'<circle cx="{cx}" cy="{y}" r="8" fill="#dc2626"/>')
            out.append(f'<text x="{cx}" y="{y + 4}" text-anchor="middle" fill="#ffffff" '
                       f'font-weight="bold" font-size="11">✕</text>')
            out.append(f'<text x="{cx + 12}" y="{y + 4}" fill="#dc2626">{_e(text[:160])}</text>')
    if left:
        y = _TOP + n_rows * _ROW
        out.append(f'<text x="{width / 2}" y="{y + 4}" text-anchor="middle" fill="#6b7280" '
                   f'font-style="italic">… {left:,} more messages not drawn (--limit)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
