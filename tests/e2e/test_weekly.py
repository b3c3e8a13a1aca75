"""The weekly summary end to end, on both runtimes: at Jordan's local Sunday 18:00 (a fake
clock), one photo with his week; the tick run again, nothing more."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.demo import CLIENT
from bot.sandbox.driver import ChatUser
from flows.engine.schedule import zone_of
from tests.flows.harness import person_of

from .conftest import SETUPS, StartBot
from .test_checkin import checkin

pytestmark = pytest.mark.setups(SETUPS[0], SETUPS[3])  # ptb polling, aiogram webhook


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """The test runs the progress tick itself."""
    return {"quiet_hours": "00:00-00:00", "progress_interval_seconds": 3600}


async def test_the_weekly_summary_arrives_once_at_local_time(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    app = await start_bot()
    jordan = people["client"]
    await checkin(jordan)
    person = await person_of(app.sessions, CLIENT.user_id)
    zone = ZoneInfo(zone_of(person, app.settings.default_timezone))
    local = clock.now().astimezone(zone)
    sunday = local.date() + timedelta(days=(6 - local.weekday()) % 7)
    six_pm = datetime(sunday.year, sunday.month, sunday.day, 18, tzinfo=zone)
    clock.set(six_pm - timedelta(minutes=1))
    await app.plan_progress()
    clock.set(six_pm + timedelta(minutes=1))
    await app.plan_progress()
    await app.plan_progress()
    summary = await jordan.wait_for(lambda m: m["photo"] is not None)
    assert summary["caption"].startswith("Your week, Jordan: 1 check-in in the last 7 days.")
    await app.deliver_outbox()
    photos = [m for m in await jordan.messages() if m["photo"] is not None]
    assert len(photos) == 1
