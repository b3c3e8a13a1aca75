"""The router's safety net: a failing flow gets an apology, changes nothing, and logs no data."""

from __future__ import annotations

import logging

import pytest

from bot.clock import FakeClock
from bot.demo import CLIENT, seed_demo_centre
from flows import router as router_module
from flows.conversation import Command, Context
from flows.core import Event, EventKind, Send
from storage.db import SessionFactory

from .harness import make_router


async def test_a_failing_update_apologises_and_logs_no_data(
    sessions: SessionFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())

    async def explode(ctx: Context) -> None:
        raise ValueError(f"could not store {ctx.event.args!r}")  # data in a message

    monkeypatch.setitem(router_module.COMMANDS, "boom", Command(frozenset({"client"}), explode))
    router = make_router(sessions, clock)
    event = Event(
        update_id=77,
        user_id=CLIENT.user_id,
        chat_id=CLIENT.user_id,
        kind=EventKind.COMMAND,
        text="/boom my calf is hot and swollen",
        command="boom",
        args="my calf is hot and swollen",
    )
    with caplog.at_level(logging.INFO):
        replies = await router.handle(event)
    assert replies == [
        Send("Sorry, something went wrong on my side. Please try that again in a moment.")
    ]
    assert "ValueError" in caplog.text
    assert "swollen" not in caplog.text
    # nothing was committed, not even the update id: a redelivery is tried again
    assert await router.handle(event) != []
