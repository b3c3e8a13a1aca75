"""What SQLite lets slide and PostgreSQL does not: 64-bit Telegram ids, NUL in text, and a unique
clash reported as IntegrityError whatever the database's wording (MENDBOT_TEST_POSTGRES_URL runs
these on PostgreSQL too)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import BigInteger, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import TRAINER, seed_demo_centre
from storage.db import SessionFactory, make_engine
from storage.models import Conversation, Invite, Outbox, Person, ProcessedUpdate, Role
from storage.repo import Store
from tests.flows.harness import User, make_router, texts

USER_ID = 2**40 + 7  # Telegram user ids already pass 2**32
CHAT_ID = -1001234567890  # a supergroup's chat id
UPDATE_ID = 2**33 + 1

TELEGRAM_ID_COLUMNS = {
    ("person", "telegram_user_id"),
    ("person", "chat_id"),
    ("conversation", "chat_id"),
    ("conversation", "user_id"),
    ("processed_update", "update_id"),
    ("invite", "used_by_user_id"),
    ("outbox", "chat_id"),
}


async def test_telegram_id_columns_are_bigint(engine: AsyncEngine) -> None:
    def narrow(conn: Connection) -> list[tuple[str, str]]:
        inspector = inspect(conn)
        return [
            (table, column["name"])
            for table, name in TELEGRAM_ID_COLUMNS
            for column in inspector.get_columns(table)
            if column["name"] == name and not isinstance(column["type"], BigInteger)
        ]

    async with engine.connect() as conn:
        assert await conn.run_sync(narrow) == []


async def test_telegram_ids_past_32_bits_round_trip(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    now = clock.now()
    async with sessions() as session:
        store = Store(session)
        person = await store.add_person(
            Person(
                telegram_user_id=USER_ID,
                chat_id=CHAT_ID,
                role=Role.CLIENT,
                name="Big",
                created_at=now,
            )
        )
        assert await store.claim_update(UPDATE_ID, now)
        await store.conversation(CHAT_ID, USER_ID, now)
        await store.add(
            Invite(
                code="big-ids",
                role=Role.CLIENT,
                name="Big",
                created_at=now,
                expires_at=now + timedelta(days=1),
                used_by_user_id=USER_ID,
                used_at=now,
            )
        )
        await store.enqueue(chat_id=CHAT_ID, text="hi", kind="test", now=now, person_id=person.id)
        await store.commit()
    async with sessions() as session:
        store = Store(session)
        found = await store.person_by_user(USER_ID)
        assert found is not None and found.chat_id == CHAT_ID
        convo = await session.get(Conversation, CHAT_ID)
        assert convo is not None and convo.user_id == USER_ID
        assert await session.get(ProcessedUpdate, UPDATE_ID) is not None
        invite = await store.invite("big-ids")
        assert invite is not None and invite.used_by_user_id == USER_ID
        queued = (await session.exec(select(Outbox).where(Outbox.chat_id == CHAT_ID))).all()
        assert [row.text for row in queued] == ["hi"]
        assert not await store.claim_update(UPDATE_ID, now)  # a redelivery


async def test_a_racing_claim_of_one_update_loses_cleanly(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The second claim waits on the first's uncommitted row, then hits the primary key."""
    now = clock.now()
    async with sessions() as first, sessions() as second:
        assert await Store(first).claim_update(UPDATE_ID, now)
        racing = asyncio.create_task(Store(second).claim_update(UPDATE_ID, now))
        await asyncio.sleep(0.3)
        assert not racing.done()  # it waits in the database for the first claim's outcome
        await first.commit()
        assert not await racing
        assert await Store(second).claim_update(UPDATE_ID + 1, now)  # the session still works
        await second.commit()
    async with sessions() as session:
        assert await session.get(ProcessedUpdate, UPDATE_ID + 1) is not None


async def test_nul_characters_typed_in_chat_are_dropped(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """PostgreSQL refuses NUL in text; the event drops it before anything is stored."""
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    trainer = User(make_router(sessions, clock), TRAINER.user_id)
    await trainer.command("invite")
    assert "t.me/testbot?start=" in texts(await trainer.text("An\x00na"))
    async with sessions() as session:
        names = [invite.name for invite in (await session.exec(select(Invite))).all()]
    assert names == ["Anna"]


async def test_plain_urls_get_the_async_drivers(tmp_path: Path) -> None:
    """As DATABASE_URL does in the settings, so the `alembic` command takes the same URLs."""
    for url, driver in (
        ("postgresql://u:p@127.0.0.1/db", "asyncpg"),
        (f"sqlite:///{tmp_path / 'plain.sqlite3'}", "aiosqlite"),
    ):
        engine = make_engine(url)
        assert engine.dialect.driver == driver
        await engine.dispose()
