""".ci/postgres.sh: CI and `make test-pg` run the suite against a throwaway PostgreSQL server.

It must hand the command a working database, pass on the command's exit status, and stop the
server and delete its folder whatever happens, a TERM included: a server left running would hold
a port and memory on a shared machine until someone noticed. Without the server programs it must
say what to install.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres.sh"
HAS_SERVER = bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))
needs_server = pytest.mark.skipif(
    not HAS_SERVER, reason="PostgreSQL server programs (initdb) not installed: script not run"
)
pytestmark = pytest.mark.slow  # initdb and a server start: a few seconds each

PROBE = """
import asyncio, os, asyncpg
async def main():
    conn = await asyncpg.connect(os.environ["MENDBOT_TEST_POSTGRES_URL"])
    print(await conn.fetchval("SHOW fsync"), await conn.fetchval(
        "SELECT rolcreatedb AND NOT rolsuper FROM pg_roles WHERE rolname = current_user"))
    await conn.close()
asyncio.run(main())
"""


def run(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def server_of(stderr: str) -> tuple[int, Path]:
    """The port and folder the script announced."""
    found = re.search(r"on 127\.0\.0\.1:(\d+) \(data in (\S+),", stderr)
    assert found, stderr
    return int(found[1]), Path(found[2])


def stopped(port: int, folder: Path) -> bool:
    with socket.socket() as sock:
        listening = sock.connect_ex(("127.0.0.1", port)) == 0
    return not listening and not folder.exists()


@needs_server
def test_the_command_gets_a_database_and_the_server_goes_with_it() -> None:
    done = run(sys.executable, "-c", PROBE + "\nraise SystemExit(3)")
    assert done.returncode == 3, done.stderr  # the command's status
    assert done.stdout.split() == ["off", "True"]  # tuned for tests; CREATEDB, not superuser
    assert stopped(*server_of(done.stderr))


@needs_server
def test_a_term_stops_the_command_and_the_server(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = subprocess.Popen(
        [str(SCRIPT), "sh", "-c", f'touch "{ready}"; sleep 60'],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert script.poll() is None and time.monotonic() < deadline, "the command never ran"
        time.sleep(0.05)
    script.send_signal(signal.SIGTERM)
    _, stderr = script.communicate(timeout=60)
    assert script.returncode == 143
    assert stopped(*server_of(stderr))


def test_without_the_server_programs_it_says_what_to_install(tmp_path: Path) -> None:
    done = run("true", PG_BIN=str(tmp_path))
    assert done.returncode == 2
    assert "apt-get install postgresql" in done.stderr
