"""Stopping the real bot while a periodic tick is under way: the tick finishes (a send in
flight is recorded as sent, not left "sending" for the next start to settle as uncertain), and
nothing is cancelled half-way or logged as failed."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import TRAINER
from bot.sandbox.server import SandboxServer
from storage.db import make_engine, session_factory
from storage.models import Outbox, OutboxStatus
from storage.repo import store_factory

from .burst import until
from .conftest import POLLING, StartBot

pytestmark = pytest.mark.setups(POLLING[0])


async def test_a_stop_lets_the_tick_under_way_finish(
    start_bot: StartBot,
    sandbox: SandboxServer,
    clock: FakeClock,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = await start_bot()
    sandbox.inject_fault_rate(1.0, ["late"], methods=["sendMessage"], hold_seconds=1.0)
    async with store_factory(app.sessions)() as store:
        await store.enqueue(
            chat_id=TRAINER.user_id, text="Your digest", kind="digest", now=clock.now()
        )
        await store.commit()
    await until(lambda: any(c.method == "sendMessage" for c in sandbox.calls), 10)
    with caplog.at_level(logging.ERROR):
        await app.stop()  # the send's answer is still held by Telegram
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    engine = make_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            rows = (await session.exec(select(Outbox))).all()
    finally:
        await engine.dispose()
    assert [(row.text, row.status) for row in rows] == [("Your digest", OutboxStatus.SENT)]
