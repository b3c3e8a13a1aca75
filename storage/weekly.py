"""Weekly-summary queries: which clients' summary could be due, without reading every client.

The summary is due in a six-hour window after each client's own weekday and time, in their own
zone: the tick runs each minute, and reading every client to check that in Python cost a second
a run at 20,000 clients (twenty during the window, with a key lookup per client). Clients share
few (zone, day, time) settings, so the caller decides per setting and asks only for the clients
of the due ones, whose summary of that week is not queued yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, and_, cast, exists, literal, or_
from sqlmodel import col, select

from storage.failures import not_failing
from storage.models import ClientProfile, Outbox, Person
from storage.repo import Store


@dataclass(frozen=True)
class WeeklyTime:
    """A weekly setting as stored (None or "": the default), and the ISO week it is due for
    now; week None: its due week is not known (a zone this code cannot read), so each of its
    clients is handed over for their own row to decide (and fail alone)."""

    zone: str | None
    day: int | None
    time: str | None
    week: str | None = None


class RosterClient(NamedTuple):
    """What a trainer's roster shows of a client: one row each, not a person and profile."""

    id: int
    name: str
    timezone: str | None


async def roster_clients(store: Store, trainer_id: int) -> list[RosterClient]:
    """The trainer's current clients (a roster may hold thousands: columns, not objects)."""
    query = (
        select(col(Person.id), col(Person.name), col(Person.timezone))
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .where(ClientProfile.trainer_id == trainer_id)
    )
    rows = (await store.session.exec(query)).all()
    return [RosterClient(pid or 0, name, zone) for pid, name, zone in rows]


async def weekly_times(store: Store, tick: str, now: datetime) -> list[WeeklyTime]:
    """The distinct weekly settings of onboarded clients, but of those `tick` waits to retry."""
    query = (
        select(Person.timezone, ClientProfile.weekly_day, ClientProfile.weekly_time)
        .join(ClientProfile, col(ClientProfile.person_id) == col(Person.id))
        .where(
            col(ClientProfile.onboarded_at).is_not(None),
            not_failing(tick, ClientProfile.person_id, now),
        )
        .distinct()
    )
    return [WeeklyTime(*row) for row in (await store.session.exec(query)).all()]


async def weekly_due_ids(
    store: Store,
    after: int,
    limit: int,
    tick: str,
    now: datetime,
    *,
    due: Sequence[WeeklyTime],
    key_prefix: str,
) -> list[int]:
    """Up to `limit` onboarded clients above `after` (in order, leaving out those `tick` waits
    to retry) with one of the `due` settings and no outbox row keyed
    `<key_prefix><client id>:<week>` for its week yet."""
    if not due:
        return []
    query = (
        select(col(ClientProfile.person_id))
        .join(Person, col(Person.id) == col(ClientProfile.person_id))
        .where(
            col(ClientProfile.onboarded_at).is_not(None),
            col(ClientProfile.person_id) > after,
            or_(*(_having(setting, key_prefix) for setting in due)),
            not_failing(tick, ClientProfile.person_id, now),
        )
        .order_by(col(ClientProfile.person_id))
        .limit(limit)
    )
    return list((await store.session.exec(query)).all())


def _having(setting: WeeklyTime, key_prefix: str) -> Any:
    same = and_(
        _equal(Person.timezone, setting.zone),
        _equal(ClientProfile.weekly_day, setting.day),
        _equal(ClientProfile.weekly_time, setting.time),
    )
    if setting.week is None:
        return same
    key = (
        literal(key_prefix, String) + cast(Person.id, String) + literal(f":{setting.week}", String)
    )
    return and_(same, ~exists().where(col(Outbox.dedupe_key) == key))


def _equal(column: Any, value: object) -> Any:
    return col(column).is_(None) if value is None else col(column) == value
