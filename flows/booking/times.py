"""What the consult flows share: free slots from the database, times as people read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.booking.slots import Rules, Window, free_slots
from flows.engine import dates
from flows.engine.schedule import parse_hhmm, zone_of
from storage import booking as bk
from storage.models import Booking, Person
from storage.repo import Store

HOLD_MINUTES = 10


def when(moment: datetime, zone: str, locale: str) -> str:
    """ "Tue 24 Nov, 09:00" on `zone`'s wall clock, as `locale` writes it."""
    return dates.weekday_clock(moment.astimezone(ZoneInfo(zone)), locale)


def clock_at(moment: datetime, zone: str, locale: str) -> str:
    """ "09:00" on `zone`'s wall clock, as `locale` writes it."""
    return dates.clock(moment.astimezone(ZoneInfo(zone)), locale)


async def rules_for(store: Store, trainer_id: int) -> Rules:
    s = await bk.consult_settings(store, trainer_id)
    return Rules(s.length_minutes, s.buffer_minutes, s.notice_hours, s.horizon_days)


async def trainer_slots(
    store: Store, trainer: Person, now: datetime, default_zone: str
) -> list[datetime]:
    """The trainer's free starts (UTC), from their hours, rules, blocked days and bookings."""
    trainer_id = trainer.id or 0
    settings = await bk.consult_settings(store, trainer_id)
    if not settings.accepting:
        return []
    rules = await rules_for(store, trainer_id)
    zone = zone_of(trainer, default_zone)
    windows = [
        Window(a.weekday, parse_hhmm(a.start), parse_hhmm(a.end))
        for a in await bk.availability(store, trainer_id)
    ]
    today = now.astimezone(ZoneInfo(zone)).date()
    blocked = await bk.blocked_dates(store, trainer_id, today)
    taken = [(b.starts_at, b.ends_at) for b in await bk.busy(store, trainer_id, now, now)]
    return free_slots(zone, windows, rules, now, blocked, taken)


async def offered_slots(
    store: Store, trainer_ids: list[int], now: datetime, default_zone: str
) -> dict[datetime, int]:
    """Free starts across the given trainers, each mapped to the first trainer free then."""
    offered: dict[datetime, int] = {}
    for trainer_id in trainer_ids:
        trainer = await store.person(trainer_id)
        if trainer is None:
            continue
        for start in await trainer_slots(store, trainer, now, default_zone):
            offered.setdefault(start, trainer_id)
    return dict(sorted(offered.items()))


async def length_of(store: Store, trainer_id: int) -> timedelta:
    return timedelta(minutes=(await bk.consult_settings(store, trainer_id)).length_minutes)


def is_upcoming(booking: Booking, now: datetime) -> bool:
    return booking.status == "confirmed" and booking.starts_at > now
