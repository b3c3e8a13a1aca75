"""The clock every time-dependent part reads, so tests move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall clock in UTC, always time-zone aware."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock(Clock):
    """A clock tests set and advance by hand."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a time-zone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


class ShiftedClock(Clock):
    """Real time, started at a chosen moment: MENDBOT_FAKE_NOW for tests that run the bot as a
    subprocess (a reminder "at 08:00" without waiting for 08:00)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a time-zone-aware start")
        self._offset = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def clock_starting_at(start: datetime | None) -> Clock:
    return Clock() if start is None else ShiftedClock(start)
