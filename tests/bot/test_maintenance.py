"""`mendbot backup`, `restore` and `check` on real SQLite files, and against the sandbox's Bot
API for the token: a backup is consistent while someone writes, a restore refuses a running bot
and anything that isn't a mendbot backup, and check says what is wrong in one line each."""

from __future__ import annotations

import io
import sqlite3
import stat
from datetime import UTC, datetime
from functools import partial
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import MendBot
from bot.cli import main
from bot.clock import FakeClock
from bot.maintenance import MaintenanceError, backup, check, head_revision, restore
from bot.sandbox.server import SandboxServer
from bot.settings import Settings, load_settings
from storage.db import make_engine, migrate, running, session_factory
from storage.models import Person, Role

TOKEN = "4242:maintenance-token"
NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)
USER_IDS = count(100)


def _settings(db: Path, **more: object) -> Settings:
    return load_settings(_env_file=None, database_url=f"sqlite:///{db}", **more)


async def _database_with(db: Path, *names: str) -> None:
    engine = make_engine(f"sqlite:///{db}")
    await migrate(engine)
    async with session_factory(engine)() as session:
        for name in names:
            user = next(USER_IDS)
            session.add(
                Person(
                    telegram_user_id=user, chat_id=user, role=Role.CLIENT, name=name, created_at=NOW
                )
            )
        await session.commit()
    await engine.dispose()


def _is_one_private_file(copy: Path) -> None:
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # health data: the owner only
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]  # no -wal, no .partial


def _names(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM person ORDER BY id")]


async def test_a_backup_is_consistent_while_a_writer_is_mid_transaction(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.sqlite3", tmp_path / "backups" / "monday.sqlite3"
    await _database_with(db, "Ann", "Ben")
    engine = make_engine(f"sqlite:///{db}")
    async with engine.connect() as writer:  # a write under way, not committed
        await writer.execute(text("UPDATE person SET name = 'half-written'"))
        said: list[str] = []
        assert backup(_settings(db), copy, said.append) == 0
        await writer.rollback()
    await engine.dispose()
    assert _names(copy) == ["Ann", "Ben"]
    _is_one_private_file(copy)
    assert said[0].startswith(f"Backed up {db} to {copy} (")
    with pytest.raises(MaintenanceError, match="exists already"):
        backup(_settings(db), copy, said.append)


async def test_a_restore_brings_the_backup_back_and_migrates_it(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await _database_with(db, "Ann", "Ben")
    backup(_settings(db), copy, lambda _: None)
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM person")
    said: list[str] = []
    assert await restore(_settings(db), copy, said.append) == 0
    assert _names(db) == ["Ann", "Ben"]
    assert said and said[0].startswith(f"Restored {db} from {copy}")


async def test_a_restore_refuses_while_mendbot_runs_on_the_database(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await _database_with(db, "Ann")
    backup(_settings(db), copy, lambda _: None)
    await _database_with(db, "Cat")
    engine = make_engine(f"sqlite:///{db}")
    with running(engine), pytest.raises(MaintenanceError, match="stop it first"):
        await restore(_settings(db), copy, lambda _: None)
    await engine.dispose()
    assert _names(db) == ["Ann", "Cat"]  # untouched


async def test_a_restore_refuses_what_is_not_a_mendbot_backup(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    await _database_with(db, "Ann")
    notes, other = tmp_path / "notes.txt", tmp_path / "other.sqlite3"
    notes.write_text("not a database at all, just some text that is long enough" * 20)
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    for source, reason in (
        (notes, "not a SQLite database"),
        (other, "not a mendbot database"),
        (tmp_path / "missing.sqlite3", "there is no backup"),
    ):
        with pytest.raises(MaintenanceError, match=reason):
            await restore(_settings(db), source, lambda _: None)
    assert _names(db) == ["Ann"]


def test_on_postgresql_backup_prints_pg_dump_without_the_password(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, database_url="postgresql://ops:s3cret-pw@db.internal:6543/mendbot"
    )
    said: list[str] = []
    assert backup(settings, tmp_path / "dump", said.append) == 2
    command = said[1].strip()
    assert command.startswith("pg_dump --format=custom") and "s3cret-pw" not in " ".join(said)
    assert "--host=db.internal --port=6543 --username=ops mendbot" in command


async def test_check_says_each_part_is_fine(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    await _database_with(db)
    async with SandboxServer(TOKEN, bot_username="mendbot_check_bot") as api:
        out = io.StringIO()
        load = partial(_settings, db, telegram_bot_token=TOKEN, telegram_api_base_url=api.base_url)
        assert await check(load, out) == 0
    assert out.getvalue().splitlines() == [
        "settings: ok (ptb, long polling)",
        f"database: ok, sqlite+aiosqlite:///{db} at revision {head_revision()}",
        "telegram: ok, @mendbot_check_bot",
    ]


async def test_check_names_what_is_wrong(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"  # never migrated
    async with SandboxServer(TOKEN) as api:
        out = io.StringIO()
        wrong = "4242:not-the-token"
        load = partial(_settings, db, telegram_bot_token=wrong, telegram_api_base_url=api.base_url)
        assert await check(load, out) == 1
    database, telegram = out.getvalue().splitlines()[1:]
    assert database.startswith("database: FAILED") and "run `mendbot migrate`" in database
    assert telegram.startswith("telegram: FAILED") and wrong not in telegram
    out = io.StringIO()
    assert await check(partial(_settings, db, quiet_hours="late"), out) == 1
    assert out.getvalue().startswith("settings: FAILED, Invalid setting QUIET_HOURS")


def test_the_command_line_backs_up_and_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["migrate"]) == 0
    assert main(["backup", str(copy)]) == 0 and copy.exists()
    assert main(["backup", str(copy)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["check"]) == 0
    assert "telegram: skipped" in capsys.readouterr().out


async def test_a_running_bot_holds_off_a_restore_until_it_stops(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await _database_with(db, "Ann")
    backup(_settings(db), copy, lambda _: None)
    app = MendBot(_settings(db, sandbox_port=0), clock=FakeClock(NOW))
    await app.start()
    try:
        with pytest.raises(MaintenanceError, match="stop it first"):
            await restore(_settings(db), copy, lambda _: None)
    finally:
        await app.stop()
    assert await restore(_settings(db), copy, lambda _: None) == 0
