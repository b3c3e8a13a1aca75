"""The calendar file sent with a confirmed consult, so it lands in the visitor's calendar.

One event per consult, however often it moves: a rescheduled booking carries its original's UID
with a higher SEQUENCE, so calendar apps move the event instead of adding a second one; a cancel
is the same UID again with METHOD:CANCEL and STATUS:CANCELLED.
"""

from __future__ import annotations

from datetime import datetime

PRODID = "-//mendbot//consult//EN"


def booking_uid(booking_id: int) -> str:
    """The UID of a booking's event (also what files sent before bookings stored one used)."""
    return f"booking-{booking_id}@mendbot"


def consult_ics(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    details: str,
    now: datetime,
    sequence: int = 0,
    cancelled: bool = False,
    location: str | None = None,
) -> bytes:
    """One VEVENT in UTC: PUBLISH to add or update the event, CANCEL to remove it."""
    from icalendar import Calendar, Event  # 3 MB: loaded by the first booking, not the bot

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", title)
    event.add("description", details)
    if location:  # the trainer's address or video link
        event.add("location", location)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
