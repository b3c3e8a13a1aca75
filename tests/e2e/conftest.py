"""End-to-end fixtures: the sandbox server and the real bot runtime, talking over HTTP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
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


@pytest.fixture(params=SETUPS, ids=lambda s: f"{s.runtime}-{s.mode}")
def setup(request: pytest.FixtureRequest) -> BotSetup:
    """Every end-to-end test runs on each runtime, polling and webhook; a module may narrow it."""
    value: BotSetup = request.param
    return value


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
            **webhook_settings(setup),
            **settings_overrides,
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
