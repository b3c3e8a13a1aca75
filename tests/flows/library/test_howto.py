"""Clients see how to do each exercise: its cues and a video button, in the check-in and in
their own /program ("my program")."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, seed_demo_centre
from flows.engine.core import Reply, Send
from flows.library.howto import howto
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Checkin, Exercise
from tests.flows.checkin.test_checkin import CLIENT_ID, do_exercises, make_client
from tests.flows.harness import User, make_router, texts

VIDEO = "https://www.merckmanuals.com/home/multimedia/video/straight-leg-raise"


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def url_buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [
        (b.text, b.url)
        for r in replies
        if isinstance(r, Send)
        for row in r.buttons
        for b in row
        if b.url is not None
    ]


def test_howto_adds_the_cues_and_a_video_row() -> None:
    text, rows = howto("en", "Bridges, 3 x 10", "Squeeze your glutes.", "https://youtu.be/x")
    assert text == "Bridges, 3 x 10\n   How: Squeeze your glutes."
    assert [[b.url for b in row] for row in rows] == [["https://youtu.be/x"]]
    assert howto("en", "Bridges", None, None) == ("Bridges", ())


async def test_the_check_in_shows_each_exercise_s_cues_and_video(router: Router) -> None:
    jordan = User(router, CLIENT.user_id)
    await jordan.command("checkin")
    first = await jordan.text("2")
    assert "Quad sets" in texts(first) and "How: Tighten the thigh" in texts(first)
    assert url_buttons(first) == []  # no video for this one
    second = await jordan.press("Done")
    assert "Straight-leg raises" in texts(second) and "How: Keep the knee locked" in texts(second)
    assert url_buttons(second) == [("▶ Watch the video", VIDEO)]
    assert "Heel slides" in texts(await jordan.press("Done"))  # answered as before


async def test_my_program_lists_the_exercises_with_cues_and_video_buttons(
    router: Router,
) -> None:
    shown = await User(router, CLIENT.user_id).command("program")
    text = texts(shown)
    assert "Your program (rehab phase)" in text
    assert "1. Quad sets, 3 x 10" in text and "How: Tighten the thigh" in text
    assert "3. Heel slides, 3 x 15" in text
    assert url_buttons(shown) == [("▶ 2. Straight-leg raises (video)", VIDEO)]


async def test_a_client_without_exercises_is_told_so(
    router: Router, sessions: SessionFactory
) -> None:
    async with sessions() as session:
        for exercise in (await session.exec(select(Exercise))).all():
            await session.delete(exercise)
        await session.commit()
    shown = texts(await User(router, CLIENT.user_id).command("program"))
    assert "hasn't set your exercises yet" in shown


async def test_the_day_s_record_keeps_the_prescription_not_the_how_to(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock)
    async with sessions() as session:
        for exercise in (await session.exec(select(Exercise))).all():
            exercise.notes, exercise.link = "Slowly.", "https://vimeo.com/1"
            session.add(exercise)
        await session.commit()
    pat = User(router, CLIENT_ID, "Pat")
    await pat.command("checkin")
    await pat.press("2")
    await do_exercises(pat, 1)
    await pat.press("Skip")
    async with sessions() as session:
        [row] = (await session.exec(select(Checkin))).all()
    assert [e["sets_done"] for e in row.exercises] == [3, 2]
    assert not {"cues", "link"} & set(row.exercises[0])
