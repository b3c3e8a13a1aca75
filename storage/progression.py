"""Progression suggestions: the last one per client (the next counts only days after it), and
writing one once per client and day (the unique key makes a second tick harmless)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select

from storage.failures import not_failing
from storage.models import Checkin, ClientProfile, ProgressionSuggestion
from storage.repo import Store


async def last_suggested(store: Store, client_id: int) -> date | None:
    """The last green day a suggestion about this client counted, if any."""
    query = select(func.max(ProgressionSuggestion.day)).where(
        col(ProgressionSuggestion.client_id) == client_id
    )
    return (await store.session.exec(query)).one()


async def add_suggestion(
    store: Store,
    client_id: int,
    trainer_id: int,
    day: date,
    green_days: int,
    adherence: float,
    now: datetime,
) -> ProgressionSuggestion:
    row = ProgressionSuggestion(
        client_id=client_id,
        trainer_id=trainer_id,
        day=day,
        green_days=green_days,
        adherence=adherence,
        created_at=now,
    )
    store.session.add(row)
    await store.session.flush()
    return row


async def suggestion(store: Store, suggestion_id: int) -> ProgressionSuggestion | None:
    return await store.session.get(ProgressionSuggestion, suggestion_id)


async def candidate_ids(
    store: Store,
    after: int,
    limit: int,
    tick: str,
    now: datetime,
    *,
    need: int,
    lookback_days: int,
    flagged: Sequence[str],
) -> list[int]:
    """Up to `limit` onboarded clients above `after` (in order, leaving out those `tick` waits
    to retry) with at least `need` finished check-ins of a green light and no urgent or
    emergency flag since their last suggestion, within `lookback_days` (a day more for time
    zones): the only clients whose run can be long enough. Whether it is a run (no gap, no red
    flag ticked) is for the caller, on their rows; this keeps everyone else out of the query."""
    floor = now.date() - timedelta(days=lookback_days + 1)
    last = (
        select(func.max(ProgressionSuggestion.day))
        .where(col(ProgressionSuggestion.client_id) == col(Checkin.client_id))
        .scalar_subquery()
    )
    query = (
        select(col(Checkin.client_id))
        .join(ClientProfile, col(ClientProfile.person_id) == col(Checkin.client_id))
        .where(
            col(ClientProfile.onboarded_at).is_not(None),
            col(Checkin.client_id) > after,
            col(Checkin.status) != "in_progress",
            col(Checkin.light) == "green",
            or_(col(Checkin.severity).is_(None), col(Checkin.severity).not_in(list(flagged))),
            col(Checkin.local_date) >= floor,
            or_(last.is_(None), col(Checkin.local_date) > last),
            not_failing(tick, Checkin.client_id, now),
        )
        .group_by(col(Checkin.client_id))
        .having(func.count() >= need)
        .order_by(col(Checkin.client_id))
        .limit(limit)
    )
    return list((await store.session.exec(query)).all())
