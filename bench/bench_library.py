"""Importing a 5,000-row exercise library: checking the CSV and storing it (goal: under 2 s).

`.venv/bin/python bench/bench_library.py [--rows 5000]`: builds a CSV of that many distinct
entries (with cues and video links), then times `mendbot library import`'s two halves on a fresh
migrated SQLite database: reading and checking every row, and the one-transaction import. A
second import of the same file (every row an update) is timed too.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from bot.clock import Clock
from flows.library.csvfile import read, write
from flows.library.entries import PHASES, REGIONS, Values
from storage.db import make_engine, migrate, session_factory
from storage.library import import_rows
from storage.repo import Store


def sample(rows: int) -> str:
    values = [
        Values(
            name=f"Exercise {n:05d}",
            region=REGIONS[n % len(REGIONS)],
            phases=PHASES[: 1 + n % 3],
            sets=1 + n % 5,
            reps=None if n % 4 == 0 else 5 + n % 20,
            seconds=30 if n % 4 == 0 else None,
            cues="Move slowly, breathe out on the effort, stop if it hurts. " * 2,
            video=f"https://www.youtube.com/watch?v=v{n:05d}" if n % 2 else None,
        )
        for n in range(rows)
    ]
    return write(values)


async def store(url: str, values: list[Values]) -> float:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        async with session_factory(engine)() as session:
            s = Store(session)
            await import_rows(s, [(v.columns(), v.retired) for v in values], now=Clock().now())
            await s.commit()
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def main(rows: int) -> None:
    text = sample(rows)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        engine = make_engine(url)
        await migrate(engine)
        await engine.dispose()
        started = time.perf_counter()
        values, problems = read(text)
        checked = time.perf_counter() - started
        assert not problems and len(values) == rows
        first = await store(url, values)
        again = await store(url, values)
    print("| figure | result |")
    print("| --- | --- |")
    print(f"| rows | {rows:,} |")
    print(f"| read and check the CSV | {checked:.2f} s |")
    print(f"| import (all new) | {first:.2f} s |")
    print(f"| total, first import | {checked + first:.2f} s (goal < 2 s) |")
    print(f"| import again (all updates) | {again:.2f} s |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    asyncio.run(main(parser.parse_args().rows))
