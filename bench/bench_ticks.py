"""The periodic ticks' cost with many clients in the database (not a test; `make bench`).

Every tick runs on the bot's event loop beside the updates, each minute or so, however many
clients there are: a tick that reads every client costs every chat that much latency each run.
For each size (BENCH_TICKS_CLIENTS, default "20000 100000") a SQLite database is seeded as
bench_memory seeds it (set-based SQL; everyone's reminder is due the next day), then each of the
bot's ticks (bot/app.py, the scheduler's jobs) runs once and its wall and CPU time are printed, at
two moments:

- a quiet minute: Tuesday 11:00 in London, when nothing is due;
- Sunday evening: 19:00, inside every client's weekly-summary window, after each summary of the
  week was queued (the keys are seeded): what each minute of those six hours costs. Its first
  run is shown too: it queues what the window's first minute queues but the summaries, chiefly
  the trainer's weekly roster (one trainer has every client here).

    .venv/bin/python bench/bench_ticks.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_memory import FIRST, seed
from sqlalchemy import String, cast, insert, literal, select

from bot.app import MendBot
from bot.clock import FakeClock
from bot.settings import load_settings
from storage.db import make_engine
from storage.models import Outbox

SIZES = [int(n) for n in os.environ.get("BENCH_TICKS_CLIENTS", "20000 100000").split()]
QUIET = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in winter
SUNDAY = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)  # within the default 18:00 + 6 h window
WEEK = "2026-W49"


async def queued_weekly(url: str, clients: int, now: datetime) -> None:
    """Every client's weekly summary of WEEK, as the window's first run leaves the outbox."""
    engine = make_engine(url)
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < clients))
    cid = n.c.i + FIRST
    rows = select(
        cid,
        cid,
        literal("weekly_summary", String),
        literal(5),
        literal("", String),
        literal([], outbox.c.buttons.type),
        literal("sent", String),
        literal(0),
        literal(now, outbox.c.not_before.type),
        literal(now, outbox.c.created_at.type),
        literal("weekly:", String) + cast(cid, String) + literal(f":{WEEK}", String),
    )
    columns = ["chat_id", "person_id", "kind", "priority", "text", "buttons", "status"]
    columns += ["attempts", "not_before", "created_at"]
    async with engine.begin() as conn:
        await conn.execute(insert(outbox).from_select([*columns, "dedupe_key"], rows))
    await engine.dispose()


def ticks(bot: MendBot) -> dict[str, Callable[[], Awaitable[int]]]:
    """The scheduler's jobs but the outbox's delivery (it sends, and nothing is due)."""
    return {
        "plan": bot.plan_reminders,
        "digest": bot.send_digests,
        "escalate": bot.escalate_alerts,
        "booking": bot.plan_booking_reminders,
        "forget_updates": bot.forget_updates,
        "progress": bot.plan_progress,
    }


async def run_ticks(url: str, now: datetime) -> dict[str, tuple[float, float, float]]:
    """Each tick once at `now` after a first run (which may queue): the first run's wall, then
    the second's wall and CPU, in seconds."""
    settings = load_settings(_env_file=None, database_url=url, default_timezone="Europe/London")
    bot = MendBot(settings, clock=FakeClock(now), seed_demo=False)
    bot.engine = make_engine(url)
    try:
        found = {}
        for name, tick in ticks(bot).items():
            first = time.perf_counter()
            await tick()
            wall, cpu = time.perf_counter(), time.process_time()
            await tick()
            found[name] = (wall - first, time.perf_counter() - wall, time.process_time() - cpu)
        return found
    finally:
        await bot.engine.dispose()


async def measure(clients: int) -> list[str]:
    folder = Path(tempfile.mkdtemp())
    quiet_url = f"sqlite+aiosqlite:///{folder / 'quiet.sqlite3'}"
    await seed(quiet_url, clients, QUIET)
    quiet = await run_ticks(quiet_url, QUIET)
    sunday_url = f"sqlite+aiosqlite:///{folder / 'sunday.sqlite3'}"
    await seed(sunday_url, clients, SUNDAY)
    await queued_weekly(sunday_url, clients, SUNDAY)
    sunday = await run_ticks(sunday_url, SUNDAY)
    return [
        f"| {clients:,} | {name} | {_ms(quiet[name][1:])} | {_ms(sunday[name][1:])}"
        f" | {sunday[name][0] * 1000:,.0f} ms |"
        for name in quiet
    ]


def _ms(times: tuple[float, ...]) -> str:
    wall, cpu = times
    return f"{wall * 1000:,.0f} ms | {cpu * 1000:,.0f} ms"


async def main() -> None:
    print("each tick's second run, SQLite (wall, CPU of this process)")
    print(
        "| clients | tick | quiet wall | quiet CPU | Sunday evening wall | Sunday evening CPU"
        " | Sunday's first run wall |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for clients in SIZES:
        print("\n".join(await measure(clients)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
