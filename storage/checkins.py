"""Check-in queries: a client's days, newest last."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func
from sqlalchemy import select as columns
from sqlmodel import col, select

from storage.models import Checkin, CheckinVersion, ClientProfile
from storage.plain import Plain
from storage.repo import Store

# Built once, as every check-in step asks one of them: building costs more than running it.
_DONE = Checkin.status != "in_progress"  # finished or stopped
_IN_RANGE = (
    Checkin.client_id == bindparam("client"),
    col(Checkin.local_date) >= bindparam("first"),
    col(Checkin.local_date) <= bindparam("last"),
    _DONE,
)
_ON = Plain(
    select(Checkin).where(
        Checkin.client_id == bindparam("client"), Checkin.local_date == bindparam("day")
    )
)
_BETWEEN = Plain(select(Checkin).where(*_IN_RANGE).order_by(col(Checkin.local_date)))
_DATES = Plain(select(col(Checkin.local_date)).where(*_IN_RANGE))


async def checkin_on(store: Store, client_id: int, day: date) -> Checkin | None:
    return await store.load_first(Checkin, _ON, {"client": client_id, "day": day})


ANSWER_COLUMNS = (
    "pain_now",
    "exercise_pain",
    "morning",
    "stiffness",
    "swelling",
    "night_waking",
    "night_eased",
    "confidence",
    "red_flags",
    "exercises",
    "note",
)
"""The check-in's columns that hold what the client answered (an earlier version keeps them)."""


async def keep_submitted(store: Store, row: Checkin, now: datetime) -> CheckinVersion | None:
    """Before a submitted (done or stopped) check-in is overwritten by new answers for its day,
    keep it as an earlier version: symptoms and notes must never silently vanish."""
    if row.id is None or row.status == "in_progress":
        return None
    count = select(func.count()).where(CheckinVersion.checkin_id == row.id)
    earlier = int((await store.session.exec(count)).one() or 0)
    version = CheckinVersion(
        checkin_id=row.id,
        version=earlier + 1,
        client_id=row.client_id,
        local_date=row.local_date,
        status=row.status,
        answers={name: getattr(row, name) for name in ANSWER_COLUMNS},
        severity=row.severity,
        rules=list(row.rules or []),
        light=row.light,
        submitted_at=row.completed_at,
        replaced_at=now,
    )
    await store.add(version)
    return version


async def replaced_versions(
    store: Store, client_id: int, first: date, last: date
) -> list[CheckinVersion]:
    """Earlier versions of the client's check-ins from `first` to `last`, oldest first."""
    query = (
        select(CheckinVersion)
        .where(
            CheckinVersion.client_id == client_id,
            col(CheckinVersion.local_date) >= first,
            col(CheckinVersion.local_date) <= last,
        )
        .order_by(col(CheckinVersion.local_date), col(CheckinVersion.version))
    )
    return list((await store.session.exec(query)).all())


async def checkins_between(store: Store, client_id: int, first: date, last: date) -> list[Checkin]:
    """Check-ins from `first` to `last` inclusive, oldest first (finished or stopped ones)."""
    return await store.load(Checkin, _BETWEEN, _range(client_id, first, last))


async def checkin_dates(store: Store, client_id: int, first: date, last: date) -> set[date]:
    """The local dates from `first` to `last` with a finished or stopped check-in (streaks)."""
    return {day for (day,) in await store.read(_DATES, _range(client_id, first, last))}


class DayRow(NamedTuple):
    """What a roster needs of a check-in: its day, light and exercises, not the whole row."""

    client_id: int
    local_date: date
    light: str | None
    severity: str | None
    exercises: list[dict[str, Any]]


CLIENTS_AT_ONCE = 500  # ids a query: far below any driver's limit on bound parameters
_DAY_ROWS = (
    columns(  # five columns: more than sqlmodel's select is typed for
        col(Checkin.client_id),
        col(Checkin.local_date),
        col(Checkin.light),
        col(Checkin.severity),
        col(Checkin.exercises),
    )
    .where(
        col(Checkin.client_id).in_(bindparam("clients", expanding=True)),
        col(Checkin.local_date) >= bindparam("first"),
        col(Checkin.local_date) <= bindparam("last"),
        col(Checkin.status) != "in_progress",
    )
    .order_by(col(Checkin.client_id), col(Checkin.local_date))
)


async def day_rows(
    store: Store, client_ids: Sequence[int], first: date, last: date
) -> dict[int, list[DayRow]]:
    """Each client's finished or stopped check-ins from `first` to `last`, oldest first: a
    query per CLIENTS_AT_ONCE clients, where one a client took minutes for a large roster."""
    found: dict[int, list[DayRow]] = {}
    for start in range(0, len(client_ids), CLIENTS_AT_ONCE):
        chunk = list(client_ids[start : start + CLIENTS_AT_ONCE])
        params = {"clients": chunk, "first": first, "last": last}
        for values in (await store.core(_DAY_ROWS, params)).all():
            row = DayRow._make(values)
            found.setdefault(row.client_id, []).append(row)
    return found


def _range(client_id: int, first: date, last: date) -> dict[str, object]:
    return {"client": client_id, "first": first, "last": last}


async def has_checkins(store: Store, client_id: int) -> bool:
    """Whether the client ever finished (or stopped) a check-in."""
    query = select(Checkin.id).where(
        Checkin.client_id == client_id, Checkin.status != "in_progress"
    )
    return (await store.session.exec(query.limit(1))).first() is not None


async def latest_checkin_dates(store: Store, trainer_id: int | None) -> dict[int, date]:
    """Each client's latest finished or stopped check-in date: one trainer's current clients,
    or every client's when `trainer_id` is None (one grouped query, however many clients)."""
    query = (
        select(col(Checkin.client_id), func.max(col(Checkin.local_date)))
        .join(ClientProfile, col(ClientProfile.person_id) == col(Checkin.client_id))
        .where(Checkin.status != "in_progress")
        .group_by(col(Checkin.client_id))
    )
    if trainer_id is not None:
        query = query.where(ClientProfile.trainer_id == trainer_id)
    rows = (await store.session.exec(query)).all()
    return {client_id: _as_date(last) for client_id, last in rows if last is not None}


def _as_date(value: date | str) -> date:
    """MAX() over a date column comes back as text on some drivers."""
    return value if isinstance(value, date) else date.fromisoformat(value)
