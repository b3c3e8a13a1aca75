"""Processed update ids (remembered, numbered on from, forgotten after 2 days); job and chat
turns."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from storage.db import SessionFactory, chat_turn, exclusive, make_engine, session_factory
from storage.models import Conversation, ProcessedUpdate
from storage.plain import Driver
from storage.repo import Store, plain_insert_new, store_factory


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


async def test_a_conversation_is_saved_with_one_update_and_a_new_one_by_the_session(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    async with sessions() as session:
        store = Store(session)
        convo = Conversation(chat_id=501, user_id=501, data={}, updated_at=clock.now())
        session.add(convo)
        await store.save_chat(convo)  # new: the session inserts it
        assert convo in session.new
        await store.commit()
    async with sessions() as session:
        store = Store(session)
        convo, _ = await store.chat_of(501, 501, clock.now())
        assert convo not in session  # read on the cursor: written by save_chat alone
        await session.exec(update(Conversation).values(version=9))  # as if by someone else
        await store.save_chat(convo)  # unchanged: nothing to write, their change stays
        convo.flow, convo.step, convo.data = "checkin", "pain", {"a": 1}
        await store.save_chat(convo)
        await store.commit()
    async with sessions() as session:
        convo, _ = await Store(session).chat_of(501, 501, clock.now())
        saved = (convo.flow, convo.step, convo.data, convo.version)
        assert saved == ("checkin", "pain", {"a": 1}, 0)


async def test_a_new_chat_is_saved_when_its_update_finishes(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    async with sessions() as session:
        store = Store(session)
        convo, person = await store.chat_of(502, 502, clock.now())
        assert person is None
        convo.flow, convo.locale = "join", "es"
        await store.finish(convo, lambda d: None)
    async with sessions() as session:
        convo, _ = await Store(session).chat_of(502, 502, clock.now())
        assert (convo.user_id, convo.flow, convo.locale, convo.data) == (502, "join", "es", {})
        assert convo.updated_at == clock.now()


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


# Another process asking for a chat's turn: "waited" if it did not get it within the time.
OTHER_PROCESS = """
import asyncio, sys
from storage.db import chat_turn, make_engine, session_factory

async def main():
    engine = make_engine(sys.argv[1])
    async with session_factory(engine)() as session:
        try:
            async with asyncio.timeout(float(sys.argv[3])), chat_turn(session, int(sys.argv[2])):
                print("got", flush=True)
        except TimeoutError:
            print("waited", flush=True)
    await engine.dispose()

asyncio.run(main())
"""


async def other_process(db_url: str, chat: int, seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OTHER_PROCESS,
        db_url,
        str(chat),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )


async def told(child: asyncio.subprocess.Process) -> str:
    assert child.stdout is not None
    return (await asyncio.wait_for(child.stdout.readline(), 60)).decode().strip()


async def test_one_process_at_a_time_holds_a_chat(engine: AsyncEngine, db_url: str) -> None:
    """While one process handles a chat's update, another waits for the chat (an advisory lock
    on PostgreSQL, a byte of a lock file on SQLite) and gets it once it is free; another chat
    is free meanwhile."""
    async with session_factory(engine)() as session:
        async with chat_turn(session, 42):
            waiting, other_chat = (
                await other_process(db_url, 42, 1.0),
                await other_process(db_url, 43, 20.0),
            )
            assert await told(waiting) == "waited"
            assert await told(other_chat) == "got"
        await session.rollback()  # PostgreSQL: the turn ends with the session's transaction
        after = await other_process(db_url, 42, 20.0)
        assert await told(after) == "got"
    for child in (waiting, other_chat, after):
        await asyncio.wait_for(child.wait(), 30)


async def test_a_write_commits_when_its_work_returns_and_leaves_nothing_when_it_raises(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """`Stores.write` runs plain statements in one go, in a transaction of its own (storing
    and forgetting updates): all of it or none."""
    stores = store_factory(sessions)
    row = {"update_id": 41, "processed_at": clock.now()}

    def claim_then_fail(driver: Driver) -> None:
        plain_insert_new(driver, ProcessedUpdate, {**row, "update_id": 42})
        raise RuntimeError("the work failed")

    assert (await stores.write(lambda d: plain_insert_new(d, ProcessedUpdate, row))).rowcount == 1
    with pytest.raises(RuntimeError):
        await stores.write(claim_then_fail)
    async with stores() as store:
        assert await store.last_update_id() == 41
        assert not await store.claim_update(41, clock.now())
        assert await store.claim_update(42, clock.now())  # 42 was rolled back


async def test_the_first_step_of_an_update_claims_it_then_reads_its_chat(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """`claim_chat`: a new chat gets a conversation; a redelivered update reads nothing."""
    async with sessions() as session:
        store = Store(session)
        chat = await store.claim_chat(5, clock.now(), 777, 777, unchecked=True)
        assert chat is not None
        convo, person = chat
        assert (convo.chat_id, person) == (777, None)
        await store.finish(convo, lambda c: None)
        assert await store.claim_chat(5, clock.now(), 777, 777, unchecked=False) is None
        assert (await store.conversation(777, 777, clock.now())).chat_id == 777


async def test_a_conversation_neither_read_nor_held_is_refused(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Whether it has a row is what its read said: without one, saving it could only guess."""
    async with sessions() as session:
        stray = Conversation(chat_id=503, user_id=503, data={}, updated_at=clock.now())
        with pytest.raises(ValueError):
            await Store(session).save_chat(stray)
