"""Understanding time zones and clock times the way people type them."""

from __future__ import annotations

import re
from datetime import datetime, time
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
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


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
