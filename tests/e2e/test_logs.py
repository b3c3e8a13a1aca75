"""LOG_LEVEL=DEBUG prints our own debug lines and nothing people typed or the database holds.

Logging is set up exactly as `mendbot run` does (bot.logs.setup_logging), then a visitor books a
consult through the sandbox with the real runtime: their name, goal, injury and phone number go
through the updates, the database (intake, person, booking) and the Bot API (the visitor's
confirmation, the trainer's notice through the outbox). Everything the root handler prints is
captured and searched for them, and for SQL.
"""

from __future__ import annotations

import pytest

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from ..logsetup import logging_as_mendbot_run
from .conftest import POLLING, TOKEN, StartBot

NAME = "Quillonia Zebedeux"
GOAL = "SENTINEL-GOAL-4410 run again"
NOTE = "SENTINEL-NOTE-7731 sore ankle"
PHONE = "+44 7700 900731"
SENTINELS = ("Quillonia", "Zebedeux", "SENTINEL-GOAL-4410", "SENTINEL-NOTE-7731", "900731")
SQL_MARKERS = ("SELECT ", "INSERT INTO", "UPDATE ", "[generated in", "[cached since", "parameters")

# polling on each runtime; the webhook adds no logging of its own to check
pytestmark = pytest.mark.setups(*POLLING)


async def test_debug_logging_prints_no_content_and_no_sql(
    sandbox: SandboxServer,
    start_bot: StartBot,
    people: dict[str, ChatUser],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    with logging_as_mendbot_run("DEBUG", [TOKEN]):  # the handler writes to the captured stderr
        await start_bot()
        async with await ChatUser.visitor(sandbox.base_url, "Quillonia") as visitor:
            await visitor.send("/start consult")
            await visitor.wait_for(contains="first name")
            await visitor.send(NAME)
            await visitor.wait_for(contains="what would you like help with")
            await visitor.send(GOAL)
            await visitor.wait_for(contains="particular trainer")
            await visitor.press("Any trainer")
            await visitor.wait_for(contains="injury")
            await visitor.send(NOTE)
            await visitor.wait_for(contains="safety check")
            await visitor.press("None of these")
            await visitor.wait_for(contains="cleared you")
            await visitor.press("Not yet")
            await visitor.wait_for(contains="time zone")
            await visitor.press("India")
            await visitor.wait_for(contains="Free times")
            await visitor.press(":")
            await visitor.wait_for(contains="yours for the next 10 minutes")
            await visitor.share_contact(PHONE)
            await visitor.wait_for(contains="Shall I book it?")
            await visitor.press("Yes, book it")
            await visitor.wait_for(contains="You're booked!")
        told = await people["trainer"].wait_for(contains=f"New free consult: {NAME}")
        assert "SENTINEL-NOTE-7731" in told["text"]  # it did go through the bot
    printed = capsys.readouterr().err

    leaked = [s for s in (*SENTINELS, TOKEN) if s in printed]
    assert not leaked, f"{leaked} in the log:\n{printed[-5000:]}"
    sql = [marker for marker in SQL_MARKERS if marker in printed]
    assert not sql, f"SQL ({sql}) in the log:\n{printed[-5000:]}"
    assert "bot.logs: logging at DEBUG" in printed  # and yet our own debug lines get through
    assert "mendbot is running" in printed
