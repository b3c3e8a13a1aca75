"""`make run` without a token: the app's own sandbox, started twice on one database.

A kept database remembers the update ids it processed; a fresh sandbox must number on from them,
or the second run would skip every message as "processed before".
"""

from __future__ import annotations

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import CLIENT
from bot.sandbox.driver import ChatUser
from bot.settings import load_settings


async def _ask_for_help(db_url: str, clock: FakeClock) -> None:
    settings = load_settings(_env_file=None, database_url=db_url, sandbox_port=0)
    app = MendBot(settings, clock=clock)
    await app.start()
    try:
        assert app.sandbox is not None
        async with ChatUser(app.sandbox.base_url, CLIENT.user_id) as jordan:
            await jordan.send("/help")
            await jordan.wait_for(contains="/checkin")
    finally:
        await app.stop()


async def test_a_second_run_on_the_same_database_answers(db_url: str, clock: FakeClock) -> None:
    await _ask_for_help(db_url, clock)
    await _ask_for_help(db_url, clock)
