"""Due reminders queued and schedules moved on in set-based SQL, a zone at a time.

The planner's common case (flows/checkin/reminder.py `plan_due_in_bulk`): a schedule due today,
not snoozed, whose client checked in (or joined) recently enough that no R10 can be due. Those
need no Python per client: one INSERT ... SELECT per (zone, locale) writes their outbox rows and
one UPDATE per (zone, check-in time) moves their schedules on, the same on SQLite and
PostgreSQL. Everyone else (snoozed, maybe R10, a zone that can't be read, a client waiting for
a retry) is left to the batch path, which decides client by client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, and_, case, cast, exists, insert, literal, or_, update
from sqlmodel import col, select

from storage.failures import not_failing
from storage.models import (
    NORMAL_PRIORITY,
    Checkin,
    Clearance,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Pause,
    Person,
    ReminderSchedule,
    Role,
)
from storage.repo import Store


@dataclass(frozen=True)
class ZoneDay:
    """One stored zone's day, computed in Python (SQL knows no time zones portably)."""

    stored_zone: str | None  # as stored on people; None: the default zone
    today: date  # the local date there now
    day_start: datetime  # when `today` began there (UTC)
    recent_since: date  # a check-in on or after this day (before today): no R10 due
    joined_since: datetime  # onboarded at or after this: no R10 due either
    tick: str  # the planner's tick_failure name: its clients waiting for a retry are left out


def _zone_clause(day: ZoneDay) -> Any:
    if day.stored_zone is None:
        return col(Person.timezone).is_(None)
    return col(Person.timezone) == day.stored_zone


def _bulk_due(day: ZoneDay, now: datetime) -> list[Any]:
    """Due schedules of this zone that the set-based path may plan (see the module's doc)."""
    client = col(ReminderSchedule.client_id)
    recent_checkin = exists().where(
        col(Checkin.client_id) == client,
        col(Checkin.local_date) >= day.recent_since,
        col(Checkin.local_date) < day.today,
        col(Checkin.status) != "in_progress",
    )
    return [
        col(ReminderSchedule.next_due_at) <= now,
        or_(
            col(ReminderSchedule.snoozed_until).is_(None),
            col(ReminderSchedule.snoozed_until) > now,
        ),
        _zone_clause(day),
        or_(recent_checkin, col(ClientProfile.onboarded_at) >= day.joined_since),
        not_failing(day.tick, client, now),
    ]


def _joined() -> Any:
    return (
        select(ReminderSchedule.client_id)
        .join(Person, col(Person.id) == col(ReminderSchedule.client_id))
        .join(ClientProfile, col(ClientProfile.person_id) == col(ReminderSchedule.client_id))
    )


async def bulk_checkin_times(store: Store, day: ZoneDay, now: datetime) -> list[str]:
    """The check-in times among this zone's bulk-plannable due clients."""
    query = (
        select(ClientProfile.checkin_time)
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(ClientProfile.person_id))
        .join(Person, col(Person.id) == col(ClientProfile.person_id))
        .where(*_bulk_due(day, now))
        .distinct()
    )
    return [t for t in (await store.session.exec(query)).all() if t is not None]


async def due_zones(store: Store, now: datetime) -> list[tuple[str | None, str]]:
    """(stored zone, locale) pairs of clients with a schedule due by `now`."""
    query = (
        select(Person.timezone, Person.locale)
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .where(col(ReminderSchedule.next_due_at) <= now)
        .distinct()
    )
    return [(zone, locale) for zone, locale in (await store.session.exec(query)).all()]


async def queue_reminders(
    store: Store,
    day: ZoneDay,
    now: datetime,
    locale: str,
    text: tuple[str, str],
    buttons: list[list[dict[str, str]]],
) -> int:
    """One INSERT ... SELECT: a reminder (text[0] + name + text[1]) for each of this zone's
    bulk-plannable clients in `locale` due today who may check in, isn't paused, hasn't checked
    in today and has no reminder keyed for today yet (the key keeps a second run harmless)."""
    person = col(Person.id)
    key = literal("rem:", String) + cast(person, String) + literal(f":{day.today}", String)
    rows = (
        _joined()
        .with_only_columns(
            col(Person.chat_id),
            person,
            literal("reminder", String),
            literal(NORMAL_PRIORITY),
            literal(text[0], String) + col(Person.name) + literal(text[1], String),
            literal(buttons, JSON),
            key,
            literal(OutboxStatus.PENDING.value, String),
            literal(0),
            literal(now, Outbox.__table__.c.not_before.type),  # type: ignore[attr-defined]
            literal(now, Outbox.__table__.c.created_at.type),  # type: ignore[attr-defined]
            literal(False),
        )
        .where(
            *_bulk_due(day, now),
            col(ReminderSchedule.next_due_at) >= day.day_start,  # not a day the bot was down
            col(Person.locale) == locale,
            col(Person.role) == Role.CLIENT,
            col(Person.unreachable_at).is_(None),
            col(ClientProfile.onboarded_at).is_not(None),
            col(ClientProfile.clearance) == Clearance.CLEARED,
            ~exists().where(
                col(Pause.client_id) == person,
                col(Pause.first_day) <= day.today,
                col(Pause.last_day) >= day.today,
            ),
            ~exists().where(
                col(Checkin.client_id) == person,
                col(Checkin.local_date) == day.today,
                col(Checkin.status) != "in_progress",
            ),
            ~exists().where(col(Outbox.dedupe_key) == key),
        )
    )
    columns = [
        "chat_id",
        "person_id",
        "kind",
        "priority",
        "text",
        "buttons",
        "dedupe_key",
        "status",
        "attempts",
        "not_before",
        "created_at",
        "erase_after_send",
    ]
    result = await store.session.exec(insert(Outbox).from_select(columns, rows))
    return int(result.rowcount or 0)


async def move_on(
    store: Store, day: ZoneDay, now: datetime, checkin_time: str, regular: datetime
) -> int:
    """One UPDATE: this zone's bulk-plannable schedules with `checkin_time` next come due at
    `regular` (computed from the local date and time), or at a later snooze still pending."""
    chosen = _joined().where(*_bulk_due(day, now), col(ClientProfile.checkin_time) == checkin_time)
    snooze = col(ReminderSchedule.snoozed_until)
    statement = (
        update(ReminderSchedule)
        .where(col(ReminderSchedule.client_id).in_(chosen.correlate(None)))
        .values(
            next_due_at=case(
                (and_(snooze.is_not(None), snooze > now, snooze < regular), snooze),
                else_=regular,
            ),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    result = await store.session.exec(statement)
    return int(result.rowcount or 0)
