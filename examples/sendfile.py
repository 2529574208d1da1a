"""Sendfile: a file goes from sender to receiver in chunks, with a hash check every few.

``Offer``: the sender announces the file's size. ``Send``: the sender sends the
next ``chunk`` (bytes, read from the file at its offset); after every
``check_every`` chunks (4 by default) it says ``check`` instead, and once the
whole file is sent, ``end``. Both lead to a hash check, built by the reusable
factory ``check_hash(sender, receiver, next, retry)``:

- ``Hash``: the sender sends the hash of the bytes sent since the last check,
  read again from the file;
- ``Verdict``: the receiver hashes what it received since the last check and
  answers ``ok`` (go to ``next``) or ``resend`` (both roll back to the last
  check and go to ``retry``, which sends those chunks again).

The script uses the factory twice: the mid-file check (``CheckHash[1]``: ok
goes back to ``Send``) and the final check (``CheckHash[2]``: ok ends the
transfer). To exercise the resend path, the sender's ``corrupt`` field names
chunks whose first transmission is damaged in transit (one byte flipped).

``python examples/sendfile.py`` runs it (``--help`` for options).
A run starts from ``default_contexts()``:
it sends this very file in chunks of 256 bytes, damaging chunks 3 and 9, so two
checks fail and their chunks are sent again; it ends with the receiver's
``data`` equal to the file's bytes and ``resends == 2`` on both sides.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile

import msgspec

import troupe as tp


class Sender(tp.Context):
    path: str
    """The file to send."""
    chunk_size: int = 1024
    check_every: int = 4
    """Chunks between two hash checks."""
    corrupt: frozenset[int] = frozenset()
    """Numbers of the chunks whose first transmission is damaged in transit."""
    size: int = 0
    offset: int = 0
    """The next byte to send."""
    verified: int = 0
    """Bytes the receiver has confirmed (up to the last successful check)."""
    pending: int = 0
    """Chunks sent since the last check."""
    chunks: int = 0
    """Chunks sent in all, resent ones included."""
    resends: int = 0
    damaged: list[int] = msgspec.field(default_factory=list)
    """Chunks damaged so far (each once)."""


class Receiver(tp.Context):
    size: int = 0
    """The file's size, as announced."""
    data: bytearray = msgspec.field(default_factory=bytearray)
    """The bytes received."""
    verified: int = 0
    """Bytes confirmed by the last successful check."""
    expected: str = ""
    """The sender's hash of the bytes since the last check."""
    checks: int = 0
    resends: int = 0


def digest(data: bytes | bytearray) -> str:
    """The hash both sides compare: short, readable in a trace."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def read_at(path: str, offset: int, n: int) -> bytes:
    """Up to ``n`` bytes of the file at ``path`` from ``offset``."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(n)


def check_hash(
    sender: tp.Role[Sender], receiver: tp.Role[Receiver], next: tp.Next, retry: tp.Next
) -> tp.Next:
    """A protocol factory: compare hashes; ``ok`` goes to ``next``, ``resend`` to ``retry``."""
    with tp.protocol("CheckHash", sender, receiver):
        hash_ = tp.state("Hash", sender, to=[receiver])
        verdict = tp.state("Verdict", receiver, to=[sender])
    claim = hash_.branch("hash", str, next=verdict)
    ok = verdict.branch("ok", None, next=next)
    resend = verdict.branch("resend", None, next=retry)

    @hash_.decide
    def hash_window(ctx: Sender) -> tp.Message:
        return claim(digest(read_at(ctx.path, ctx.verified, ctx.offset - ctx.verified)))

    @claim.on(receiver)
    def got_hash(ctx: Receiver, h: str) -> None:
        ctx.expected = h

    @verdict.decide
    def compare(ctx: Receiver) -> tp.Message:
        ctx.checks += 1
        if digest(ctx.data[ctx.verified :]) == ctx.expected:
            ctx.verified = len(ctx.data)
            return ok()
        del ctx.data[ctx.verified :]
        ctx.resends += 1
        return resend()

    @ok.on(sender)
    def confirmed(ctx: Sender, _: None) -> None:
        ctx.verified = ctx.offset
        ctx.pending = 0

    @resend.on(sender)
    def rewind(ctx: Sender, _: None) -> None:
        ctx.offset = ctx.verified
        ctx.pending = 0
        ctx.resends += 1

    return hash_


