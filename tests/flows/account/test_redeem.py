"""Opening an invite: one's own again gets a clear answer; a visitor's consult data never becomes
a staff account's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, TRAINER, seed_demo_centre
from flows.engine.core import Menu
from flows.router import Router
from flows.staff.invite import create_invite
from storage.db import SessionFactory
from storage.models import Booking, BookingStatus, Invite, Person, Role
from storage.repo import Store
from tests.flows.harness import User, add_person, make_router, person_of, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _invite_code(router: Router, inviter_id: int, name: str) -> str:
    inviter = User(router, inviter_id)
    await inviter.command("invite")
    return texts(await inviter.text(name)).rsplit("Invite code: ", 1)[1].strip()


async def _staff_code(sessions: SessionFactory, clock: FakeClock, role: Role, name: str) -> str:
    """A trainer or admin invite, as `mendbot invite` makes them."""
    async with sessions() as session:
        store = Store(session)
        invite = await create_invite(store, role=role, name=name, now=clock.now(), ttl_days=7)
        await store.commit()
    return invite.code


async def _invite(sessions: SessionFactory, code: str) -> Invite:
    async with sessions() as session:
        return (await session.exec(select(Invite).where(Invite.code == code))).one()


async def _book_a_consult(router: Router, user_id: int) -> User:
    """A visitor who books Sam's first free time (and so becomes a prospect)."""
    vera = User(router, user_id, "Vera")
    await vera.command("book")
    await vera.press("Vera")
    await vera.text("Run again")
    await vera.press("Sam")
    await vera.press("No")
    await vera.press("None of these")
    await vera.press("India")
    await vera.press("14:30")
    await vera.text("Skip")
    assert "You're booked!" in texts(await vera.press("Yes, book it"))
    return vera


# -- one's own invite again ----------------------------------------------------------------------
async def test_a_client_reopening_their_used_invite_is_told_they_are_set_up(
    router: Router,
) -> None:
    code = await _invite_code(router, TRAINER.user_id, "Anna")
    anna = User(router, 7001, "Anna")
    await anna.command("start", code)
    for button in ("I agree", "Yes, I'm cleared"):
        await anna.press(button)
    await anna.text("ankle")
    await anna.press("No")
    await anna.press("London")
    await anna.text("7:30")
    await anna.press("I understand")

    again = await anna.command("start", code)
    assert "You're all set up already, Anna" in texts(again)
    assert "/checkin" in texts(again)  # what they can do
    assert any(isinstance(r, Menu) for r in again)

    await anna.command("checkin")  # mid-check-in: told, then the question again
    during = texts(await anna.command("start", code))
    assert "all set up already" in during and "pain right now" in during.rsplit("middle", 1)[1]


async def test_a_trainer_reopening_their_used_invite_is_told_they_are_set_up(
    router: Router,
) -> None:
    code = await _invite_code(router, ADMIN.user_id, "Riley")
    riley = User(router, 7100, "Riley")
    await riley.command("start", code)
    await riley.text("Chicago")
    again = texts(await riley.command("start", code))
    assert "You're all set up already, Riley" in again and "/invite" in again


async def test_an_invite_whose_person_is_gone_stays_used(
    router: Router, sessions: SessionFactory
) -> None:
    code = await _invite_code(router, ADMIN.user_id, "Cy")
    cy = User(router, 7200, "Cy")
    await cy.command("start", code)
    await cy.text("Chicago")
    async with sessions() as session:  # the staff account removed, its invite kept
        await session.delete(await person_of(sessions, 7200))
        await session.commit()
    assert "already been used" in texts(await cy.command("start", code))


# -- a visitor and a staff invite ----------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
async def test_a_visitor_with_a_booking_cannot_take_a_staff_invite(
    router: Router, sessions: SessionFactory, clock: FakeClock, role: Role
) -> None:
    vera = await _book_a_consult(router, 7300)
    code = await _staff_code(sessions, clock, role, "Vera Staff")

    told = texts(await vera.command("start", code))
    assert "haven't used the invite" in told and "/deleteme" in told
    person = await person_of(sessions, 7300)
    assert (person.role, person.name) == (Role.PROSPECT, "Vera")
    invite = await _invite(sessions, code)
    assert invite.used_by_user_id is None and invite.used_at is None

    # cancelling the consult isn't enough: its intake is still visitor data
    await vera.command("mybooking")
    await vera.press("Cancel")
    await vera.press("Yes, cancel")
    assert "haven't used the invite" in texts(await vera.command("start", code))

    # /deleteme, then the link again: a trainer with none of the visitor's data
    await vera.command("deleteme")
    await vera.press("Delete everything")
    joined = texts(await vera.command("start", code))
    assert f"You're joining mendbot as a{'n' if role == Role.ADMIN else ''} {role}" in joined
    staff = await person_of(sessions, 7300)
    assert (staff.role, staff.name) == (role, "Vera Staff")
    async with sessions() as session:
        assert (await session.exec(select(Booking))).all() == []


async def test_a_visitor_whose_intake_raised_an_alert_cannot_take_a_staff_invite(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """No booking (a red flag stops the intake), but an alert about them: visitor data too."""
    wes = User(router, 7350, "Wes")
    await wes.command("book")
    await wes.press("Wes")
    await wes.text("Get back to tennis")
    await wes.press("Sam")
    await wes.text("sore leg")
    await wes.press("chest pain")
    await wes.press("Done")
    code = await _staff_code(sessions, clock, Role.TRAINER, "Wes")
    assert "haven't used the invite" in texts(await wes.command("start", code))
    assert (await person_of(sessions, 7350)).role == Role.PROSPECT


async def test_a_visitor_with_a_booking_may_still_join_as_a_client(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _book_a_consult(router, 7400)
    code = await _invite_code(router, TRAINER.user_id, "Vera Client")
    assert "invited you" in texts(await vera.command("start", code))
    person = await person_of(sessions, 7400)
    assert person.role == Role.CLIENT
    async with sessions() as session:
        [booking] = (await session.exec(select(Booking))).all()
    assert booking.prospect_id == person.id and booking.status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("zone", [None, "Asia/Kolkata"])
async def test_a_visitor_without_bookings_may_take_a_staff_invite(
    router: Router, sessions: SessionFactory, clock: FakeClock, zone: str | None
) -> None:
    """Their row becomes staff; with a time zone already known there is nothing to ask."""
    visitor = await add_person(sessions, clock, 7500, "Vic", Role.PROSPECT)
    async with sessions() as session:
        row = await session.get(Person, visitor.id)
        assert row is not None
        row.timezone = zone
        await session.commit()
    code = await _invite_code(router, ADMIN.user_id, "Vic Trainer")
    vic = User(router, 7500, "Vic")
    joined = await vic.command("start", code)
    assert "You're joining mendbot as a trainer" in texts(joined)
    if zone is None:
        assert "time zone" in texts(joined)
        joined = await vic.press("London")
    assert "All set, Vic Trainer" in texts(joined)
    assert any(isinstance(r, Menu) for r in joined)
    person = await person_of(sessions, 7500)
    assert (person.id, person.role) == (visitor.id, Role.TRAINER)
    assert (await _invite(sessions, code)).used_by_user_id == 7500
