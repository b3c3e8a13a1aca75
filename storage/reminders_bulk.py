"""Due reminders and evening nudges queued, schedules moved on, in set-based SQL, a zone at a time.

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

OUTBOX_COLUMNS = [
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
    key = _key("rem:", day.today)
    rows = _messages("reminder", key, now, text, buttons).where(
        *_bulk_due(day, now),
        col(ReminderSchedule.next_due_at) >= day.day_start,  # not a day the bot was down
        *_may_hear(day.today, locale, key),
    )
    result = await store.session.exec(insert(Outbox).from_select(OUTBOX_COLUMNS, rows))
    return int(result.rowcount or 0)


def _key(prefix: str, today: date) -> Any:
    """The dedupe key the batch path writes: `<prefix><client id>:<local date>`."""
    return literal(prefix, String) + cast(col(Person.id), String) + literal(f":{today}", String)


def _messages(
    kind: str, key: Any, now: datetime, text: tuple[str, str], buttons: list[list[dict[str, str]]]
) -> Any:
    """The SELECT of outbox values (OUTBOX_COLUMNS), a row per client, the name in the text."""
    return _joined().with_only_columns(
        col(Person.chat_id),
        col(Person.id),
        literal(kind, String),
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


def _may_hear(today: date, locale: str, key: Any) -> list[Any]:
    """In `locale`, may check in, not paused today, no check-in done today, nothing keyed
    `key` queued yet."""
    person = col(Person.id)
    return [
        col(Person.locale) == locale,
        col(Person.role) == Role.CLIENT,
        col(Person.unreachable_at).is_(None),
        col(ClientProfile.onboarded_at).is_not(None),
        col(ClientProfile.clearance) == Clearance.CLEARED,
        ~exists().where(
            col(Pause.client_id) == person,
            col(Pause.first_day) <= today,
            col(Pause.last_day) >= today,
        ),
        ~exists().where(
            col(Checkin.client_id) == person,
            col(Checkin.local_date) == today,
            col(Checkin.status) != "in_progress",
        ),
        ~exists().where(col(Outbox.dedupe_key) == key),
    ]


async def queue_nudges(
    store: Store,
    day: ZoneDay,
    now: datetime,
    before: str,
    locale: str,
    text: tuple[str, str],
    buttons: list[list[dict[str, str]]],
) -> int:
    """One INSERT ... SELECT: the evening nudge for this zone's clients in `locale` with a
    schedule and a check-in time before `before`, who keep the default quiet hours (the caller
    knows they are not quiet now) and checked in or joined recently enough that this is the
    start of a missed run (`day.recent_since`, `day.joined_since`). Everyone else is left to
    the batch path, which also finds nothing to do for those nudged here (the key)."""
    key = _key("nudge:", day.today)
    recent_checkin = exists().where(
        col(Checkin.client_id) == col(Person.id),
        col(Checkin.local_date) >= day.recent_since,
        col(Checkin.local_date) < day.today,
        col(Checkin.status) != "in_progress",
    )
    rows = _messages("nudge", key, now, text, buttons).where(
        _zone_clause(day),
        col(ClientProfile.checkin_time) < before,
        or_(col(Person.quiet_start).is_(None), col(Person.quiet_end).is_(None)),
        or_(recent_checkin, col(ClientProfile.onboarded_at) >= day.joined_since),
        not_failing(day.tick, col(Person.id), now),
        *_may_hear(day.today, locale, key),
    )
    result = await store.session.exec(insert(Outbox).from_select(OUTBOX_COLUMNS, rows))
    return int(result.rowcount or 0)


async def zone_locales(store: Store) -> list[tuple[str | None, str]]:
    """(stored zone, locale) pairs of clients with a schedule."""
    query = (
        select(Person.timezone, Person.locale)
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .distinct()
    )
    return [(zone, locale) for zone, locale in (await store.session.exec(query)).all()]


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
