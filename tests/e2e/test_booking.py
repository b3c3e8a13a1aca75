"""A visitor books a free consult through the sandbox, with the real runtime."""

from __future__ import annotations

import httpx
from icalendar import Calendar

from bot.demo import DEMO_CONSULT_PLACE
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .conftest import BotSetup, StartBot


def _event(content: bytes) -> tuple[str, ...]:
    """METHOD, UID, SEQUENCE and STATUS of a calendar file's one event."""
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    fields = (calendar.get("METHOD"), *(event.get(n) for n in ("UID", "SEQUENCE", "STATUS")))
    return tuple(str(field) for field in fields)


async def test_a_visitor_books_a_consult_end_to_end(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser], setup: BotSetup
) -> None:
    # The share-contact keyboard (flows.engine.core.ContactRequest) is rendered by handlers/ptb.py;
    # handlers/aiogram3.py doesn't render it yet, so only ptb is held to the keyboard here.
    renders_keyboard = setup.runtime == "ptb"
    await start_bot()
    async with await ChatUser.visitor(sandbox.base_url, "Vera") as vera:
        await vera.send("/start consult")
        await vera.wait_for(contains="first name")
        await vera.press("Vera")
        await vera.wait_for(contains="what would you like help with")
        await vera.send("Run a 10k again")
        await vera.wait_for(contains="particular trainer")
        await vera.press("Any trainer")
        await vera.wait_for(contains="injury")
        await vera.send("ankle sprain last month")
        await vera.wait_for(contains="safety check")
        await vera.press("None of these")
        await vera.wait_for(contains="cleared you")
        await vera.press("Not yet")
        await vera.wait_for(contains="time zone")
        await vera.press("India")
        await vera.wait_for(contains="Free times on Tue 24 Nov")
        await vera.press("14:30")
        held = await vera.wait_for(contains="yours for the next 10 minutes")
        if renders_keyboard:
            assert held["keyboard"]["rows"][0][0] == {
                "text": "📱 Share my phone number",
                "request_contact": True,
            }
        await vera.share_contact("+44 7700 900123")
        cleared = await vera.wait_for(contains="noted your number")
        assert cleared["remove_keyboard"] or not renders_keyboard
        await vera.wait_for(contains="Shall I book it?")
        await vera.press("Yes, book it")
        confirmed = await vera.wait_for(contains="You're booked!")
        assert [b["text"] for b in confirmed["buttons"][0]] == ["Reschedule", "Cancel"]
        ics = await vera.wait_for(lambda m: m["document"] is not None)
        assert ics["document"]["file_name"] == "consult.ics"
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            content = (await http.get(ics["document"]["url"])).content
        assert b"DTSTART:20261124T090000Z" in content
        method, uid, sequence, status = _event(content)
        assert (method, sequence, status) == ("PUBLISH", "0", "CONFIRMED")

        sam = people["trainer"]
        told = await sam.wait_for(contains="New free consult: Vera")  # through the outbox
        assert "ankle sprain last month" in told["text"] and "+447700900123" in told["text"]
        await sam.send("/bookings")
        await sam.wait_for(contains="Vera with Sam")
        await people["admin"].send("/bookings")
        await people["admin"].wait_for(contains="Vera with Sam")

        # Cancel asks first; Keep it changes nothing
        await vera.press("Cancel", confirmed["message_id"])
        asked = await vera.wait_for(contains="Cancel your consult on Tue 24 Nov, 14:30?")
        assert [b["text"] for b in asked["buttons"][0]] == ["Yes, cancel", "Keep it"]
        await vera.press("Keep it", asked["message_id"])
        await vera.wait_for_toast("stays booked")
        await vera.wait_for(contains="» Keep it")  # recorded on the question, buttons gone
        await vera.send("/mybooking")
        upcoming = await vera.wait_for(contains="Your free consult with Sam: Tue 24 Nov, 14:30")
        assert f"Where: {DEMO_CONSULT_PLACE}" in upcoming["text"]

        await vera.press("Cancel", confirmed["message_id"])
        asked = await vera.wait_for(contains="Cancel your consult on Tue 24 Nov, 14:30?")
        await vera.press("Yes, cancel", asked["message_id"])
        await vera.wait_for(contains="is cancelled")
        removed = await vera.wait_for(lambda m: m["document"] is not None)
        assert removed["document"]["file_name"] == "consult-cancelled.ics"
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            content = (await http.get(removed["document"]["url"])).content
        assert _event(content) == ("CANCEL", uid, "1", "CANCELLED")
        await sam.wait_for(contains="Vera cancelled their consult")

        # the question lost its buttons; the confirmation's Cancel, pressed again, is stale
        await vera.press("Cancel", confirmed["message_id"])
        await vera.wait_for_toast("This consult is already cancelled.")


