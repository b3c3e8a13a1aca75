"""The demo centre the sandbox starts with: an admin, a trainer and a client, ready to use.

The demo people have quiet hours off, so whoever tries the sandbox at night still sees alerts,
bookings and reminders arrive; everyone who joins later gets the centre's default quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from flows.account.preferences import OFF as QUIET_OFF
from flows.checkin.questions import OPTIONAL_QUESTIONS
from storage.db import SessionFactory, scrub
from storage.models import (
    Availability,
    Clearance,
    ClientProfile,
    ConsultSettings,
    Conversation,
    Person,
    Role,
)
from storage.personal import delete_person
from storage.programs import add_exercise, ensure_program
from storage.repo import Store


@dataclass(frozen=True)
class DemoPerson:
    user_id: int
    name: str
    label: str
    role: Role


ADMIN = DemoPerson(1001, "Alex", "Demo admin (Alex)", Role.ADMIN)
TRAINER = DemoPerson(1002, "Sam", "Demo trainer (Sam)", Role.TRAINER)
CLIENT = DemoPerson(1003, "Jordan", "Demo client (Jordan, post-op knee)", Role.CLIENT)
DEMO_PEOPLE = (ADMIN, TRAINER, CLIENT)
DEMO_CONSULT_PLACE = "Demo studio, 12 Harbour Street (ring the blue door)"  # Sam's consults


async def seed_demo_centre(sessions: SessionFactory, timezone: str, now: datetime) -> bool:
    """Add the demo people once; False when they are already there (later starts)."""
    async with sessions() as session:
        found = await session.exec(select(Person).where(Person.telegram_user_id == ADMIN.user_id))
        if found.first() is not None:
            return False
        await _add_missing(session, timezone, now)
        await session.commit()
        return True


async def reset_demo_centre(sessions: SessionFactory, timezone: str, now: datetime) -> None:
    """The demo centre as on the first start, e.g. after /deleteme on Jordan: the demo client is
    deleted (with everything about him, as /deleteme does) and made again with his program, the
    demo staff's unfinished conversations dropped, and whoever of the three is missing added.
    Other people (visitors, invited clients and trainers) stay as they are."""
    async with sessions() as session:
        store = Store(session)
        for demo in DEMO_PEOPLE:
            person = await store.person_by_user(demo.user_id)
            if person is not None and person.role in (Role.CLIENT, Role.PROSPECT):
                await delete_person(store, person)
            await session.exec(
                delete(Conversation).where(col(Conversation.chat_id) == demo.user_id)
            )
        await session.commit()
        await scrub(session)
        await _add_missing(session, timezone, now)
        await session.commit()


async def _add_missing(session: Any, timezone: str, now: datetime) -> None:
    """Whichever demo people are not stored, with what they come with: Jordan's profile and
    program under Sam, Sam's consult hours."""
    people: dict[Role, Person] = {}
    added: set[Role] = set()
    for demo in DEMO_PEOPLE:
        found = await session.exec(select(Person).where(Person.telegram_user_id == demo.user_id))
        person = found.first()
        if person is None:
            person = Person(
                telegram_user_id=demo.user_id,
                chat_id=demo.user_id,
                role=demo.role,
                name=demo.name,
                timezone=timezone,
                quiet_start=QUIET_OFF[0],
                quiet_end=QUIET_OFF[1],
                created_at=now,
            )
            session.add(person)
            added.add(demo.role)
        people[demo.role] = person
    await session.flush()
    client, trainer = people[Role.CLIENT], people[Role.TRAINER]
    assert client.id is not None and trainer.id is not None
    if Role.CLIENT in added:
        session.add(
            ClientProfile(
                person_id=client.id,
                trainer_id=trainer.id,
                condition="knee surgery (ACL reconstruction)",
                post_op=True,
                clearance=Clearance.CLEARED,
                consent_at=now,
                checkin_time="08:00",
                onboarded_at=now,
            )
        )
        await seed_demo_program(Store(session), client.id, trainer.id, now)
    if Role.TRAINER in added:
        _seed_demo_consults(session, trainer.id)


def _seed_demo_consults(session: Any, trainer_id: int) -> None:
    """Sam takes free consults Mon-Fri, 09:00-12:00 and 14:00-17:00 in his zone, at the studio."""
    session.add(ConsultSettings(trainer_id=trainer_id, location=DEMO_CONSULT_PLACE))
    for weekday in range(5):
        for start, end in (("09:00", "12:00"), ("14:00", "17:00")):
            session.add(Availability(trainer_id=trainer_id, weekday=weekday, start=start, end=end))


DEMO_EXERCISES: tuple[dict[str, Any], ...] = (  # what a trainer would type: English content
    {
        "name": "Quad sets",
        "sets": 3,
        "reps": 10,
        "notes": "Tighten the thigh and press the back of the knee down; hold 5 s each.",
    },
    {
        "name": "Straight-leg raises",
        "sets": 3,
        "reps": 10,
        "link": "https://www.merckmanuals.com/home/multimedia/video/straight-leg-raise",
        "notes": "Keep the knee locked straight; lift only a hand's height.",
    },
    {
        "name": "Heel slides",
        "sets": 3,
        "reps": 15,
        "notes": "Slide only as far as is comfortable.",
    },
)


async def seed_demo_program(store: Store, client_id: int, trainer_id: int, now: datetime) -> None:
    """Early post-op knee (ACL) rehab, every optional question on (the benchmarks use it too)."""
    program = await ensure_program(store, client_id, now, by=trainer_id)
    program.phase, program.questions = "rehab", list(OPTIONAL_QUESTIONS)
    for exercise in DEMO_EXERCISES:
        await add_exercise(store, program, now=now, by=trainer_id, **exercise)
