"""A reminder burst run by real bot processes (`python -m bot.cli run`) against a sandbox: 40
clients whose reminders fall due at once, the processes' clock started by MENDBOT_FAKE_NOW."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox.server import Persona, SandboxServer
from storage.db import make_engine, migrate, session_factory
from storage.models import Clearance, ClientProfile, Person, ReminderSchedule, Role

TOKEN = "515151:crash-test-token"
CLIENTS = 40
FIRST_ID = 7001
DUE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 10:00 in London
OUTBOX_TICK = 0.1  # the processes' sender tick, seconds (OUTBOX_INTERVAL_SECONDS)


async def seed_burst(db_url: str) -> None:
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


def spawn_bot(
    sandbox: SandboxServer, db_url: str, log: Path, **settings: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": sandbox.base_url,
        "DATABASE_URL": db_url,
        "MENDBOT_FAKE_NOW": (DUE + timedelta(seconds=1)).isoformat(),
        "SEND_RATE_PER_SECOND": "15",
        "OUTBOX_INTERVAL_SECONDS": str(OUTBOX_TICK),
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=out, stderr=out
        )


def reminders_sent(sandbox: SandboxServer) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"])
        for c in sandbox.calls
        if c.method == "sendMessage" and c.status == 200 and "check-in" in c.params.get("text", "")
    )


def personas() -> list[Persona]:
    """The 40 clients and their trainer, as the sandbox knows them."""
    return [Persona(FIRST_ID + n, f"C{n}", f"C{n}") for n in range(CLIENTS)] + [
        Persona(7000, "T", "T")
    ]


async def until(condition: Callable[[], bool], seconds: float) -> None:
    """Wait (polling) for `condition`; AssertionError after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def logs(folder: Path) -> str:
    """What the bot processes printed, for a failing assertion's message."""
    return "\n".join(path.read_text() for path in sorted(folder.glob("*.log")))
