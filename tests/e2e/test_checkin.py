"""Daily check-ins end to end: the demo client Jordan (post-op knee) and trainer Sam, over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.sandbox.driver import ChatUser

from .conftest import StartBot


def _has_button(text: str) -> Any:
    return lambda m: any(text in b["text"] for row in m["buttons"] for b in row)


async def step(user: ChatUser, label: str, expect: str) -> dict[str, Any]:
    """Press a button, then wait for the next question (so no press races the bot)."""
    await user.press(label)
    return await user.wait_for(contains=expect)


async def checkin(
    jordan: ChatUser,
    *,
    pain: str = "2",
    exercise_pain: str = "1",
    morning: str = "As usual",
    flags: Sequence[str] = (),
    note: str | None = None,
) -> dict[str, Any]:
    """A whole check-in of the demo client; returns the last message (summary or emergency)."""
    await jordan.send("/checkin")
    await jordan.wait_for(contains="pain right now")
    await step(jordan, pain, "Exercise 1 of 3")
    await step(jordan, "Done", "Exercise 2 of 3")
    await step(jordan, "Done", "Exercise 3 of 3")
    await step(jordan, "Done", "worst pain during")
    await step(jordan, exercise_pain, "This morning")
    await step(jordan, morning, "stiff")
    await step(jordan, "Not stiff", "Swelling")
    await step(jordan, "Same", "wake you")
    await step(jordan, "No", "confident")
    await step(jordan, "7", "any of these")
    for flag in flags:
        await jordan.press(flag)
        if "Chest" in flag:  # an emergency item ends the check-in at once
            return await jordan.wait_for(contains="Call 999 now")
        await jordan.wait_for(_has_button("☑"))
    await step(jordan, "Done" if flags else "None of these", "Anything else")
    if note is None:
        await jordan.press("Skip")
    else:
        await jordan.send(note)
    return await jordan.wait_for(contains="Today's check-in is saved")


async def test_green_checkin(start_bot: StartBot, people: dict[str, ChatUser]) -> None:
    await start_bot()
    summary = await checkin(people["client"])
    assert "🟢 Green: keep going." in summary["text"]
    assert "9 of 9 sets (100%)" in summary["text"]
    assert "Streak: 1 day." in summary["text"]


async def test_amber_checkin(start_bot: StartBot, people: dict[str, ChatUser]) -> None:
    await start_bot()
    summary = await checkin(people["client"], exercise_pain="4")
    assert "🟡 Amber: that's acceptable" in summary["text"]


async def test_emergency_puts_the_number_first_and_alerts_the_trainer(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    stopped = await checkin(jordan, flags=["Chest pain"])
    assert stopped["text"].startswith("Call 999 now.")
    assert "stopped today's check-in" in stopped["text"]
    assert "wait" not in stopped["text"].lower()
    alert = await sam.wait_for(contains="EMERGENCY alert: Jordan")
    first_line = alert["text"].splitlines()[0]
    assert "chest" not in first_line
    assert "E1" in alert["text"] and "chest pain or pressure" in alert["text"]
    assert "call 999" in alert["text"]
    labels = [b["text"] for row in alert["buttons"] for b in row]
    assert labels == ["Acknowledge", "Message client", "History"]
    await jordan.send("/checkin")
    await jordan.wait_for(contains="already checked in")


async def test_a_flagged_day_is_red_on_every_screen(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    """Exercise pain 1 and morning as usual would be green; "Call 999 now" makes the day red
    on /progress and /clients, and nobody is praised."""
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await checkin(jordan, exercise_pain="1", flags=["Chest pain"])
    await jordan.send("/progress")
    progress = await jordan.wait_for(contains="Your last 7 days")
    assert "pain 2 🔴" in progress["text"] and "🟢" not in progress["text"]
    assert "Nice work" not in progress["text"]
    await sam.wait_for(contains="EMERGENCY alert: Jordan")
    await sam.send("/clients")
    listing = await sam.wait_for(contains="last check-in")
    assert "last check-in today 🔴" in listing["text"] and "🟢" not in listing["text"]


async def test_changed_answers_keep_the_first_version_for_the_trainer(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    summary = await checkin(jordan, flags=["Calf/thigh"], note="left calf is warm")
    assert "🔴 Red today" in summary["text"]  # an urgent check-in's summary has its light
    alert = await sam.wait_for(contains="Urgent alert")
    await jordan.send("/checkin")
    await jordan.wait_for(contains="already checked in")
    await jordan.press("Change answers")
    await jordan.wait_for(contains="pain right now")
    await step(jordan, "3", "Exercise 1 of 3")
    for label, expect in (("Done", "Exercise 2"), ("Done", "Exercise 3"), ("Done", "worst pain")):
        await step(jordan, label, expect)
    for label, expect in (
        ("1", "This morning"),
        ("As usual", "stiff"),
        ("Not stiff", "Swelling"),
        ("Same", "wake you"),
        ("No", "confident"),
        ("7", "any of these"),
        ("None of these", "Anything else"),
    ):
        await step(jordan, label, expect)
    await jordan.press("Skip")
    await jordan.wait_for(contains="Today's check-in is saved")
    await sam.press("History", message_id=alert["message_id"])
    history = await sam.wait_for(contains="last 14 days")
    assert ": 3 / 1 / 100% / green / –" in history["text"]  # the latest counts
    assert "earlier answers, later changed: 2 / 1 / 100% / red / U1" in history["text"]


async def test_urgent_post_op_calf_swelling(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    summary = await checkin(jordan, flags=["Calf/thigh"], note="left calf is warm")
    assert summary["text"].startswith("Please contact your surgeon, physio or doctor today.")
    alert = await sam.wait_for(contains="Urgent alert: please review Jordan's check-in today.")
    assert "U1" in alert["text"]
    note = await sam.wait_for(contains="left you a note")
    assert note["text"].endswith("left calf is warm")


async def test_routine_r2_over_two_days_then_acknowledge(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    first = await checkin(jordan, morning="Worse")
    assert "🔴 Red" in first["text"]
    clock.advance(timedelta(days=1))
    await jordan.catch_up()
    second = await checkin(jordan, morning="Worse")
    assert "🔴 Red" in second["text"]

    await sam.send("/alerts")
    listing = await sam.wait_for(contains="Open alerts")
    assert "R2" in listing["text"] and "Jordan" in listing["text"]
    await sam.press("Acknowledge #1")
    redrawn = await sam.wait_for(contains="No open alerts")
    assert redrawn["message_id"] == listing["message_id"]  # the list is updated in place
    await sam.send("/alerts")
    await sam.wait_for(contains="No open alerts")


async def test_acknowledge_relay_and_history_from_an_alert(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await checkin(jordan, flags=["Calf/thigh"])
    alert = await sam.wait_for(contains="Urgent alert")

    await sam.press("Acknowledge", message_id=alert["message_id"])
    edited = await sam.wait_for(contains="Acknowledged by Sam")
    assert edited["message_id"] == alert["message_id"]

    await sam.press("History", message_id=alert["message_id"])
    history = await sam.wait_for(contains="Jordan")
    assert "U1" in history["text"]

    await sam.press("Message client", message_id=alert["message_id"])
    await sam.wait_for(contains="Type your message to Jordan")
    await sam.send("Please call your physio today, and rest the leg. I'll ring you at 5.")
    await sam.wait_for(contains="Sent to Jordan")
    relayed = await jordan.wait_for(contains="Message from Sam, your trainer")
    assert relayed["text"].endswith("I'll ring you at 5.")

    await jordan.press("Reply", message_id=relayed["message_id"])
    await jordan.wait_for(contains="Type your reply to Sam")
    await jordan.send("Will do, thanks. Talk at 5.")
    await jordan.wait_for(contains="Sent to Sam")
    reply = await sam.wait_for(contains="Jordan replied to your message")
    assert reply["text"].endswith("Will do, thanks. Talk at 5.")


async def test_unacknowledged_emergency_escalates_to_the_admin(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    bot = await start_bot()
    jordan, sam, alex = people["client"], people["trainer"], people["admin"]
    await checkin(jordan, flags=["Chest pain"])
    await sam.wait_for(contains="EMERGENCY alert")

    clock.advance(timedelta(minutes=14))
    assert await bot.escalate_alerts() == 0
    clock.advance(timedelta(minutes=1))
    assert await bot.escalate_alerts() == 1
    escalated = await alex.wait_for(contains="Escalated EMERGENCY alert: Jordan")
    assert "chest" not in escalated["text"].splitlines()[0]
    assert await bot.escalate_alerts() == 0


@pytest.mark.transport
async def test_a_half_finished_checkin_resumes_after_a_restart(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    bot = await start_bot()
    jordan = people["client"]
    await jordan.send("/checkin")
    await jordan.wait_for(contains="pain right now")
    await step(jordan, "3", "Exercise 1 of 3")
    question = await step(jordan, "Done", "Exercise 2 of 3")

    await bot.stop()
    await start_bot()

    await jordan.press("Partly", message_id=question["message_id"])
    await jordan.wait_for(contains="How many of the 3 sets")
    await jordan.send("/checkin")  # asking again mid-way resumes, it doesn't start over
    await jordan.wait_for(contains="How many of the 3 sets")
