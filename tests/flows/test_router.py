"""The router's safety net: a failing flow gets an apology, changes nothing, and logs no data."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlmodel import select

import flows.router as router_module
from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.conversation import Command, Context
from flows.engine.core import Event, EventKind, Send
from storage.db import SessionFactory
from storage.models import Outbox, Person
from tests.flows.harness import User, make_router


async def test_a_failing_update_apologises_and_logs_no_data(
    sessions: SessionFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())

    async def explode(ctx: Context) -> None:
        raise ValueError(f"could not store {ctx.event.args!r}")  # data in a message

    monkeypatch.setitem(
        router_module.COMMANDS, "boom", Command("boom", explode, also=frozenset({"client"}))
    )
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
    # its effects were rolled back, but it is settled: a redelivery isn't answered twice
    assert await router.handle(event) == []


async def test_writing_to_the_bot_clears_unreachable(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A client marked unreachable (403) who writes again has unblocked us: reminders resume."""
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    await _set_unreachable(sessions, clock.now())
    jordan = User(make_router(sessions, clock), CLIENT.user_id)
    assert await jordan.text("hello again")
    assert await _set_unreachable(sessions, None) is None
    async with sessions() as session:
        [told] = (await session.exec(select(Outbox))).all()
    assert (told.chat_id, told.kind) == (TRAINER.user_id, "client_reachable")
    assert "Jordan is back in touch" in told.text


async def _set_unreachable(sessions: SessionFactory, value: datetime | None) -> datetime | None:
    """Set Jordan's unreachable mark; returns what it was."""
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == CLIENT.user_id)
        jordan = (await session.exec(query)).one()
        was, jordan.unreachable_at = jordan.unreachable_at, value
        await session.commit()
    return was
