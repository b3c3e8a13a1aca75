"""The demo centre the sandbox starts with: an admin, a trainer and a client, ready to use.

The demo people have quiet hours off, so whoever tries the sandbox at night still sees alerts,
bookings and reminders arrive; everyone who joins later gets the centre's default quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from flows.account.preferences import OFF as QUIET_OFF
from flows.checkin.questions import OPTIONAL_QUESTIONS
from storage.db import SessionFactory
from storage.models import Availability, Clearance, ClientProfile, ConsultSettings, Person, Role
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


async def seed_demo_centre(sessions: SessionFactory, timezone: str, now: datetime) -> bool:
    """Add the demo people once; False when they are already there (later starts)."""
    async with sessions() as session:
        found = await session.exec(select(Person).where(Person.telegram_user_id == ADMIN.user_id))
        if found.first() is not None:
            return False
        people = {}
        for demo in DEMO_PEOPLE:
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
            people[demo.role] = person
        await session.flush()
        client, trainer = people[Role.CLIENT], people[Role.TRAINER]
        assert client.id is not None and trainer.id is not None
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
        _seed_demo_consults(session, trainer.id)
        await session.commit()
        return True


def _seed_demo_consults(session: Any, trainer_id: int) -> None:
    """Sam takes free consults Mon-Fri, 09:00-12:00 and 14:00-17:00 in his zone."""
    session.add(ConsultSettings(trainer_id=trainer_id))
    for weekday in range(5):
        for start, end in (("09:00", "12:00"), ("14:00", "17:00")):
            session.add(Availability(trainer_id=trainer_id, weekday=weekday, start=start, end=end))


async def seed_demo_program(store: Store, client_id: int, trainer_id: int, now: datetime) -> None:
    """Early post-op knee (ACL) rehab, every optional question on (the benchmarks use it too)."""
    program = await ensure_program(store, client_id, now, by=trainer_id)
    program.phase, program.questions = "rehab", list(OPTIONAL_QUESTIONS)
    exercises: tuple[dict[str, Any], ...] = (
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
    for exercise in exercises:
        await add_exercise(store, program, now=now, by=trainer_id, **exercise)
