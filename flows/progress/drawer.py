"""Charts and reports are drawn in a process of their own, never in the bot's.

Drawing loads matplotlib, numpy and fpdf2, some 90 MB that stay once loaded (the sandbox's bot
grew from 120 to 211 MB with its first charts), and holds the GIL for tens of milliseconds a
picture, so in the bot's process a weekly round of charts slowed every chat's answers. Here the
first drawing starts one worker (`python -m flows.progress.drawer`); each drawing is one request
to it over its private pipes (our own function and its argument, pickled), answered with the
bytes drawn or, if it raised, only the exception's type name (a message could quote a client's
data); and it stops after `IDLE_SECONDS` without a request, giving its memory back.

A worker that dies, or hangs past `TIMEOUT_SECONDS` (then it is killed), fails only the drawing
under way, as any drawing may fail (its caller keeps the stand-in); the next one starts a new
worker. Drawings take turns on one thread of ours that talks to the one worker: a picture takes
tens of milliseconds, and a second worker would double the memory this saves.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TypeVar

IDLE_SECONDS = 300.0
TIMEOUT_SECONDS = 60.0
STOP_SECONDS = 2.0
_LENGTH = struct.Struct("!Q")
_DRAWN, _RAISED = b"\x01", b"\x00"
_ROOT = Path(__file__).resolve().parents[2]  # where `flows` is importable from

A = TypeVar("A")
_Job = tuple[bytes | None, "Future[bytes]"]  # a request (None: stop the worker), its answer


class DrawingFailed(Exception):
    """The drawing raised in the worker (named by its type only), or the worker stopped."""


class Drawer:
    """The bot's side of the drawing worker: started on demand, stopped when idle.

    One thread of ours (started with the first drawing) talks to the worker: requests wait in
    its queue, and waiting for the next one past `idle_seconds` is what stops the worker."""

    def __init__(
        self, idle_seconds: float = IDLE_SECONDS, timeout_seconds: float = TIMEOUT_SECONDS
    ) -> None:
        self.idle_seconds = idle_seconds
        self.timeout_seconds = timeout_seconds
        self.started = 0  # workers started so far (a measure, and for tests)
        self._worker: subprocess.Popen[bytes] | None = None
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    async def draw(self, work: Callable[[A], bytes], argument: A) -> bytes:
        """`work(argument)` drawn in the worker: its bytes, or DrawingFailed."""
        return await self._ask(pickle.dumps((work, argument), protocol=pickle.HIGHEST_PROTOCOL))

    async def stop(self) -> None:
        """Stop the worker now (the bot is stopping); a later drawing starts another."""
        if self._thread is not None:
            await self._ask(None)

    @property
    def running(self) -> bool:
        worker = self._worker
        return worker is not None and worker.poll() is None

    async def _ask(self, request: bytes | None) -> bytes:
        answer: Future[bytes] = Future()
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="drawer", daemon=True)
                self._thread.start()
            self._jobs.put((request, answer))
        return await asyncio.wrap_future(answer)

    def _serve(self) -> None:
        """The thread: one job at a time; an idle wait that runs out stops the worker, and a
        stop with nothing after it ends the thread too."""
        while True:
            try:
                request, answer = self._jobs.get(
                    timeout=self.idle_seconds if self._worker else None
                )
            except queue.Empty:
                self._stop()
                continue
            if request is None:  # a stop, even if its caller went away
                self._stop()
                if answer.set_running_or_notify_cancel():
                    answer.set_result(b"")
                with self._starting:
                    if self._jobs.empty():
                        self._thread = None
                        return
            elif answer.set_running_or_notify_cancel():
                try:
                    answer.set_result(self._draw(request))
                except BaseException as exc:  # the caller gets it, the thread goes on
                    answer.set_exception(exc)

    def _draw(self, request: bytes) -> bytes:
        worker = self._worker
        if worker is None or worker.poll() is not None:
            worker = self._start()
        assert worker.stdin is not None and worker.stdout is not None
        deadline = time.monotonic() + self.timeout_seconds
        try:
            _send(worker.stdin, request)
            answer = _receive_by(worker.stdout.fileno(), deadline)
        except (OSError, EOFError, TimeoutError):
            worker.kill()  # hung, or gone already
            self._stop()
            raise DrawingFailed("the drawing process stopped or hung") from None
        if answer[:1] != _DRAWN:
            raise DrawingFailed(f"drawing failed ({answer[1:].decode(errors='replace')})")
        return answer[1:]

    def _start(self) -> subprocess.Popen[bytes]:
        self._stop()  # one that died: reaped
        paths = [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        self._worker = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # nothing a drawing says may reach a log
            cwd=_ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
            bufsize=0,  # answers are read as they come, with a deadline
        )
        self.started += 1
        return self._worker

    def _stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            if worker.poll() is None:
                try:
                    if worker.stdin is not None:
                        worker.stdin.close()  # the worker's signal to finish
                    worker.wait(STOP_SECONDS)
                except (OSError, subprocess.TimeoutExpired):
                    worker.kill()
            worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()


def _send(pipe: IO[bytes], message: bytes) -> None:
    pipe.write(_LENGTH.pack(len(message)) + message)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> bytes:
    """One whole message (the worker's side); EOFError when the bot is gone."""
    header = pipe.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError
    (length,) = _LENGTH.unpack(header)
    message = pipe.read(length)
    if len(message) < length:
        raise EOFError
    return message


def _receive_by(fd: int, deadline: float) -> bytes:
    """One whole message from the worker before `deadline` (TimeoutError), EOFError if it died."""
    (length,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline))
    return _read_exactly(fd, length, deadline)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker: draw each request until the bot closes the pipe."""
    while True:
        try:
            request = _receive(requests)
        except EOFError:
            return
        try:
            work, argument = pickle.loads(request)
            answer = _DRAWN + work(argument)
        except Exception as exc:  # the drawing's failure, told by its type only
            answer = _RAISED + type(exc).__name__.encode()
        _send(answers, answer)


DRAWER = Drawer()
"""The process's drawer: every chart and report is drawn by it."""


def _main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the bot, which stops us
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # a stray print can't corrupt the answers
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    _main()
