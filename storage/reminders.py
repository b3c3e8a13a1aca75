"""Reminder queries: due schedules, the facts the planner needs per batch, nudge candidates.

Batch-shaped on purpose: planning 100k clients is a few queries per few hundred clients, never a
few queries per client. Portable SQL only (SQLite now, PostgreSQL later): string keys are built
with `||` through SQLAlchemy, rows are claimed with FOR UPDATE SKIP LOCKED where supported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, insert, literal, or_
from sqlmodel import col, select

from storage.failures import not_failing
from storage.models import (
    NORMAL_PRIORITY,
    Alert,
    Checkin,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Pause,
    Person,
    ReminderSchedule,
    Role,
)
from storage.repo import Store

Due = tuple[ReminderSchedule, Person, ClientProfile]
OUTBOX_DEFAULTS: dict[str, Any] = {
    "person_id": None,
    "priority": NORMAL_PRIORITY,
    "buttons": [],
    "dedupe_key": None,
    "status": OutboxStatus.PENDING,
    "attempts": 0,
    "sent_at": None,
    "telegram_message_id": None,
    "last_error": None,
}


async def queue_many(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """A burst of outbox rows (a planner batch) in one INSERT of plain values: building ORM
    objects and flushing them one by one cost most of the time of queueing 100k reminders."""
    if rows:
        await store.core(insert(Outbox), [{**OUTBOX_DEFAULTS, **row} for row in rows])


async def schedule_of(store: Store, client_id: int) -> ReminderSchedule | None:
    return await store.session.get(ReminderSchedule, client_id)


async def unscheduled_clients(
    store: Store, limit: int, only: Sequence[int] | None = None
) -> list[tuple[Person, ClientProfile]]:
    """Onboarded clients with a check-in time but no schedule row yet (just joined, or seeded);
    `only`: of these ids."""
    query = (
        select(Person, ClientProfile)
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .outerjoin(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .where(
            Person.role == Role.CLIENT,
            col(ClientProfile.onboarded_at).is_not(None),
            col(ClientProfile.checkin_time).is_not(None),
            col(ReminderSchedule.client_id).is_(None),
        )
        .order_by(col(Person.id))
        .limit(limit)
    )
    if only is not None:
        query = query.where(col(Person.id).in_(list(only)))
    return [(p, c) for p, c in (await store.session.exec(query)).all()]


async def unscheduled_client_ids(store: Store, limit: int, tick: str, now: datetime) -> list[int]:
    """The ids unscheduled_clients would give, leaving out those `tick` waits to retry."""
    query = (
        select(Person.id)
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .outerjoin(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .where(
            Person.role == Role.CLIENT,
            col(ClientProfile.onboarded_at).is_not(None),
            col(ClientProfile.checkin_time).is_not(None),
            col(ReminderSchedule.client_id).is_(None),
            not_failing(tick, Person.id, now),
        )
        .order_by(col(Person.id))
        .limit(limit)
    )
    return [pid for pid in (await store.session.exec(query)).all() if pid is not None]


async def due_schedules(
    store: Store, now: datetime, limit: int, only: Sequence[int] | None = None
) -> list[Due]:
    """Schedules due by `now`, earliest first, locked for this planner (others skip them);
    `only`: of these clients."""
    query = (
        select(ReminderSchedule, Person, ClientProfile)
        .join(Person, col(Person.id) == col(ReminderSchedule.client_id))
        .join(ClientProfile, col(ClientProfile.person_id) == col(ReminderSchedule.client_id))
        .where(col(ReminderSchedule.next_due_at) <= now)
        .order_by(col(ReminderSchedule.next_due_at), col(ReminderSchedule.client_id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=ReminderSchedule)
    )
    if only is not None:
        query = query.where(col(ReminderSchedule.client_id).in_(list(only)))
    return [(s, p, c) for s, p, c in (await store.session.exec(query)).all()]


async def due_client_ids(store: Store, now: datetime, limit: int, tick: str) -> list[int]:
    """The next batch of clients due by `now`, earliest first, leaving out those `tick` waits
    to retry (in the query: its LIMIT must not fill up with them)."""
    query = (
        select(ReminderSchedule.client_id)
        .join(Person, col(Person.id) == col(ReminderSchedule.client_id))
        .join(ClientProfile, col(ClientProfile.person_id) == col(ReminderSchedule.client_id))
        .where(
            col(ReminderSchedule.next_due_at) <= now,
            not_failing(tick, ReminderSchedule.client_id, now),
        )
        .order_by(col(ReminderSchedule.next_due_at), col(ReminderSchedule.client_id))
        .limit(limit)
    )
    return list((await store.session.exec(query)).all())


async def paused_between(
    store: Store, client_ids: Sequence[int], first: date, last: date
) -> dict[int, list[tuple[date, date]]]:
    """Each client's pauses (and skipped days) overlapping [first, last]."""
    found: dict[int, list[tuple[date, date]]] = defaultdict(list)
    if not client_ids:
        return found
    query = select(Pause).where(
        col(Pause.client_id).in_(list(client_ids)),
        col(Pause.first_day) <= last,
        col(Pause.last_day) >= first,
    )
    for pause in (await store.session.exec(query)).all():
        found[pause.client_id].append((pause.first_day, pause.last_day))
    return found


