"""Free consult booking through the router: intake, slots, hold, confirm, move, cancel, remind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import TRAINER, seed_demo_centre
from flows.consult_tick import plan_booking_reminders
from flows.core import Document, EventKind, Reply, Send
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Booking, BookingStatus, Outbox, SlotClaim
from storage.repo import Store

from .harness import User, make_router, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _to_slots(router: Router, user_id: int, name: str, injury: str = "no") -> User:
    """Through the intake to the first day of slots (Tue 24 Nov, Kolkata time)."""
    visitor = User(router, user_id, name)
    assert "Hi " in texts(await visitor.command("start"))
    await visitor.press(name)
    await visitor.text("I want to run again without knee pain")
    await visitor.press("Sam")
    if injury == "no":
        await visitor.press("No")
        await visitor.press("None of these")
    else:
        await visitor.text(injury)
        await visitor.press("None of these")
        await visitor.press("Yes, I'm cleared")
    replies = await visitor.press("India")
    assert "Free times on Tuesday 24 November (your time, Asia/Kolkata)" in texts(replies)
    return visitor


async def _contact(user: User, phone: str) -> list[Reply]:
    return await user._handle(kind=EventKind.CONTACT, phone=phone)


async def _book(visitor: User, time: str = "14:30", phone: str | None = "+447700900123") -> None:
    held = await visitor.press(time)
    assert "yours for the next 10 minutes" in texts(held)
    assert any(isinstance(r, Send) and r.contact is not None for r in held)
    asked = await (_contact(visitor, phone) if phone else visitor.text("Skip"))
    assert any(isinstance(r, Send) and r.remove_keyboard for r in asked)
    assert "Shall I book it?" in texts(asked)
    await visitor.press("Yes, book it")


async def _outbox(sessions: SessionFactory, kind: str) -> list[Outbox]:
    async with sessions() as session:
        rows = await session.exec(select(Outbox).where(Outbox.kind == kind))
        return list(rows.all())


async def _bookings(sessions: SessionFactory) -> list[Booking]:
    async with sessions() as session:
        return list((await session.exec(select(Booking).order_by(col(Booking.id)))).all())


async def test_a_visitor_books_a_consult_and_the_trainer_hears(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera", injury="ACL surgery in May")
    await vera.press("14:30")  # 09:00 London
    await _contact(vera, "+447700900123")
    done = await vera.press("Yes, book it")
    body = texts(done)
    assert "You're booked!" in body and "Tue 24 Nov, 14:30 (Asia/Kolkata)" in body
    ics = next(r for r in done if isinstance(r, Document))
    assert ics.filename == "consult.ics"
    assert b"DTSTART:20261124T090000Z" in ics.content
    assert b"DTEND:20261124T093000Z" in ics.content
    assert b"SUMMARY:Free consult with Sam" in ics.content
    [booking] = await _bookings(sessions)
    assert booking.status == BookingStatus.CONFIRMED and booking.phone == "+447700900123"
    [told] = await _outbox(sessions, "bk_trainer_booked")
    assert told.text.startswith("New free consult: Vera, Tue 24 Nov, 09:00 (Europe/London)")
    assert "ACL surgery in May" in told.text and "+447700900123" in told.text
    assert "bktcancel:" in told.buttons[0][0]["data"]
    assert "free consult with Sam" in texts(await vera.command("mybooking"))


async def test_two_visitors_one_slot_the_second_gets_fresh_slots(router: Router) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    wes = await _to_slots(router, 5002, "Wes")
    await vera.press("14:30")
    lost = await wes.press("14:30")
    assert "someone has just taken that time" in texts(lost)
    assert "Free times on" in texts(lost)
    assert "14:30" not in [
        b.text for r in lost if isinstance(r, Send) for row in r.buttons for b in row
    ]
    assert "yours for the next" in texts(await wes.press("15:00"))


async def test_an_expired_hold_is_released_and_the_visitor_picks_again(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await vera.press("14:30")
    await vera.text("Skip")
    clock.advance(timedelta(minutes=11))
    async with sessions() as session:
        await plan_booking_reminders(Store(session), clock.now(), "Europe/London")
        await session.commit()
        assert (await session.exec(select(SlotClaim))).first() is None
    replies = await vera.press("Yes, book it")
    assert "hold ran out" in texts(replies) and "Free times on" in texts(replies)


async def test_reschedule_and_cancel(router: Router, sessions: SessionFactory) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await _book(vera)
    moved = await vera.press("Reschedule")
    assert "Free times on" in texts(moved)
    await _book(vera, "15:00", phone=None)
    old, new = await _bookings(sessions)
    assert old.status == BookingStatus.CANCELLED and new.status == BookingStatus.CONFIRMED
    [told] = await _outbox(sessions, "bk_trainer_moved")
    assert "now Tue 24 Nov, 09:30" in told.text and "was Tue 24 Nov, 09:00" in told.text

    cancelled = await vera.press("Cancel")
    assert "is cancelled" in texts(cancelled)
    assert (await _bookings(sessions))[1].status == BookingStatus.CANCELLED
    assert await _outbox(sessions, "bk_trainer_cancelled")
    stranger = User(router, 5999, "Eve")
    assert "expired" in texts(await stranger.press_data(f"bkcancel:{new.id}"))


async def test_the_trainer_cancels_with_a_reason_and_the_visitor_is_offered_new_slots(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await _book(vera)
    [booking] = await _bookings(sessions)
    sam = User(router, TRAINER.user_id, "Sam")
    assert "Upcoming consults (1" in texts(await sam.command("bookings"))
    assert "Why are you cancelling Vera" in texts(await sam.press_data(f"bktcancel:{booking.id}"))
    assert "Vera has been told" in texts(await sam.text("I'm off sick, sorry"))
    [told] = await _outbox(sessions, "bk_cancelled_by_trainer")
    assert "I'm off sick, sorry" in told.text and told.buttons[0][0]["data"].startswith("bknew:")
    assert "Free times on" in texts(await vera.press_data(told.buttons[0][0]["data"]))


async def test_reminders_then_the_outcome_and_a_no_show_follow_up(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await _book(vera, "15:00")  # Tue 24 Nov 09:30 UTC, booked Mon 09:00 UTC

    async def tick() -> int:
        async with sessions() as session:
            count = await plan_booking_reminders(Store(session), clock.now(), "Europe/London")
            await session.commit()
            return count

    assert await tick() == 0
    clock.advance(timedelta(hours=1))  # 23 h before: the 24 h reminder
    assert await tick() == 1 and await tick() == 0
    clock.advance(timedelta(hours=22, minutes=35))  # 55 min before
    assert await tick() == 1
    [day_before] = await _outbox(sessions, "bk_reminder_24h")
    [hour_before] = await _outbox(sessions, "bk_reminder_1h")
    assert "tomorrow" in day_before.text and "Reschedule" in str(hour_before.buttons)
    clock.advance(timedelta(hours=1, minutes=30))  # the consult is over
    assert await tick() == 1
    [ask] = await _outbox(sessions, "bk_outcome_ask")
    sam = User(router, TRAINER.user_id, "Sam")
    assert "expired" in texts(await vera.press_data(ask.buttons[0][1]["data"]))
    assert "no-show" in texts(await sam.press_data(ask.buttons[0][1]["data"]))
    await sam.press_data(ask.buttons[0][1]["data"])  # twice: still one follow-up
    [follow_up] = await _outbox(sessions, "bk_no_show_follow_up")
    assert "we missed you" in follow_up.text
    assert (await _bookings(sessions))[0].status == BookingStatus.NO_SHOW


@pytest.mark.parametrize(
    ("item", "first_line"),
    [("chest pain", "Call 999 now."), ("calf or thigh", "Please contact your surgeon")],
)
async def test_red_flags_in_the_intake_are_not_booked(
    router: Router, sessions: SessionFactory, item: str, first_line: str
) -> None:
    visitor = User(router, 5003, "Ria")
    await visitor.command("start")
    await visitor.press("Ria")
    await visitor.text("Get back to tennis")
    await visitor.press("Sam")
    await visitor.text("sore leg")
    await visitor.press(item)
    replies = await visitor.press("Done")
    sends = [r.text for r in replies if isinstance(r, Send)]
    assert sends[0].startswith(first_line)
    assert "not booked" in texts(replies).replace("haven't booked", "not booked")
    assert await _bookings(sessions) == []
    [alert] = await _outbox(sessions, "bk_red_flag_trainer")
    assert alert.priority == 0 and alert.text.startswith("A visitor asking for a consult")
    assert "Free times" not in texts(await visitor.text("hello"))


async def test_a_trainer_sets_availability_in_chat(router: Router) -> None:
    sam = User(router, TRAINER.user_id, "Sam")
    menu = texts(await sam.command("availability"))
    assert "Mon: 09:00-12:00, 14:00-17:00" in menu and "Sat: off" in menu
    await sam.press("Weekly hours")
    await sam.press("Sat")
    assert "Please type hours" in texts(await sam.text("12:00-10:00"))
    assert "Sat: 10:00-12:00" in texts(await sam.text("10:00-12:00"))
    await sam.press("Length")
    assert "Length: 45 min" in texts(await sam.press("45"))
    await sam.press("Blocked dates")
    assert "2026-12-24 is blocked" in texts(await sam.text("2026-12-24"))
    assert "Blocked dates: 2026-12-24" in texts(await sam.press("Back"))
    assert "Saved" in texts(await sam.press("Done"))
