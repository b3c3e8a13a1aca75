"""The calendar file sent with a confirmed consult, so it lands in the visitor's calendar."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

PRODID = "-//mendbot//consult//EN"


def consult_ics(
    *,
    booking_id: int,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    details: str,
    now: datetime,
    sequence: int = 0,
) -> bytes:
    """One VEVENT in UTC; the UID is stable per booking so a re-sent file updates the event."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking_id}@mendbot")
    event.add("dtstamp", now)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", title)
    event.add("description", details)
    event.add("sequence", sequence)
    calendar.add_component(event)
    return calendar.to_ical()
