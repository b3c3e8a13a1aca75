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
