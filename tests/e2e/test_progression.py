"""Progression suggestions end to end, on both runtimes: after 7 green days Sam gets one
suggestion about Jordan (the tick run again, nothing more), "Not yet" is recorded on it; with a
red day among them, none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import CLIENT
from bot.sandbox.driver import ChatUser
from storage.models import Checkin
from tests.flows.harness import person_of

from .conftest import SETUPS, StartBot
from .test_checkin import checkin

pytestmark = pytest.mark.setups(SETUPS[0], SETUPS[3])  # ptb polling, aiogram webhook
SUGGESTION = "Jordan: 7 green days, adherence 100%. Consider progressing their program."


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """The test runs the progress tick itself (the scheduler's waits an hour)."""
    return {"quiet_hours": "00:00-00:00", "progress_interval_seconds": 3600}


async def six_earlier_days(app: MendBot, clock: FakeClock, red_on: int | None = None) -> None:
    """Jordan's check-ins of the 6 days before today (green, all sets done; one red)."""
    jordan = await person_of(app.sessions, CLIENT.user_id)
    today = clock.now().date()
    async with app.sessions() as session:
        for n in range(1, 7):
            session.add(
                Checkin(
                    client_id=jordan.id or 0,
                    local_date=today - timedelta(days=n),
                    status="done",
                    pain_now=2,
                    exercise_pain=7 if n == red_on else 1,
                    light="red" if n == red_on else "green",
                    exercises=[{"name": "Quad sets", "sets_prescribed": 3, "sets_done": 3}],
                    started_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )
        await session.commit()


async def suggestions_seen(sam: ChatUser) -> list[dict[str, object]]:
    return [m for m in await sam.messages() if SUGGESTION in (m.get("text") or "")]


async def test_seven_green_days_bring_one_suggestion_and_not_yet_is_recorded(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    app = await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await six_earlier_days(app, clock)
    await checkin(jordan)  # today's, green

    assert await app.plan_progress() == 1
    assert await app.plan_progress() == 0  # again: nothing more
    message = await sam.wait_for(contains=SUGGESTION)
    assert "post-op: agree any change with their surgeon or physio first" in message["text"]
    await sam.press("Not yet", message_id=message["message_id"])
    answered = await sam.wait_for(contains="I'll ask again after 7 more green days")
    assert answered["message_id"] == message["message_id"] and answered["buttons"] == []
    await app.plan_progress()
    await app.deliver_outbox()
    assert len(await suggestions_seen(sam)) == 1


async def test_no_suggestion_with_a_red_day_among_them(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    app = await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await six_earlier_days(app, clock, red_on=3)
    await checkin(jordan)

    assert await app.plan_progress() == 0
    await app.deliver_outbox()
    assert await suggestions_seen(sam) == []
