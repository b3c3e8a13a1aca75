"""/progress and /clients end to end: Jordan checks in, sees his days and chart; Sam sees Jordan
first, and his chart."""

from __future__ import annotations

import pytest

from bot.sandbox.driver import ChatUser

from .conftest import SETUPS, StartBot
from .test_checkin import checkin


@pytest.mark.setups(SETUPS[0], SETUPS[3])  # the chart as a photo: ptb polling, aiogram webhook
async def test_checkin_then_progress_and_the_trainers_client_list(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await checkin(jordan)

    await jordan.send("/progress")
    view = await jordan.wait_for(contains="Your last 7 days, Jordan")
    assert "(today): pain 2 🟢 · exercises 9/9 sets" in view["text"]
    assert "Exercises, last 7 days: 9 of 9 sets (100%)." in view["text"]
    assert "Streak: 1 day." in view["text"]
    chart = await jordan.wait_for(lambda m: m.get("photo") is not None)
    assert chart["caption"] == "Jordan: pain and exercises, last 7 days"
    assert chart["photo"]["width"] >= 900  # a real image: the sandbox read its size
    await jordan.press("28 days", message_id=chart["message_id"])
    longer = await jordan.wait_for(contains="Your last 28 days, Jordan")
    assert "Exercises, last 28 days: 9 of 9 sets (100%)." in longer["text"]
    wider = await jordan.wait_for(lambda m: m.get("photo") is not None)
    assert wider["caption"].endswith("last 28 days")

    await sam.send("/clients")
    listing = await sam.wait_for(contains="Your clients (1)")
    assert "1. Jordan\n   last check-in today 🟢 · 7 days: 100% · streak 1" in listing["text"]
    await sam.press("Jordan", message_id=listing["message_id"])
    card = await sam.wait_for(contains="Jordan, last 14 days")
    assert " 2 / 1 / 100% / green / –" in card["text"]
    assert card["text"].endswith("7 days: 100% · streak 1")
    labels = [b["text"] for row in card["buttons"] for b in row]
    assert labels == ["Message client", "Program", "Report", "‹ All clients"]
    chart = await sam.wait_for(lambda m: m.get("photo") is not None)
    assert chart["caption"] == "Jordan: pain and exercises, last 14 days"
    await sam.press("56 days", message_id=chart["message_id"])
    wider = await sam.wait_for(lambda m: m.get("photo") is not None)
    assert wider["caption"].endswith("last 56 days")
