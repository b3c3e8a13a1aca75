"""Daily times on a person's wall clock, turned into UTC instants: reminders, nudges, quiet hours.

Every instant comes from a local date and a local time, never from "the last one + 24 h", so a
daylight-saving change moves nothing on the person's clock. A local time that doesn't exist that
day (spring forward) happens one hour later; one that happens twice (fall back) happens the first
time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.engine.localtime import parse_clock_time
from storage.models import Person

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")

WEEKLY_DAY = 6  # the weekly summary's default local weekday: Sunday (0 is Monday)
WEEKLY_TIME = "18:00"  # ... and its default local time


def parse_hhmm(text: str) -> time:
    """ "08:00" (or "8:00") -> time(8, 0): the one reader of the times mendbot writes and its
    settings hold (quiet hours, reminders, digests, consult hours). ASCII digits only; raises
    ValueError on anything else, so settings can use it to validate. Times as people type
    them are flows.engine.localtime.parse_clock_time's."""
    found = _HHMM.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not a time like 08:00")
    return time(int(found[1]), int(found[2]))  # ValueError past 23:59


def parse_span(text: str) -> tuple[str, str]:
    """ "21:00-08:00" -> ("21:00", "08:00"); raises ValueError otherwise."""
    start, sep, end = text.replace(" ", "").partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a span like 21:00-08:00")
    return parse_hhmm(start).strftime("%H:%M"), parse_hhmm(end).strftime("%H:%M")


def parse_typed_span(text: str) -> tuple[str, str] | None:
    """A span as people type it ("22-7", "10pm-7am", "22:00 - 07:30"); None if not one."""
    start, sep, end = text.replace("–", "-").partition("-")
    first, last = parse_clock_time(start), parse_clock_time(end)
    if not sep or first is None or last is None or first == last:
        return None
    return first.strftime("%H:%M"), last.strftime("%H:%M")


def at_local(day: date, hhmm: str, zone: str) -> datetime:
    """The UTC instant of `hhmm` on `day` in `zone` (gap: an hour later; overlap: the first)."""
    wall = datetime.combine(day, parse_hhmm(hhmm), tzinfo=ZoneInfo(zone))
    return wall.astimezone(UTC)


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def next_at(hhmm: str, zone: str, after: datetime) -> datetime:
    """The first instant strictly after `after` when the wall clock in `zone` shows `hhmm`."""
    day = local_date(after, zone)
    for offset in range(3):
        candidate = at_local(day + timedelta(days=offset), hhmm, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a local time recurs within three days")


def in_span(moment: datetime, zone: str, start: str, end: str) -> bool:
    """Whether the wall clock in `zone` is within [start, end), which may wrap past midnight."""
    return wall_in_span(moment.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None), start, end)


def wall_in_span(wall: time, start: str, end: str) -> bool:
    """Whether a wall-clock time is within [start, end); start == end is an empty span."""
    first, last = parse_hhmm(start), parse_hhmm(end)
    if first <= last:
        return first <= wall < last
    return wall >= first or wall < last


def quiet_until(moment: datetime, zone: str, start: str, end: str) -> datetime | None:
    """When quiet hours end, if `moment` falls in them; None when it is not quiet."""
    if start == end or not in_span(moment, zone, start, end):
        return None
    return next_at(end, zone, moment)


def zone_of(person: Person | None, default: str) -> str:
    """The person's IANA zone, or the centre's default until they chose one."""
    return person.timezone if person is not None and person.timezone else default


def quiet_span(person: Person | None, default: tuple[str, str]) -> tuple[str, str]:
    """The person's own quiet hours ("00:00"-"00:00": none), or the centre's default."""
    if person is not None and person.quiet_start and person.quiet_end:
        return person.quiet_start, person.quiet_end
    return default
