"""The consult tick: release expired holds, remind 24 h and 1 h before, ask the trainer after.

Every message carries a dedupe key (booking, kind), so running the tick twice, or in two
processes, queues each message once.

One booking that fails (its visitor's zone no code can read, a text that won't format) doesn't
stop the others (flows/engine/ticks.py): it is logged by id and recorded in tick_failure under
"booking", left out for 5 minutes (doubling, up to an hour) and cleared when it next goes
through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from flows.booking.location import location_of, where
from flows.booking.staff import outcome_buttons
from flows.booking.times import when
from flows.booking.visitor import prospect_outbox_buttons
from flows.engine.schedule import zone_of
from flows.engine.texts import N_, t
from flows.engine.ticks import Outcome, RowErrors, Tick, isolated
from storage import booking as bk
from storage.failures import waiting
from storage.models import Booking, Person
from storage.repo import Store, StoreFactory

Reminder = Literal["24h", "1h"]
REMINDERS: tuple[tuple[Reminder, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("1h", timedelta(hours=1)),
)
REMINDER_TEXTS: dict[Reminder, str] = {"24h": N_("bk_reminder_24h"), "1h": N_("bk_reminder_1h")}
OUTCOME_LOOKBACK = timedelta(days=7)
BOOKING_TICK = Tick("booking", "booking", timedelta(minutes=5), timedelta(hours=1))


async def plan_booking_reminders_tick(
    stores: StoreFactory, now: datetime, default_zone: str
) -> Outcome:
    """plan_booking_reminders for every booking at once, one at a time only if that fails."""
    async with stores() as store:
        skip = await waiting(store, BOOKING_TICK.name, now)
        found = await bk.expired_holds(store, now)
        found += await bk.confirmed_between(store, *_window(now))
        ids = [b.id for b in found if b.id is not None and b.id not in skip]

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await plan_booking_reminders(store, now, default_zone, only=batch)

    return await isolated(stores, BOOKING_TICK, now, ids, work)


def _window(now: datetime) -> tuple[datetime, datetime]:
    """Consults that may want a reminder or an outcome now start in this span."""
    return now - OUTCOME_LOOKBACK, now + REMINDERS[0][1]


async def plan_booking_reminders(
    store: Store, now: datetime, default_zone: str, only: Sequence[int] | None = None
) -> int:
    """Queue what is due now (`only`: for these bookings); returns how many were queued."""
    await bk.release_expired_holds(store, now, only)
    queued = 0
    for booking in await bk.confirmed_between(store, *_window(now), only):
        if booking.starts_at > now:
            queued += await _remind(store, booking, now, default_zone)
        elif booking.ends_at <= now:
            queued += await _ask_outcome(store, booking, now, default_zone)
    return queued


def _due_reminder(booking: Booking, now: datetime) -> Reminder | None:
    """The reminder due now, if any: the nearer one wins; one booked late skips the 24 h."""
    for kind, before in reversed(REMINDERS):
        due = booking.starts_at - before
        if due <= now and booking.created_at < due:
            return kind
    return None


async def _remind(store: Store, booking: Booking, now: datetime, default_zone: str) -> int:
    kind = _due_reminder(booking, now)
    prospect = await store.person(booking.prospect_id)
    trainer = await store.person(booking.trainer_id)
    if kind is None or prospect is None or trainer is None:
        return 0
    zone = zone_of(prospect, default_zone)
    text = t(
        REMINDER_TEXTS[kind],
        prospect.locale,
        name=prospect.name,
        trainer=trainer.name,
        when=when(booking.starts_at, zone, prospect.locale),
        zone=zone,
        where=where(prospect.locale, await location_of(store, trainer.id or 0), trainer.name),
    )
    return await _queue(
        store,
        prospect,
        text,
        f"bk_reminder_{kind}",
        f"booking:{booking.id}:{kind}",
        now,
        prospect_outbox_buttons(prospect.locale, booking.id or 0),
    )


async def _ask_outcome(store: Store, booking: Booking, now: datetime, default_zone: str) -> int:
    trainer = await store.person(booking.trainer_id)
    if trainer is None:
        return 0
    zone = zone_of(trainer, default_zone)
    text = t(
        "bk_outcome_ask",
        trainer.locale,
        name=booking.intake.get("name") or "?",
        when=when(booking.starts_at, zone, trainer.locale),
    )
    return await _queue(
        store,
        trainer,
        text,
        "bk_outcome_ask",
        f"booking:{booking.id}:outcome",
        now,
        outcome_buttons(trainer.locale, booking.id or 0),
        about=booking.prospect_id,
    )


async def _queue(
    store: Store,
    person: Person,
    text: str,
    kind: str,
    key: str,
    now: datetime,
    buttons: list[list[dict[str, str]]],
    about: int | None = None,
) -> int:
    row = await store.enqueue(
        chat_id=person.chat_id,
        person_id=person.id,
        text=text,
        kind=kind,
        now=now,
        buttons=buttons,
        dedupe_key=key,
        about=[about],
    )
    return int(row is not None)
