"""What a chart shows of a client's days: check-ins, pauses, skipped days, red flags, joining."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import FakeClock
from bot.demo import CLIENT, seed_demo_centre
from flows.progress.chartdata import chart_days, day_label
from storage.db import SessionFactory
from storage.models import Checkin
from storage.repo import Store
from tests.flows.harness import person_of
from tests.flows.progress.test_progress import add_checkin, add_pause, days_ago, joined_on

TODAY = date(2026, 11, 23)


@pytest.fixture
async def seeded(sessions: SessionFactory, clock: FakeClock) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())


async def test_each_kind_of_day(seeded: None, sessions: SessionFactory) -> None:
    await joined_on(sessions, days_ago(5))
    await add_checkin(sessions, days_ago(4), 6, light="red")
    await add_pause(sessions, days_ago(3), days_ago(2))
    await add_pause(sessions, days_ago(1), days_ago(1), reason="skip:sick")
    async with sessions() as session:
        session.add(
            Checkin(
                client_id=(await person_of(sessions, CLIENT.user_id)).id or 0,
                local_date=TODAY,
                status="stopped",
                pain_now=3,
                red_flags=["chest_pain"],
                severity="emergency",
                started_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
            )
        )
        await session.commit()
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        days = await chart_days(Store(session), jordan, "Europe/London", TODAY, 7)
    assert [d.status for d in days] == [
        "before",
        "missing",  # joined that day, no check-in
        "checkin",
        "paused",
        "paused",
        "skipped",
        "checkin",
    ]
    assert days[0].day == days_ago(6) and days[-1].day == TODAY
    red = days[2]
    assert (red.pain, red.adherence, red.flagged) == (6, 1.0, False)
    today = days[-1]
    assert today.flagged and today.pain == 3 and today.adherence is None


def test_day_labels_are_short_for_two_weeks_and_dated_for_longer() -> None:
    assert day_label(TODAY, "en", 14) == "Mon 23"
    assert day_label(TODAY, "en", 28) == "23 Nov"
