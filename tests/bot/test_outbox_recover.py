"""The sender's recovery: what a crash or a raising send left "sending" is settled on any later
round, a round with nothing to settle writes nothing (on SQLite such a write every second took
the write lock from the updates being handled), and a row about someone who deleted their data
while it was being sent is deleted as soon as it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.settings import load_settings
from bot.telegram_api import BotApi
from storage.db import SessionFactory
from storage.models import ALERT_PRIORITY, Outbox, OutboxStatus, Role
from storage.repo import Store
from tests.flows.harness import add_person

WRITES = ("INSERT", "UPDATE", "DELETE")


def _api(answer: Any) -> BotApi:
    api = BotApi("http://telegram.invalid", "TOKEN")
    api._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return api


def _sent(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})


def _sender(sessions: SessionFactory, api: BotApi, clock: FakeClock) -> OutboxSender:
    rules = replace(sender_rules(load_settings(_env_file=None)), per_chat_seconds=0.0)
    return OutboxSender(sessions, api, clock.now, rules)


@contextmanager
def _writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """The write statements run on `engine` inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement.split()[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _queue(sessions: SessionFactory, chat_id: int, clock: FakeClock, **kw: Any) -> int:
    async with sessions() as session:
        row = await Store(session).enqueue(
            chat_id=chat_id, text="Time for your check-in", now=clock.now(), **kw
        )
        await session.commit()
        assert row is not None and row.id is not None
        return row.id


async def _status(sessions: SessionFactory, row_id: int) -> Outbox | None:
    async with sessions() as session:
        return await session.get(Outbox, row_id)


async def test_a_round_with_nothing_to_settle_or_send_writes_nothing(
    engine: AsyncEngine, sessions: SessionFactory, clock: FakeClock
) -> None:
    api = _api(_sent)
    sender = _sender(sessions, api, clock)
    try:
        await sender.recover()  # the first round settles whatever a crash left
        with _writes(engine) as writes:
            for _ in range(3):
                await sender.recover()
                assert await sender.deliver_due() == 0
    finally:
        await api.aclose()
    assert writes == []


async def test_a_row_left_sending_after_the_first_round_is_settled_on_the_next(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    pat = await add_person(sessions, clock, 5101, "Pat", Role.CLIENT)
    sam = await add_person(sessions, clock, 5102, "Sam", Role.TRAINER)
    api = _api(_sent)
    sender = _sender(sessions, api, clock)
    try:
        await sender.recover()
        reminder = await _queue(sessions, pat.chat_id, clock, kind="reminder")
        alert = await _queue(
            sessions, sam.chat_id, clock, kind="alert_urgent", priority=ALERT_PRIORITY
        )
        async with sessions() as session:  # as a sender that died mid-send leaves them
            ids = col(Outbox.id).in_([reminder, alert])
            await session.exec(update(Outbox).where(ids).values(status=OutboxStatus.SENDING))
            await session.commit()
        assert await sender.recover() == 1
        assert await sender.deliver_due() == 1
    finally:
        await api.aclose()
    left = await _status(sessions, reminder)
    again = await _status(sessions, alert)
    assert left is not None and left.status == OutboxStatus.FAILED  # may have arrived: not resent
    assert again is not None and again.status == OutboxStatus.SENT  # an alert goes again


async def test_a_row_whose_person_deleted_their_data_while_it_was_sent_is_deleted_at_once(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = await add_person(sessions, clock, 5202, "Sam", Role.TRAINER)
    alert = await _queue(sessions, sam.chat_id, clock, kind="alert_urgent", priority=ALERT_PRIORITY)

    async def deleted_meanwhile(request: httpx.Request) -> httpx.Response:
        async with sessions() as session:  # what /deleteme does to an alert being sent
            await session.exec(
                update(Outbox).where(col(Outbox.id) == alert).values(erase_after_send=True)
            )
            await session.commit()
        return _sent(request)

    api = _api(deleted_meanwhile)
    sender = _sender(sessions, api, clock)
    try:
        await sender.recover()
        assert await sender.deliver_due() == 1
    finally:
        await api.aclose()
    async with sessions() as session:
        assert (await session.exec(select(Outbox))).all() == []
