"""The bot process killed (SIGKILL, not a clean stop) mid reminder burst, then restarted.

A real `python -m bot.cli run` against a sandbox, its clock started by MENDBOT_FAKE_NOW at the
minute every client's reminder falls due. After the restart every client has exactly one
reminder, except one whose send was under way at the kill: that row is marked uncertain and not
sent again (it may have reached Telegram), so nobody ever gets two.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.sandbox.server import SandboxServer
from storage.db import make_engine, session_factory
from storage.models import Outbox, OutboxStatus

from .burst import CLIENTS, FIRST_ID, TOKEN, personas, reminders_sent, seed_burst, spawn_bot, until


@pytest.mark.slow
async def test_killed_mid_burst_then_restarted(db_url: str, tmp_path: Path) -> None:
    await seed_burst(db_url)
    log = tmp_path / "bot.log"
    async with SandboxServer(TOKEN, port=0, personas=personas()) as sandbox:
        bot = spawn_bot(sandbox, db_url, log)
        try:
            await until(lambda: sum(reminders_sent(sandbox).values()) >= CLIENTS // 3, 60)
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
            at_kill = sum(reminders_sent(sandbox).values())
            assert 0 < at_kill < CLIENTS, log.read_text()
            bot = spawn_bot(sandbox, db_url, log)
            engine = make_engine(db_url)
            sessions = session_factory(engine)

            async def settled() -> bool:
                async with sessions() as session:
                    rows = (await session.exec(select(Outbox))).all()
                pending = [
                    r for r in rows if r.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)
                ]
                return len(rows) == CLIENTS and not pending

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while not await settled():
                assert loop.time() < deadline, log.read_text()
                await asyncio.sleep(0.1)
            async with sessions() as session:
                rows = list((await session.exec(select(Outbox))).all())
            await engine.dispose()
        finally:
            bot.send_signal(signal.SIGKILL)  # nothing to check in a clean stop here
            await asyncio.to_thread(bot.wait, 15)
        got = reminders_sent(sandbox)
    assert max(got.values()) == 1, "nobody gets a reminder twice"
    uncertain = [r for r in rows if r.status == OutboxStatus.FAILED]
    assert len(uncertain) <= 1 and all("uncertain" in (r.last_error or "") for r in uncertain)
    sent = {r.chat_id for r in rows if r.status == OutboxStatus.SENT}
    unsure = {r.chat_id for r in uncertain}  # the kill came mid-request: delivered or not
    assert sent <= set(got) and set(got) - sent <= unsure
    assert {FIRST_ID + n for n in range(CLIENTS)} - set(got) <= unsure  # everyone else: one
    assert all(r.telegram_message_id for r in rows if r.status == OutboxStatus.SENT)
