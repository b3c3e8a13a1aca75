"""Ids that appear in buttons, links and dedupe keys never come back after a delete (DESIGN.md).

SQLite hands the highest id out again after it is deleted unless the table is AUTOINCREMENT;
PostgreSQL sequences never do. Migration 0007 recreates the tables on SQLite, keeping every row.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, MetaData, func, insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import FakeClock
from storage.db import SessionFactory, make_engine, migrate, session_factory
from storage.models import (
    Alert,
    Availability,
    BlockedDate,
    Booking,
    Centre,
    Checkin,
    Conversation,
    Exercise,
    InboxUpdate,
    Invite,
    LibraryExercise,
    Outbox,
    OutboxSubject,
    Pause,
    Person,
    PhaseChange,
    ProcessedUpdate,
    Program,
    ProgramTemplate,
    ProgressionSuggestion,
    ReminderSchedule,
    Role,
    SlotClaim,
    TemplateItem,
)
from storage.models import ConsultSettings as Consult

M0007 = importlib.import_module("storage.migrations.versions.20261204_0007_ids_never_reused")
NOT_SURROGATE = {"centre"}  # always the one row with id 1
# created AUTOINCREMENT from the start by later migrations (0010 the library, 0009 suggestions)
CREATED_NEVER_REUSED = {
    "library_exercise",
    "program_template",
    "template_item",
    "phase_change",
    "progression_suggestion",
}


def _surrogate_tables() -> set[str]:
    """Tables whose primary key is one integer the database hands out."""
    found = set()
    for table in SQLModel.metadata.tables.values():
        [*keys] = table.primary_key.columns
        if (
            len(keys) == 1
            and isinstance(keys[0].type, Integer)
            and not keys[0].foreign_keys
            and keys[0].autoincrement is not False
        ):
            found.add(table.name)
    return found - NOT_SURROGATE


def test_every_surrogate_key_table_is_autoincrement_and_migrated() -> None:
    """A new table with an integer id fails here until it is AUTOINCREMENT (models.NEVER_REUSED)
    and a migration recreates it on SQLite."""
    tables = _surrogate_tables()
    assert tables == set(M0007.NEVER_REUSED) | CREATED_NEVER_REUSED
    for name in tables:
        assert SQLModel.metadata.tables[name].dialect_options["sqlite"]["autoincrement"], name


# --- rows of every kind -------------------------------------------------------------------------


def _person(clock: FakeClock, user_id: int, role: Role = Role.CLIENT) -> Person:
    return Person(
        telegram_user_id=user_id,
        chat_id=user_id,
        role=role,
        name=f"P{user_id}",
        timezone="Europe/London",
        created_at=clock.now(),
    )


Factory = Callable[[int], Any]


def _factories(
    clock: FakeClock,
    trainer: int,
    client: int,
    program: int,
    alone: dict[int, int],
    library: tuple[int, int] = (0, 0),
) -> dict[str, Factory]:
    """One new row of each never-reused table; `n` makes the unique columns differ (`alone`:
    clients without a program yet, by `n`)."""
    now = clock.now()

    def booking(n: int) -> Booking:
        starts = now + timedelta(days=n)
        return Booking(
            trainer_id=trainer,
            prospect_id=client,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            created_at=now,
            updated_at=now,
        )

    return {
        "person": lambda n: _person(clock, 50_000 + n),
        "program": lambda n: Program(client_id=alone[n], updated_at=now),
        "exercise": lambda n: Exercise(program_id=program, name=f"E{n}"),
        "checkin": lambda n: Checkin(
            client_id=client, local_date=date(2026, 1, 1) + timedelta(days=n), started_at=now
        ),
        "pause": lambda n: Pause(
            client_id=client, first_day=date(2026, 1, n), last_day=date(2026, 1, n), created_at=now
        ),
        "alert": lambda n: Alert(
            client_id=client,
            trainer_id=trainer,
            rule="U1",
            severity="urgent",
            created_at=now,
            updated_at=now,
        ),
        "availability": lambda n: Availability(
            trainer_id=trainer, weekday=n % 7, start="09:00", end="12:00"
        ),
        "blocked_date": lambda n: BlockedDate(
            trainer_id=trainer, day=date(2026, 2, 1) + timedelta(days=n)
        ),
        "booking": booking,
        "outbox": lambda n: Outbox(
            chat_id=client, kind="test", text="hello", not_before=now, created_at=now
        ),
        "progression_suggestion": lambda n: ProgressionSuggestion(
            client_id=client,
            trainer_id=trainer,
            day=date(2026, 1, n),
            green_days=7,
            adherence=0.9,
            created_at=now,
        ),
        "library_exercise": lambda n: LibraryExercise(
            name=f"L{n}", name_key=f"l{n}", region="knee", updated_at=now
        ),
        "program_template": lambda n: ProgramTemplate(
            name=f"T{n}", name_key=f"t{n}", phase="early", updated_at=now
        ),
        "template_item": lambda n: TemplateItem(
            template_id=library[1], library_id=library[0], position=n
        ),
        "phase_change": lambda n: PhaseChange(client_id=client, to_phase=f"p{n}", changed_at=now),
    }


async def _add(sessions: SessionFactory, row: Any) -> int:
    async with sessions() as session:
        session.add(row)
        await session.commit()
        await session.refresh(row)
        return int(row.id)


async def _delete(sessions: SessionFactory, model: type[Any], row_id: int) -> None:
    async with sessions() as session:
        row = await session.get(model, row_id)
        assert row is not None
        await session.delete(row)
        await session.commit()


MODELS: dict[str, type[Any]] = {
    "person": Person,
    "program": Program,
    "exercise": Exercise,
    "checkin": Checkin,
    "pause": Pause,
    "alert": Alert,
    "availability": Availability,
    "blocked_date": BlockedDate,
    "booking": Booking,
    "outbox": Outbox,
    "progression_suggestion": ProgressionSuggestion,
    "library_exercise": LibraryExercise,
    "program_template": ProgramTemplate,
    "template_item": TemplateItem,
    "phase_change": PhaseChange,
}


async def test_ids_grow_after_the_newest_rows_are_deleted(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Insert two, delete the newest, insert again: the new id is above the deleted one, in
    every table whose ids buttons, links or dedupe keys carry (SQLite and PostgreSQL)."""
    trainer = await _add(sessions, _person(clock, 1, Role.TRAINER))
    client = await _add(sessions, _person(clock, 2))
    alone = {n: await _add(sessions, _person(clock, 100 + n)) for n in (1, 2, 3)}
    program = await _add(sessions, Program(client_id=client, updated_at=clock.now()))
    assert set(MODELS) == set(M0007.NEVER_REUSED) | CREATED_NEVER_REUSED
    now = clock.now()
    entry = await _add(
        sessions, LibraryExercise(name="Base", name_key="base", region="knee", updated_at=now)
    )
    template = await _add(
        sessions, ProgramTemplate(name="Base", name_key="base", phase="early", updated_at=now)
    )
    made = _factories(clock, trainer, client, program, alone, (entry, template))
    for table, make in made.items():
        first = await _add(sessions, make(1))
        newest = await _add(sessions, make(2))
        await _delete(sessions, MODELS[table], newest)
        again = await _add(sessions, make(3))
        assert first < newest < again, table


