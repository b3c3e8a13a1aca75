"""Pauses: the days a client asked for no reminders and no flags."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import col, select

from storage.models import ClientProfile, Pause
from storage.plain import Plain
from storage.repo import Store

# Built once: a check-in asks them for its day and its streak.
_OVERLAPPING = Plain(
    select(Pause).where(
        Pause.client_id == bindparam("client"),
        col(Pause.first_day) <= bindparam("last"),
        col(Pause.last_day) >= bindparam("first"),
    )
)

SKIP_PREFIX = "skip:"
"""Pause.reason of a one-day pause from a reminder's "Skip today" ("skip:sick")."""


def is_skipped_day(pause: Pause) -> bool:
    """A day skipped from the reminder, not a pause: no reminders and the streak kept, but a
    check-in is still welcome."""
    return (pause.reason or "").startswith(SKIP_PREFIX)


async def skipped_days(store: Store, client_id: int, first: date, last: date) -> dict[date, str]:
    """Days from `first` to `last` skipped from a reminder, with why ("sick")."""
    query = select(Pause).where(
        Pause.client_id == client_id,
        col(Pause.first_day) <= last,
        col(Pause.last_day) >= first,
        col(Pause.reason).startswith(SKIP_PREFIX),
    )
    found = (await store.session.exec(query)).all()
    return {p.first_day: (p.reason or "").removeprefix(SKIP_PREFIX) for p in found}


async def pause_on(store: Store, client_id: int, day: date) -> Pause | None:
    params = {"client": client_id, "first": day, "last": day}
    return await store.load_first(Pause, _OVERLAPPING, params)


async def paused_days(store: Store, client_id: int, first: date, last: date) -> set[date]:
    params = {"client": client_id, "first": first, "last": last}
    days: set[date] = set()
    for pause in await store.load(Pause, _OVERLAPPING, params):
        day = max(pause.first_day, first)
        while day <= min(pause.last_day, last):
            days.add(day)
            day += timedelta(days=1)
    return days


async def add_pause(
    store: Store, client_id: int, first: date, days: int, now: datetime, reason: str | None = None
) -> Pause:
    """Pause from `first` for `days` days; an overlapping pause is replaced, not stacked."""
    current = await pause_on(store, client_id, first)
    if current is not None:
        await store.session.delete(current)
    pause = Pause(
        client_id=client_id,
        first_day=first,
        last_day=first + timedelta(days=days - 1),
        reason=reason,
        created_at=now,
    )
    await store.add(pause)
    return pause


async def end_pause(store: Store, client_id: int, today: date) -> bool:
    """End today's pause (today counts as active again); False if none."""
    current = await pause_on(store, client_id, today)
    if current is None:
        return False
    if current.first_day >= today:
        await store.session.delete(current)
    else:
        current.last_day = today - timedelta(days=1)
    await store.session.flush()
    return True


async def pauses_between(store: Store, client_id: int, first: date, last: date) -> list[Pause]:
    """The client's pauses overlapping `first`..`last`, earliest first."""
    query = (
        select(Pause)
        .where(
            Pause.client_id == client_id,
            col(Pause.first_day) <= last,
            col(Pause.last_day) >= first,
        )
        .order_by(col(Pause.first_day), col(Pause.id))
    )
    return list((await store.session.exec(query)).all())


async def clients_pauses_between(
    store: Store, trainer_id: int | None, first: date, last: date
) -> list[Pause]:
    """Pauses overlapping `first`..`last` of one trainer's current clients (everyone's when
    `trainer_id` is None), in one query."""
    query = select(Pause).where(col(Pause.first_day) <= last, col(Pause.last_day) >= first)
    if trainer_id is not None:
        query = query.join(
            ClientProfile, col(ClientProfile.person_id) == col(Pause.client_id)
        ).where(ClientProfile.trainer_id == trainer_id)
    return list((await store.session.exec(query.order_by(col(Pause.id)))).all())
