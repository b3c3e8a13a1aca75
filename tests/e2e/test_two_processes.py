"""Two bot processes on one database (SQLite or PostgreSQL, as the suite runs): each periodic
tick runs in one of them at a time, so a burst of 40 due reminders reaches every client once.

Both serve the webhook (as behind a load balancer; two long pollers would fight over getUpdates):
the sandbox delivers to whichever set it last, and neither deletes it on stop.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.sandbox.server import SandboxServer

from .burst import (
    CLIENTS,
    OUTBOX_TICK,
    TOKEN,
    logs,
    personas,
    reminders_sent,
    seed_burst,
    spawn_bot,
    until,
)
from .conftest import WEBHOOK_SECRET, free_port


@pytest.mark.slow
async def test_two_processes_send_each_reminder_once(db_url: str, tmp_path: Path) -> None:
    await seed_burst(db_url)
    async with SandboxServer(TOKEN, port=0, personas=personas()) as sandbox:
        bots = []
        for n in range(2):
            port = free_port()
            webhook = {
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN_HOST": "127.0.0.1",
                "WEBHOOK_LISTEN_PORT": str(port),
                "WEBHOOK_DELETE_ON_STOP": "false",
            }
            bots.append(spawn_bot(sandbox, db_url, tmp_path / f"bot{n}.log", **webhook))
        try:
            await until(lambda: sum(reminders_sent(sandbox).values()) >= CLIENTS, 60)
            # time enough for a doubled reminder to show: ten sender ticks of each process
            await asyncio.sleep(10 * OUTBOX_TICK)
            got = reminders_sent(sandbox)
        finally:
            for bot in bots:
                bot.send_signal(signal.SIGINT)
            for bot in bots:
                await asyncio.to_thread(bot.wait, 20)
    assert len(got) == CLIENTS, logs(tmp_path)
    assert max(got.values()) == 1, "a reminder went out twice"
