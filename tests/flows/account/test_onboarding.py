"""Onboarding and invites through the router, on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.account.onboarding import INVITE_HINTS, ROLE_NAMES
from flows.engine.buttons import ConfirmClearance
from flows.engine.core import Menu, Send, Toast
from flows.router import Router
from flows.staff.invite import create_invite
from storage.db import SessionFactory
from storage.models import STAFF, Clearance, ClientProfile, Invite, Outbox, Person, Role
from storage.repo import Store
from tests.flows.harness import User, add_person, make_router, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _invite_code(user: User, name: str) -> str:
    await user.command("invite")
    replies = await user.text(name)
    body = texts(replies)
    assert "t.me/testbot?start=" in body
    return body.rsplit("Invite code: ", 1)[1].strip()


async def _onboard_client(router: Router, code: str, user_id: int = 7001) -> User:
    client = User(router, user_id, "Anna")
    assert "invited you" in texts(await client.command("start", code))
    await client.press("I agree")
    await client.press("Yes, I'm cleared")
    await client.text("ankle sprain")
    await client.press("No")
    await client.press("Berlin")
    await client.text("7:30")
    assert "not monitored 24/7" in texts(client.last)
    assert "call 999 now" in texts(client.last)
    return client


async def test_trainer_invites_a_client_who_onboards(router: Router, sessions: SessionFactory):
    trainer = User(router, TRAINER.user_id)
    code = await _invite_code(trainer, "Anna")
    client = await _onboard_client(router, code)
    done = await client.press("I understand")
    assert "You're all set, Anna" in texts(done)
    assert "07:30 (Europe/Berlin)" in texts(done)
    assert any(isinstance(r, Menu) for r in done)
    async with sessions() as session:
        person = (await session.exec(select(Person).where(Person.name == "Anna"))).one()
        profile = await session.get(ClientProfile, person.id)
        outbox = (await session.exec(select(Outbox))).all()
    assert profile is not None and profile.onboarded_at is not None
    answers = (profile.condition, profile.post_op, profile.checkin_time)
    assert answers == ("ankle sprain", False, "07:30")
    assert person.timezone == "Europe/Berlin" and person.role == Role.CLIENT
    assert [o.kind for o in outbox] == ["trainer_client_joined"]
    assert outbox[0].chat_id == TRAINER.user_id


async def test_admin_invites_a_trainer(router: Router, sessions: SessionFactory) -> None:
    admin = User(router, ADMIN.user_id)
    code = await _invite_code(admin, "Riley")
    newbie = User(router, 7100, "Riley")
    assert "as a trainer" in texts(await newbie.command("start", code))
    assert "couldn't find that time zone" in texts(await newbie.text("Atlantis"))
    done = await newbie.text("Chicago")
    assert "Time zone: America/Chicago (it's 03:00 there now)." in texts(done)  # typed: said
    assert "All set, Riley" in texts(done)
    assert "/invite" in texts(await newbie.command("help"))
    async with sessions() as session:
        riley = (await session.exec(select(Person).where(Person.telegram_user_id == 7100))).one()
    assert (riley.role, riley.timezone) == (Role.TRAINER, "America/Chicago")


async def _told(sessions: SessionFactory, kind: str) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.kind == kind))).all()
    return [(row.chat_id, row.text) for row in rows]


async def test_the_inviting_admin_hears_when_the_trainer_joined(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_person(sessions, clock, 1009, "Morgan", Role.ADMIN)  # another admin: not told
    code = await _invite_code(User(router, ADMIN.user_id), "Riley")
    newbie = User(router, 7100, "Riley")
    await newbie.command("start", code)
    assert await _told(sessions, "staff_joined") == []  # not before setting up
    await newbie.text("Chicago")
    told = await _told(sessions, "staff_joined")
    assert told == [(ADMIN.user_id, "Riley has joined as a trainer and finished setting up.")]
    await newbie.command("start", code)  # their own link again: nobody told twice
    assert len(await _told(sessions, "staff_joined")) == 1


async def test_a_command_line_invite_tells_every_admin(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_person(sessions, clock, 1009, "Morgan", Role.ADMIN)
    async with sessions() as session:
        invite = await create_invite(
            Store(session), role=Role.TRAINER, name="Kai", now=clock.now(), ttl_days=7
        )
        await session.commit()
    newbie = User(router, 7200, "Kai")
    await newbie.command("start", invite.code)
    await newbie.text("Berlin")
    told = sorted(chat for chat, _ in await _told(sessions, "staff_joined"))
    assert told == [ADMIN.user_id, 1009]


async def test_used_unknown_and_expired_invites(router: Router, clock: FakeClock) -> None:
    trainer = User(router, TRAINER.user_id)
    code = await _invite_code(trainer, "Bo")
    await User(router, 7200).command("start", code)
    assert "already been used" in texts(await User(router, 7201).command("start", code))
    assert "don't recognise" in texts(await User(router, 7202).command("start", "nope"))
    late = await _invite_code(trainer, "Cy")
    clock.advance(timedelta(days=8))
    assert "expired" in texts(await User(router, 7203).command("start", late))


async def test_same_person_reopening_their_invite_resumes(router: Router) -> None:
    code = await _invite_code(User(router, TRAINER.user_id), "Dee")
    dee = User(router, 7300)
    await dee.command("start", code)
    await dee.press("I agree")
    again = await dee.command("start", code)
    assert "cleared you" in texts(again)  # back at the clearance question, not at consent


async def test_free_text_where_a_button_is_expected_asks_again(router: Router) -> None:
    code = await _invite_code(User(router, TRAINER.user_id), "Eve")
    eve = User(router, 7400)
    await eve.command("start", code)
    await eve.press("I agree")
    replies = await eve.text("banana")
    assert "tap one of the buttons" in texts(replies)
    assert "cleared you" in texts(replies)
    assert "condition" not in texts(replies).lower()
    typed = await eve.text("not yet")  # typing a button's label counts as pressing it
    assert "Please don't start your exercises" in texts(typed)


async def test_stale_and_forged_buttons_expire(router: Router, sessions: SessionFactory) -> None:
    code = await _invite_code(User(router, TRAINER.user_id), "Fay")
    fay = User(router, 7500)
    first = await fay.command("start", code)
    await fay.press("I agree", first)
    stale = await fay.press("No thanks", first)
    assert stale == [Toast("This button has expired. Please use the latest message.")]
    forged = await fay.press_data("~999:yes")
    assert "expired" in texts(forged)
    other = await fay.press_data(ConfirmClearance(1).pack())  # someone else's action
    assert "expired" in texts(other)
    async with sessions() as session:
        person = (await session.exec(select(Person).where(Person.telegram_user_id == 7500))).one()
        profile = await session.get(ClientProfile, person.id)
    assert profile is not None and profile.consent_at is not None and profile.clearance is None


async def test_clearance_waits_for_the_trainer(router: Router, sessions: SessionFactory) -> None:
    trainer = User(router, TRAINER.user_id)
    code = await _invite_code(trainer, "Gus")
    gus = User(router, 7600)
    await gus.command("start", code)
    await gus.press("I agree")
    await gus.press("Not yet")
    async with sessions() as session:
        query = select(Outbox).where(Outbox.kind == "trainer_clearance_needed")
        alert = (await session.exec(query)).one()
        gus_row = (await session.exec(select(Person).where(Person.telegram_user_id == 7600))).one()
    assert alert.chat_id == TRAINER.user_id and gus_row.id is not None
    clear = ConfirmClearance(gus_row.id).pack()
    assert alert.buttons == [[{"text": "Confirm clearance", "data": clear}]]
    # another trainer's client: the demo client presses the button: refused
    assert "expired" in texts(await User(router, CLIENT.user_id).press_data(clear))
    confirmed = await trainer.press_data(clear)
    assert "Confirmed: Gus is cleared" in texts(confirmed)
    async with sessions() as session:
        profile = await session.get(ClientProfile, gus_row.id)
        told = (await session.exec(select(Outbox).where(Outbox.chat_id == 7600))).all()
    assert profile is not None and profile.clearance == Clearance.CLEARED
    assert profile.clearance_confirmed_at is not None
    assert [o.kind for o in told] == ["clearance_confirmed_client"]
    again = await trainer.press_data(clear)
    assert "already confirmed" in texts(again)


async def test_declining_consent_stores_nothing_about_health(router: Router) -> None:
    code = await _invite_code(User(router, TRAINER.user_id), "Hal")
    hal = User(router, 7700)
    await hal.command("start", code)
    declined = await hal.press("No thanks")
    assert "Nothing about your health has been stored" in texts(declined)
    resumed = await hal.command("start")
    assert "Is that okay?" in texts(resumed)


async def test_cancel_and_help_work_everywhere(router: Router) -> None:
    code = await _invite_code(User(router, TRAINER.user_id), "Ida")
    ida = User(router, 7800)
    await ida.command("start", code)
    await ida.press("I agree")
    helped = await ida.command("help")
    assert "/privacy" in texts(helped) and "cleared you" in texts(helped)
    assert "stopped" in texts(await ida.command("cancel"))
    assert "nothing to cancel" in texts(await ida.command("cancel"))
    assert "cleared you" in texts(await ida.text("hello"))  # resumes at the first missing answer


async def test_visitors_and_unknown_commands(router: Router) -> None:
    visitor = User(router, 7900, "Vic")
    assert "Hi Vic, welcome" in texts(await visitor.command("start"))
    await visitor.command("cancel")  # /start began the consult booking
    assert "Hi Vic, welcome" in texts(await visitor.text("hello?"))
    assert "don't know /dance" in texts(await visitor.command("dance"))
    assert "isn't available" in texts(await visitor.command("invite"))
    client = User(router, CLIENT.user_id)
    assert "isn't available" in texts(await client.command("invite"))


async def test_bad_names_and_times_ask_again(router: Router) -> None:
    trainer = User(router, TRAINER.user_id)
    await trainer.command("invite")
    assert "1 to 64 characters" in texts(await trainer.text("x" * 65))
    code = texts(await trainer.text("Jo")).rsplit("Invite code: ", 1)[1].strip()
    jo = User(router, 8000)
    await jo.command("start", code)
    await jo.press("I agree")
    await jo.press("Yes, I'm cleared")
    assert "few words" in texts(await jo.text("x"))
    await jo.text("shoulder")
    await jo.press("Yes")
    assert "couldn't find that time zone" in texts(await jo.text("Atlantis"))
    await jo.text("Asia/Kolkata")
    assert "like 7:30" in texts(await jo.text("25:00"))


async def test_a_redelivered_update_changes_nothing(router: Router, sessions: SessionFactory):
    from flows.engine.core import Event, EventKind

    event = Event(
        update_id=424242,
        user_id=TRAINER.user_id,
        chat_id=TRAINER.user_id,
        kind=EventKind.COMMAND,
        text="/invite",
        command="invite",
    )
    first = await router.handle(event)
    assert first and isinstance(first[0], Send)
    assert await router.handle(event) == []
    async with sessions() as session:
        assert (await session.exec(select(Invite))).all() == []


async def test_a_visitor_who_booked_a_consult_can_join_as_a_client(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The consult's whole point: the visitor (a prospect) becomes a client, same person."""
    async with sessions() as session:
        prospect = Person(
            telegram_user_id=7002,
            chat_id=7002,
            role=Role.PROSPECT,
            name="Pat",
            timezone="America/Chicago",
            created_at=clock.now(),
        )
        session.add(prospect)
        await session.commit()
        prospect_id = prospect.id
    code = await _invite_code(User(router, TRAINER.user_id), "Pat Doe")
    pat = User(router, 7002, "Pat")
    assert "invited you" in texts(await pat.command("start", code))
    await pat.press("I agree")
    await pat.press("Yes, I'm cleared")
    await pat.text("knee sprain")
    await pat.press("No")
    assert "time zone" in texts(pat.last)
    await pat.text("Chicago")
    await pat.text("9:00")
    done = await pat.press("I understand")
    assert "You're all set, Pat Doe" in texts(done)
    async with sessions() as session:
        person = (await session.exec(select(Person).where(Person.telegram_user_id == 7002))).one()
        profile = await session.get(ClientProfile, person.id)
    assert (person.id, person.role, person.timezone) == (
        prospect_id,
        Role.CLIENT,
        "America/Chicago",
    )
    assert profile is not None and profile.onboarded_at is not None


def test_every_role_has_its_name_and_every_staff_role_its_invite_hint() -> None:
    assert set(ROLE_NAMES) == set(Role)
    assert set(INVITE_HINTS) == STAFF
