"""End-to-end fixtures: the sandbox server and the real bot runtime, talking over HTTP.

Setups: a test that uses `setup` (through `start_bot`) runs on the bot setups it is given.
Transport scenarios, marked `transport` (webhook, polling, restarts, crashes, redelivery), run
on all four: ptb and aiogram, each in long polling and webhook mode; a module or test may name
its own with `setups(...)` (webhook only, polling only, one setup for the sender). Any other
scenario is about the conversation, the same whatever carries it, so it runs on one setup, spread
over the four by its place in its module (so both runtimes and both modes keep running
conversations); MENDBOT_E2E_ALL_SETUPS=1 runs every scenario on all four, as a longer check.
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import SANDBOX_BOT_USERNAME, MendBot
from bot.clock import FakeClock
from bot.demo import DEMO_PEOPLE
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import load_settings

TOKEN = "424242:e2e-sandbox-token"

WEBHOOK_SECRET = "e2e_webhook-Secret_42"

StartBot = Callable[[], Awaitable[MendBot]]


@dataclass(frozen=True)
class BotSetup:
    """Which runtime the bot runs on and how it gets updates."""

    runtime: str  # ptb or aiogram
    mode: str  # polling or webhook


SETUPS = [BotSetup(r, m) for r in ("ptb", "aiogram") for m in ("polling", "webhook")]
POLLING = [s for s in SETUPS if s.mode == "polling"]
WEBHOOK = [s for s in SETUPS if s.mode == "webhook"]
ALL_SETUPS_ENV = "MENDBOT_E2E_ALL_SETUPS"
# The sender's timing in end-to-end tests: a proactive message goes out within a tenth of a
# second, not a second, and one chat's messages are paced 0.2 s apart, not Telegram's 1 s.
SENDER_SETTINGS = {"outbox_interval_seconds": 0.1, "per_chat_interval_seconds": 0.2}


def setup_id(setup: BotSetup) -> str:
    return f"{setup.runtime}-{setup.mode}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "transport: an end-to-end scenario run on every setup")
    config.addinivalue_line("markers", "setups(*setups): the BotSetups an end-to-end test runs on")


def setups_for(definition: pytest.Function) -> Sequence[BotSetup]:
    """The setups a test runs on (see the module's docstring)."""
    named = definition.get_closest_marker("setups")
    if named is not None:
        return list(named.args)
    if definition.get_closest_marker("transport") or os.environ.get(ALL_SETUPS_ENV) == "1":
        return SETUPS
    module = definition.module
    tests = [name for name in vars(module) if name.startswith("test")]
    place = tests.index(definition.originalname) + zlib.crc32(module.__name__.encode())
    return [SETUPS[place % len(SETUPS)]]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "setup" in metafunc.fixturenames:
        metafunc.parametrize("setup", setups_for(metafunc.definition), ids=setup_id)


def free_port() -> int:
    """A port free right now (a restart gets a new one, so no wait for the old socket)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def webhook_settings(setup: BotSetup) -> dict[str, Any]:
    if setup.mode != "webhook":
        return {}
    port = free_port()
    return {
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_listen_host": "127.0.0.1",
        "webhook_listen_port": port,
    }


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
    server = SandboxServer(TOKEN, port=0, personas=personas, bot_username=SANDBOX_BOT_USERNAME)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Extra settings for `start_bot`; a test module may override this fixture.

    Quiet hours are off by default here: the clock starts at 09:00 UTC, night in New York and
    Los Angeles, and would hold every message to people there (tests/e2e/test_reminders.py
    tests them on).
    """
    return {"quiet_hours": "00:00-00:00"}


@pytest.fixture
async def start_bot(
    sandbox: SandboxServer,
    db_url: str,
    clock: FakeClock,
    setup: BotSetup,
    settings_overrides: dict[str, object],
) -> AsyncIterator[StartBot]:
    """Start the real bot (on `setup`'s runtime and mode) against the sandbox; call again to
    restart."""
    running: list[MendBot] = []

    async def start() -> MendBot:
        settings = load_settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=sandbox.base_url,
            database_url=db_url,
            emergency_number="999",
            bot_runtime=setup.runtime,
            **{**SENDER_SETTINGS, **webhook_settings(setup), **settings_overrides},
        )
        app = MendBot(settings, clock=clock, seed_demo=True)
        await app.start()
        running.append(app)
        return app

    yield start
    for app in running:
        await app.stop()


@pytest.fixture
async def people(sandbox: SandboxServer) -> AsyncIterator[dict[str, ChatUser]]:
    users = {p.role.value: ChatUser(sandbox.base_url, p.user_id) for p in DEMO_PEOPLE}
    yield users
    for user in users.values():
        await user.aclose()
