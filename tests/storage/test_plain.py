"""Statements on the driver's cursor (storage/plain.py): the same values in and out as through
SQLAlchemy, in the same transaction, and rows the session takes as its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import BindParameter, bindparam, create_engine, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import UnmappedColumnError
from sqlmodel import SQLModel, col
from sqlmodel import select as select_rows

from bot.clock import FakeClock
from storage.checkins import checkin_dates, checkin_on, checkins_between
from storage.db import SessionFactory
from storage.models import Checkin, Conversation, InboxUpdate, Person, Role
from storage.plain import Driver, Plain, loaded
from storage.repo import Store
from tests.flows.harness import add_person

_COLUMNS = (col(InboxUpdate.event), col(InboxUpdate.replies), col(InboxUpdate.received_at))
_READ = Plain(
    select(*_COLUMNS)
    .where(col(InboxUpdate.update_id) == bindparam("id"))
    .limit(1)  # a value SQLAlchemy binds itself
)
_WRITE = Plain(insert(InboxUpdate))


async def test_values_go_in_and_come_out_as_through_sqlalchemy(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """JSON and aware datetimes through the column types' own converters, both ways: a row
    written plainly reads the same through SQLAlchemy, and the other way round."""
    event = {"kind": "text", "text": "knee: 4/10 ✓", "nested": [1, None, {"a": "b"}]}
    row = {"chat_id": 7, "event": event, "received_at": clock.now(), "attempts": 1}
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: _WRITE.run(Driver.of(c), {**row, "update_id": 1}))
        await connection.execute(insert(InboxUpdate), {**row, "update_id": 2})
        through_sqlalchemy = (
            await connection.execute(select(*_COLUMNS).where(col(InboxUpdate.update_id) == 1))
        ).one()
        plain = await connection.run_sync(lambda c: _READ.run(Driver.of(c), {"id": 2}).rows)
    assert tuple(through_sqlalchemy) == (event, None, clock.now())
    assert plain == [(event, None, clock.now())]
    assert plain[0][2].utcoffset() == timedelta(0)


async def test_they_run_in_the_transaction_they_are_given(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A claim made on the cursor goes with the session's transaction: rolled back with it."""
    async with sessions() as session:
        store = Store(session)
        assert await store.claim_chat(9, clock.now(), 70, 70, unchecked=True) is not None
        await store.rollback()
    async with sessions() as session:
        store = Store(session)
        assert await store.claim_chat(9, clock.now(), 70, 70, unchecked=True) is not None


async def test_a_row_read_plainly_is_the_sessions_own(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """`loaded`: persistent and unchanged, its later changes flushed at commit; the instance
    the session holds already, if it holds one."""
    await add_person(sessions, clock, 70, "Jo", Role.CLIENT)
    async with sessions() as session:
        store = Store(session)
        chat = await store.claim_chat(9, clock.now(), 70, 70, unchecked=True)
        assert chat is not None and chat[1] is not None
        person = chat[1]
        assert person in session and not session.is_modified(person)
        assert await session.get(Person, person.id) is person
        columns = Person.__table__.c  # type: ignore[attr-defined]
        values = {c.key: getattr(person, c.key) for c in columns}
        assert loaded(session.sync_session, Person, values) is person
        person.name = "Jordan"
        await store.finish(chat[0], lambda d: None)
    async with sessions() as session:
        found = (
            await session.exec(select_rows(Person).where(col(Person.telegram_user_id) == 70))
        ).one()
        assert found.name == "Jordan"
        assert found.created_at == clock.now()


async def test_a_plain_read_sees_the_updates_own_writes_and_its_objects(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """`Store.load` and `Store.read`, as the session's own query: what the update added or
    changed and not yet flushed is flushed first (a check-in's step reads the row it is
    writing), the instance the session holds is the one given back, and dates and JSON come
    back typed."""
    jo = await add_person(sessions, clock, 71, "Jo", Role.CLIENT)
    assert jo.id is not None
    today = clock.now().date()
    async with sessions() as session:
        store = Store(session)
        added = Checkin(client_id=jo.id, local_date=today, started_at=clock.now(), status="done")
        added.exercises = [{"name": "Heel slides", "sets_done": 2}]
        session.add(added)  # pending: not in the database until flushed
        found = await checkin_on(store, jo.id, today)
        assert found is added and added.id is not None
        added.status = "in_progress"  # changed, not flushed: the read must not miss it
        assert await checkin_dates(store, jo.id, today, today) == set()
        added.status = "stopped"
        assert await checkin_dates(store, jo.id, today, today) == {today}
        await store.commit()
    async with sessions() as session:
        (row,) = await checkins_between(Store(session), jo.id, today, today)
        assert row.exercises == [{"name": "Heel slides", "sets_done": 2}]
        assert row.local_date == today and row.started_at == clock.now()
        assert row in session and not session.is_modified(row)


async def test_rows_of_another_model_are_refused_not_mixed_up(sessions: SessionFactory) -> None:
    """`load` fills each attribute from the column of its own name in the statement's order,
    so a statement that is not the model's own fails loudly instead of mixing values up."""
    others = Plain(select(Checkin).where(col(Checkin.id) == bindparam("id")))
    async with sessions() as session:
        with pytest.raises(UnmappedColumnError, match="is configured on mapper"):
            await Store(session).load(Person, others, {"id": 1})


def test_a_statement_it_cannot_run_is_refused_when_first_run() -> None:
    """An expanding IN is rendered per call by SQLAlchemy: not for the cursor."""
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    refused = Plain(
        update(Conversation).where(col(Conversation.chat_id).in_(ids)).values(flow=None)
    )
    with pytest.raises(ValueError):
        refused._for(sqlite.dialect())


def test_a_driver_taking_parameters_by_name_gets_them_by_name(tmp_path: Path) -> None:
    """psycopg's pyformat, here sqlite3's named style: the same statement, run the same."""
    engine = create_engine(f"sqlite:///{tmp_path}/named.sqlite3", paramstyle="named")
    SQLModel.metadata.create_all(engine, tables=[InboxUpdate.__table__])  # type: ignore[attr-defined]
    when = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    row = {"update_id": 3, "chat_id": 7, "event": {"a": [1]}, "received_at": when, "attempts": 1}
    with engine.begin() as connection:
        driver = Driver.of(connection)
        assert _WRITE.run(driver, row).rowcount == 1
        assert _READ.run(driver, {"id": 3}).rows == [({"a": [1]}, None, when)]
    engine.dispose()
