"""Runtimes: the only part of troupe that does I/O (threads, asyncio, processes).

Each executes a script's ``Plan`` (its projection as flat tables):
``inproc`` (one scheduler, many sessions), ``aio`` (a task per role),
``threads`` (a thread per role).
"""

from ._cancel import CancelToken as CancelToken

__all__ = ["CancelToken"]
