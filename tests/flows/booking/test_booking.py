"""Free consult booking through the router: intake, slots, hold, confirm, move, cancel, remind."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, DEMO_CONSULT_PLACE, TRAINER, seed_demo_centre
from flows.booking.tick import REMINDER_TEXTS, REMINDERS, Reminder, plan_booking_reminders
from flows.checkin.alert import ack_data, escalate_overdue
from flows.checkin.day import RED_FLAG_ITEMS
from flows.engine.buttons import (
    AckAlerts,
    AckVisitor,
    BookingCancel,
    BookingMove,
    BookingNew,
    History,
    MessageClient,
    Outcome,
    StaffCancel,
)
from flows.engine.core import Document, Edit, EventKind, Reply, Send, Toast
from flows.engine.texts import t
from flows.router import Router
from storage.db import SessionFactory
from storage.models import (
    Alert,
    AlertStatus,
    Availability,
    Booking,
    BookingStatus,
    ConsultSettings,
    Outbox,
    Person,
    Role,
    SlotClaim,
)
from storage.repo import Store
from tests.flows.harness import User, make_router, person_of, texts


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
    assert "Free times on Tue 24 Nov (your time, Asia/Kolkata)" in texts(replies)
    return visitor


async def _contact(user: User, phone: str) -> list[Reply]:
    return await user._handle(kind=EventKind.CONTACT, phone=phone, contact_user_id=user.user_id)


async def _book(
    visitor: User, time: str = "14:30", phone: str | None = "+447700900123"
) -> list[Reply]:
    held = await visitor.press(time)
    assert "yours for the next 10 minutes" in texts(held)
    assert any(isinstance(r, Send) and r.contact is not None for r in held)
    asked = await (_contact(visitor, phone) if phone else visitor.text("Skip"))
    assert any(isinstance(r, Send) and r.remove_keyboard for r in asked)
    assert "Shall I book it?" in texts(asked)
    return await visitor.press("Yes, book it")


def _event(replies: list[Reply]) -> dict[str, str]:
    """The calendar file among the replies: its METHOD and its one event's fields."""
    [document] = [r for r in replies if isinstance(r, Document)]
    calendar = Calendar.from_ical(document.content)
    [event] = calendar.walk("VEVENT")
    fields = {name: str(event.get(name)) for name in ("UID", "SEQUENCE", "STATUS", "DTSTART")}
    fields["DTSTART"] = event.decoded("DTSTART").isoformat()
    return {"METHOD": str(calendar.get("METHOD")), "FILE": document.filename, **fields}


async def _outbox(sessions: SessionFactory, kind: str) -> list[Outbox]:
    async with sessions() as session:
        rows = await session.exec(select(Outbox).where(Outbox.kind == kind))
        return list(rows.all())


async def _bookings(sessions: SessionFactory) -> list[Booking]:
    async with sessions() as session:
        return list((await session.exec(select(Booking).order_by(col(Booking.id)))).all())