async def test_the_trainer_sets_where_and_cancels_from_bookings_and_the_event_leaves_the_calendar(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    """README: /bookings has Cancel consult; the visitor is told and the calendar event is
    cancelled (same UID, next SEQUENCE), delivered through the outbox as a document; the
    trainer's place is in the confirmation and the .ics LOCATION."""
    await start_bot()
    sam = people["trainer"]
    await sam.send("/availability")
    await sam.wait_for(contains="Your consult settings")
    await sam.press("Where")
    await sam.wait_for(contains="How or where do your consults happen?")
    await sam.send("www.meet.example/sam")
    await sam.wait_for(contains="Where: https://www.meet.example/sam")
    await sam.press("Done")
    async with await ChatUser.visitor(sandbox.base_url, "Vera") as vera:
        await vera.send("/start consult")
        await vera.wait_for(contains="first name")
        await vera.press("Vera")
        await vera.wait_for(contains="what would you like help with")
        await vera.send("Run a 10k again")
        await vera.wait_for(contains="particular trainer")
        await vera.press("Sam")
        await vera.wait_for(contains="injury")
        await vera.press("No")
        await vera.wait_for(contains="safety check")
        await vera.press("None of these")
        await vera.wait_for(contains="time zone")
        await vera.press("India")
        await vera.wait_for(contains="Free times on Tue 24 Nov")
        await vera.press("Next day ›")
        await vera.wait_for(contains="Free times on Wed 25 Nov")
        await vera.press("14:30")
        await vera.wait_for(contains="yours for the next 10 minutes")
        await vera.send("Skip")
        await vera.wait_for(contains="Shall I book it?")
        await vera.press("Yes, book it")
        confirmed = await vera.wait_for(contains="You're booked!")
        assert "Where: https://www.meet.example/sam" in confirmed["text"]
        ics = await vera.wait_for(lambda m: m["document"] is not None)
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            booked = (await http.get(ics["document"]["url"])).content
        assert b"LOCATION:https://www.meet.example/sam" in booked
        _, uid, _, _ = _event(booked)
        await vera.send("/mybooking")  # where it happens is there too, not only in the booking
        upcoming = await vera.wait_for(contains="Your free consult with Sam: Wed 25 Nov, 14:30")
        assert "Where: https://www.meet.example/sam" in upcoming["text"]

        await sam.send("/bookings")
        listed = await sam.wait_for(contains="1. Wed 25 Nov, 09:00: Vera with Sam")
        await sam.press("Cancel consult 1", listed["message_id"])
        await sam.wait_for(contains="Why are you cancelling Vera")
        await sam.send("I'm off sick, sorry")
        await sam.wait_for(contains="Vera has been told")
        await vera.wait_for(contains="Sorry, Sam had to cancel your consult on Wed 25 Nov, 14:30")
        removed = await vera.wait_for(lambda m: m["document"] is not None)
        assert removed["document"]["file_name"] == "consult-cancelled.ics"
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            content = (await http.get(removed["document"]["url"])).content
        assert _event(content) == ("CANCEL", uid, "1", "CANCELLED")
