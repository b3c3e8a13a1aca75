"""/progress for clients: the last 7, 14, 28 or 56 days, adherence, streak, pain trend, chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.buttons import ProgressWindow, Window
from flows.engine.core import Photo, Send, Toast
from flows.progress.trends import Direction, pain_trend
from flows.progress.week import TREND_TEXTS, WINDOWS
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Checkin, ClientProfile, Pause, Person
from tests.flows.harness import User, make_router, texts

TODAY = date(2026, 11, 23)  # the clock's start, a Monday (Europe/London)
PNG = b"\x89PNG\r\n\x1a\n"
EXPIRED = "This button has expired. Please use the latest message."


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def jordan_id(sessions: SessionFactory) -> int:
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == CLIENT.user_id)
        person = (await session.exec(query)).one()
        assert person.id is not None
        return person.id


async def joined_on(sessions: SessionFactory, day: date) -> None:
    """Move Jordan's onboarding back, so earlier days count as his."""
    async with sessions() as session:
        profile = await session.get(ClientProfile, await jordan_id(sessions))
        assert profile is not None
        profile.onboarded_at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        await session.commit()


def exercises(*done: int, sets: int = 3, reason: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Move {n}",
            "sets_prescribed": sets,
            "reps": 10,
            "seconds": None,
            "sets_done": value,
            "skip_reason": reason if value == 0 else None,
        }
        for n, value in enumerate(done, start=1)
    ]


