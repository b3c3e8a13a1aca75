"""`mendbot report --client NAME_OR_ID --weeks 4 -o report.pdf`: the physio report from the
command line, the same PDF a trainer gets in chat (flows/progress/report.py).

The operator runs it on the server, so it may name any client: by id, or by name when exactly one
client has it (case-insensitive). Times are the client's; words are the centre's default language.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.settings import Settings, SettingsError
from flows.engine.schedule import zone_of
from flows.progress.report import build_report
from flows.progress.reportpdf import render_pdf
from storage.db import make_engine, migrate, session_factory
from storage.models import Person, Role
from storage.programs import clients_of
from storage.repo import Store


async def find_client(store: Store, wanted: str) -> Person:
    """The client `wanted` names (an id, or a name only one client has); SettingsError if not."""
    clients = [client for client, _ in await clients_of(store, None)]
    text = wanted.strip()
    if text.isascii() and text.isdigit():
        found = [c for c in clients if c.id == int(text)]
    else:
        found = [c for c in clients if c.name.casefold() == text.casefold()]
    if not found:
        raise SettingsError(f"Invalid client: no client {wanted!r}")
    if len(found) > 1:
        ids = ", ".join(str(c.id) for c in found)
        raise SettingsError(f"Invalid client: several clients are called {wanted!r} (ids {ids})")
    return found[0]


def run(
    settings: Settings, client: str, weeks: int, out: Path, now: datetime, stdout: TextIO
) -> int:
    """Write the report to `out`; SettingsError (exit 2) for a client that can't be found."""
    name, pdf = asyncio.run(make(settings, client, weeks, now))
    out.write_bytes(pdf)
    print(f"Report on {name} ({weeks} weeks) written to {out}.", file=stdout)
    return 0


async def make(settings: Settings, client: str, weeks: int, now: datetime) -> tuple[str, bytes]:
    """The client's name and the PDF."""
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            store = Store(session)
            person = await find_client(store, client)
            if person.role != Role.CLIENT:
                raise SettingsError(f"Invalid client: {client!r} is not a client")
            zone = zone_of(person, settings.default_timezone)
            report = await build_report(store, person, now, weeks, "en", zone)
    finally:
        await engine.dispose()
    return person.name, await render_pdf(report)
