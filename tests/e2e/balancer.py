"""nginx as a load balancer in front of several real bot processes in webhook mode.

Used by tests/e2e/test_load_balanced.py and bench/bench_processes.py. nginx runs unprivileged
with a configuration of its own in a folder of the caller's (pid, logs and temp paths there, in
the foreground), listening on one port and passing the webhook's POSTs to the processes in
turn. Each process listens on a port of its own and sets the webhook to nginx's URL, so the
sandbox delivers to nginx, as Telegram would to a public address in front of a pool.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

from bot.sandbox.server import SandboxServer

from .conftest import WEBHOOK_SECRET, free_port

WEBHOOK_PATH = "/telegram"


def nginx_binary() -> str | None:
    """nginx on PATH, or where Debian installs it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream mendbot {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location {path} {{
            proxy_pass http://mendbot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            # the webhook is idempotent (a retried update id is skipped), so a POST whose
            # process died may go to the next one
            proxy_next_upstream error timeout non_idempotent;
        }}
    }}
}}
"""


class Nginx:
    """nginx in the foreground with its own config in `folder`, in front of `ports`."""

    def __init__(self, folder: Path, ports: Sequence[int]) -> None:
        self.folder = folder
        self.ports = list(ports)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self) -> None:
        self.process = self._spawn()
        await _listening(self.port, self.process)

    def _spawn(self) -> subprocess.Popen[bytes]:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=1s;" for port in self.ports
        )
        conf = self.folder / "nginx.conf"
        values = {"servers": servers, "port": self.port, "path": WEBHOOK_PATH}
        conf.write_text(NGINX_CONF.format(folder=self.folder, **values))
        error_log = str(self.folder / "error.log")  # -e: not the system's log, even at start-up
        args = [binary, "-p", str(self.folder), "-c", str(conf), "-e", error_log]
        with (self.folder / "error.log").open("ab") as out:
            return subprocess.Popen(args, stdout=out, stderr=out)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 10)

    async def __aenter__(self) -> Nginx:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _listening(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError("nginx exited: see error.log in its folder")
        with suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("nginx did not start listening")


class BotPool:
    """`size` bot processes (python -m bot.cli run) behind one webhook URL, each on its port,
    their clocks started at `fake_now` (MENDBOT_FAKE_NOW) when the first one starts."""

    def __init__(
        self,
        sandbox: SandboxServer,
        db_url: str,
        folder: Path,
        size: int,
        env: dict[str, str],
        fake_now: datetime,
    ) -> None:
        self.sandbox = sandbox
        self.fake_now = fake_now
        self.started_at: float | None = None
        self.db_url = db_url
        self.folder = folder
        self.env = env
        self.ports = [free_port() for _ in range(size)]
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * size
        self.starts = [0] * size
        self.url = ""  # nginx's: set before start

    def start(self, n: int) -> None:
        """Start process `n` (again), on its own port, logging to bot<n>-<start>.log."""
        self.starts[n] += 1
        port = self.ports[n]
        if self.started_at is None:
            self.started_at = time.monotonic()
        # all on one clock: a restarted process's clock goes on where the others' are
        now = self.fake_now + timedelta(seconds=time.monotonic() - self.started_at)
        env = {
            **os.environ,
            "TELEGRAM_API_BASE_URL": self.sandbox.base_url,
            "DATABASE_URL": self.db_url,
            "WEBHOOK_URL": self.url,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_LISTEN_HOST": "127.0.0.1",
            "WEBHOOK_LISTEN_PORT": str(port),
            "WEBHOOK_DELETE_ON_STOP": "false",  # the others go on serving it
            "MENDBOT_FAKE_NOW": now.isoformat(),
            **self.env,
        }
        log = self.folder / f"bot{n}-{self.starts[n]}.log"
        with log.open("ab") as out:
            self.processes[n] = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=out, stderr=out
            )

    async def ready(self, n: int, seconds: float = 120) -> None:
        """Process `n` answers /healthz on its own port (it set the webhook just before)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            process = self.processes[n]
            if process is None or process.poll() is not None:
                raise RuntimeError(f"bot process {n} exited:\n{self.logs()}")
            if await _healthy(self.ports[n]):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"bot process {n} did not start:\n{self.logs()}")

    async def kill(self, n: int) -> None:
        """kill -9: no clean-up of any kind."""
        process = self.processes[n]
        if process is not None:
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)

    async def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            if process is None:
                continue
            try:
                await asyncio.to_thread(process.wait, 20)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 10)

    def logs(self) -> str:
        """What the processes printed, for a failing assertion's message."""
        lines = [
            f"{path.stem}: {line}"
            for path in sorted(self.folder.glob("bot*.log"))
            for line in path.read_text().splitlines()
            if "maximum number of running instances" not in line  # a tick still running
        ]
        return "\n".join(lines)


async def _healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        return b" 200 " in status
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
