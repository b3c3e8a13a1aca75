"""The engine never shows SQL parameters: a failed statement's error names no stored value."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.clock import FakeClock
from storage.db import SessionFactory
from storage.models import Person, Role

SENTINEL = "SENTINEL-NAME-9157"


async def test_a_database_error_quotes_no_parameters(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    async with sessions() as session:
        session.add(
            Person(
                telegram_user_id=5, chat_id=5, role=Role.CLIENT, name="A", created_at=clock.now()
            )
        )
        await session.commit()
    async with sessions() as session:
        session.add(
            Person(
                telegram_user_id=5,
                chat_id=5,
                role=Role.CLIENT,
                name=SENTINEL,
                created_at=clock.now(),
            )
        )
        with pytest.raises(IntegrityError) as failed:
            await session.commit()
    assert SENTINEL not in str(failed.value)
    assert "hidden" in str(failed.value)  # SQLAlchemy says so instead of listing them
