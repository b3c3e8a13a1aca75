"""`mendbot library import FILE.csv` and `mendbot library export [FILE]`.

An import checks every row first and prints one line per bad row (with its line number); if
any row is bad nothing is imported and the exit status is 1, so a half-right file never leaves a
half-changed library. Known names are updated, new ones added, in one transaction. The export
writes the same format (retired entries too), so it can be edited and imported again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from bot.clock import Clock
from bot.settings import Settings
from flows.library.csvfile import read, write
from flows.library.entries import Values
from storage.db import make_engine, migrate, session_factory
from storage.library import every_entry, import_rows
from storage.models import LibraryExercise
from storage.repo import Store

PROG = "mendbot library"


def run_import(settings: Settings, path: Path, out: TextIO, err: TextIO) -> int:
    """Check the file, then import it whole; 1 (and a line per bad row) if it isn't clean."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.write(f"{PROG} import: cannot read {path} ({type(exc).__name__})\n")
        return 1
    values, problems = read(text)
    for problem in problems:
        err.write(f"{path}: {problem}\n")
    if problems:
        err.write(f"{PROG} import: {len(problems)} bad row(s); nothing was imported\n")
        return 1
    added, updated = asyncio.run(_import(settings, values))
    out.write(f"Imported {len(values)} row(s): {added} added, {updated} updated.\n")
    return 0


async def _import(settings: Settings, values: list[Values]) -> tuple[int, int]:
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            store = Store(session)
            rows = [(v.columns(), v.retired) for v in values]
            counts = await import_rows(store, rows, now=Clock().now())
            await store.commit()
    finally:
        await engine.dispose()
    return counts


def run_export(settings: Settings, path: Path | None, out: TextIO) -> int:
    """The whole library as CSV, to `path` or `out`."""
    text = asyncio.run(_export(settings))
    if path is None:
        out.write(text)
    else:
        path.write_text(text, encoding="utf-8")
        out.write(f"Wrote the library to {path}.\n")
    return 0


async def _export(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            return write(values_of(row) for row in await every_entry(Store(session)))
    finally:
        await engine.dispose()


def values_of(row: LibraryExercise) -> Values:
    return Values(
        name=row.name,
        region=row.region,
        phases=tuple(row.phases),
        sets=row.sets,
        reps=row.reps,
        seconds=row.seconds,
        cues=row.cues,
        video=row.video,
        photo=row.photo,
        retired=row.retired_at is not None,
    )
