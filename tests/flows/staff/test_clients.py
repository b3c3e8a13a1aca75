"""/clients for trainers and admins: ranking, statuses, paging, the client card, isolation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.engine.buttons import ClientCard, ClientProgram, ClientsPage, MessageClient
from flows.engine.core import Edit, Reply, Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import (
    Alert,
    AlertStatus,
    Checkin,
    Clearance,
    ClientProfile,
    Conversation,
    Pause,
    Person,
    Role,
)
from tests.flows.harness import User, make_router, texts

TODAY = date(2026, 11, 23)  # the clock's start (Europe/London)
LONG_AGO = datetime(2026, 10, 24, 9, tzinfo=UTC)  # 30 days before
EXPIRED = "This button has expired. Please use the latest message."
KIM = 2001


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


async def person_id(sessions: SessionFactory, user_id: int) -> int:
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == user_id)
        found = (await session.exec(query)).one()
        assert found.id is not None
        return found.id


async def add_trainer(sessions: SessionFactory, user_id: int = KIM, name: str = "Kim") -> int:
    async with sessions() as session:
        person = Person(
            telegram_user_id=user_id,
            chat_id=user_id,
            role=Role.TRAINER,
            name=name,
            timezone="Europe/London",
            created_at=LONG_AGO,
        )
        session.add(person)
        await session.commit()
        assert person.id is not None
        return person.id


@dataclass
class Setup:
    """What a client looks like to the list; add() writes it."""

    name: str
    user_id: int
    trainer_id: int
    onboarded: datetime | None = LONG_AGO
    cleared: bool = True
    unreachable: bool = False
    checkins: tuple[int, ...] = ()  # days ago
    alerts: tuple[str, ...] = ()  # open alerts' severities
    closed_alerts: tuple[str, ...] = ()  # acknowledged ones
    pause: tuple[int, int] | None = None  # (first, last) as days ago (negative: ahead)


async def add(sessions: SessionFactory, setup: Setup) -> int:
    async with sessions() as session:
        person = Person(
            telegram_user_id=setup.user_id,
            chat_id=setup.user_id,
            role=Role.CLIENT,
            name=setup.name,
            timezone="Europe/London",
            created_at=LONG_AGO,
            unreachable_at=LONG_AGO if setup.unreachable else None,
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            ClientProfile(
                person_id=person.id,
                trainer_id=setup.trainer_id,
                post_op=False,
                clearance=Clearance.CLEARED if setup.cleared else Clearance.AWAITING_TRAINER,
                onboarded_at=setup.onboarded,
            )
        )
        await session.flush()
        for n in setup.checkins:
            session.add(checkin(person.id, days_ago(n)))
        for severity, status in [(s, AlertStatus.OPEN) for s in setup.alerts] + [
            (s, AlertStatus.ACKNOWLEDGED) for s in setup.closed_alerts
        ]:
            session.add(
                Alert(
                    client_id=person.id,
                    trainer_id=setup.trainer_id,
                    rule={"emergency": "E1", "urgent": "U1", "routine": "R1"}[severity],
                    severity=severity,
                    status=status,
                    created_at=LONG_AGO,
                    updated_at=LONG_AGO,
                )
            )
        if setup.pause is not None:
            session.add(
                Pause(
                    client_id=person.id,
                    first_day=days_ago(setup.pause[0]),
                    last_day=days_ago(setup.pause[1]),
                    created_at=LONG_AGO,
                )
            )
        await session.commit()
        return person.id


def checkin(client_id: int, day: date, pain: int = 2, done: int = 3) -> Checkin:
    return Checkin(
        client_id=client_id,
        local_date=day,
        status="done",
        pain_now=pain,
        exercise_pain=1,
        light="green",
        exercises=[
            {"name": "Move", "sets_prescribed": 3, "sets_done": done, "skip_reason": None},
        ],
        started_at=LONG_AGO,
    )


async def sams_roster(sessions: SessionFactory) -> dict[str, int]:
    """Nine clients besides Jordan, one of each kind of need, and Kim's Nia."""
    sam = await person_id(sessions, TRAINER.user_id)
    kim = await add_trainer(sessions)
    setups = [
        Setup("Lee", 3001, sam, checkins=(0,), alerts=("urgent",)),
        Setup("Pat", 3002, sam, checkins=(1,), alerts=("routine", "routine")),
        Setup("Eve", 3003, sam, checkins=(0,), alerts=("emergency", "routine")),
        Setup("Max", 3004, sam, checkins=(5, 6)),
        Setup("Ann", 3005, sam, checkins=(1,), closed_alerts=("urgent",)),
        Setup("Zoe", 3006, sam, checkins=(10,), pause=(9, -3)),
        Setup("Ida", 3007, sam, onboarded=None, cleared=False),
        Setup("Ned", 3008, sam, onboarded=LONG_AGO + timedelta(days=27), cleared=False),
        Setup("Uma", 3009, sam, checkins=(2,), unreachable=True),
        Setup("Nia", 3010, kim, alerts=("urgent",)),
    ]
    return {setup.name: await add(sessions, setup) for setup in setups}


