"""A tick that keeps failing is told once with its traceback, then once a minute, then when it
works again: not at every run (the outbox tick runs every second)."""

from __future__ import annotations

import logging

import pytest

from bot.app import MendBot
from bot.failing import REPEAT_EVERY, TickFailures
from bot.settings import load_settings

SECRET = "/srv/mendbot/data/SECRET-PATH.sqlite3"


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    found = [r for r in caplog.records if r.name == "bot.failing"]
    caplog.clear()
    return found


def test_a_failing_tick_is_told_once_then_a_minute_later_then_when_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = Monotonic()
    failures = TickFailures(clock)
    for _ in range(5):
        failures.failed("outbox", FileNotFoundError(SECRET))
        clock.now += 1
    [first] = _lines(caplog)
    assert first.getMessage() == "tick outbox failed (FileNotFoundError)"
    assert first.exc_info is not None and first.levelno == logging.ERROR

    clock.now += REPEAT_EVERY
    failures.failed("outbox", FileNotFoundError(SECRET))
    [again] = _lines(caplog)
    still = "tick outbox still failing (FileNotFoundError): 5 more time(s) in 65 s"
    assert again.getMessage() == still
    assert again.exc_info is None

    failures.failed("outbox", ConnectionError())  # failing another way: told in full
    failures.failed("plan", FileNotFoundError(SECRET))  # another tick: its own
    assert [r.getMessage() for r in _lines(caplog)] == [
        "tick outbox failed (ConnectionError)",
        "tick plan failed (FileNotFoundError)",
    ]
    failures.succeeded("outbox")
    failures.succeeded("outbox")  # working, and was working: nothing to tell
    [works] = _lines(caplog)
    assert works.getMessage().startswith("tick outbox works again")
    failures.failed("outbox", ConnectionError())  # failing anew: told in full again
    assert len(_lines(caplog)) == 1


async def test_the_scheduled_tick_does_not_raise_and_is_told_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The app's wrapper of every scheduled tick: APScheduler, which logged each failure with
    its traceback (and the exception's message), never sees it."""
    bot = MendBot(load_settings(_env_file=None, database_url="sqlite:///:memory:"))
    runs = 0

    async def gone() -> None:
        nonlocal runs
        runs += 1
        raise FileNotFoundError(SECRET)

    tracked = bot._tracked("outbox", gone)
    for _ in range(3):
        await tracked()
    assert runs == 3
    assert [r.getMessage() for r in _lines(caplog)] == ["tick outbox failed (FileNotFoundError)"]
