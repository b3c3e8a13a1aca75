"""The `mendbot` command line, run as a real process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _mendbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invite_trainer_prints_a_deep_link_and_stores_the_code(tmp_path: Path) -> None:
    done = _mendbot(tmp_path, "invite", "trainer", "--name", "Sam Lee")
    assert done.returncode == 0, done.stderr
    link = next(line for line in done.stdout.splitlines() if "t.me/" in line)
    code = link.rsplit("?start=", 1)[1]
    assert f"Code: {code}" in done.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        rows = db.execute(
            "SELECT role, name, used_at FROM invite WHERE code = ?", (code,)
        ).fetchall()
    assert rows == [("trainer", "Sam Lee", None)]


def test_invite_refuses_an_empty_name(tmp_path: Path) -> None:
    done = _mendbot(tmp_path, "invite", "trainer", "--name", "   ")
    assert done.returncode == 2
    assert done.stderr.strip() == "mendbot: Invalid name: use 1 to 64 characters"


def test_migrate_up_and_down(tmp_path: Path) -> None:
    assert _mendbot(tmp_path, "migrate").returncode == 0
    assert _mendbot(tmp_path, "migrate", "base").returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "person" not in tables


def _demo_people(tmp_path: Path) -> dict[int, tuple[str, int]]:
    """Demo user id -> (role, how many client profiles they have)."""
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        rows = db.execute(
            "SELECT p.telegram_user_id, p.role, COUNT(c.person_id) FROM person p "
            "LEFT JOIN client_profile c ON c.person_id = p.id "
            "WHERE p.telegram_user_id IN (1001, 1002, 1003) GROUP BY p.id"
        ).fetchall()
    return {user_id: (role, profiles) for user_id, role, profiles in rows}


async def _delete_jordan(tmp_path: Path) -> None:
    from storage.db import make_engine, session_factory
    from storage.personal import delete_person
    from storage.repo import Store

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    try:
        async with session_factory(engine)() as session:
            store = Store(session)
            jordan = await store.person_by_user(1003)
            assert jordan is not None
            await delete_person(store, jordan)
            await session.commit()
    finally:
        await engine.dispose()


async def test_sandbox_reset_brings_the_demo_client_back_after_deleteme(tmp_path: Path) -> None:
    first = _mendbot(tmp_path, "sandbox", "--reset")  # a new database: the demo centre
    assert first.returncode == 0, first.stderr
    demo = {1001: ("admin", 0), 1002: ("trainer", 0), 1003: ("client", 1)}
    assert _demo_people(tmp_path) == demo
    await _delete_jordan(tmp_path)
    assert 1003 not in _demo_people(tmp_path)
    done = _mendbot(tmp_path, "sandbox", "--reset")
    assert done.returncode == 0, done.stderr
    assert "demo centre is reset" in done.stdout
    assert _demo_people(tmp_path) == demo
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        [(exercises,)] = db.execute(
            "SELECT COUNT(*) FROM exercise e JOIN program p ON p.id = e.program_id "
            "JOIN person c ON c.id = p.client_id WHERE c.telegram_user_id = 1003"
        ).fetchall()
    assert exercises == 3  # his program, as at the first start


def test_sandbox_says_what_it_needs(tmp_path: Path) -> None:
    bare = _mendbot(tmp_path, "sandbox")
    assert bare.returncode == 2
    assert "--reset" in bare.stderr and len(bare.stderr.strip().splitlines()) == 1


def test_sandbox_reset_refuses_a_real_bot(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=123:abc\n")
    done = _mendbot(tmp_path, "sandbox", "--reset")
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cli.sqlite3").exists()