async def add_checkin(
    sessions: SessionFactory,
    day: date,
    pain: int | None,
    *,
    light: str | None = "green",
    done: list[dict[str, Any]] | None = None,
    status: str = "done",
) -> None:
    async with sessions() as session:
        session.add(
            Checkin(
                client_id=await jordan_id(sessions),
                local_date=day,
                status=status,
                pain_now=pain,
                light=light,
                exercises=exercises(3, 3, 3) if done is None else done,
                started_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
        await session.commit()


async def add_pause(
    sessions: SessionFactory, first: date, last: date, reason: str | None = None
) -> None:
    async with sessions() as session:
        session.add(
            Pause(
                client_id=await jordan_id(sessions),
                first_day=first,
                last_day=last,
                reason=reason,
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
        await session.commit()


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


async def test_no_checkins_yet_points_at_checkin(router: Router) -> None:
    jordan = User(router, CLIENT.user_id)
    replies = await jordan.command("progress")
    assert texts(replies) == (
        "No check-ins yet, Jordan. Send /checkin for today's: it takes about 30 seconds, and "
        "your days will show up here."
    )
    assert all(not r.buttons for r in replies if isinstance(r, Send))


async def test_a_real_checkin_shows_up_as_today(router: Router) -> None:
    jordan = User(router, CLIENT.user_id)
    await jordan.command("checkin")
    for label in ("2", "Done", "Done", "Done", "1", "As usual", "Not stiff", "Same", "No", "7"):
        await jordan.press(label)
    await jordan.press("None of these")
    assert "check-in is saved" in texts(await jordan.press("Skip"))

    view = texts(await jordan.command("progress"))
    assert view.startswith("Your last 7 days, Jordan:\nMon 23 Nov (today): pain 2 🟢")
    assert "Mon 23 Nov (today): pain 2 🟢 · exercises 9/9 sets" in view
    assert "Sun 22 Nov" not in view  # before Jordan joined: not a missed day
    assert "Exercises, last 7 days: 9 of 9 sets (100%)." in view
    assert "That's your 80% goal reached. Nice work!" in view
    assert "Streak: 1 day." in view
    assert "Pain trend" not in view  # one check-in: nothing to compare


async def test_an_emergency_day_is_red_everywhere_and_gets_no_praise(router: Router) -> None:
    """The answers alone would be green (exercise pain 1, morning as usual), but "Call 999 now"
    makes the day red on every screen (triage.day_light), and nobody is told "Nice work!"."""
    jordan, sam = User(router, CLIENT.user_id), User(router, TRAINER.user_id, "Sam")
    await jordan.command("checkin")
    for label in ("2", "Done", "Done", "Done", "1", "As usual", "Not stiff", "Same", "No", "7"):
        await jordan.press(label)
    assert "Call 999 now." in texts(await jordan.press("chest pain"))

    view = texts(await jordan.command("progress"))
    assert "Mon 23 Nov (today): pain 2 🔴 · exercises 9/9 sets · check-in stopped" in view
    assert "🟢" not in view and "Nice work" not in view
    assert "Exercises, last 7 days: 9 of 9 sets (100%)." in view
    clients = texts(await sam.command("clients"))
    assert "last check-in today 🔴" in clients and "🟢" not in clients


async def test_a_week_with_paused_skipped_and_missing_days(
    router: Router, sessions: SessionFactory
) -> None:
    await joined_on(sessions, days_ago(30))
    await add_checkin(sessions, days_ago(6), 5, light="amber")
    await add_checkin(sessions, days_ago(5), 4, light="amber", done=exercises(3, 1, 0))
    # days_ago(4): nothing at all
    await add_pause(sessions, days_ago(3), days_ago(2))  # /pause
    await add_checkin(sessions, days_ago(1), 3, done=exercises(0, 0, 0, reason="pain"))
    await add_pause(sessions, TODAY, TODAY, reason="skip:travel")  # a reminder's Skip today
    jordan = User(router, CLIENT.user_id)

    view = texts(await jordan.command("progress"))
    assert view.splitlines()[:8] == [
        "Your last 7 days, Jordan:",
        "Tue 17 Nov: pain 5 🟡 · exercises 9/9 sets",
        "Wed 18 Nov: pain 4 🟡 · exercises 4/9 sets",
        "Thu 19 Nov: no check-in",
        "Fri 20 Nov: paused",
        "Sat 21 Nov: paused",
        "Sun 22 Nov: pain 3 🟢 · exercises skipped (pain)",
        "Mon 23 Nov (today): skipped (travel)",
    ]
    assert "Exercises, last 7 days: 13 of 27 sets (48%)." in view
    assert "goal" not in view  # below 80%: no verdict, no praise
    # 22 Nov counts, the paused days neither count nor break it, 19 Nov (missed) ends it
    assert "Streak: 1 day." in view
    # last check-in against the one before: 3 against 4
    assert "Pain trend: going down. Your last check-in: 3, the one before: 4." in view


async def test_streak_spans_pauses_and_longer_than_three_weeks(
    router: Router, sessions: SessionFactory
) -> None:
    await joined_on(sessions, days_ago(40))
    for n in range(30, 0, -1):
        if n not in (10, 11):
            await add_checkin(sessions, days_ago(n), 2)
    await add_pause(sessions, days_ago(11), days_ago(10))
    jordan = User(router, CLIENT.user_id)
    view = texts(await jordan.command("progress"))
    assert "Mon 23 Nov (today): no check-in yet" in view  # today isn't over
    assert "Streak: 28 days in a row." in view
    assert "Pain trend: about the same. Your last 3 check-ins average 2, the 3 before 2." in view


async def test_pain_trend_up_is_said_plainly(router: Router, sessions: SessionFactory) -> None:
    await joined_on(sessions, days_ago(10))
    for n, pain in zip(range(6, 0, -1), (2, 2, 3, 4, 4, 5), strict=True):
        await add_checkin(sessions, days_ago(n), pain)
    view = texts(await User(router, CLIENT.user_id).command("progress"))
    assert "Pain trend: going up. Your last 3 check-ins average 4.3, the 3 before 2.3." in view
    assert "If that worries you, tell your trainer in your next /checkin note." in view
    for word in ("probably", "normal", "nothing to worry", "injury", "infection", "clot"):
        assert word not in view.lower()


async def test_no_streak_running(router: Router, sessions: SessionFactory) -> None:
    await joined_on(sessions, days_ago(10))
    await add_checkin(sessions, days_ago(5), 4, done=[])
    view = texts(await User(router, CLIENT.user_id).command("progress"))
    assert "Wed 18 Nov: pain 4 🟢\n" in view  # no program that day: no exercise part
    assert "Exercises, last 7 days" not in view  # nothing prescribed
    assert "Streak: none running right now. Your next /checkin starts one." in view


async def test_fourteen_days_and_back(router: Router, sessions: SessionFactory) -> None:
    await joined_on(sessions, days_ago(20))
    await add_checkin(sessions, days_ago(12), 6, light="red")
    await add_checkin(sessions, days_ago(1), 2)
    jordan = User(router, CLIENT.user_id)
    replies = await jordan.command("progress")
    week = texts(replies)
    assert "Wed 11 Nov" not in week and "Pain trend" not in week  # one check-in in the week
    [_, chart] = replies
    assert isinstance(chart, Photo) and chart.content.startswith(PNG)
    assert chart.caption == "Jordan: pain and exercises, last 7 days"
    assert [b.text for row in chart.buttons for b in row] == ["14 days", "28 days", "56 days"]

    [toast, text, longer] = await jordan.press("14 days")
    assert isinstance(toast, Toast) and isinstance(text, Send) and isinstance(longer, Photo)
    lines = text.text.splitlines()
    assert lines[0] == "Your last 14 days, Jordan:" and len(lines[1:15]) == 14
    assert lines[1].startswith("Tue 10 Nov: no check-in")
    assert "Wed 11 Nov: pain 6 🔴 · exercises 9/9 sets" in lines
    assert "Pain trend: going down. Your last check-in: 2, the one before: 6." in text.text
    assert [b.text for row in longer.buttons for b in row] == ["7 days", "28 days", "56 days"]
    assert longer.caption.endswith("last 14 days")

    [_, back, _] = await jordan.press("7 days")
    assert isinstance(back, Send) and back.text == week
    assert "Tue 10 Nov" in texts(await jordan.command("progress", "14"))


async def test_four_weeks_and_eight_show_the_days_on_the_chart(
    router: Router, sessions: SessionFactory
) -> None:
    await joined_on(sessions, days_ago(60))
    await add_checkin(sessions, days_ago(40), 5, done=exercises(3, 0, 0))
    await add_checkin(sessions, days_ago(20), 3, done=exercises(3, 3, 0))
    jordan = User(router, CLIENT.user_id)
    [text, chart] = await jordan.command("progress", "28")
    assert isinstance(text, Send) and isinstance(chart, Photo)
    assert text.text.splitlines()[:3] == [
        "Your last 28 days, Jordan:",
        "Each day is on the chart below.",
        "Exercises, last 28 days: 6 of 9 sets (67%).",
    ]
    [_, text, chart] = await jordan.press("56 days")
    assert isinstance(text, Send) and isinstance(chart, Photo)
    assert "Exercises, last 56 days: 9 of 18 sets (50%)." in text.text
    assert len(text.text) < 1000  # 56 day lines would not fit a message well
    assert chart.caption == "Jordan: pain and exercises, last 56 days"


async def test_progress_buttons_show_only_the_pressers_own_days(
    router: Router, sessions: SessionFactory
) -> None:
    await add_checkin(sessions, TODAY, 2)
    sam = User(router, TRAINER.user_id)
    # a trainer: no client's days
    assert texts(await sam.press_data(ProgressWindow(7).pack())) == EXPIRED
    jordan = User(router, CLIENT.user_id)
    assert texts(await jordan.press_data("progress:3")) == EXPIRED  # only 7, 14, 28 or 56
    assert texts(await jordan.press_data("progress:7:99")) == EXPIRED
    assert "That command isn't available to you." in texts(await sam.command("progress"))


async def test_progress_is_in_the_clients_menu(router: Router) -> None:
    assert "/progress - Your last 7 days at a glance" in texts(
        await User(router, CLIENT.user_id).command("help")
    )


def test_pain_trend_compares_equal_halves() -> None:
    assert pain_trend([]) is None and pain_trend([4]) is None
    one = pain_trend([4, 2])
    assert one is not None and (one.direction, one.size, one.before, one.recent) == (
        "down",
        1,
        4,
        2,
    )
    five = pain_trend([9, 1, 1, 2, 2])  # 2 against 2: the oldest value is left out
    assert five is not None and (five.direction, five.size) == ("up", 2)
    flat = pain_trend([3, 3, 3, 3, 3, 4])
    assert flat is not None and flat.direction == "flat"  # +0.3: less than a point
    assert pain_trend([1, 1, 1, 5, 5, 5, 2, 2, 2]) == pain_trend([5, 5, 5, 2, 2, 2])


def test_every_trend_and_window_has_its_words() -> None:
    assert set(TREND_TEXTS) == set(get_args(Direction))
    assert set(WINDOWS) == set(get_args(Window))
