"""Processed update ids (remembered, numbered on from, forgotten after 2 days); job turns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from storage.db import SessionFactory, exclusive, make_engine
from storage.repo import Store


async def test_update_ids_are_claimed_once_then_forgotten(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    async with sessions() as session:
        store = Store(session)
        assert await store.last_update_id() == 0
        assert await store.claim_update(7, clock.now() - timedelta(days=3))
        assert await store.claim_update(9, clock.now())
        assert not await store.claim_update(9, clock.now())  # a redelivery
        await store.commit()
        assert await store.last_update_id() == 9
        assert await store.forget_updates(clock.now() - timedelta(days=2)) == 1
        await store.commit()
        assert await store.claim_update(7, clock.now())  # forgotten: a new update may reuse it
        assert not await store.claim_update(9, clock.now())


async def test_one_process_at_a_time_runs_a_job(engine: AsyncEngine, db_url: str) -> None:
    """A second process (here a second engine) is refused the job while the first holds it,
    and gets it after: an advisory lock on PostgreSQL, a file lock on SQLite."""
    other = make_engine(db_url)
    try:
        async with exclusive(engine, "outbox") as mine:
            assert mine
            async with exclusive(other, "outbox") as theirs, exclusive(other, "plan") as plan:
                assert not theirs
                assert plan  # another job is free
        async with exclusive(other, "outbox") as theirs:
            assert theirs
    finally:
        await other.dispose()
