"""Check-in queries: a client's days, newest last."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from storage.models import Checkin
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
