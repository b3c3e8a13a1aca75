"""End-to-end fixtures: the sandbox server and the real bot runtime, talking over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.app import SANDBOX_BOT_USERNAME, MendBot
from bot.clock import FakeClock
from bot.demo import DEMO_PEOPLE
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import load_settings

TOKEN = "424242:e2e-sandbox-token"

StartBot = Callable[[], Awaitable[MendBot]]


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
    server = SandboxServer(TOKEN, port=0, personas=personas, bot_username=SANDBOX_BOT_USERNAME)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def start_bot(
    sandbox: SandboxServer, db_url: str, clock: FakeClock
) -> AsyncIterator[StartBot]:
    """Start the real bot (python-telegram-bot) against the sandbox; call again to restart."""
    running: list[MendBot] = []

    async def start() -> MendBot:
        settings = load_settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=sandbox.base_url,
            database_url=db_url,
            emergency_number="999",
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
