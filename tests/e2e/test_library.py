"""The exercise library end to end, on both runtimes: Sam gives a library exercise a YouTube
video, saves a template from it and applies it to Jordan; Jordan is told, sees the video as a URL
button in "my program" and in the check-in (the sandbox checks every URL button it is sent)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.driver import ChatUser

from .conftest import POLLING, WEBHOOK, StartBot

pytestmark = pytest.mark.setups(POLLING[0], WEBHOOK[1])  # ptb polling, aiogram webhook

VIDEO = "https://www.youtube.com/watch?v=quad-sets"


def url_buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["text"], b["url"]) for row in message["buttons"] for b in row if "url" in b]


async def step(user: ChatUser, label: str, expect: str) -> dict[str, Any]:
    await user.press(label)
    return await user.wait_for(contains=expect)


async def say(user: ChatUser, text: str, expect: str) -> dict[str, Any]:
    await user.send(text)
    return await user.wait_for(contains=expect)


async def test_a_library_video_reaches_the_client_through_a_template(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    sam, jordan = people["trainer"], people["client"]

    await say(sam, "/library quad", 'matching "quad"')
    await step(sam, "Quad sets", "Region: knee")
    await step(sam, "Edit", "What would you like to change")
    await step(sam, "Video", "video link for Quad sets")
    entry = await say(sam, VIDEO, "Video: " + VIDEO)
    assert url_buttons(entry) == [("▶ Watch on YouTube", VIDEO)]

    await say(sam, "/templates", "No program templates yet")
    await step(sam, "New template", "What should the template be called")
    await say(sam, "Knee, early", "Which phase")
    await step(sam, "rehab", "Pick the exercises")
    await say(sam, "quad sets", "Chosen: -")
    await step(sam, "Quad sets", "Chosen: Quad sets")
    await step(sam, "Save template", "Saved Knee, early with 1 exercise.")

    await say(sam, "/program Jordan", "Program for Jordan")
    await step(sam, "Apply template", "Which template")
    await step(sam, "Knee, early", "Replace Jordan's exercises")
    await step(sam, "Yes, apply it", "Applied Knee, early")

    await jordan.wait_for(contains="new set of exercises: Quad sets")
    mine = await say(jordan, "/program", "Your program (rehab phase)")
    assert "How: Leg straight, tighten the front of your thigh" in mine["text"]
    assert url_buttons(mine) == [("▶ 1. Quad sets (YouTube)", VIDEO)]

    await say(jordan, "/checkin", "pain right now")
    asked = await step(jordan, "2", "Exercise 1 of 1")
    assert "How: Leg straight" in asked["text"]
    assert url_buttons(asked) == [("▶ Watch on YouTube", VIDEO)]
