"""Processed update ids: remembered for redeliveries, numbered on from, forgotten after 2 days."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from storage.db import SessionFactory
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
