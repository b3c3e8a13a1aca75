"""/progress and /clients end to end: Jordan checks in, sees his days; Sam sees Jordan first."""

from __future__ import annotations

from bot.sandbox.driver import ChatUser

from .conftest import StartBot
from .test_checkin import checkin


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
    await jordan.press("Show 14 days", message_id=view["message_id"])
    longer = await jordan.wait_for(contains="Your last 14 days, Jordan")
    assert longer["message_id"] == view["message_id"]  # redrawn in place

    await sam.send("/clients")
    listing = await sam.wait_for(contains="Your clients (1)")
    assert "1. Jordan\n   last check-in today 🟢 · 7 days: 100% · streak 1" in listing["text"]
    await sam.press("Jordan", message_id=listing["message_id"])
    card = await sam.wait_for(contains="Jordan, last 14 days")
    assert " 2 / 1 / 100% / green / –" in card["text"]
    assert card["text"].endswith("7 days: 100% · streak 1")
    labels = [b["text"] for row in card["buttons"] for b in row]
    assert labels == ["Message client", "Program", "‹ All clients"]
