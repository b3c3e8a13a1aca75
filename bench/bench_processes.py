"""Several bot processes behind nginx on one PostgreSQL: throughput and latency with 1, 2 and 3.

For each pool size: a fresh database, the sandbox delivering webhooks as Telegram does (40
connections, one chat at a time) to nginx in front of that many `python -m bot.cli run`
processes (tests/e2e/balancer.py). USERS clients check in at once, each typing the whole daily
check-in (10 updates, tests/e2e/crowd.py), each message sent as soon as the answer to the one
before shows in their chat. Latency is from the send to that answer; updates/s is all updates
over the wall time. It measures, never gates.

    BENCH_POSTGRES_URL=postgresql://user:password@host/db .venv/bin/python bench/bench_processes.py

The URL (or MENDBOT_TEST_POSTGRES_URL) names a database through which the benchmark creates and
drops one of its own per pool size (the user needs CREATEDB); BENCH_USERS (30) and
BENCH_PROCESSES ("1,2,3") change the run. Without PostgreSQL or nginx it says so and stops.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from tests.e2e.balancer import BotPool, Nginx, nginx_binary
from tests.e2e.burst import DUE, TOKEN
from tests.e2e.crowd import PLAIN, Crowd

USERS = int(os.environ.get("BENCH_USERS", "30"))
SIZES = [int(n) for n in os.environ.get("BENCH_PROCESSES", "1,2,3").split(",")]
ENV = {
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "LOG_LEVEL": "WARNING",
    "OUTBOX_INTERVAL_SECONDS": "0.5",
}


def admin_url() -> str | None:
    value = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("MENDBOT_TEST_POSTGRES_URL")
    if not value:
        return None
    url = make_url(value).set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(admin: str) -> AsyncIterator[str]:
    """A database of the run's own, dropped afterwards."""
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"mendbot_bench_{uuid.uuid4().hex[:12]}"
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await engine.dispose()


async def check_in(user: ChatUser, latencies: list[float]) -> None:
    for message in PLAIN:
        started = time.perf_counter()
        await user.send(message)
        await user.wait_for(timeout=120)
        latencies.append(time.perf_counter() - started)


async def measure(admin: str, size: int, folder: Path) -> tuple[int, float, list[float]]:
    """(updates, seconds, latencies) for a pool of `size` processes."""
    crowd = Crowd(chats=USERS)
    async with fresh_database(admin) as db_url:
        await crowd.seed(db_url)
        async with SandboxServer(TOKEN, port=0, personas=crowd.personas()) as sandbox:
            pool = BotPool(sandbox, db_url, folder, size, ENV, DUE + timedelta(seconds=1))
            async with Nginx(folder / "nginx", pool.ports) as nginx:
                pool.url = nginx.url
                try:
                    for n in range(size):
                        pool.start(n)
                    for n in range(size):
                        await pool.ready(n)
                    users = [ChatUser(sandbox.base_url, chat) for chat in crowd.chat_ids()]
                    latencies: list[float] = []
                    started = time.perf_counter()
                    await asyncio.gather(*(check_in(user, latencies) for user in users))
                    seconds = time.perf_counter() - started
                    for user in users:
                        await user.aclose()
                finally:
                    await pool.stop()
    return len(latencies), seconds, latencies


def row(size: int, updates: int, seconds: float, latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    p50 = statistics.median(ms)
    cells = (size, updates, f"{updates / seconds:.1f}", f"{p50:.0f}", f"{p95:.0f}")
    return "| " + " | ".join(map(str, cells)) + " |"


async def main() -> None:
    admin = admin_url()
    if admin is None or nginx_binary() is None:
        print("needs PostgreSQL (BENCH_POSTGRES_URL or MENDBOT_TEST_POSTGRES_URL) and nginx")
        return
    print(f"{USERS} clients checking in at once, {len(PLAIN)} updates each, through nginx\n")
    print("| processes | updates | updates/s | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for size in SIZES:
        with tempfile.TemporaryDirectory(prefix="mendbot-bench-") as folder:
            updates, seconds, latencies = await measure(admin, size, Path(folder))
        print(row(size, updates, seconds, latencies), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
