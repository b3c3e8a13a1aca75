"""The engine never shows SQL parameters: a failed statement's error names no stored value."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.clock import FakeClock
from storage.db import SessionFactory, make_engine
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


@pytest.mark.parametrize("chats_at_once", [1, 16, 40])
async def test_the_postgresql_pool_has_room_for_every_chat_handled_at_once(
    chats_at_once: int,
) -> None:
    """A chat being handled holds two connections (its turn's advisory lock, its update's
    transaction): UPDATE_CONCURRENCY chats must not wait for a connection, and the periodic
    ticks still need theirs. No server is needed: the pool is sized before it connects."""
    engine = make_engine("postgresql://mendbot:secret@127.0.0.1:9/none", chats_at_once)
    try:
        pool = engine.pool
        room = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
        assert room >= 2 * chats_at_once + 10
    finally:
        await engine.dispose()
