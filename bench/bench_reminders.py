"""Reminder burst benchmark: 100k clients due in the same minute (not a test; `make bench`).

Prints: time to queue the reminders and, that evening, the nudges (the planner tick: set-based
SQL for the common case, then batches for the rest), the sender's sustained
rate against the sandbox at SEND_RATE_PER_SECOND, the latency of an alert queued while that
backlog drains, and the process's peak memory. BENCH_CLIENTS and BENCH_SECONDS change the size.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlmodel import select

from bot.outbox import OutboxSender
from bot.proactive import reminder_rules, sender_rules
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import load_settings
from bot.telegram_api import BotApi
from flows.checkin.reminder import (
    plan_due_in_bulk_tick,
    plan_due_tick,
    plan_nudges_in_bulk_tick,
    plan_nudges_tick,
)
from storage.db import SessionFactory, make_engine, migrate, session_factory
from storage.models import ClientProfile, Outbox, Person, ReminderSchedule
from storage.repo import store_factory

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
SETTINGS = load_settings(_env_file=None)  # SEND_RATE_PER_SECOND and the rest, as the bot reads them
RATE = SETTINGS.send_rate_per_second
DUE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOKEN = "616161:bench-token"
FIRST = 100_001


async def seed(sessions: object) -> None:
    async with sessions() as session:  # type: ignore[operator]
        trainer = {
            "telegram_user_id": 1,
            "chat_id": 1,
            "role": "trainer",
            "name": "T",
            "timezone": "Europe/London",
            "locale": "en",
            "created_at": DUE,
        }
        await session.exec(insert(Person).values(**trainer))
        for start in range(0, CLIENTS, 10_000):
            ids = range(FIRST + start, FIRST + min(start + 10_000, CLIENTS))
            await session.exec(
                insert(Person).values(
                    [
                        {
                            "id": i,
                            "telegram_user_id": i,
                            "chat_id": i,
                            "role": "client",
                            "name": f"C{i}",
                            "timezone": "Europe/London",
                            "locale": "en",
                            "created_at": DUE,
                        }
                        for i in ids
                    ]
                )
            )
            await session.exec(
                insert(ClientProfile).values(
                    [
                        {
                            "person_id": i,
                            "trainer_id": 1,
                            "clearance": "cleared",
                            "checkin_time": "10:00",
                            "consent_at": DUE,
                            "onboarded_at": DUE - timedelta(days=1),
                        }
                        for i in ids
                    ]
                )
            )
            await session.exec(
                insert(ReminderSchedule).values(
                    [{"client_id": i, "next_due_at": DUE, "updated_at": DUE} for i in ids]
                )
            )
        await session.commit()


async def queue_all(sessions: SessionFactory, now: datetime) -> int:
    """What the planner tick does (bot/app.py): batch by batch, each isolated
    (flows/engine/ticks.py)."""
    rules, stores = reminder_rules(SETTINGS), store_factory(sessions)
    queued = (await plan_due_in_bulk_tick(stores, now, rules)).done
    while True:
        batch = await plan_due_tick(stores, now, rules)
        queued += batch.done
        if batch.rows < rules.batch or batch.unmarked:
            return queued


async def nudge_all(sessions: SessionFactory, now: datetime) -> int:
    """The planner tick's evening nudges (bot/app.py): set-based, then the rest client by
    client."""
    rules, stores = reminder_rules(SETTINGS), store_factory(sessions)
    queued = (await plan_nudges_in_bulk_tick(stores, now, rules)).done
    return queued + (await plan_nudges_tick(stores, now, rules)).done


async def main() -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    await migrate(engine)
    sessions = session_factory(engine)
    await seed(sessions)
    now = DUE + timedelta(seconds=30)
    started = time.perf_counter()
    queued = await queue_all(sessions, now)
    queue_seconds = time.perf_counter() - started
    print(
        f"clients: {CLIENTS}; reminders queued: {queued} in {queue_seconds:.1f} s "
        f"({queued / queue_seconds:,.0f}/s)"
    )
    evening = DUE.replace(hour=19, minute=0, second=30)  # NUDGE_TIME in London, no check-ins
    started = time.perf_counter()
    nudged = await nudge_all(sessions, evening)
    nudge_seconds = time.perf_counter() - started
    print(f"nudges queued: {nudged} in {nudge_seconds:.1f} s ({nudged / nudge_seconds:,.0f}/s)")

    reach = int(RATE * SECONDS * 2) + 10
    personas = [Persona(1, "T", "T")] + [Persona(FIRST + i, "C", "C") for i in range(reach)]
    async with SandboxServer(TOKEN, port=0, personas=personas) as sandbox:
        api = BotApi(sandbox.base_url, TOKEN)
        sender = OutboxSender(sessions, api, lambda: now, sender_rules(SETTINGS))
        drain = asyncio.create_task(sender.deliver_due())
        await asyncio.sleep(SECONDS / 2)
        async with sessions() as session:
            alert = Outbox(
                chat_id=1,
                kind="alert_urgent",
                priority=0,
                text="ALERT",
                not_before=now,
                created_at=now,
            )
            session.add(alert)
            await session.commit()
            alert_id = alert.id
        alert_at = time.perf_counter()
        latency = None
        while latency is None:
            await asyncio.sleep(0.01)
            async with sessions() as session:
                row = (await session.exec(select(Outbox).where(Outbox.id == alert_id))).one()
            if row.status == "sent":
                latency = time.perf_counter() - alert_at
        before = len([c for c in sandbox.calls if c.method == "sendMessage"])
        window_start = time.perf_counter()
        await asyncio.sleep(SECONDS / 2)
        sent = len([c for c in sandbox.calls if c.method == "sendMessage"]) - before
        rate = sent / (time.perf_counter() - window_start)
        sender.close()
        await drain
        await api.aclose()
    print(f"sender: {rate:.1f} messages/s sustained (limit {RATE:g}/s) over {SECONDS / 2:g} s")
    print(f"alert latency while the backlog drains: {latency * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) of this process: {peak:.0f} MB")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
