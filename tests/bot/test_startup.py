"""Start-up failures, run as a real `mendbot run`: one line naming the setting, exit 2."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from pathlib import Path

from bot.sandbox.server import SandboxServer

ROOT = Path(__file__).parents[2]
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ")
PG = "postgresql://mendbot:mendbot@127.0.0.1:55432"


async def _run(tmp_path: Path, **settings: str) -> tuple[int, str, str]:
    """`mendbot run` with only these settings; (exit status, stdout, stderr)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.sqlite3'}",
        "SANDBOX_PORT": "0",
        **settings,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("mendbot run kept running instead of stopping") from None
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _one_line(status: int, err: str, *, naming: str) -> str:
    """The one line about the failure (the INFO log lines of what started before may precede)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not LOG_LINE.match(line)]
    assert status == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("mendbot: "), err
    assert naming in lines[0]
    return lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_triage_thresholds_that_are_not_json(tmp_path: Path) -> None:
    status, _, err = await _run(tmp_path, TRIAGE_THRESHOLDS="{bad")
    line = _one_line(status, err, naming="TRIAGE_THRESHOLDS")
    assert "not valid JSON" in line


async def test_postgresql_nobody_listens_on(tmp_path: Path) -> None:
    url = f"postgresql://mendbot:s3cret-pw@127.0.0.1:{_free_port()}/mendbot"
    status, _, err = await _run(tmp_path, DATABASE_URL=url)
    line = _one_line(status, err, naming="DATABASE_URL")
    assert "Start PostgreSQL" in line
    assert "s3cret-pw" not in line  # the password never shows


async def test_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    status, _, err = await _run(tmp_path, DATABASE_URL=f"{PG}/no_such_db_sandbox15")
    line = _one_line(status, err, naming="DATABASE_URL")
    assert "no_such_db_sandbox15" in line


async def test_a_sqlite_file_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status, _, err = await _run(tmp_path, DATABASE_URL=f"sqlite:///{blocker}/db.sqlite3")
    _one_line(status, err, naming="DATABASE_URL")


async def test_an_unknown_sandbox_host_blames_the_host_not_the_port(tmp_path: Path) -> None:
    status, _, err = await _run(tmp_path, SANDBOX_HOST="nohost.invalid")
    line = _one_line(status, err, naming="SANDBOX_HOST")
    assert "SANDBOX_PORT" not in line


async def test_a_sandbox_port_in_use_blames_the_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        status, _, err = await _run(tmp_path, SANDBOX_PORT=port)
    line = _one_line(status, err, naming="SANDBOX_PORT")
    assert port in line


async def test_a_metrics_host_that_is_not_ours(tmp_path: Path) -> None:
    status, _, err = await _run(tmp_path, METRICS_HOST="192.0.2.1", METRICS_PORT="0")
    _one_line(status, err, naming="METRICS_HOST")


async def test_telegram_unreachable(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_free_port()}"
    status, _, err = await _run(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_BASE_URL=base)
    _one_line(status, err, naming="TELEGRAM_API_BASE_URL")


async def test_a_token_telegram_refuses(tmp_path: Path) -> None:
    async with SandboxServer("424242:right-token") as telegram:
        status, _, err = await _run(
            tmp_path,
            TELEGRAM_BOT_TOKEN="424242:wrong-token",
            TELEGRAM_API_BASE_URL=telegram.base_url,
        )
    line = _one_line(status, err, naming="TELEGRAM_BOT_TOKEN")
    assert "wrong-token" not in line
