"""`make run` without a token: the app's own sandbox, started twice on one database.

A kept database remembers the update ids it processed; a fresh sandbox must number on from them,
or the second run would skip every message as "processed before".
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER
from bot.sandbox.driver import ChatUser
from bot.settings import load_settings

from .test_onboarding import _invite as _invite_code


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


async def _start(db_url: str, clock: FakeClock) -> MendBot:
    app = MendBot(load_settings(_env_file=None, database_url=db_url, sandbox_port=0), clock=clock)
    await app.start()
    assert app.sandbox is not None
    return app


async def _personas(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        body: dict[str, Any] = (await http.get("/api/personas")).json()
        return body


async def test_after_a_restart_no_visitor_gets_a_stored_persons_id(
    db_url: str, clock: FakeClock
) -> None:
    """Privacy: the page forgets its visitors on a restart, the database doesn't. A newcomer
    given a stored id would be that person, health data and all."""
    app = await _start(db_url, clock)
    try:
        assert app.sandbox is not None
        base = app.sandbox.base_url
        async with ChatUser(base, TRAINER.user_id) as sam:
            code = await _invite_code(sam, "Riley")
        async with await ChatUser.visitor(base, "Riley") as riley:
            await riley.send(f"/start {code}")
            await riley.wait_for(contains="invited you")
            riley_id = riley.user_id
        async with await ChatUser.visitor(base, "Vic") as vic:  # a conversation, not a person
            await vic.send("/start")
            await vic.wait_for(contains="first name")
            vic_id = vic.user_id
    finally:
        await app.stop()

    app = await _start(db_url, clock)
    try:
        assert app.sandbox is not None
        listed = await _personas(app.sandbox.base_url)
        others = {v["user_id"]: (v["first_name"], v["label"]) for v in listed["visitors"]}
        assert others[riley_id] == ("Riley", "Client")  # the page shows whom the bot knows
        async with await ChatUser.visitor(app.sandbox.base_url, "Nina") as nina:
            assert nina.user_id > max(riley_id, vic_id)
            await nina.send("/start")
            welcome = await nina.wait_for(contains="first name")
            assert "Riley" not in welcome["text"]
        async with ChatUser(app.sandbox.base_url, riley_id) as riley:  # Riley is still Riley
            await riley.send("/start")
            await riley.wait_for(contains="Riley")
    finally:
        await app.stop()


async def test_the_page_resets_the_demo_after_jordan_deleted_himself(
    db_url: str, clock: FakeClock
) -> None:
    app = await _start(db_url, clock)
    try:
        assert app.sandbox is not None
        base = app.sandbox.base_url
        assert (await _personas(base))["can_reset"] is True
        async with ChatUser(base, CLIENT.user_id) as jordan:
            await jordan.send("/deleteme")
            asked = await jordan.wait_for(contains="can't be undone")
            await jordan.press("Delete everything", asked["message_id"])
            await jordan.wait_for(contains="Goodbye")
            await jordan.send("/progress")
            await jordan.wait_for(contains="isn't available")  # a visitor now
            async with httpx.AsyncClient(base_url=base) as http:
                assert (await http.post("/api/reset", json={})).json() == {"reset": True}
            assert await jordan.messages() == []  # his chat starts afresh
            jordan.seq = 0
            await jordan.send("/checkin")
            asked = await jordan.wait_for()
            assert "isn't available" not in asked["text"]  # a client with a program again
            assert "checkin" in await jordan.commands()
    finally:
        await app.stop()