async def checkin_dates(
    store: Store, client_ids: Sequence[int], first: date, last: date
) -> dict[int, set[date]]:
    """Each client's dates with a finished (or stopped) check-in in [first, last]."""
    found: dict[int, set[date]] = defaultdict(set)
    if not client_ids:
        return found
    query = select(col(Checkin.client_id), col(Checkin.local_date)).where(
        col(Checkin.client_id).in_(list(client_ids)),
        col(Checkin.local_date) >= first,
        col(Checkin.local_date) <= last,
        Checkin.status != "in_progress",
    )
    for client_id, day in (await store.session.exec(query)).all():
        found[client_id].add(day)
    return found


async def existing_keys(store: Store, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    query = select(Outbox.dedupe_key).where(col(Outbox.dedupe_key).in_(wanted))
    return {key for key in (await store.session.exec(query)).all() if key is not None}


async def latest_alerts(store: Store, client_ids: Sequence[int], rule: str) -> dict[int, datetime]:
    """When each client's newest alert for `rule` was raised (any status)."""
    if not client_ids:
        return {}
    query = (
        select(Alert.client_id, func.max(Alert.created_at))
        .where(col(Alert.client_id).in_(list(client_ids)), Alert.rule == rule)
        .group_by(col(Alert.client_id))
    )
    return {cid: when for cid, when in (await store.session.exec(query)).all()}


async def client_zones(store: Store, skip: tuple[str, datetime] | None = None) -> list[str | None]:
    """The distinct time zones of clients with a reminder schedule (None: the default zone);
    `skip` (tick, now): leaving out clients that tick waits to retry."""
    query = (
        select(Person.timezone)
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .distinct()
    )
    if skip is not None:
        query = query.where(not_failing(skip[0], Person.id, skip[1]))
    return list((await store.session.exec(query)).all())


async def scheduled_in_zone(store: Store, zone: str | None, tick: str, now: datetime) -> list[int]:
    """Clients with a schedule whose stored zone is `zone`, but those `tick` waits to retry."""
    zone_clause = col(Person.timezone).is_(None) if zone is None else Person.timezone == zone
    query = (
        select(Person.id)
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .where(zone_clause, not_failing(tick, Person.id, now))
        .order_by(col(Person.id))
    )
    return [pid for pid in (await store.session.exec(query)).all() if pid is not None]


async def clients_with_profiles(
    store: Store, ids: Sequence[int]
) -> list[tuple[Person, ClientProfile]]:
    """These clients and their profiles, by id."""
    query = (
        select(Person, ClientProfile)
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .where(col(Person.id).in_(list(ids)))
        .order_by(col(Person.id))
    )
    return [(p, c) for p, c in (await store.session.exec(query)).all()]


async def nudge_candidate_ids(
    store: Store,
    zone: str | None,
    day: date,
    before: str,
    prefix: str,
    limit: int,
    skip: tuple[str, datetime] | None = None,
    recent: Recent | None = None,
) -> list[int]:
    """Clients in `zone` whose check-in time is before `before` ("HH:MM"), with no finished
    check-in on `day` and no outbox row keyed `<prefix><client id>:<day>` yet; `skip`
    (tick, now): leaving out clients that tick waits to retry; `recent`: only clients who may
    be at the start of a missed run. Ids only: every minute of the evening the planner looks
    them up, and loading each as a row object cost most of that look-up."""
    key = literal(prefix, String) + cast(Person.id, String) + literal(f":{day.isoformat()}", String)
    zone_clause = col(Person.timezone).is_(None) if zone is None else Person.timezone == zone
    query = (
        select(Person.id)
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .join(ReminderSchedule, col(ReminderSchedule.client_id) == col(Person.id))
        .where(
            zone_clause,
            col(ClientProfile.checkin_time) < before,
            ~exists().where(col(Outbox.dedupe_key) == key),
            ~exists().where(
                col(Checkin.client_id) == col(Person.id),
                col(Checkin.local_date) == day,
                col(Checkin.status) != "in_progress",
            ),
        )
        .order_by(col(Person.id))
        .limit(limit)
    )
    if skip is not None:
        query = query.where(not_failing(skip[0], Person.id, skip[1]))
    if recent is not None:
        query = query.where(_maybe_recent(recent, day))
    return [person_id or 0 for person_id in (await store.session.exec(query)).all()]


@dataclass(frozen=True)
class Recent:
    """Who can be at the start of a missed run: a finished check-in on or after `checkin_since`
    (before the day), onboarded at or after `joined_since` (one not onboarded gets no nudge
    anyway), or a pause ending on or after `paused_since` (paused days are not missed ones).
    Everyone else missed too many days for a nudge, and would be read and turned down every
    minute of the evening."""

    checkin_since: date
    joined_since: datetime
    paused_since: date


def _maybe_recent(recent: Recent, day: date) -> Any:
    return or_(
        exists().where(
            col(Checkin.client_id) == col(Person.id),
            col(Checkin.local_date) >= recent.checkin_since,
            col(Checkin.local_date) < day,
            col(Checkin.status) != "in_progress",
        ),
        col(ClientProfile.onboarded_at) >= recent.joined_since,
        exists().where(
            col(Pause.client_id) == col(Person.id),
            col(Pause.last_day) >= recent.paused_since,
            col(Pause.first_day) <= day,
        ),
    )


async def staff_members(store: Store, only: Sequence[int] | None = None) -> list[Person]:
    """Trainers and admins (`only`: of these ids)."""
    query = (
        select(Person)
        .where(or_(col(Person.role) == Role.TRAINER, col(Person.role) == Role.ADMIN))
        .order_by(col(Person.id))
    )
    if only is not None:
        query = query.where(col(Person.id).in_(list(only)))
    return list((await store.session.exec(query)).all())


async def undigested_routine(store: Store, trainer_id: int) -> list[tuple[Alert, Person]]:
    """A trainer's open routine alerts not yet in a digest, oldest first, with their clients."""
    query = (
        select(Alert, Person)
        .join(Person, col(Person.id) == col(Alert.client_id))
        .where(
            Alert.trainer_id == trainer_id,
            Alert.severity == "routine",
            Alert.status == "open",
            col(Alert.digested_at).is_(None),
        )
        .order_by(col(Alert.created_at), col(Alert.id))
    )
    return [(a, p) for a, p in (await store.session.exec(query)).all()]
