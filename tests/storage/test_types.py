"""Times go in and come out aware and in UTC, whatever zone they were given in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from storage.db import SessionFactory
from storage.models import Person, ProcessedUpdate, Role


async def test_aware_times_round_trip_as_utc(sessions: SessionFactory) -> None:
    kolkata = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    async with sessions() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=kolkata))
        await session.commit()
    async with sessions() as session:
        row = await session.get(ProcessedUpdate, 1)
    assert row is not None
    assert row.processed_at == kolkata
    assert row.processed_at.utcoffset() is not None
    assert row.processed_at.tzinfo is not None and row.processed_at.tzname() == "UTC"


async def test_naive_times_are_refused(sessions: SessionFactory) -> None:
    async with sessions() as session:
        session.add(
            Person(
                telegram_user_id=1,
                chat_id=1,
                role=Role.CLIENT,
                name="A",
                created_at=datetime(2026, 1, 1),
            )
        )
        with pytest.raises(Exception, match="naive datetime"):
            await session.commit()