def sent(replies: Sequence[Reply]) -> list[Send]:
    return [r for r in replies if isinstance(r, Send)]


def labels(reply: Send | Edit) -> list[str]:
    return [b.text for row in reply.buttons for b in row]


async def test_most_in_need_first_with_statuses(router: Router, sessions: SessionFactory) -> None:
    await sams_roster(sessions)
    sam = User(router, TRAINER.user_id)
    [listing] = sent(await sam.command("clients"))
    lines = listing.text.splitlines()
    assert lines[:2] == ["Your clients (10), most in need of attention first:", "Page 1 of 2."]
    assert lines[2:18] == [
        "1. Eve · 🚨 emergency alert open · 1 routine flag to review",
        "   last check-in today 🟢 · 7 days: 100% · streak 1",
        "2. Lee · ⚠️ urgent alert open",
        "   last check-in today 🟢 · 7 days: 100% · streak 1",
        "3. Pat · 2 routine flags to review",
        "   last check-in yesterday 🟢 · 7 days: 100% · streak 1",
        "4. Max",
        "   last check-in 5 days ago 🟢 · 7 days: 100% · streak 0",
        "5. Ned · not cleared yet",  # joined 3 days ago, no check-in since
        "   no check-in yet",
        "6. Uma · unreachable",
        "   last check-in 2 days ago 🟢 · 7 days: 100% · streak 0",
        "7. Ann",  # her alert was acknowledged: it no longer ranks her
        "   last check-in yesterday 🟢 · 7 days: 100% · streak 1",
        "8. Jordan",  # joined today
        "   no check-in yet",
    ]
    assert "/alerts to review and acknowledge alerts." in listing.text
    assert "Nia" not in listing.text  # Kim's client
    assert labels(listing) == [
        "1. Eve",
        "2. Lee",
        "3. Pat",
        "4. Max",
        "5. Ned",
        "6. Uma",
        "7. Ann",
        "8. Jordan",
        "Next ›",
    ]

    [toast, page_two] = await sam.press("Next")
    assert isinstance(toast, Toast) and isinstance(page_two, Edit)
    assert page_two.text.splitlines()[1:6] == [
        "Page 2 of 2.",
        "9. Zoe · paused until 26 Nov",  # paused and onboarding last: nothing is expected
        "   last check-in 10 days ago 🟢 · 7 days: - · streak 1",
        "10. Ida · onboarding",
        "   no check-in yet",
    ]
    assert labels(page_two) == ["9. Zoe", "10. Ida", "‹ Previous"]
    [_, page_one] = await sam.press("Previous")
    assert isinstance(page_one, Edit) and page_one.text == listing.text


async def test_admin_sees_every_client_with_their_trainer(
    router: Router, sessions: SessionFactory
) -> None:
    await sams_roster(sessions)
    [listing] = sent(await User(router, ADMIN.user_id).command("clients"))
    lines = listing.text.splitlines()
    assert lines[0] == "All clients (11), most in need of attention first:"
    names = [line for line in lines if line[:1].isdigit()]
    assert names[:3] == [
        "1. Eve (with Sam) · 🚨 emergency alert open · 1 routine flag to review",
        "2. Nia (with Kim) · ⚠️ urgent alert open",  # 30 days without a check-in
        "3. Lee (with Sam) · ⚠️ urgent alert open",
    ]


async def test_a_trainer_sees_only_their_own(router: Router, sessions: SessionFactory) -> None:
    await sams_roster(sessions)
    kim = User(router, KIM)
    [listing] = sent(await kim.command("clients"))
    assert listing.text.splitlines()[:3] == [
        "Your clients (1), most in need of attention first:",
        "1. Nia · ⚠️ urgent alert open",
        "   no check-in yet",
    ]
    assert labels(listing) == ["1. Nia"]


async def test_forged_buttons_get_nothing_of_another_trainers_client(
    router: Router, sessions: SessionFactory
) -> None:
    ids = await sams_roster(sessions)
    jordan_id = await person_id(sessions, CLIENT.user_id)
    kim = User(router, KIM)
    for data in (
        ClientCard(jordan_id).pack(),
        ClientProgram(jordan_id).pack(),
        MessageClient(jordan_id).pack(),
    ):
        replies = await kim.press_data(data)
        assert replies == [Toast(EXPIRED)], data
    async with sessions() as session:
        convo = await session.get(Conversation, KIM)
        assert convo is not None and convo.flow is None  # no program or relay started
    mine = texts(await kim.press_data(ClientsPage(0).pack()))  # a page button shows only Kim's own
    assert "Nia" in mine and "Jordan" not in mine and "Eve" not in mine
    assert "Jordan" not in texts(await kim.press_data(ClientsPage(1).pack()))

    sam = User(router, TRAINER.user_id)
    assert await sam.press_data(ClientCard(ids["Nia"]).pack()) == [Toast(EXPIRED)]
    for data in ("client:", "client:abc", "client:-1", ClientCard(999999).pack(), "clients:x"):
        assert await sam.press_data(data) == [Toast(EXPIRED)], data
    jordan = User(router, CLIENT.user_id)
    for data in (
        ClientCard(jordan_id).pack(),
        ClientsPage(0).pack(),
        ClientProgram(jordan_id).pack(),
    ):
        assert await jordan.press_data(data) == [Toast(EXPIRED)], data
    alex = User(router, ADMIN.user_id)
    assert "Nia, last 14 days" in texts(await alex.press_data(ClientCard(ids["Nia"]).pack()))


