"""Long polling survives what a real network and a proxy throw at it, on both runtimes.

An HTML 502 page, a cut-off body, an answer of the wrong shape, a dropped connection, the server
gone for a while, and updates no runtime can decode: each is logged (without content) and
skipped or retried with backoff, the bot keeps answering, and it stops cleanly. aiogram's own
polling stopped for good after the first of these.
"""

from __future__ import annotations

import logging

import pytest

from bot.demo import CLIENT
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .burst import until
from .conftest import POLLING, StartBot

pytestmark = pytest.mark.setups(*POLLING)

HELP = "Here's what I can do"


async def still_answers(user: ChatUser) -> None:
    await user.send("/help")
    await user.wait_for(contains=HELP, timeout=15)


async def test_bad_getupdates_answers_are_retried(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    bot = await start_bot()
    jordan = people["client"]
    for kind in ("html502", "garbage", "not_ok", "disconnect"):
        sandbox.inject_poll_faults(kind)
        await still_answers(jordan)
    await bot.stop()  # and stopping raises nothing


async def test_the_server_gone_for_a_while(
    sandbox: SandboxServer,
    start_bot: StartBot,
    people: dict[str, ChatUser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await start_bot()
    await sandbox.stop()

    def refused() -> int:
        return sum("getUpdates failed (ConnectError)" in r.getMessage() for r in caplog.records)

    await until(lambda: refused() >= 2, 15)  # connection refused, more than once
    await sandbox.start()  # same port, same chats
    await still_answers(people["client"])


async def test_undecodable_updates_are_skipped_and_logged_without_content(
    sandbox: SandboxServer,
    start_bot: StartBot,
    people: dict[str, ChatUser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await start_bot()
    person = {"id": CLIENT.user_id, "first_name": CLIENT.name}
    chat = {**person, "type": "private"}
    sender = {**person, "is_bot": False}
    bad = [
        sandbox.inject_update(
            {"message": {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": 98765}}
        ),
        sandbox.inject_update(
            {"message": {"message_id": 2, "date": 0, "from": sender, "text": "SECRET-NO-CHAT"}}
        ),
    ]
    await still_answers(people["client"])
    skipped = [r.getMessage() for r in caplog.records if "undecodable" in r.getMessage()]
    assert len(skipped) == 2
    assert all(str(u["update_id"]) in line for u, line in zip(bad, skipped, strict=True))
    assert not any("98765" in r.getMessage() or "SECRET" in r.getMessage() for r in caplog.records)
