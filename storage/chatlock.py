"""A chat's turn on a SQLite file: one holder at a time, in this process and across processes.

Across processes it is a POSIX lock on one byte of `<database>.chats.lock`, picked by the chat
id. POSIX locks belong to the process, not to a task: a second task of the same process would
"get" a byte its process already holds, and the first one's release would free it for the
other task too. So inside the process each byte also has an asyncio lock, taken first: exactly
one task holds a byte, and the file lock is taken and released in pairs.

Different chats never wait for each other (except two whose ids share a byte, 2**31 apart),
and in the common case (no other process holds the byte) the file lock is taken without a
thread: a non-blocking attempt first, a thread only to wait for another process.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_BYTES: weakref.WeakValueDictionary[tuple[str, int], asyncio.Lock] = weakref.WeakValueDictionary()
"""This process's holder of each byte: gone when no task holds or waits for it."""


@asynccontextmanager
async def sqlite_chat_turn(database: str, chat_id: int) -> AsyncIterator[None]:
    """Hold `chat_id`'s turn on the SQLite file `database` (see the module's docstring)."""
    offset = chat_id % 2**31
    key = (database, offset)
    in_process = _BYTES.get(key)
    if in_process is None:
        in_process = _BYTES[key] = asyncio.Lock()
    async with in_process:
        handle = _lock_file(database)
        await _take(handle, offset)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN, 1, offset)


async def _take(handle: int, offset: int) -> None:
    """The byte's file lock: at once if no other process holds it, else wait in a thread."""
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        return
    except OSError:  # another process holds it (EACCES or EAGAIN)
        pass
    taking = asyncio.ensure_future(asyncio.to_thread(fcntl.lockf, handle, fcntl.LOCK_EX, 1, offset))
    try:
        await asyncio.shield(taking)
    except asyncio.CancelledError:  # the thread still gets the lock: give it back then
        taking.add_done_callback(lambda _: fcntl.lockf(handle, fcntl.LOCK_UN, 1, offset))
        raise


@functools.cache
def _lock_file(database: str) -> int:
    """Opened once and kept: closing any descriptor of a file drops all of the process's POSIX
    locks on it."""
    return os.open(f"{database}.chats.lock", os.O_RDWR | os.O_CREAT, 0o600)