# --- migration 0007 on a database with rows in every table -------------------------------------


async def _fill(sessions: SessionFactory, clock: FakeClock) -> None:
    """A row in every table, rows that reference the recreated tables, and values no code can
    use (stored before button values were validated)."""
    now = clock.now()
    async with sessions() as session:
        session.add(Centre(id=1, created_at=now))
        admin, trainer = _person(clock, 1, Role.ADMIN), _person(clock, 2, Role.TRAINER)
        client, visitor = _person(clock, 3), _person(clock, 4, Role.PROSPECT)
        client.timezone, client.quiet_start, client.quiet_end = "london", "22:00", "7h"
        trainer.digest_time = "25:99"
        visitor.timezone = "Asia/Kolkata"
        for person in (admin, trainer, client, visitor):
            session.add(person)
        await session.flush()
        tid, cid, vid = trainer.id or 0, client.id or 0, visitor.id or 0
        profile = SQLModel.metadata.tables["client_profile"]  # as 0006 had it (columns added since)
        values = {"person_id": cid, "trainer_id": tid, "checkin_time": "25:99", "consent_at": now}
        await session.exec(insert(profile).values(**values))
        session.add(
            Invite(
                code="c1",
                role=Role.CLIENT,
                name="X",
                created_by=tid,
                trainer_id=tid,
                created_at=now,
                expires_at=now,
            )
        )
        await (await session.connection()).execute(  # the columns 0006 has, not later ones
            insert(Conversation).values(
                chat_id=3, user_id=3, data={"a": 1}, offered=["x"], version=0, updated_at=now
            )
        )
        session.add(ProcessedUpdate(update_id=77, processed_at=now))
        session.add(InboxUpdate(update_id=78, chat_id=3, event={"k": "v"}, received_at=now))
        program = Program(client_id=cid, questions=["Q4"], updated_by=tid, updated_at=now)
        session.add(program)
        checkin = Checkin(client_id=cid, local_date=date(2026, 11, 20), started_at=now)
        session.add(checkin)
        await session.flush()
        # columns of 0006 only (exercise.library_id came later)
        values = {"program_id": program.id or 0, "name": "Squat", "reps": 10}
        await session.exec(insert(Exercise).values(position=0, sets=3, **values))
        session.add(
            Pause(
                client_id=cid,
                first_day=date(2026, 11, 25),
                last_day=date(2026, 11, 26),
                created_at=now,
            )
        )
        session.add(
            Alert(
                client_id=cid,
                trainer_id=tid,
                checkin_id=checkin.id,
                rule="U1",
                severity="urgent",
                answers={"pain_now": 8},
                created_at=now,
                updated_at=now,
            )
        )
        session.add(ReminderSchedule(client_id=cid, next_due_at=now, updated_at=now))
        # consult_settings and outbox through Core, naming their columns as of 0006 (later
        # revisions add columns the models carry)
        await session.exec(insert(Consult).values(trainer_id=tid, length_minutes=30))
        session.add(Availability(trainer_id=tid, weekday=0, start="09:00", end="12:00"))
        session.add(BlockedDate(trainer_id=tid, day=date(2026, 12, 24)))
        booking = Booking(
            trainer_id=tid,
            prospect_id=vid,
            starts_at=now,
            ends_at=now,
            intake={"goal": "run"},
            created_at=now,
            updated_at=now,
        )
        session.add(booking)
        # a message naming a deleted alert (40), a deleted person (60) and booking (9)
        # outbox rows as 0006 had them (the model has columns added since)
        sent_id = await _old_outbox(
            session,
            now,
            chat_id=2,
            person_id=tid,
            kind="alert_urgent",
            priority=0,
            dedupe_key="alert:40x1",
            buttons=[[{"text": "Ack", "data": "ack:40"}], [{"text": "Msg", "data": "msg:60"}]],
        )
        await _old_outbox(
            session, now, chat_id=4, person_id=vid, kind="bk_reminder_1h", dedupe_key="booking:9:1h"
        )
        await session.flush()
        session.add(SlotClaim(trainer_id=tid, starts_at=now, booking_id=booking.id or 0))
        session.add(OutboxSubject(outbox_id=sent_id, person_id=cid))
        await session.commit()


