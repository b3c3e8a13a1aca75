"""Updates handed over by Telegram just before a kill -9 are all answered after the restart.

A real `python -m bot.cli run` against a sandbox, on each runtime, polling and webhook: 40 people
send /start at once, the process is killed (SIGKILL) as soon as the first answer shows, and
started again. Every one of them gets an answer: an update is confirmed to Telegram only once it
is stored, and a start handles what was stored and not yet handled. An answer going out at the
kill goes again after it: one per chat being handled, UPDATE_CONCURRENCY at most. Before the
inbox, the offset (or the webhook's 200) ran ahead of handling and most of the burst was never
answered.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.server import SandboxServer

from .burst import CLIENTS, DUE, FIRST_ID, TOKEN, logs, personas, seed_burst, spawn_bot, until
from .conftest import BotSetup, free_port

HELP = "Here's what I can do"
CONCURRENCY = 4  # chats handled at once: the most answers a kill can catch going out


def answered(sandbox: SandboxServer) -> Counter[int]:
    """How many answers to /start each client has (the help text: they are all set up)."""
    return Counter(
        message["chat"]["id"]
        for n in range(CLIENTS)
        for message in sandbox.history(FIRST_ID + n)
        if message["from"].get("is_bot") and HELP in message.get("text", "")
    )


def mode_settings(setup: BotSetup, port: int) -> dict[str, str]:
    settings = {
        "BOT_RUNTIME": setup.runtime,
        "LOG_LEVEL": "INFO",
        "UPDATE_CONCURRENCY": str(CONCURRENCY),
        # the night after the burst's reminders: nothing else to send, only the /start answers
        "MENDBOT_FAKE_NOW": (DUE + timedelta(hours=17)).isoformat(),
    }
    if setup.mode == "webhook":
        settings |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": "crash-test-secret",
            "WEBHOOK_LISTEN_HOST": "127.0.0.1",
            "WEBHOOK_LISTEN_PORT": str(port),
        }
    return settings


@pytest.mark.slow
@pytest.mark.transport
async def test_a_burst_handed_over_before_a_kill_is_answered_after_the_restart(
    setup: BotSetup, db_url: str, tmp_path: Path
) -> None:
    await seed_burst(db_url)
    settings = mode_settings(setup, free_port())
    async with SandboxServer(TOKEN, port=0, personas=personas()) as sandbox:
        bot = spawn_bot(sandbox, db_url, tmp_path / "first.log", **settings)
        try:
            # the last call before updates flow (a long poll is recorded only when it ends)
            ready = "setWebhook" if setup.mode == "webhook" else "deleteWebhook"
            await until(lambda: any(c.method == ready for c in sandbox.calls), 30)
            for n in range(CLIENTS):
                sandbox.user_sends(FIRST_ID + n, "/start")
            await until(lambda: bool(answered(sandbox)), 30)
            bot.send_signal(signal.SIGKILL)
            await asyncio.to_thread(bot.wait, 10)
            at_kill = sum(answered(sandbox).values())
            bot = spawn_bot(sandbox, db_url, tmp_path / "second.log", **settings)
            await until(lambda: len(answered(sandbox)) == CLIENTS, 60)
            await asyncio.sleep(0.5)  # anything doubled would show by now
        except AssertionError:
            raise AssertionError(f"{dict(answered(sandbox))}\n{logs(tmp_path)}") from None
        finally:
            bot.send_signal(signal.SIGKILL)
            await asyncio.to_thread(bot.wait, 15)
        got = answered(sandbox)
    assert at_kill < CLIENTS, "the kill came after everything was answered: nothing was tested"
    assert set(got) == {FIRST_ID + n for n in range(CLIENTS)}
    # the updates whose replies were going out at the kill are answered again: one per chat
    # being handled then, so at most CONCURRENCY, and nobody twice more than once
    assert max(got.values()) <= 2, dict(got)
    assert sum(count - 1 for count in got.values()) <= CONCURRENCY, dict(got)
