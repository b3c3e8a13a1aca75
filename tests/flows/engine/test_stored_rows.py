"""Conversations stopped mid-way by the version before declared steps (step strings, data as a
plain dict, some values as strings) resume after the upgrade, through the real flows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Conversation, Exercise, Person
from tests.flows.harness import User, make_router, person_of, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _stored(
    sessions: SessionFactory, clock: FakeClock, user_id: int, flow: str, step: str, **data: Any
) -> None:
    """A conversation row as the previous version left it."""
    async with sessions() as session:
        row = Conversation(
            chat_id=user_id,
            user_id=user_id,
            flow=flow,
            step=step,
            data=data,
            version=7,
            updated_at=clock.now(),
        )
        await session.merge(row)
        await session.commit()


async def test_a_booking_intake_resumes_with_its_answers(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await _stored(
        sessions,
        clock,
        5100,
        "booking",
        "flags",
        name="Vera",
        goal="Run again",
        trainer="any",
        injury=None,
        flags=["fever"],
        page=0,
    )
    vera = User(router, 5100, "Telegram name")
    assert "Which time zone" in texts(await vera.text("none"))
    assert "Free times on" in texts(await vera.press("India"))
    assert "yours for the next 10 minutes" in texts(await vera.press("14:30"))
    async with sessions() as session:
        found = await session.exec(select(Person).where(Person.telegram_user_id == 5100))
        assert found.one().name == "Vera"  # the stored intake's name, not Telegram's


async def test_weekly_hours_resume_with_the_day_stored_as_text(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The old flow stored the picked weekday as the button's string value."""
    await _stored(sessions, clock, TRAINER.user_id, "availability", "hours", day="5")
    sam = User(router, TRAINER.user_id, "Sam")
    assert "Sat: 10:00-12:00" in texts(await sam.text("10:00-12:00"))


async def test_an_exercise_being_added_resumes_from_its_draft(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    jordan = await person_of(sessions, CLIENT.user_id)
    await _stored(
        sessions,
        clock,
        TRAINER.user_id,
        "program",
        "add_sets",
        client_id=jordan.id,
        draft={"name": "Step-ups"},
        page=0,
    )
    sam = User(router, TRAINER.user_id, "Sam")
    assert "How many per set" in texts(await sam.text("4"))
    assert "link for Step-ups" in texts(await sam.text("12"))
    await sam.press("Skip")
    assert "Added Step-ups." in texts(await sam.press("Skip"))
    async with sessions() as session:
        added = (await session.exec(select(Exercise).where(Exercise.name == "Step-ups"))).one()
    assert (added.sets, added.reps, added.seconds) == (4, 12, None)


async def test_a_row_whose_data_no_longer_fits_ends_with_an_apology(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await _stored(sessions, clock, TRAINER.user_id, "availability", "hours", day="Saturday")
    sam = User(router, TRAINER.user_id, "Sam")
    replies = texts(await sam.text("10:00-12:00"))
    assert "can't pick up where we left off" in replies
    assert "went wrong" not in replies
    async with sessions() as session:
        convo = await session.get(Conversation, TRAINER.user_id)
    assert convo is not None and (convo.flow, convo.step, convo.data) == (None, None, {})
    assert "Your consult settings" in texts(await sam.command("availability"))  # afresh
