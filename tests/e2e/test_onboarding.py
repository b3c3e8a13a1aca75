"""Whole conversations through the sandbox with the real python-telegram-bot runtime."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .conftest import StartBot

LINK = re.compile(r"https://t\.me/\w+\?start=([\w-]+)")


async def _invite(inviter: ChatUser, name: str) -> str:
    await inviter.send("/invite")
    await inviter.wait_for(contains="name")
    await inviter.send(name)
    message = await inviter.wait_for(contains="t.me/")
    found = LINK.search(message["text"])
    assert found, message["text"]
    return found.group(1)


async def test_admin_invites_trainer_who_invites_a_client_who_onboards(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    trainer_code = await _invite(people["admin"], "Riley")

    riley = await ChatUser.visitor(sandbox.base_url, "Riley")
    await riley.send(f"/start {trainer_code}")
    await riley.wait_for(contains="as a trainer")
    await riley.wait_for(contains="time zone")
    await riley.press("New York")
    await riley.wait_for(contains="All set, Riley")
    await people["admin"].wait_for(contains="Riley has joined as a trainer")

    client_code = await _invite(riley, "Anna")
    anna = await ChatUser.visitor(sandbox.base_url, "Anna")
    await anna.send(f"/start {client_code}")
    await anna.wait_for(contains="Riley invited you")
    await anna.press("I agree")
    await anna.wait_for(contains="cleared you")
    await anna.press("Yes, I'm cleared")
    await anna.wait_for(contains="recovering from")
    await anna.send("hip replacement")
    await anna.wait_for(contains="surgery")
    await anna.press("Yes")
    await anna.wait_for(contains="time zone")
    await anna.send("Toronto")  # typed: the bot says which zone that is
    await anna.wait_for(contains="Time zone: America/Toronto (it's ")
    await anna.wait_for(contains="What time")
    await anna.press("08:00")
    notice = await anna.wait_for(contains="not monitored 24/7")
    assert "call 999 now" in notice["text"]
    await anna.press("I understand")
    done = await anna.wait_for(contains="You're all set, Anna")
    assert "08:00 (America/Toronto)" in done["text"]

    joined = await riley.wait_for(contains="Anna has joined")  # through the outbox
    assert "hip" not in joined["text"]  # no health details in a proactive first line
    for user in (riley, anna):
        await user.aclose()


@pytest.mark.transport
async def test_restart_mid_onboarding_resumes_where_it_stopped(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    bot = await start_bot()
    code = await _invite(people["trainer"], "Bea")
    bea = await ChatUser.visitor(sandbox.base_url, "Bea")
    await bea.send(f"/start {code}")
    await bea.wait_for(contains="invited you")
    await bea.press("I agree")
    question = await bea.wait_for(contains="cleared you")

    await bot.stop()
    await start_bot()

    await bea.press("Yes, I'm cleared", message_id=question["message_id"])
    await bea.wait_for(contains="recovering from")
    await bea.send("tennis elbow")
    await bea.wait_for(contains="surgery")
    await bea.aclose()


@pytest.mark.transport
async def test_a_redelivered_update_is_processed_once(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    code = await _invite(people["trainer"], "Cal")
    cal = await ChatUser.visitor(sandbox.base_url, "Cal")
    await cal.send(f"/start {code}")
    await cal.wait_for(contains="invited you")
    await cal.press("I agree")
    await cal.wait_for(contains="cleared you")
    await cal.press("Yes, I'm cleared")
    await cal.wait_for(contains="recovering from")
    update_id = await cal.send("rotator cuff")
    await cal.wait_for(contains="surgery")

    async with httpx.AsyncClient() as client:
        replayed = await client.post(
            f"{sandbox.base_url}/api/replay", json={"update_id": update_id}
        )
    assert replayed.status_code == 200
    await cal.send("/help")  # handled after the replay, so its answer shows the replay is done
    await cal.wait_for(contains="/privacy")

    texts = [m["text"] for m in await cal.messages() if m["from_bot"]]
    assert sum("Have you had surgery" in text for text in texts) == 1
    assert not any("up to 200 characters" in text for text in texts)
    await cal.aclose()


async def test_stale_buttons_and_free_text_get_a_polite_answer(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    code = await _invite(people["trainer"], "Dan")
    dan = await ChatUser.visitor(sandbox.base_url, "Dan")
    await dan.send(f"/start {code}")
    await dan.wait_for(contains="invited you")
    await dan.press("I agree")
    clearance = await dan.wait_for(contains="cleared you")

    await dan.send("maybe?")
    await dan.wait_for(contains="tap one of the buttons")
    again = await dan.wait_for(contains="cleared you")
    assert again["message_id"] != clearance["message_id"]

    await dan.send("yes, i'm cleared")  # typing the label moves on; the buttons above go stale
    await dan.wait_for(contains="recovering from")
    await dan.press("Not yet", message_id=clearance["message_id"])
    assert "expired" in await dan.wait_for_toast("expired")

    answered = next(m for m in await dan.messages() if "Is that okay?" in m["text"])
    assert answered["text"].endswith("» I agree")  # the press is recorded on the question
    assert answered["buttons"] == []
    refused = await dan.press_data(answered["message_id"], "~1:yes")
    assert refused.status_code == 409
    await dan.aclose()
