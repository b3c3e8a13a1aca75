"""Understanding time zones and clock times the way people type them."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

COMMON_ZONES: tuple[tuple[str, str], ...] = (
    ("London", "Europe/London"),
    ("Berlin / Paris", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Denver", "America/Denver"),
    ("Los Angeles", "America/Los_Angeles"),
    ("India", "Asia/Kolkata"),
    ("Sydney", "Australia/Sydney"),
)

COMMON_TIMES: tuple[str, ...] = ("07:00", "08:00", "09:00", "12:00", "18:00", "20:00")

_ALIASES = {"utc": "UTC", "gmt": "UTC", "india": "Asia/Kolkata", "paris": "Europe/Paris"}
_TIME = re.compile(r"^([0-9]{1,2})(?:[:.h]([0-9]{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")  # ASCII digits


@cache
def _zones_by_key() -> dict[str, str]:
    """Lower-case IANA names and their city parts ("new york") mapped to IANA names."""
    index: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/")) or "/" not in name:
            continue
        index.setdefault(name.lower(), name)
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        index.setdefault(city, name)
    return index


def find_timezone(text: str) -> str | None:
    """An IANA name from "Europe/London", "london", "New York" or "new_york"; None if unknown."""
    key = " ".join(text.strip().lower().replace("_", " ").split())
    if not key or len(key) > 64:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    zones = _zones_by_key()
    found = zones.get(key) or zones.get(key.replace(" ", "_"))
    if found is None and "/" in key:
        found = zones.get("/".join(p.replace(" ", "_") for p in key.split("/")))
    return found


def zone_label(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def is_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        return False
    return True


def parse_clock_time(text: str) -> time | None:
    """ "7", "7:30", "07.30", "18h00", "6pm", "6:15 am" -> a time; None if not a valid time."""
    match = _TIME.match(text.strip().lower())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local(moment: datetime, zone: str) -> datetime:
    """`moment` on the wall clock of `zone`."""
    return moment.astimezone(ZoneInfo(zone))


MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAY_MONTH = re.compile(r"^([0-9]{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?(?:,?\s+([0-9]{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]{3,9})\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?(?:,?\s+([0-9]{4}))?$")


def parse_day(text: str, today: date) -> date | None:
    """A date as people type it: 2026-12-24, 24 Dec, Dec 24th, 24 December 2026, today,
    tomorrow. Without a year: the next such day from `today` on. None if not a real date."""
    typed = " ".join(text.strip().lower().replace(",", " ").split())
    if typed in ("today", "tomorrow"):
        return today + timedelta(days=int(typed == "tomorrow"))
    try:
        return date.fromisoformat(typed)
    except ValueError:
        pass
    found = _DAY_MONTH.match(typed)
    if found:
        day, month, year = found.groups()
    elif found := _MONTH_DAY.match(typed):
        month, day, year = found.groups()
    else:
        return None
    number = _month_number(month)
    if number is None:
        return None
    years = [int(year)] if year else range(today.year, today.year + 9)  # 29 Feb: the next one
    for candidate_year in years:
        try:
            candidate = date(candidate_year, number, int(day))
        except ValueError:  # 31 Feb, or 29 Feb in a year without one
            continue
        if year or candidate >= today:
            return candidate
    return None


def _month_number(word: str) -> int | None:
    """1-12 for "dec", "december" or "sept"; None for anything else."""
    for number, name in enumerate(MONTH_NAMES, start=1):
        if word in (name, name[:3]) or (number == 9 and word == "sept"):
            return number
    return None
