"""The drawing process: pictures are drawn there, a failure fails one drawing and names only its
type, a dead or hung worker is replaced, an idle one goes away."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest

from flows.progress.drawer import DRAWER, Drawer, DrawingFailed


@pytest.fixture
async def drawer() -> AsyncIterator[Drawer]:
    drawer = Drawer()
    yield drawer
    await drawer.stop()


def quoting(text: str) -> bytes:
    """A drawing whose error message quotes its data."""
    raise ValueError(f"cannot draw {text}")


def hanging(seconds: float) -> bytes:
    time.sleep(seconds)
    return b"late"


async def until(condition: object, seconds: float = 10.0) -> None:
    """Wait for a real process's state (no clock to move: it is another process)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the state did not come"
        await asyncio.sleep(0.02)


async def test_drawings_at_once_each_get_their_own_answer(drawer: Drawer) -> None:
    wanted = [f"{n:02x}" * (n + 1) for n in range(8)]
    drawn = await asyncio.gather(*(drawer.draw(bytes.fromhex, hexes) for hexes in wanted))
    assert drawn == [bytes.fromhex(hexes) for hexes in wanted]
    assert drawer.started == 1  # one worker for all of them


async def test_a_failing_drawing_names_its_type_never_its_message(drawer: Drawer) -> None:
    """A client's data must not reach the bot's logs."""
    with pytest.raises(DrawingFailed) as failed:
        await drawer.draw(quoting, "Jordan, knee pain 9")
    assert "ValueError" in str(failed.value) and "Jordan" not in str(failed.value)
    assert await drawer.draw(bytes.fromhex, "ff") == b"\xff"  # the worker goes on
    assert drawer.started == 1


async def test_a_worker_that_dies_is_replaced(drawer: Drawer) -> None:
    await drawer.draw(bytes.fromhex, "00")
    worker = drawer._worker
    assert worker is not None
    os.kill(worker.pid, signal.SIGKILL)
    await until(lambda: worker.poll() is not None)
    assert await drawer.draw(bytes.fromhex, "01") == b"\x01"
    assert drawer.started == 2


async def test_a_hung_drawing_is_killed_and_fails_alone(drawer: Drawer) -> None:
    drawer.timeout_seconds = 0.5
    with pytest.raises(DrawingFailed):
        await drawer.draw(hanging, 30)
    assert await drawer.draw(bytes.fromhex, "02") == b"\x02"
    assert drawer.started == 2


async def test_an_idle_worker_stops_and_the_next_drawing_starts_one(drawer: Drawer) -> None:
    drawer.idle_seconds = 0.1
    await drawer.draw(bytes.fromhex, "03")
    await until(lambda: not drawer.running)
    assert await drawer.draw(bytes.fromhex, "04") == b"\x04"
    assert drawer.started == 2


async def test_stop_ends_the_worker_and_its_thread_and_a_later_drawing_starts_both() -> None:
    await DRAWER.draw(bytes.fromhex, "05")
    worker, thread = DRAWER._worker, DRAWER._thread
    assert worker is not None and thread is not None and DRAWER.running
    await DRAWER.stop()
    assert not DRAWER.running and worker.poll() is not None
    thread.join(5)
    assert not thread.is_alive() and DRAWER._thread is None
    assert await DRAWER.draw(bytes.fromhex, "06") == b"\x06"
    await DRAWER.stop()


async def test_a_caller_that_goes_away_leaves_the_others_their_answers(drawer: Drawer) -> None:
    slow = asyncio.ensure_future(drawer.draw(hanging, 0.3))
    gone = asyncio.ensure_future(drawer.draw(bytes.fromhex, "07"))
    await asyncio.sleep(0.05)
    gone.cancel()
    assert await slow == b"late"
    assert await drawer.draw(bytes.fromhex, "08") == b"\x08"


def test_the_bot_that_draws_never_loads_the_drawing_libraries() -> None:
    """matplotlib (with numpy) and fpdf2 are some 90 MB once loaded: only the worker loads
    them, and it goes when idle."""
    code = (
        "import asyncio, sys, bot.app, bot.cli, handlers.ptb, flows.router;"
        "from tests.flows.progress.test_chart import a_window;"
        "from flows.progress.chart import render_async;"
        "png = asyncio.run(render_async(a_window(7)));"
        "print(png[:4] == b'\\x89PNG', sorted(m for m in ('matplotlib', 'numpy', 'fpdf')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "True []"


def test_what_the_drawing_process_unpickles_loads_no_storage_layer() -> None:
    """A chart or a report is unpickled there: their modules import no database code, so the
    worker stays at the drawing libraries' size."""
    code = (
        "import sys, flows.progress.chart, flows.progress.reportpdf;"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'storage') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"
