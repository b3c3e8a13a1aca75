"""Consult bookings: trainers' consult rules, holds, and the slot claims that forbid doubles.

A hold inserts the booking and its SlotClaim in one savepoint; the claim's primary key (trainer,
start) is what stops a second booking of the same slot, from any session or process. Cancelling
or an expired hold deletes the claim, which frees the slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.models import (
    Availability,
    BlockedDate,
    Booking,
    BookingStatus,
    ConsultSettings,
    Person,
    Role,
    SlotClaim,
)
from storage.repo import Store

ACTIVE = (BookingStatus.HELD, BookingStatus.CONFIRMED)


# trainers' consult rules ------------------------------------------------------------------------
async def consult_settings(store: Store, trainer_id: int) -> ConsultSettings:
    """The trainer's settings, created with the defaults on first use."""
    found = await store.session.get(ConsultSettings, trainer_id)
    if found is None:
        found = ConsultSettings(trainer_id=trainer_id)
        await store.add(found)
    return found


async def availability(store: Store, trainer_id: int) -> list[Availability]:
    query = (
        select(Availability)
        .where(Availability.trainer_id == trainer_id)
        .order_by(col(Availability.weekday), col(Availability.start))
    )
    return list((await store.session.exec(query)).all())


async def set_day_hours(
    store: Store, trainer_id: int, weekday: int, ranges: list[tuple[str, str]]
) -> None:
    """Replace one weekday's hours (an empty list: no consults that day)."""
    await store.session.exec(
        delete(Availability).where(
            col(Availability.trainer_id) == trainer_id, col(Availability.weekday) == weekday
        )
    )
    for start, end in ranges:
        store.session.add(
            Availability(trainer_id=trainer_id, weekday=weekday, start=start, end=end)
        )
    await store.session.flush()


async def blocked_dates(store: Store, trainer_id: int, since: date) -> list[date]:
    query = (
        select(col(BlockedDate.day))
        .where(BlockedDate.trainer_id == trainer_id, col(BlockedDate.day) >= since)
        .order_by(col(BlockedDate.day))
    )
    return list((await store.session.exec(query)).all())


async def toggle_blocked(store: Store, trainer_id: int, day: date) -> bool:
    """Block `day`, or unblock it if it was blocked; True when it is blocked now."""
    query = select(BlockedDate).where(BlockedDate.trainer_id == trainer_id, BlockedDate.day == day)
    found = (await store.session.exec(query)).first()
    if found is not None:
        await store.session.delete(found)
        await store.session.flush()
        return False
    await store.add(BlockedDate(trainer_id=trainer_id, day=day))
    return True


async def consult_trainers(store: Store) -> list[Person]:
    """Trainers who accept consults and have set some hours, by name."""
    with_hours = select(Availability.trainer_id).distinct()
    query = (
        select(Person)
        .where(Person.role == Role.TRAINER, col(Person.id).in_(with_hours))
        .order_by(col(Person.name), col(Person.id))
    )
    people = list((await store.session.exec(query)).all())
    accepting = []
    for person in people:
        if (await consult_settings(store, person.id or 0)).accepting:
            accepting.append(person)
    return accepting


async def busy(store: Store, trainer_id: int, since: datetime, now: datetime) -> list[Booking]:
    """The trainer's live bookings (confirmed, or held and not expired) ending after `since`."""
    query = select(Booking).where(
        Booking.trainer_id == trainer_id,
        col(Booking.status).in_(ACTIVE),
        col(Booking.ends_at) > since,
    )
    rows = (await store.session.exec(query)).all()
    return [b for b in rows if not _expired(b, now)]


def _expired(booking: Booking, now: datetime) -> bool:
    expires = booking.hold_expires_at
    return booking.status == BookingStatus.HELD and expires is not None and expires <= now


