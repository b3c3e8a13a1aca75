"""The evening nudge's batch path with many clients who stopped checking in (not a test).

Every minute after NUDGE_TIME the planner's batch path (flows/checkin/reminder.py
`plan_nudges_tick`) looks up the clients with no check-in and no nudge today. A client past the
first days of a missed run gets no nudge (R10 takes over), so a centre whose clients drifted
away has most of them in that look-up all evening. A SQLite database is seeded as bench_memory
seeds it (BENCH_NUDGE_CLIENTS clients, default "20000 100000", joined eleven days before and
never checked in), then the batch path runs three minutes of an evening (19:30-19:32 in
London) and each run's wall and CPU time is printed. Nothing is queued: the point is what
turning everyone down costs the event loop.

    .venv/bin/python bench/bench_nudges.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_memory import seed

from bot.proactive import reminder_rules
from bot.settings import load_settings
from flows.checkin.reminder import plan_nudges_tick
from storage.db import make_engine, session_factory
from storage.repo import store_factory

SIZES = [int(n) for n in os.environ.get("BENCH_NUDGE_CLIENTS", "20000 100000").split()]
JOINED = datetime(2026, 11, 20, 9, tzinfo=UTC)
EVENING = [datetime(2026, 12, 1, 19, minute, tzinfo=UTC) for minute in (30, 31, 32)]


async def measure(clients: int) -> list[tuple[int, float, float]]:
    """(nudges queued, wall ms, CPU ms) of each evening minute's run."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'nudges.sqlite3'}"
        await seed(url, clients, JOINED)
        engine = make_engine(url)
        stores = store_factory(session_factory(engine))
        rules = reminder_rules(load_settings(_env_file=None, default_timezone="Europe/London"))
        runs = []
        for now in EVENING:
            wall, cpu = time.perf_counter(), time.process_time()
            done = (await plan_nudges_tick(stores, now, rules)).done
            runs.append(
                (done, 1000 * (time.perf_counter() - wall), 1000 * (time.process_time() - cpu))
            )
        await engine.dispose()
        return runs


def main() -> None:
    print("the evening nudge's batch path, one run a minute, SQLite")
    print("| clients | minute | nudges | wall ms | CPU ms |")
    print("| --- | --- | --- | --- | --- |")
    for clients in SIZES:
        for now, (done, wall, cpu) in zip(EVENING, asyncio.run(measure(clients)), strict=True):
            print(f"| {clients:,} | {now:%H:%M} | {done} | {wall:.0f} | {cpu:.0f} |")


if __name__ == "__main__":
    main()
