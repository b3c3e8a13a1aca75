"""Rows a periodic tick failed on (tick_failure): recorded, skipped until their retry time,
cleared when they next succeed. See flows/engine/ticks.py for how the ticks use them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists
from sqlmodel import col, select

from storage.models import TickFailure
from storage.repo import Store


def not_failing(tick: str, row_id: Any, now: datetime) -> Any:
    """A WHERE clause for a tick's own query: rows of `tick` not waiting for a retry (a query
    with a LIMIT must skip them itself, or enough failing rows would fill every batch)."""
    return ~exists().where(
        col(TickFailure.tick) == tick,
        col(TickFailure.row_id) == row_id,
        col(TickFailure.retry_at) > now,
    )


async def waiting(store: Store, tick: str, now: datetime) -> set[int]:
    """Ids of `tick`'s rows that failed and wait for their retry time."""
    query = select(TickFailure.row_id).where(
        TickFailure.tick == tick, col(TickFailure.retry_at) > now
    )
    return set((await store.session.exec(query)).all())


async def record_failure(
    store: Store,
    tick: str,
    row_id: int,
    error: str,
    now: datetime,
    retry_after: Callable[[int], timedelta],
) -> TickFailure:
    """Count one more failure of the row; it waits `retry_after(failures)` before the next try."""
    found = await store.session.get(TickFailure, (tick, row_id))
    if found is None:
        found = TickFailure(
            tick=tick, row_id=row_id, failures=0, error="", failed_at=now, retry_at=now
        )
    found.failures += 1
    found.error, found.failed_at = error[:200], now
    found.retry_at = now + retry_after(found.failures)
    store.session.add(found)
    await store.session.flush()
    return found


async def clear_failures(store: Store, tick: str, row_ids: Sequence[int]) -> None:
    """The rows succeeded: forget their failures (a read first, so a tick with none writes
    nothing)."""
    if not row_ids:
        return
    where = (col(TickFailure.tick) == tick, col(TickFailure.row_id).in_(list(row_ids)))
    if (await store.session.exec(select(TickFailure.row_id).where(*where).limit(1))).first():
        await store.session.exec(delete(TickFailure).where(*where))


async def forget_failures(store: Store, before: datetime) -> int:
    """Drop failures whose retry time passed long ago: their row is gone or no longer due."""
    result = await store.session.exec(delete(TickFailure).where(col(TickFailure.retry_at) < before))
    return int(result.rowcount or 0)
