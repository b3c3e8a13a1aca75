"""Operators' commands: a consistent backup while the bot runs, a restore, and a health check.

A backup holds health data: it is written readable by its owner only, and a restore brings back
whoever deleted their data since it was made, so keep backups few and short-lived (README,
"Backups"). On PostgreSQL, pg_dump does this job better than we could: `backup` prints its
command instead.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from bot.settings import Settings, SettingsError
from storage.db import alembic_config, make_engine, migrate, revision_of, running_elsewhere

Say = Callable[[str], None]


class MaintenanceError(Exception):
    """A refusal with its reason, said in one line."""


def sqlite_path(settings: Settings) -> Path | None:
    """The database file, or None when the database isn't a SQLite file."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def pg_dump_command(url: URL, target: Path) -> str:
    """The pg_dump line for this database, with no password in it (pg_dump asks, or reads
    PGPASSWORD / ~/.pgpass)."""
    parts = [f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}"]
    if url.username:
        parts.append(f"--username={url.username}")
    return f"pg_dump --format=custom --file={target} {' '.join(parts)} {url.database}"


def backup(settings: Settings, target: Path, say: Say) -> int:
    """Copy the database page by page through SQLite's online backup API: consistent even
    while the bot writes, and no half-written file under the target's name."""
    source = sqlite_path(settings)
    if source is None:
        say("On PostgreSQL, back up with pg_dump:")
        say("  " + pg_dump_command(make_url(settings.database_url), target))
        return 2
    if not source.exists():
        raise MaintenanceError(f"there is no database at {source} yet")
    if target.exists():
        raise MaintenanceError(f"{target} exists already: choose a new name")
    partial = target.with_name(f".{target.name}.partial")
    _copy(source, partial)
    _check_integrity(partial)
    os.replace(partial, target)
    say(f"Backed up {source} to {target} ({target.stat().st_size // 1024} KB).")
    return 0


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.touch(mode=0o600)  # health data: the owner's eyes only
    with _connect(source) as src, _connect(target) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _check_integrity(path: Path) -> None:
    try:
        with _connect(path) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise MaintenanceError(f"{path} is not a SQLite database") from exc
    if not result or result[0] != "ok":
        raise MaintenanceError(f"{path} failed SQLite's integrity check")
    if "alembic_version" not in tables:
        raise MaintenanceError(f"{path} is not a mendbot database")


async def restore(settings: Settings, source: Path, say: Say) -> int:
    """Replace the database with a backup, then migrate it to this version's schema. Only
    with the bot stopped: a running bot would keep writing into what it believes it knows."""
    live = sqlite_path(settings)
    if live is None:
        say("On PostgreSQL, restore with pg_restore (see README, Backups).")
        return 2
    revision = await asyncio.to_thread(_replace, live, source)
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    say(f"Restored {live} from {source} (revision {revision}, now migrated to the newest).")
    return 0


def _replace(live: Path, source: Path) -> str | None:
    """Check the backup, then copy it over the live file; returns the backup's revision."""
    if not source.is_file():
        raise MaintenanceError(f"there is no backup at {source}")
    _check_integrity(source)
    revision = _revision_of_file(source)
    if revision not in _known_revisions():
        raise MaintenanceError(f"{source} is from a newer mendbot (revision {revision})")
    if running_elsewhere(str(live)):
        raise MaintenanceError("mendbot is running on this database: stop it first")
    _copy_into(source, live)
    return revision


def _copy_into(source: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    with _connect(source) as src, _connect(live) as dst:
        src.backup(dst)


def _revision_of_file(path: Path) -> str | None:
    with _connect(path) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _known_revisions() -> set[str | None]:
    scripts = ScriptDirectory.from_config(alembic_config())
    return {None, *(script.revision for script in scripts.walk_revisions())}


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def check(load: Callable[[], Settings], out: TextIO) -> int:
    """One line per part a site needs: settings, database, Telegram. 0 when all are fine."""
    try:
        settings = load()
    except SettingsError as exc:
        print(f"settings: FAILED, {exc}", file=out)
        return 1
    print(f"settings: ok ({_mode(settings)})", file=out)
    results = [await _check_database(settings, out), await _check_telegram(settings, out)]
    return 0 if all(results) else 1


def _mode(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        return "no TELEGRAM_BOT_TOKEN: the sandbox runs"
    receiving = "webhook" if settings.webhook_url else "long polling"
    return f"{settings.bot_runtime}, {receiving}"


async def _check_database(settings: Settings, out: TextIO) -> bool:
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    engine = make_engine(settings.database_url)
    try:
        revision = await revision_of(engine)
    except Exception as exc:  # unreachable, refused, not a database: say which, not why
        print(f"database: FAILED, cannot read {where} ({type(exc).__name__})", file=out)
        return False
    finally:
        await engine.dispose()
    head = head_revision()
    if revision != head:
        print(
            f"database: FAILED, {where} is at revision {revision}, this version needs {head}: "
            "run `mendbot migrate` (mendbot run does it too)",
            file=out,
        )
        return False
    print(f"database: ok, {where} at revision {revision}", file=out)
    return True


async def _check_telegram(settings: Settings, out: TextIO) -> bool:
    from bot.telegram_api import BotApi  # only here: the rest needs no HTTP client

    if settings.telegram_bot_token is None:
        print("telegram: skipped, no token (the sandbox stands in for Telegram)", file=out)
        return True
    api = BotApi(settings.telegram_api_base_url, settings.telegram_bot_token.get_secret_value())
    try:
        me = await api.call("getMe", {})
    finally:
        await api.aclose()
    if not isinstance(me.result, dict):
        print(f"telegram: FAILED, getMe answered {me.outcome}: check TELEGRAM_BOT_TOKEN", file=out)
        return False
    print(f"telegram: ok, @{me.result.get('username')}", file=out)
    return True
