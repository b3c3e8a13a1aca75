"""A client is told what changed in their program, through the outbox, by whoever changed it."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.router import Router
from storage.db import SessionFactory
from storage.models import ClientProfile, Outbox, Person
from tests.flows.harness import User, make_router, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def told(sessions: SessionFactory) -> list[str]:
    """What is queued for the demo client, oldest first."""
    async with sessions() as session:
        query = select(Outbox).where(Outbox.chat_id == CLIENT.user_id).order_by(col(Outbox.id))
        return [row.text for row in (await session.exec(query)).all()]


async def open_jordan(router: Router) -> User:
    sam = User(router, TRAINER.user_id)
    await sam.command("program", "Jordan")
    assert "Program for Jordan" in texts(sam.last)
    return sam


async def test_each_change_tells_the_client_what_changed(
    router: Router, sessions: SessionFactory
) -> None:
    sam = await open_jordan(router)
    await sam.press("Add exercise")
    await sam.text("Wall sit")
    await sam.press("3")
    await sam.text("30 sec")
    await sam.press("Skip")
    await sam.press("Skip")
    await sam.press("Edit exercise")
    await sam.press("1. Quad sets")
    await sam.press("Sets")
    await sam.text("4")
    await sam.press("Remove exercise")
    await sam.press("3. Heel slides")
    await sam.press("Yes, remove it")
    await sam.press("Phase")
    await sam.press("strength")
    assert await told(sessions) == [
        "Sam added an exercise to your program: Wall sit, 3 x 30 s. "
        "Send /program to see how to do it.",
        "Sam changed an exercise in your program: it is now Quad sets, 4 x 10. "
        "Send /program to see it.",
        "Sam took Heel slides out of your program.",
        "Sam moved you to the strength phase. Well done getting here.",
    ]


async def test_a_client_still_joining_is_not_told(router: Router, sessions: SessionFactory) -> None:
    async with sessions() as session:
        jordan = (
            await session.exec(select(Person).where(Person.telegram_user_id == CLIENT.user_id))
        ).one()
        profile = await session.get(ClientProfile, jordan.id)
        assert profile is not None
        profile.onboarded_at = None
        session.add(profile)
        await session.commit()
    sam = User(router, TRAINER.user_id)
    await sam.command("program", "Jordan")
    await sam.press("Phase")
    await sam.press("strength")
    assert await told(sessions) == []
