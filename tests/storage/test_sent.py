"""Sent messages are kept OUTBOX_KEEP_DAYS, then forgotten with their subject links, a batch a
transaction; a message not yet sent never is, however old, and a run with nothing to forget
writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot import app as bot_app
from bot.app import MendBot
from bot.clock import FakeClock
from bot.settings import load_settings
from storage.db import SessionFactory
from storage.models import ALERT_PRIORITY, Outbox, OutboxStatus, OutboxSubject, Role
from storage.repo import Store
from storage.sent import forget_sent
from tests.flows.harness import add_person

KEEP = timedelta(days=90)


async def _queue(
    sessions: SessionFactory, clock: FakeClock, status: OutboxStatus, about: int, **kw: Any
) -> int:
    async with sessions() as session:
        row = await Store(session).enqueue(
            chat_id=1, text="Pat's alert", kind="alert", now=clock.now(), about=[about], **kw
        )
        assert row is not None and row.id is not None
        row.status = status
        await session.commit()
        return row.id


async def _ids(sessions: SessionFactory) -> list[int]:
    async with sessions() as session:
        rows = (await session.exec(select(Outbox.id).order_by(col(Outbox.id)))).all()
        return [row_id or 0 for row_id in rows]


async def _forget(sessions: SessionFactory, clock: FakeClock, limit: int = 100) -> int:
    async with sessions() as session:
        count = await forget_sent(Store(session), clock.now() - KEEP, limit)
        await session.commit()
        return count


async def test_messages_sent_before_the_keep_go_with_their_links_and_nothing_else(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    pat = await add_person(sessions, clock, 7001, "Pat", Role.CLIENT)
    pid = pat.id or 0
    sent = await _queue(sessions, clock, OutboxStatus.SENT, pid)
    failed = await _queue(sessions, clock, OutboxStatus.FAILED, pid)
    pending = await _queue(sessions, clock, OutboxStatus.PENDING, pid, priority=ALERT_PRIORITY)
    sending = await _queue(sessions, clock, OutboxStatus.SENDING, pid)
    clock.advance(KEEP + timedelta(minutes=1))
    recent = await _queue(sessions, clock, OutboxStatus.SENT, pid)
    assert await _forget(sessions, clock) == 2
    assert await _ids(sessions) == [pending, sending, recent]
    async with sessions() as session:
        links = (await session.exec(select(OutboxSubject.outbox_id))).all()
    assert sorted(links) == [pending, sending, recent]
    assert sent not in links and failed not in links
    clock.advance(timedelta(days=1000))  # a message still to be sent stays, however old
    assert await _forget(sessions, clock) == 1
    assert await _ids(sessions) == [pending, sending]


async def test_a_batch_at_a_time_and_nothing_written_when_nothing_is_old(
    sessions: SessionFactory, clock: FakeClock, engine: AsyncEngine
) -> None:
    pat = await add_person(sessions, clock, 7001, "Pat", Role.CLIENT)
    for _ in range(5):
        await _queue(sessions, clock, OutboxStatus.SENT, pat.id or 0)
    writes: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await _forget(sessions, clock) == 0  # all within the keep
        assert writes == []
        clock.advance(KEEP + timedelta(days=1))
        assert [await _forget(sessions, clock, limit=2) for _ in range(4)] == [2, 2, 1, 0]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert await _ids(sessions) == []


async def test_the_hourly_tick_forgets_a_backlog_in_batches(
    sessions: SessionFactory,
    clock: FakeClock,
    engine: AsyncEngine,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OUTBOX_KEEP_DAYS as set; a backlog larger than a batch goes in one run."""
    pat = await add_person(sessions, clock, 7001, "Pat", Role.CLIENT)
    for _ in range(5):
        await _queue(sessions, clock, OutboxStatus.SENT, pat.id or 0)
    monkeypatch.setattr(bot_app, "FORGET_AT_ONCE", 2)
    settings = load_settings(_env_file=None, database_url=db_url, outbox_keep_days=30)
    app = MendBot(settings, clock=clock, seed_demo=False)
    app.engine = engine
    clock.advance(timedelta(days=29))
    assert await app.forget_sent() == 0
    clock.advance(timedelta(days=2))
    assert await app.forget_sent() == 5
    assert await _ids(sessions) == []


async def test_a_long_message_keeps_its_first_part_until_every_part_is_sent(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The first part alone carries the links that find the others when a person is deleted:
    it stays while a later part waits to be sent."""
    pat = await add_person(sessions, clock, 7001, "Pat", Role.CLIENT)
    async with sessions() as session:
        first = await Store(session).enqueue(
            chat_id=1,
            text="Pat\n" + ("x" * 70 + "\n") * 130,
            kind="roster",
            now=clock.now(),
            about=[pat.id],
        )
        await session.commit()
    assert first is not None
    async with sessions() as session:
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
        assert [r.first_part_id for r in rows] == [None, first.id, first.id]
        ids = [r.id for r in rows]
        for row, status in zip(rows, ("sent", "sent", "pending"), strict=True):
            row.status = OutboxStatus(status)
        await session.commit()
    clock.advance(KEEP + timedelta(days=1))
    assert await _forget(sessions, clock) == 1  # the middle part
    assert await _ids(sessions) == [ids[0], ids[2]]
    async with sessions() as session:
        last = await session.get(Outbox, ids[2])
        assert last is not None
        last.status = OutboxStatus.SENT
        await session.commit()
    assert await _forget(sessions, clock) == 2
    assert await _ids(sessions) == []


async def test_a_long_message_goes_whole_even_past_the_batch(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A batch that takes a first part takes its later parts too, beyond the limit: left for
    the next run, they would have no links to be found by if the person were deleted."""
    pat = await add_person(sessions, clock, 7001, "Pat", Role.CLIENT)
    text = "Pat\n" + ("x" * 70 + "\n") * 130
    async with sessions() as session:
        await Store(session).enqueue(
            chat_id=1, text=text, kind="roster", now=clock.now(), about=[pat.id]
        )
        for row in (await session.exec(select(Outbox))).all():
            row.status = OutboxStatus.SENT
        await session.commit()
    clock.advance(KEEP + timedelta(days=1))
    while await _forget(sessions, clock, limit=1):
        async with sessions() as session:
            rows = (await session.exec(select(Outbox))).all()
        ids = {row.id for row in rows}
        assert all(r.first_part_id is None or r.first_part_id in ids for r in rows)
    assert await _ids(sessions) == []