async def test_someone_elses_contact_card_is_not_taken_as_the_visitors_phone(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await vera.press("14:30")
    for owner in (5002, None):  # a friend's card, an address-book card with no account
        refused = await vera._handle(
            kind=EventKind.CONTACT, phone="+447700900999", contact_user_id=owner
        )
        assert "someone else's contact card" in texts(refused)
        assert "Shall I book it?" not in texts(refused)
    await _contact(vera, "+447700900123")
    await vera.press("Yes, book it")
    [booking] = await _bookings(sessions)
    assert booking.phone == "+447700900123"


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
    assert StaffCancel.unpack(told.buttons[0][0]["data"]) is not None
    assert "free consult with Sam" in texts(await vera.command("mybooking"))


async def test_the_visitor_is_told_where_or_that_the_trainer_will_say(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5006, "Vera")
    assert f"Where: {DEMO_CONSULT_PLACE}" in texts(await _book(vera))
    async with sessions() as session:  # Sam clears his place (the availability menu's Where)
        settings = (await session.exec(select(ConsultSettings))).one()
        settings.location = None
        session.add(settings)
        await session.commit()
    assert "Where: Sam will send you the details before it starts." in texts(
        await vera.command("mybooking")
    )


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


async def test_reschedule_keeps_one_calendar_event_and_cancel_asks_first(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    first = _event(await _book(vera))
    [booking] = await _bookings(sessions)
    assert first == {
        "METHOD": "PUBLISH",
        "FILE": "consult.ics",
        "UID": f"booking-{booking.id}@mendbot",
        "SEQUENCE": "0",
        "STATUS": "CONFIRMED",
        "DTSTART": "2026-11-24T09:00:00+00:00",
    }
    moved = await vera.press("Reschedule")
    assert "Free times on" in texts(moved)
    second = _event(await _book(vera, "15:00", phone=None))
    old, new = await _bookings(sessions)
    assert old.status == BookingStatus.CANCELLED and new.status == BookingStatus.CONFIRMED
    [told] = await _outbox(sessions, "bk_trainer_moved")
    assert "now Tue 24 Nov, 09:30" in told.text and "was Tue 24 Nov, 09:00" in told.text
    # the same event, moved: calendar apps update it instead of adding a second one
    assert (second["UID"], second["SEQUENCE"]) == (first["UID"], "1")
    assert second["DTSTART"] == "2026-11-24T09:30:00+00:00" and second["METHOD"] == "PUBLISH"
    await vera.press("Reschedule")
    third = _event(await _book(vera, "16:00", phone=None))
    assert (third["UID"], third["SEQUENCE"]) == (first["UID"], "2")
    latest = (await _bookings(sessions))[-1]
    assert (latest.ics_uid, latest.ics_sequence) == (first["UID"], 2)

    # Cancel asks first and changes nothing until the answer
    asked = await vera.press("Cancel")
    [question] = [r for r in asked if isinstance(r, Send)]
    assert question.text == "Cancel your consult on Tue 24 Nov, 16:00?"
    assert [b.text for row in question.buttons for b in row] == ["Yes, cancel", "Keep it"]
    assert (await _bookings(sessions))[-1].status == BookingStatus.CONFIRMED
    assert await _outbox(sessions, "bk_trainer_cancelled") == []
    kept = await vera.press("Keep it")
    assert Toast("Okay, your consult on Tue 24 Nov, 16:00 stays booked.") in kept
    assert Edit(1, "question\n\n» Keep it") in kept
    assert (await _bookings(sessions))[-1].status == BookingStatus.CONFIRMED
    assert await _outbox(sessions, "bk_trainer_cancelled") == []

    asked = await vera.press_data(
        BookingCancel(latest.id or 0).pack()
    )  # the confirmation's Cancel again
    cancelled = await vera.press("Yes, cancel", asked)
    assert "is cancelled" in texts(cancelled)
    assert Edit(1, "question\n\n» Yes, cancel") in cancelled
    assert (await _bookings(sessions))[-1].status == BookingStatus.CANCELLED
    assert len(await _outbox(sessions, "bk_trainer_cancelled")) == 1
    removed = _event(cancelled)
    assert removed["METHOD"] == "CANCEL" and removed["STATUS"] == "CANCELLED"
    assert (removed["UID"], removed["SEQUENCE"]) == (first["UID"], "3")
    assert removed["FILE"] == "consult-cancelled.ics"

    # stale presses: a short polite answer, nothing else changes
    for data in (
        BookingCancel(latest.id or 0, "yes").pack(),
        BookingCancel(latest.id or 0).pack(),
        BookingMove(latest.id or 0).pack(),
    ):
        again = await vera.press_data(data)
        assert Toast("This consult is already cancelled.") in again
        assert not [r for r in again if isinstance(r, Send | Document)]
    assert len(await _outbox(sessions, "bk_trainer_cancelled")) == 1
    stranger = User(router, 5999, "Eve")
    for data in (BookingCancel(latest.id or 0).pack(), BookingCancel(latest.id or 0, "yes").pack()):
        assert "expired" in texts(await stranger.press_data(data))


async def test_cancel_from_a_reminder_asks_too_and_a_past_consult_cannot_be_cancelled(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await _book(vera, "15:00")  # Tue 24 Nov 09:30 UTC
    clock.advance(timedelta(hours=1))
    async with sessions() as session:
        await plan_booking_reminders(Store(session), clock.now(), "Europe/London")
        await session.commit()
    [reminder] = await _outbox(sessions, "bk_reminder_24h")
    cancel = next(b["data"] for row in reminder.buttons for b in row if b["text"] == "Cancel")
    asked = await vera.press_data(cancel)
    assert "Cancel your consult on Tue 24 Nov, 15:00?" in texts(asked)
    assert (await _bookings(sessions))[0].status == BookingStatus.CONFIRMED

    clock.advance(timedelta(days=1))  # the consult's time has come and gone
    late = await vera.press("Yes, cancel")
    assert Toast("This consult's time has passed, so it can't be changed now.") in late
    assert not [r for r in late if isinstance(r, Send | Document)]
    assert (await _bookings(sessions))[0].status == BookingStatus.CONFIRMED
    assert await _outbox(sessions, "bk_trainer_cancelled") == []
    assert "time has passed" in texts(await vera.press_data(cancel))
    assert "expired" in texts(await vera.press_data(f"{cancel}:maybe"))


async def test_the_trainer_cancels_with_a_reason_and_the_visitor_is_offered_new_slots(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    first = _event(await _book(vera))
    await vera.press("Reschedule")
    moved = _event(await _book(vera, "15:00", phone=None))
    assert (moved["UID"], moved["SEQUENCE"]) == (first["UID"], "1")
    booking = (await _bookings(sessions))[-1]
    sam = User(router, TRAINER.user_id, "Sam")
    listed = await sam.command("bookings")
    assert "Upcoming consults (1" in texts(listed)
    assert "1. Tue 24 Nov, 09:30: Vera with Sam" in texts(listed)
    [[cancel]] = next(r for r in listed if isinstance(r, Send)).buttons  # README: Cancel consult
    assert cancel.text == "Cancel consult 1: Vera"
    assert cancel.data is not None and StaffCancel.unpack(cancel.data) == StaffCancel(
        booking.id or 0
    )
    assert "Why are you cancelling Vera" in texts(await sam.press("Cancel consult 1"))
    assert "Vera has been told" in texts(await sam.text("I'm off sick, sorry"))
    [told] = await _outbox(sessions, "bk_cancelled_by_trainer")
    assert "I'm off sick, sorry" in told.text and BookingNew.unpack(told.buttons[0][0]["data"])
    # the event leaves Vera's calendar as when she cancels: same UID, next SEQUENCE, CANCEL
    [ics] = await _outbox(sessions, "bk_ics_cancel")
    assert (ics.chat_id, ics.file_kind, ics.file_name) == (
        5001,
        "document",
        "consult-cancelled.ics",
    )
    assert ics.file_content is not None and ics.text == told_caption()
    calendar = Calendar.from_ical(ics.file_content)
    [event] = calendar.walk("VEVENT")
    assert str(calendar.get("METHOD")) == "CANCEL" and str(event.get("STATUS")) == "CANCELLED"
    assert (str(event.get("UID")), str(event.get("SEQUENCE"))) == (first["UID"], "2")
    assert told.id is not None and ics.id is not None and told.id < ics.id  # the why first
    assert "Free times on" in texts(await vera.press_data(told.buttons[0][0]["data"]))
    assert "Upcoming consults" not in texts(await sam.command("bookings"))


def told_caption() -> str:
    return t("bk_ics_cancel_caption", "en")


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
    [booking] = await _bookings(sessions)
    no_show = Outcome(booking.id or 0, "n").pack()
    assert ask.buttons[0][1]["data"] == no_show
    # the mark is exactly "a" or "n": anything else marks nothing (it used to mark a no-show)
    for forged in (":", ":an", ":A", "", ":n:n", ":n "):
        payload = f"bkout:{booking.id}{forged}"
        expired = await sam.press_data(payload)
        assert expired == [Toast("This button has expired. Please use the latest message.")]
    assert (await _bookings(sessions))[0].status == BookingStatus.CONFIRMED
    assert await _outbox(sessions, "bk_no_show_follow_up") == []
    assert "expired" in texts(await vera.press_data(ask.buttons[0][1]["data"]))
    assert "no-show" in texts(await sam.press_data(ask.buttons[0][1]["data"]))
    await sam.press_data(ask.buttons[0][1]["data"])  # twice: still one follow-up
    [follow_up] = await _outbox(sessions, "bk_no_show_follow_up")
    assert "we missed you" in follow_up.text
    assert (await _bookings(sessions))[0].status == BookingStatus.NO_SHOW


async def _red_flag_intake(
    router: Router, user_id: int, name: str, trainer: str = "Sam", item: str = "chest pain"
) -> tuple[User, list[Reply]]:
    """A visitor's intake that ticks `item` on the safety screen; the replies to Done."""
    visitor = User(router, user_id, name)
    await visitor.command("start")
    await visitor.press(name)
    await visitor.text("Get back to tennis")
    await visitor.press(trainer)
    await visitor.text("sore leg")
    await visitor.press(item)
    return visitor, await visitor.press("Done")


async def _alerts(sessions: SessionFactory) -> list[Alert]:
    async with sessions() as session:
        return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def _add_consult_trainer(sessions: SessionFactory, clock: FakeClock, name: str) -> Person:
    """Another trainer taking consults on Mondays (their hours make them one)."""
    async with sessions() as session:
        trainer = Person(
            telegram_user_id=1004,
            chat_id=1004,
            role=Role.TRAINER,
            name=name,
            timezone="Europe/London",
            created_at=clock.now(),
        )
        session.add(trainer)
        await session.flush()
        assert trainer.id is not None
        session.add(Availability(trainer_id=trainer.id, weekday=0, start="09:00", end="12:00"))
        await session.commit()
        return trainer


@pytest.mark.parametrize(
    ("item", "first_line", "severity", "rule"),
    [
        ("chest pain", "Call 999 now.", "emergency", "E1"),
        ("calf", "Please contact your surgeon", "urgent", "U1"),
    ],
)
async def test_red_flags_in_the_intake_raise_a_stored_alert_and_are_not_booked(
    router: Router, sessions: SessionFactory, item: str, first_line: str, severity: str, rule: str
) -> None:
    visitor, replies = await _red_flag_intake(router, 5003, "Ria", item=item)
    sends = [r.text for r in replies if isinstance(r, Send)]
    assert sends[0].startswith(first_line)
    assert "not booked" in texts(replies).replace("haven't booked", "not booked")
    assert await _bookings(sessions) == []

    ria, sam = await person_of(sessions, 5003), await person_of(sessions, TRAINER.user_id)
    assert (ria.role, ria.name, ria.timezone) == (Role.PROSPECT, "Ria", None)
    [alert] = await _alerts(sessions)
    assert (alert.client_id, alert.trainer_id, alert.checkin_id) == (ria.id, sam.id, None)
    assert (alert.rule, alert.severity, alert.status) == (rule, severity, AlertStatus.OPEN)
    assert alert.answers["red_flags"] == [c for c, text in RED_FLAG_ITEMS.items() if item in text]
    assert alert.answers["injury"] == "sore leg" and alert.client_told

    [row] = await _outbox(sessions, f"alert_{severity}")
    assert (row.chat_id, row.person_id, row.priority) == (TRAINER.user_id, sam.id, 0)
    # the message names the stored alert: it existed before the message was written
    assert row.buttons == [
        [{"text": "Acknowledge", "data": AckAlerts((alert.id or 0,)).pack()}],
        [
            {"text": "Message visitor", "data": MessageClient(ria.id or 0).pack()}
        ],  # no check-in history
    ]
    first, blank, *details = row.text.split("\n")
    assert blank == "" and "Ria" in first and ("visitor" in first or "consult" in first)
    for word in [*RED_FLAG_ITEMS.values(), "pain", "chest", "calf", rule]:
        assert word.lower() not in first.lower()  # lock-screen previews show nothing private
    body = "\n".join(details)
    assert f"{rule}: " in body and RED_FLAG_ITEMS[alert.answers["red_flags"][0]] in body
    assert "Injury or surgery, as written: sore leg" in body
    assert "Wants help with, as written: Get back to tennis" in body
    assert "No consult was booked." in body and "last 7 days" not in body
    assert "/program" not in body  # visitors have no program: what the trainer can do instead
    assert "Ask them who their doctor or physio is" in body
    assert await _outbox(sessions, "bk_red_flag_trainer") == []

    # a visitor is not put through staff onboarding for want of a time zone
    assert "Free times" not in texts(await visitor.text("hello"))
    assert "Welcome, Ria" not in texts(await visitor.command("start"))


async def test_a_visitors_alert_is_acknowledged_listed_and_escalated(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    start = clock.now()
    await _red_flag_intake(router, 5003, "Ria")
    [alert] = await _alerts(sessions)
    sam, admin = User(router, TRAINER.user_id, "Sam"), User(router, ADMIN.user_id, "Alex")
    listed = texts(await sam.command("alerts"))
    assert "Open alerts, most severe first (1):" in listed
    assert "1. EMERGENCY · Ria (visitor) · E1: chest pain" in listed
    assert "Ria (visitor) · E1" in texts(await admin.command("alerts"))

    # not acknowledged in time: the admins hear, with the same neutral first line
    async def escalate() -> int:
        async with sessions() as session:
            count = await escalate_overdue(
                Store(session), clock.now(), timedelta(minutes=15), timedelta(hours=4)
            )
            await session.commit()
            return count

    clock.set(start + timedelta(minutes=14))
    assert await escalate() == 0
    clock.set(start + timedelta(minutes=15))
    assert await escalate() == 1 and await escalate() == 0
    [up] = await _outbox(sessions, "alert_escalated_emergency")
    assert up.chat_id == ADMIN.user_id and up.priority == 0
    first = up.text.split("\n")[0]
    assert first == "Escalated EMERGENCY alert: Ria, a visitor, needs attention now."
    assert "for Sam, about a visitor asking for a consult" in up.text
    assert "E1: chest pain" in up.text and "contacts the visitor now" in up.text
    assert up.buttons[1] == [
        {"text": "Message visitor", "data": MessageClient(alert.client_id).pack()}
    ]

    # another trainer can't touch it; Sam acknowledges, and the list empties
    await _add_consult_trainer(sessions, clock, "Riley")
    riley = User(router, 1004, "Riley")
    assert "No open alerts" in texts(await riley.command("alerts"))
    for data in (
        AckAlerts((alert.id or 0,)).pack(),
        MessageClient(alert.client_id).pack(),
        History(alert.client_id).pack(),
    ):
        assert "expired" in texts(await riley.press_data(data))
    acked = await sam.press_data(AckAlerts((alert.id or 0,)).pack(), "Acknowledge")
    assert Toast("Acknowledged.") in acked
    [edit] = [r for r in acked if isinstance(r, Edit)]
    assert edit.text.startswith("question\n\nAcknowledged by Sam at ")
    assert [b.text for row in edit.buttons for b in row] == ["Message visitor"]
    [alert] = await _alerts(sessions)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert texts(await sam.command("alerts")) == "No open alerts. Nice."
    assert "Already acknowledged by Sam" in texts(
        await admin.press_data(AckAlerts((alert.id or 0,)).pack())
    )


async def test_the_trainer_can_message_the_visitor_and_history_answers_politely(
    router: Router, sessions: SessionFactory
) -> None:
    await _red_flag_intake(router, 5003, "Ria", item="calf")
    [alert] = await _alerts(sessions)
    sam = User(router, TRAINER.user_id, "Sam")
    history = await sam.press_data(History(alert.client_id).pack())  # an old-style button
    assert history == [
        Toast("Ria is a visitor from the consult intake: there are no check-ins.", True)
    ]
    assert "Type your message to Ria" in texts(
        await sam.press_data(MessageClient(alert.client_id).pack())
    )
    assert texts(await sam.text("Please see your GP today, then book again.")) == "Sent to Ria."
    [row] = await _outbox(sessions, "relay_to_visitor")
    assert row.chat_id == 5003
    assert (
        row.text
        == "Message from Sam, one of our trainers:\n\nPlease see your GP today, then book again."
    )


async def test_a_visitors_alert_goes_to_the_trainer_they_chose_else_the_first_taking_consults(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley = await _add_consult_trainer(sessions, clock, "Riley")
    sam = await person_of(sessions, TRAINER.user_id)
    await _red_flag_intake(router, 5003, "Ria", trainer="Sam")
    await _red_flag_intake(router, 5004, "Noor", trainer="Any trainer")  # Riley, by name
    await _red_flag_intake(router, 5005, "Ola", trainer="Riley")
    alerts = await _alerts(sessions)
    assert [a.trainer_id for a in alerts] == [sam.id, riley.id, riley.id]
    rows = await _outbox(sessions, "alert_emergency")
    assert [r.chat_id for r in rows] == [TRAINER.user_id, 1004, 1004]
    assert "(1)" in texts(await User(router, TRAINER.user_id).command("alerts"))
    riley_list = texts(await User(router, 1004).command("alerts"))
    assert "(2)" in riley_list and "Noor (visitor)" in riley_list and "Ria" not in riley_list


async def test_the_same_red_flag_again_updates_the_open_alert(
    router: Router, sessions: SessionFactory
) -> None:
    visitor, _ = await _red_flag_intake(router, 5003, "Ria")
    await visitor.command("book")
    await visitor.press("Ria")
    await visitor.text("Get back to tennis")
    await visitor.press("Sam")
    await visitor.text("sore leg")
    await visitor.press("chest pain")
    await visitor.press("Done")
    [alert] = await _alerts(sessions)
    assert alert.times_raised == 2
    rows = await _outbox(sessions, "alert_emergency")
    assert len(rows) == 2 and "(raised 2 times, still open)" in rows[1].text


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
    assert "Thu 24 Dec is blocked" in texts(await sam.text("2026-12-24"))  # the house style
    assert "Thu 31 Dec is blocked" in texts(await sam.text("31 Dec"))
    assert "Thu 31 Dec is open again" in texts(await sam.text("Dec 31st"))
    assert "Thu 1 Jan has already passed" in texts(await sam.text("1 Jan 2026"))
    assert "like 24 Dec" in texts(await sam.text("someday"))
    menu = texts(await sam.press("Back"))
    assert "Blocked dates: Thu 24 Dec" in menu
    assert f"Where: {DEMO_CONSULT_PLACE}" in menu
    await sam.press("Where")
    cleared = texts(await sam.text("clear"))
    assert "Where: not set (visitors are told you'll send the details)" in cleared
    await sam.press("Where")
    assert "one line" in texts(await sam.text("x"))  # too short: asked again
    assert "Where: https://www.meet.example/sam" in texts(await sam.text("www.meet.example/sam"))
    await sam.press("Where")
    assert "Where: 12 High St, London" in texts(await sam.text("  12 High St,\u200b London "))
    assert "Saved" in texts(await sam.press("Done"))


async def test_a_visitors_long_acknowledge_payload_falls_back_to_their_intake_alerts(
    router: Router, sessions: SessionFactory
) -> None:
    long_ids = [10**9 + i for i in range(7)]
    assert ack_data(long_ids, severity="emergency", visitor_id=7) == AckVisitor(7, "E")
    assert ack_data([12, 13], severity="emergency", visitor_id=7) == AckAlerts((12, 13))
    await _red_flag_intake(router, 5003, "Ria")
    [alert] = await _alerts(sessions)
    assert "expired" in texts(
        await User(router, 5003).press_data(AckVisitor(alert.client_id, "E").pack())
    )
    for forged in (
        f"ack:V{alert.client_id}X",
        AckVisitor(alert.client_id, "U").pack(),
        AckVisitor(999, "E").pack(),
    ):
        assert "expired" in texts(await User(router, TRAINER.user_id).press_data(forged))
    acked = await User(router, TRAINER.user_id).press_data(AckVisitor(alert.client_id, "E").pack())
    assert Toast("Acknowledged.") in acked
    assert (await _alerts(sessions))[0].status == AlertStatus.ACKNOWLEDGED


async def test_book_and_the_consult_link_go_straight_to_the_intake(router: Router) -> None:
    """Only a plain /start greets: /book and ?start=consult already say what they are for."""
    for user_id, ask in ((8101, ("book", "")), (8102, ("start", "consult"))):
        replies = texts(await User(router, user_id, "Lou").command(*ask))
        assert replies.startswith("Let's book your free consult") and "welcome" not in replies


def test_every_consult_reminder_has_its_text() -> None:
    assert set(REMINDER_TEXTS) == {kind for kind, _ in REMINDERS} == set(get_args(Reminder))
