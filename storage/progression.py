"""Progression suggestions: the last one per client (the next counts only days after it), and
writing one once per client and day (the unique key makes a second tick harmless)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage.models import ProgressionSuggestion
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
