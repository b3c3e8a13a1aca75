"""Check-in queries: a client's days, newest last."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from storage.models import Checkin, ClientProfile
from storage.repo import Store


async def checkin_on(store: Store, client_id: int, day: date) -> Checkin | None:
    query = select(Checkin).where(Checkin.client_id == client_id, Checkin.local_date == day)
    return (await store.session.exec(query)).first()


async def checkins_between(store: Store, client_id: int, first: date, last: date) -> list[Checkin]:
    """Check-ins from `first` to `last` inclusive, oldest first (finished or stopped ones)."""
    query = (
        select(Checkin)
        .where(
            Checkin.client_id == client_id,
            col(Checkin.local_date) >= first,
            col(Checkin.local_date) <= last,
            Checkin.status != "in_progress",
        )
        .order_by(col(Checkin.local_date))
    )
    return list((await store.session.exec(query)).all())


async def checkin_dates(store: Store, client_id: int, first: date, last: date) -> set[date]:
    """The local dates from `first` to `last` with a finished or stopped check-in (streaks)."""
    query = select(col(Checkin.local_date)).where(
        Checkin.client_id == client_id,
        col(Checkin.local_date) >= first,
        col(Checkin.local_date) <= last,
        Checkin.status != "in_progress",
    )
    return set((await store.session.exec(query)).all())


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
