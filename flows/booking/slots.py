"""Free consult slots: pure arithmetic on a trainer's weekly hours, no I/O.

Hours are wall-clock times in the trainer's zone, so each slot is placed on its local date and
converted to UTC on its own: a DST change moves the UTC times, never the local ones. Local times
that don't exist (the spring-forward gap) are skipped; ambiguous ones take the first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rules:
    length_minutes: int = 30
    buffer_minutes: int = 0
    notice_hours: int = 12
    horizon_days: int = 14


@dataclass(frozen=True)
class Window:
    """Weekly hours: weekday 0 is Monday; start and end are local wall-clock times."""

    weekday: int
    start: time
    end: time


Busy = tuple[datetime, datetime]  # an existing booking's (start, end), UTC


def _to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time; None in a DST gap."""
    moment = datetime.combine(day, clock, tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment.astimezone(UTC)


def _starts_in(day: date, window: Window, rules: Rules, zone: ZoneInfo) -> Iterable[datetime]:
    """Slot starts of one window on one local date, a length plus buffer apart."""
    step = timedelta(minutes=rules.length_minutes + rules.buffer_minutes)
    length = timedelta(minutes=rules.length_minutes)
    cursor = datetime.combine(day, window.start)
    end = datetime.combine(day, window.end)
    while cursor + length <= end:
        start = _to_utc(day, cursor.time(), zone)
        if start is not None:
            yield start
        cursor += step


def _clashes(start: datetime, rules: Rules, busy: Sequence[Busy]) -> bool:
    """A slot clashes with a booking it overlaps, buffer included on both sides."""
    buffer = timedelta(minutes=rules.buffer_minutes)
    end = start + timedelta(minutes=rules.length_minutes)
    return any(start < b_end + buffer and b_start - buffer < end for b_start, b_end in busy)


def free_slots(
    zone: str,
    windows: Iterable[Window],
    rules: Rules,
    now: datetime,
    blocked: Iterable[date] = (),
    busy: Sequence[Busy] = (),
) -> list[datetime]:
    """Bookable starts (UTC, sorted) from `now + notice` to `now + horizon`."""
    tz = ZoneInfo(zone)
    earliest = now + timedelta(hours=rules.notice_hours)
    latest = now + timedelta(days=rules.horizon_days)
    skip = set(blocked)
    by_day: dict[int, list[Window]] = {}
    for window in windows:
        by_day.setdefault(window.weekday, []).append(window)
    today = now.astimezone(tz).date()
    found: set[datetime] = set()
    for offset in range(rules.horizon_days + 1):
        day = today + timedelta(days=offset)
        if day in skip:
            continue
        for window in by_day.get(day.weekday(), []):
            for start in _starts_in(day, window, rules, tz):
                if earliest <= start <= latest and not _clashes(start, rules, busy):
                    found.add(start)
    return sorted(found)


def by_local_day(starts: Iterable[datetime], zone: str) -> list[tuple[date, list[datetime]]]:
    """Starts grouped by the viewer's local date, in order (each list keeps UTC datetimes)."""
    tz = ZoneInfo(zone)
    days: dict[date, list[datetime]] = {}
    for start in sorted(starts):
        days.setdefault(start.astimezone(tz).date(), []).append(start)
    return list(days.items())
