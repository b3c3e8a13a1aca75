"""The bot process's memory with many clients in the database (not a test; `make bench`).

For each size (BENCH_MEMORY_CLIENTS, default "100000 1000000") a fresh SQLite database is seeded
in set-based SQL (one INSERT ... SELECT over a recursive counter per table: no Python row per
client), then a real `python -m bot.cli run` starts against the sandbox with every periodic tick
running each second (the planner, and the weekly and progression ticks that walk every client),
and answers a few people, who ask for their progress chart (a week of check-ins each). Prints its
resident memory (VmRSS) after BENCH_MEMORY_SECONDS and its peak (VmHWM) from /proc, the drawing
process's (flows/progress/drawer.py: it loads matplotlib, the bot never does), and how long the
bot takes to stop on SIGTERM.

    .venv/bin/python bench/bench_memory.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import String, cast, insert, literal, select

from bot.sandbox.server import Persona, SandboxServer
from storage.db import make_engine, migrate
from storage.models import Checkin, ClientProfile, Person, ReminderSchedule

SIZES = [int(n) for n in os.environ.get("BENCH_MEMORY_CLIENTS", "100000 1000000").split()]
SECONDS = float(os.environ.get("BENCH_MEMORY_SECONDS", "20"))
STOP_SECONDS = 90  # systemd's default before it kills
TOKEN = "717171:bench-memory-token"
FIRST = 1_000  # client ids from here; the trainer is 1
TALKERS = 5  # people who write to the bot while it is measured


def _at(value: datetime, column: Any) -> Any:
    return literal(value, column.type)


async def seed(url: str, clients: int, now: datetime) -> float:
    """A trainer and `clients` onboarded clients with schedules due tomorrow; seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    await migrate(engine)
    person, profile, schedule = (t.__table__ for t in (Person, ClientProfile, ReminderSchedule))  # type: ignore[union-attr,unused-ignore]
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < clients))
    cid = n.c.i + FIRST
    async with engine.begin() as conn:
        await conn.execute(
            insert(person).values(
                id=1,
                telegram_user_id=1,
                chat_id=1,
                role="trainer",
                name="T",
                locale="en",
                created_at=now,
            )
        )
        people = select(
            cid,
            cid,
            cid,
            literal("client", String),
            literal("C", String) + cast(n.c.i, String),
            literal("Europe/London", String),
            literal("en", String),
            _at(now, person.c.created_at),
        )
        columns = ["id", "telegram_user_id", "chat_id", "role", "name", "timezone", "locale"]
        await conn.execute(insert(person).from_select([*columns, "created_at"], people))
        profiles = select(
            cid,
            literal(1),
            literal("cleared", String),
            literal("10:00", String),
            _at(now, profile.c.consent_at),
            _at(now, profile.c.onboarded_at),
        )
        await conn.execute(
            insert(profile).from_select(
                [
                    "person_id",
                    "trainer_id",
                    "clearance",
                    "checkin_time",
                    "consent_at",
                    "onboarded_at",
                ],
                profiles,
            )
        )
        due = select(
            cid,
            _at(now + timedelta(days=1), schedule.c.next_due_at),
            _at(now, schedule.c.updated_at),
        )
        await conn.execute(
            insert(schedule).from_select(["client_id", "next_due_at", "updated_at"], due)
        )
        await conn.execute(insert(Checkin.__table__), _week_of_checkins(now))  # type: ignore[attr-defined]
    await engine.dispose()
    return time.perf_counter() - started


def _week_of_checkins(now: datetime) -> list[dict[str, Any]]:
    """The talkers' last seven days, so that their /progress draws a chart."""
    return [
        {
            "client_id": FIRST + talker,
            "local_date": (now - timedelta(days=day)).date(),
            "status": "done",
            "pain_now": (talker + day) % 6,
            "light": "green",
            "red_flags": [],
            "exercises": [],
            "rules": [],
            "started_at": now - timedelta(days=day),
            "completed_at": now - timedelta(days=day),
        }
        for talker in range(1, TALKERS + 1)
        for day in range(1, 8)
    ]


def spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=out, stderr=out
        )


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


async def measure(clients: int) -> str:
    folder = Path(tempfile.mkdtemp())
    db = folder / "memory.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    seeded = await seed(url, clients, datetime.now(UTC))
    talkers = [Persona(FIRST + n, f"C{n}", f"C{n}") for n in range(1, TALKERS + 1)]
    async with SandboxServer(TOKEN, port=0, personas=talkers) as sandbox:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": url,
            # every tick that walks the clients runs within the measured time, not just the
            # planner: the weekly and progression ticks once loaded everyone (467 MB at 100k)
            "PLAN_INTERVAL_SECONDS": "1",
            "PROGRESS_INTERVAL_SECONDS": "1",
            "DIGEST_INTERVAL_SECONDS": "1",
            "ESCALATE_INTERVAL_SECONDS": "1",
            "BOOKING_INTERVAL_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }
        bot = spawn(env, folder / "bot.log")
        try:
            deadline = time.monotonic() + 120
            while not any(c.method == "deleteWebhook" for c in sandbox.calls):
                if time.monotonic() > deadline or bot.poll() is not None:
                    raise RuntimeError((folder / "bot.log").read_text()[-2000:])
                await asyncio.sleep(0.2)
            for persona in talkers:
                sandbox.user_sends(persona.user_id, "/progress")
            await asyncio.sleep(SECONDS)
            answered = len([c for c in sandbox.calls if c.method == "sendMessage"])
            charts = len([c for c in sandbox.calls if c.method == "sendPhoto"])
            memory = memory_of(bot.pid)
            drawing = [memory_of(pid)["VmRSS"] for pid in children_of(bot.pid)]
        finally:
            stopped = await stop(bot)
    size = db.stat().st_size / 1e6
    return (
        f"| {clients:,} | {size:,.0f} MB | {seeded:.1f} s | {memory['VmRSS'] / 1024:.0f} MB "
        f"| {memory['VmHWM'] / 1024:.0f} MB | {answered} | {charts} "
        f"| {' + '.join(f'{kb / 1024:.0f} MB' for kb in drawing) or 'none'} | {stopped} |"
    )


def children_of(pid: int) -> list[int]:
    """The processes the bot started (its drawing process), from any of its threads."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


async def stop(bot: subprocess.Popen[bytes]) -> str:
    """SIGTERM, as systemd stops it; how long it took to finish what was under way."""
    asked = time.monotonic()
    bot.terminate()
    try:
        await asyncio.to_thread(bot.wait, STOP_SECONDS)
    except subprocess.TimeoutExpired:
        bot.kill()
        await asyncio.to_thread(bot.wait)
        return f"> {STOP_SECONDS} s (killed)"
    return f"{time.monotonic() - asked:.1f} s"


async def main() -> None:
    print(f"the bot process after {SECONDS:g} s, every tick each second, SQLite")
    print(
        "| clients | database | seeded in | RSS | peak RSS | messages sent | charts sent "
        "| drawing process RSS | stopped in |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for clients in SIZES:
        print(await measure(clients), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