async def test_the_card_shows_the_history_and_leads_to_message_and_program(
    router: Router, sessions: SessionFactory
) -> None:
    jordan_id = await person_id(sessions, CLIENT.user_id)
    async with sessions() as session:
        session.add(checkin(jordan_id, days_ago(3), pain=4, done=2))
        session.add(checkin(jordan_id, TODAY, pain=2))
        session.add(
            Pause(
                client_id=jordan_id,
                first_day=days_ago(2),
                last_day=days_ago(1),
                created_at=LONG_AGO,
            )
        )
        await session.commit()
    sam = User(router, TRAINER.user_id)
    [listing] = sent(await sam.command("clients"))
    assert listing.text.splitlines()[1:3] == [
        "1. Jordan",
        "   last check-in today 🟢 · 7 days: 83% · streak 2",  # the pause kept the streak
    ]
    [card] = sent(await sam.press("Jordan"))
    lines = card.text.splitlines()
    assert lines[0] == "Jordan, last 14 days"
    assert lines[-6:] == [
        "Fri 20 Nov: 4 / 1 / 67% / green / –",
        "Sat 21 Nov: paused",
        "Sun 22 Nov: paused",
        "Mon 23 Nov: 2 / 1 / 100% / green / –",
        "",
        "7 days: 83% · streak 2",
    ]
    assert labels(card) == ["Message client", "Program", "Report", "‹ All clients"]

    program = texts(await sam.press("Program"))
    assert "Program for Jordan\nPhase: rehab" in program
    async with sessions() as session:
        convo = await session.get(Conversation, TRAINER.user_id)
        assert convo is not None and (convo.flow, convo.step) == ("program", "menu")

    await sam.press("Message client", [card])
    assert "Type your message to Jordan" in texts(sam.last)
    await sam.text("See you Thursday.")
    assert "Sent to Jordan." in texts(sam.last)

    [_, back] = await sam.press("All clients", [card])  # the card turns back into the list
    assert isinstance(back, Edit) and back.text == listing.text


async def test_the_card_says_paused_and_not_cleared(
    router: Router, sessions: SessionFactory
) -> None:
    sam_id = await person_id(sessions, TRAINER.user_id)
    ned = await add(sessions, Setup("Ned", 3008, sam_id, cleared=False, pause=(0, -6)))
    sam = User(router, TRAINER.user_id)
    card = texts(await sam.press_data(ClientCard(ned).pack()))
    assert "Mon 23 Nov: paused" in card
    assert card.endswith("7 days: - · streak 0 · paused until 29 Nov · not cleared yet")


async def test_a_skipped_day_says_skipped_not_paused(
    router: Router, sessions: SessionFactory
) -> None:
    sam_id = await person_id(sessions, TRAINER.user_id)
    ola = await add(sessions, Setup("Ola", 3009, sam_id, checkins=(1,)))
    async with sessions() as session:
        session.add(
            Pause(
                client_id=ola,
                first_day=days_ago(0),
                last_day=days_ago(0),
                reason="skip:sick",
                created_at=LONG_AGO,
            )
        )
        await session.commit()
    card = texts(await User(router, TRAINER.user_id).press_data(ClientCard(ola).pack()))
    assert "Mon 23 Nov: skipped (sick)" in card  # the 14-day history
    assert card.endswith("streak 1 · skipped today (sick)") and "paused" not in card


async def test_no_clients_yet_points_at_invite(router: Router, sessions: SessionFactory) -> None:
    await add_trainer(sessions)
    replies = await User(router, KIM).command("clients")
    assert texts(replies) == (
        "You don't have any clients yet. Send /invite to invite one: they show up here once "
        "they join."
    )
    assert all(not r.buttons for r in sent(replies))


async def test_an_admin_with_no_clients_yet(sessions: SessionFactory, clock: FakeClock) -> None:
    async with sessions() as session:
        session.add(
            Person(
                telegram_user_id=ADMIN.user_id,
                chat_id=ADMIN.user_id,
                role=Role.ADMIN,
                name="Alex",
                created_at=clock.now(),
            )
        )
        await session.commit()
    alex = User(make_router(sessions, clock), ADMIN.user_id)
    assert texts(await alex.command("clients")).startswith("There are no clients yet.")


async def test_clients_is_for_staff_and_in_their_menu(router: Router) -> None:
    jordan = User(router, CLIENT.user_id)
    assert "That command isn't available to you." in texts(await jordan.command("clients"))
    sam = texts(await User(router, TRAINER.user_id).command("help"))
    assert "/clients - Your clients, most in need first" in sam
    alex = texts(await User(router, ADMIN.user_id).command("help"))
    assert "/clients - Every client, most in need first" in alex
