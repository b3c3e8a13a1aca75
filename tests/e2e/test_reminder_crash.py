"""The bot process killed (SIGKILL, not a clean stop) mid reminder burst, then restarted.

A real `python -m bot.cli run` against a sandbox, its clock started by MENDBOT_FAKE_NOW at the
minute every client's reminder falls due. After the restart every client has exactly one
reminder, except one whose send was under way at the kill: that row is marked uncertain and not
sent again (it may have reached Telegram), so nobody ever gets two.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.sandbox.server import Persona, SandboxServer
from storage.db import make_engine, migrate, session_factory
from storage.models import (
    Clearance,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Person,
    ReminderSchedule,
    Role,
)

TOKEN = "515151:crash-test-token"
CLIENTS = 40
FIRST_ID = 7001
DUE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 10:00 in London


async def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    await migrate(engine)
    async with session_factory(engine)() as session:
        trainer = Person(
            telegram_user_id=7000,
            chat_id=7000,
            role=Role.TRAINER,
            name="T",
            timezone="Europe/London",
            created_at=DUE - timedelta(days=1),
        )
        session.add(trainer)
        await session.flush()
        for n in range(CLIENTS):
            person = Person(
                telegram_user_id=FIRST_ID + n,
                chat_id=FIRST_ID + n,
                role=Role.CLIENT,
                name=f"C{n}",
                timezone="Europe/London",
                created_at=DUE,
            )
            session.add(person)
            await session.flush()
            session.add(ReminderSchedule(client_id=person.id or 0, next_due_at=DUE, updated_at=DUE))
            session.add(
                ClientProfile(
                    person_id=person.id or 0,
                    trainer_id=trainer.id or 0,
                    clearance=Clearance.CLEARED,
                    checkin_time="10:00",
                    consent_at=DUE,
                    onboarded_at=DUE - timedelta(days=1),
                )
            )
        await session.commit()
    await engine.dispose()


def _spawn(sandbox: SandboxServer, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": sandbox.base_url,
        "DATABASE_URL": db_url,
        "MENDBOT_FAKE_NOW": (DUE + timedelta(seconds=1)).isoformat(),
        "SEND_RATE_PER_SECOND": "15",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=out, stderr=out
        )


def _reminders(sandbox: SandboxServer) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"])
        for c in sandbox.calls
        if c.method == "sendMessage" and c.status == 200 and "check-in" in c.params.get("text", "")
    )


async def _until(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_killed_mid_burst_then_restarted(db_url: str, tmp_path: Path) -> None:
    await _seed(db_url)
    personas = [Persona(FIRST_ID + n, f"C{n}", f"C{n}") for n in range(CLIENTS)]
    personas.append(Persona(7000, "T", "T"))
    log = tmp_path / "bot.log"
    async with SandboxServer(TOKEN, port=0, personas=personas) as sandbox:
        bot = _spawn(sandbox, db_url, log)
        try:
            await _until(lambda: sum(_reminders(sandbox).values()) >= CLIENTS // 3, 60)
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
            at_kill = sum(_reminders(sandbox).values())
            assert 0 < at_kill < CLIENTS, log.read_text()
            bot = _spawn(sandbox, db_url, log)
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
        got = _reminders(sandbox)
    assert max(got.values()) == 1, "nobody gets a reminder twice"
    uncertain = [r for r in rows if r.status == OutboxStatus.FAILED]
    assert len(uncertain) <= 1 and all("uncertain" in (r.last_error or "") for r in uncertain)
    assert {r.chat_id for r in rows if r.status == OutboxStatus.SENT} == set(got)
    assert len(got) == CLIENTS - len(uncertain)
    assert all(r.telegram_message_id for r in rows if r.status == OutboxStatus.SENT)
