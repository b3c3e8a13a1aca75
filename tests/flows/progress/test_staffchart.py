"""A client's chart for staff: on the /clients card and an alert's History, own clients only."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.engine.buttons import ClientCard, ClientChart, History
from flows.engine.core import Photo, Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Role
from tests.flows.harness import User, add_person, make_router, person_of
from tests.flows.progress.test_progress import add_checkin, days_ago, joined_on

EXPIRED = "This button has expired. Please use the latest message."


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    await joined_on(sessions, days_ago(30))
    await add_checkin(sessions, days_ago(1), 3)
    return make_router(sessions, clock)


async def test_the_card_and_the_history_carry_the_chart(
    router: Router, sessions: SessionFactory
) -> None:
    jordan = await person_of(sessions, CLIENT.user_id)
    sam = User(router, TRAINER.user_id)
    for data in (ClientCard(jordan.id or 0), History(jordan.id or 0)):
        replies = await sam.press_data(data.pack())
        assert isinstance(replies[0], Toast) and isinstance(replies[1], Send)
        chart = replies[-1]
        assert isinstance(chart, Photo) and chart.content.startswith(b"\x89PNG")
        assert chart.caption == "Jordan: pain and exercises, last 14 days"
        labels = [b.text for row in chart.buttons for b in row]
        assert labels == ["7 days", "28 days", "56 days"]

    [toast, longer] = await sam.press("56 days")
    assert toast == Toast() and isinstance(longer, Photo)
    assert longer.caption.endswith("last 56 days")


async def test_a_chart_button_shows_nothing_to_anyone_else(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    jordan = await person_of(sessions, CLIENT.user_id)
    await add_person(sessions, clock, 2001, "Kim", Role.TRAINER)
    data = ClientChart(jordan.id or 0, 28).pack()
    for user_id in (2001, CLIENT.user_id):  # another trainer; the client himself
        assert await User(router, user_id).press_data(data) == [Toast(EXPIRED)]
    assert await User(router, TRAINER.user_id).press_data("cchart:1:30") == [Toast(EXPIRED)]
    [_, chart] = await User(router, ADMIN.user_id).press_data(data)
    assert isinstance(chart, Photo)