async def _old_outbox(session: AsyncSession, now: datetime, **values: Any) -> int:
    """An outbox row with only the columns 0006 knew; its id."""
    values = {
        "text": "t",
        "priority": 5,
        "buttons": [],
        "status": "pending",
        "attempts": 0,
        "erase_after_send": False,
        "not_before": now,
        "created_at": now,
        **values,
    }
    table = SQLModel.metadata.tables["outbox"]
    result = await session.exec(insert(table).values(**values).returning(table.c.id))
    return int(result.scalar_one())


def _dump(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order, by column name: the tables and columns
    the database has at its revision (later revisions add some)."""
    found = {}
    here = MetaData()
    here.reflect(connection)
    for name, table in here.tables.items():
        if name in ("tick_failure", "alembic_version"):
            continue
        rows = connection.execute(table.select().order_by(*table.primary_key.columns))
        found[name] = [dict(row._mapping) for row in rows]
    return found


def _schema(connection: Connection) -> dict[str, Any]:
    """Indexes, unique constraints and foreign keys of every table."""
    inspector = inspect(connection)
    found: dict[str, Any] = {}
    for name in inspector.get_table_names():
        found[name] = (
            sorted(
                (i["name"], tuple(i["column_names"]), i["unique"])
                for i in inspector.get_indexes(name)
            ),
            sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            ),
        )
    return found


async def _run(engine: AsyncEngine, fn: Callable[[Connection], Any]) -> Any:
    async with engine.connect() as conn:
        return await conn.run_sync(fn)


def _repaired(before: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """What 0007 does to the values no code can use: NULL (the centre's default)."""
    people = []
    for row in before["person"]:
        values = dict(row)
        if values["timezone"] == "london":
            values["timezone"] = None
        for column in ("quiet_end", "digest_time"):
            if values[column] in ("7h", "25:99"):
                values[column] = None
        people.append(values)
    profiles = [{**row, "checkin_time": None} for row in before["client_profile"]]
    return {**before, "person": people, "client_profile": profiles}


async def _id_of(session: AsyncSession, user_id: int) -> int:
    found = await session.exec(select(Person.id).where(Person.telegram_user_id == user_id))
    return found.one() or 0


def _sqlite_sql(connection: Connection, table: str) -> str:
    query = text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name")
    return str(connection.execute(query, {"name": table}).scalar())


async def test_0007_keeps_every_row_and_constraint_and_ids_grow_past_every_known_one(
    db_url: str, clock: FakeClock
) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    sqlite = engine.dialect.name == "sqlite"
    try:
        await migrate(engine, "0006")
        await _fill(sessions, clock)
        rows, schema = await _run(engine, _dump), await _run(engine, _schema)

        await migrate(engine, "0007")
        assert await _run(engine, _dump) == _repaired(rows)
        assert await _run(engine, _schema) == {**schema, "tick_failure": ([], [], [])}
        if sqlite:
            for table in M0007.NEVER_REUSED:
                assert "AUTOINCREMENT" in await _run(engine, partial(_sqlite_sql, table=table))
            async with engine.connect() as conn:
                assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
                assert (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all() == []
        # new ids are above every id still known: in the table or (SQLite: the sequence starts
        # there) named by a stored message
        async with sessions() as session:
            cid = await _id_of(session, 3)
            tid = await _id_of(session, 2)
        new_person = await _add(sessions, _person(clock, 99))
        new_alert = await _add(
            sessions,
            Alert(
                client_id=cid,
                trainer_id=tid,
                rule="U2",
                severity="urgent",
                created_at=clock.now(),
                updated_at=clock.now(),
            ),
        )
        assert new_person > max(row["id"] for row in rows["person"])
        assert new_alert > max(row["id"] for row in rows["alert"])
        if sqlite:  # on PostgreSQL a stored message can only name ids its sequence handed out
            assert new_person > 60 and new_alert > 40
        now = clock.now()
        new_booking = await _add(
            sessions,
            Booking(
                trainer_id=tid,
                prospect_id=cid,
                starts_at=now,
                ends_at=now,
                created_at=now,
                updated_at=now,
            ),
        )
        assert new_booking > (9 if sqlite else max(row["id"] for row in rows["booking"]))

        await migrate(engine, "-1")  # down to 0006: plain tables again, every row kept
        after = await _run(engine, _dump)
        assert len(after["person"]) == len(rows["person"]) + 1
        assert len(after["alert"]) == 2 and len(after["outbox"]) == 2
        if sqlite:
            assert "AUTOINCREMENT" not in await _run(engine, lambda c: _sqlite_sql(c, "person"))
        await migrate(engine, "0007")  # later revisions add columns and tables of their own
        assert await _run(engine, _dump) == after
        await migrate(engine, "head")  # later revisions add columns: the rows are still there
        assert len((await _run(engine, _dump))["conversation"]) == len(after["conversation"])
    finally:
        await engine.dispose()


async def test_a_migration_that_leaves_a_broken_foreign_key_is_rolled_back(
    tmp_path: Path, clock: FakeClock
) -> None:
    """SQLite migrates with foreign keys off (a recreate drops referenced tables); before it
    commits, PRAGMA foreign_key_check must be clean, or nothing of it stays. Always a SQLite
    file of its own, so it runs when the suite runs on PostgreSQL too."""
    path = tmp_path / "broken.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate(engine, "0006")
        await engine.dispose()
        raw = sqlite3.connect(path)  # foreign keys off: an orphan, as a bug might have left
        raw.execute(
            "INSERT INTO pause (client_id, first_day, last_day, created_at)"
            " VALUES (999, '2026-01-01', '2026-01-01', '2026-01-01 00:00:00')"
        )
        raw.commit()
        raw.close()
        with pytest.raises(RuntimeError, match=r"broken foreign key\(s\): \['pause -> person'\]"):
            await migrate(engine, "head")
        async with engine.connect() as conn:
            version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
            person_sql = await conn.run_sync(lambda c: _sqlite_sql(c, "person"))
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert version == [("0006",)]  # all of it rolled back, the DDL too
        assert "AUTOINCREMENT" not in person_sql and "tick_failure" not in tables
        async with session_factory(engine)() as session:
            assert (await session.exec(select(func.count()).select_from(Pause))).one() == 1
    finally:
        await engine.dispose()
