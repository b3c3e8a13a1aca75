"""The demo centre the sandbox starts with: an admin, a trainer and a client, ready to use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from storage.db import SessionFactory
from storage.models import Clearance, ClientProfile, Person, Role


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
        await session.commit()
        return True