# holding, confirming, cancelling ------------------------------------------------------------------
async def hold_slot(
    store: Store,
    *,
    trainer_id: int,
    prospect_id: int,
    starts_at: datetime,
    length: timedelta,
    hold_for: timedelta,
    intake: dict[str, Any],
    now: datetime,
) -> Booking | None:
    """Hold a slot for the prospect; None when someone else holds or owns it."""
    session = store.session
    await _release_expired_claim(store, trainer_id, starts_at, now)
    booking = Booking(
        trainer_id=trainer_id,
        prospect_id=prospect_id,
        starts_at=starts_at,
        ends_at=starts_at + length,
        status=BookingStatus.HELD,
        hold_expires_at=now + hold_for,
        intake=intake,
        created_at=now,
        updated_at=now,
    )
    savepoint = await session.begin_nested()
    try:
        session.add(booking)
        await session.flush()
        assert booking.id is not None
        session.add(SlotClaim(trainer_id=trainer_id, starts_at=starts_at, booking_id=booking.id))
        await session.flush()
    except IntegrityError:
        await savepoint.rollback()
        return None
    await savepoint.commit()
    return booking


async def _release_expired_claim(
    store: Store, trainer_id: int, starts_at: datetime, now: datetime
) -> None:
    """An expired hold on this very slot gives way (writes first, so no read-to-write upgrade)."""
    expired = select(Booking.id).where(
        Booking.trainer_id == trainer_id,
        Booking.starts_at == starts_at,
        Booking.status == BookingStatus.HELD,
        col(Booking.hold_expires_at) <= now,
    )
    await store.session.exec(delete(SlotClaim).where(col(SlotClaim.booking_id).in_(expired)))
    await store.session.exec(
        update(Booking)
        .where(col(Booking.id).in_(expired))
        .values(status=BookingStatus.CANCELLED, cancel_reason="hold expired", updated_at=now)
    )


async def booking(store: Store, booking_id: int) -> Booking | None:
    return await store.session.get(Booking, booking_id)


def confirm(booking: Booking, now: datetime, phone: str | None = None) -> None:
    booking.status, booking.hold_expires_at, booking.updated_at = BookingStatus.CONFIRMED, None, now
    if phone:
        booking.phone = phone


async def cancel(
    store: Store, booking: Booking, now: datetime, by: int | None = None, reason: str | None = None
) -> None:
    """Cancel and free the slot."""
    booking.status, booking.updated_at = BookingStatus.CANCELLED, now
    booking.cancelled_by, booking.cancel_reason = by, reason
    booking.hold_expires_at = None
    await store.session.exec(delete(SlotClaim).where(col(SlotClaim.booking_id) == booking.id))
    await store.session.flush()


async def expired_holds(
    store: Store, now: datetime, only: Sequence[int] | None = None
) -> list[Booking]:
    """Held bookings whose hold has run out (`only`: of these ids)."""
    query = select(Booking).where(
        Booking.status == BookingStatus.HELD, col(Booking.hold_expires_at) <= now
    )
    if only is not None:
        query = query.where(col(Booking.id).in_(list(only)))
    return list((await store.session.exec(query)).all())


async def release_expired_holds(
    store: Store, now: datetime, only: Sequence[int] | None = None
) -> int:
    rows = await expired_holds(store, now, only)
    for row in rows:
        await cancel(store, row, now, reason="hold expired")
    return len(rows)


# lists --------------------------------------------------------------------------------------
async def upcoming(
    store: Store, now: datetime, *, trainer_id: int | None = None, prospect_id: int | None = None
) -> list[Booking]:
    """Confirmed bookings not yet over, soonest first."""
    query = select(Booking).where(
        Booking.status == BookingStatus.CONFIRMED, col(Booking.ends_at) > now
    )
    if trainer_id is not None:
        query = query.where(Booking.trainer_id == trainer_id)
    if prospect_id is not None:
        query = query.where(Booking.prospect_id == prospect_id)
    return list((await store.session.exec(query.order_by(col(Booking.starts_at)))).all())


async def confirmed_between(
    store: Store, first: datetime, last: datetime, only: Sequence[int] | None = None
) -> list[Booking]:
    """Confirmed bookings starting in [first, last] (`only`: of these ids), for reminders and
    outcome prompts."""
    query = select(Booking).where(
        Booking.status == BookingStatus.CONFIRMED,
        col(Booking.starts_at) >= first,
        col(Booking.starts_at) <= last,
    )
    if only is not None:
        query = query.where(col(Booking.id).in_(list(only)))
    return list((await store.session.exec(query.order_by(col(Booking.starts_at)))).all())