def sendfile(sender: tp.Role[Sender], receiver: tp.Role[Receiver], then: tp.Next) -> tp.Next:
    """A protocol factory: send ``ctx.path`` from ``sender`` to ``receiver``, then ``then``."""
    with tp.protocol("sendfile", sender, receiver):
        offer = tp.state("Offer", sender, to=[receiver])
        send = tp.state("Send", sender, to=[receiver])
    size = offer.branch("size", int, next=send)
    chunk = send.branch("chunk", bytes, next=send)
    check = send.branch("check", None, next=check_hash(sender, receiver, next=send, retry=send))
    end = send.branch("end", None, next=check_hash(sender, receiver, next=then, retry=send))

    @offer.decide
    def announce(ctx: Sender) -> tp.Message:
        ctx.size = os.path.getsize(ctx.path)
        return size(ctx.size)

    @size.on(receiver)
    def got_size(ctx: Receiver, n: int) -> None:
        ctx.size = n

    @send.decide
    def next_chunk(ctx: Sender) -> tp.Message:
        if ctx.offset >= ctx.size:
            return end()
        if ctx.pending == ctx.check_every:
            return check()
        number = ctx.offset // ctx.chunk_size
        data = read_at(ctx.path, ctx.offset, ctx.chunk_size)
        ctx.offset += len(data)
        ctx.pending += 1
        ctx.chunks += 1
        if number in ctx.corrupt and number not in ctx.damaged:
            ctx.damaged.append(number)
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return chunk(data)

    @chunk.on(receiver)
    def got_chunk(ctx: Receiver, data: bytes) -> None:
        ctx.data += data

    return offer


sender = tp.Role("sender", Sender)
receiver = tp.Role("receiver", Receiver)
script = tp.script("sendfile", sendfile(sender, receiver, tp.Exit))


def default_contexts(path: str = __file__) -> dict[str, tp.Context]:
    """The contexts a run starts from, by role name: send ``path`` (this file)."""
    return {
        "sender": Sender(path=path, chunk_size=256, corrupt=frozenset({3, 9})),
        "receiver": Receiver(),
    }


def main(argv: list[str] | None = None) -> int:
    """Send a file, write what arrived to ``--out`` and compare the two."""
    parser = argparse.ArgumentParser(description="Send a file in chunks with hash checks.")
    parser.add_argument("path", nargs="?", default=__file__, help="file to send (this one)")
    parser.add_argument("--out", help="where the receiver writes it (default: a temp file)")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--check-every", type=int, default=4)
    parser.add_argument("--corrupt", type=int, nargs="*", default=[3, 9],
                        help="chunk numbers damaged on their first sending")
    parser.add_argument("--runtime", choices=tp.RUNTIMES, default="inproc")
    args = parser.parse_args(argv)
    contexts = {
        "sender": Sender(path=args.path, chunk_size=args.chunk_size,
                         check_every=args.check_every, corrupt=frozenset(args.corrupt)),
        "receiver": Receiver(),
    }
    result = tp.run(script, contexts, runtime=args.runtime)
    if not result.ok:
        print(f"failed: {result.error}")
        return 1
    s, r = result.context("sender"), result.context("receiver")
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="sendfile-"), "received")
    with open(out, "wb") as f:
        f.write(r.data)
    with open(args.path, "rb") as f:
        same = f.read() == bytes(r.data)
    print(f"sent {s.size} bytes in {s.chunks} chunks ({s.resends} window(s) resent after "
          f"{len(s.damaged)} damaged chunk(s)); wrote {out}: "
          f"{'identical' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
