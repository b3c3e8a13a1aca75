"""A crowd of clients who type their daily check-in: the load of tests/e2e/test_load_balanced.py
and bench/bench_processes.py.

Every client is called the same (the questions greet by name) and has the same one-exercise
program, so all who type the same script get the same answers, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.sandbox.server import Persona, SandboxServer
from flows.checkin.questions import OPTIONAL_QUESTIONS
from storage.db import make_engine, migrate, session_factory
from storage.models import (
    Clearance,
    ClientProfile,
    Exercise,
    Person,
    Program,
    ReminderSchedule,
    Role,
)

from .burst import DUE

NAME = "Robin"  # every checking-in client: the questions greet by name
Script = tuple[str, ...]
# A whole check-in typed (a one-set exercise, Q4-Q8 on). Each answer is wrong for the
# question before and after it, so two updates handled the other way round show.
PLAIN: Script = ("/checkin", "3", "done", "2", "usual", "none", "same", "no", "8", "skip")
# Q5 off, and "woke once, rest did not ease it" at Q7: U4, an urgent alert to the trainer.
URGENT: Script = ("/checkin", "3", "done", "2", "usual", "same", "once", "no", "8", "skip")
TRAINER = 80_000  # the plain clients' trainer; each alerting client has one of their own
OWN_TRAINER = 100_000  # an alerting client's trainer: the client's id plus this
FIRST_CLIENT = 81_000
FIRST_REMINDED = 82_000
# reference clients: they type one message at a time, before the burst
REFERENCE: dict[Script, int] = {PLAIN: 80_900, URGENT: 80_901}


@dataclass(frozen=True)
class Crowd:
    """`chats` clients checking in, the first `alerting` of them with URGENT; `reminded` other
    clients whose reminders are due a day later (until `remind_now`)."""

    chats: int
    alerting: int = 0
    reminded: int = 0

    def script_of(self, n: int) -> Script:
        return URGENT if n < self.alerting else PLAIN

    def chat_ids(self) -> list[int]:
        return [FIRST_CLIENT + n for n in range(self.chats)]

    def reminded_ids(self) -> list[int]:
        return [FIRST_REMINDED + n for n in range(self.reminded)]

    def alerted_trainers(self) -> list[int]:
        """The alerting clients' own trainers, the URGENT reference client's last."""
        clients = [FIRST_CLIENT + n for n in range(self.alerting)] + [REFERENCE[URGENT]]
        return [client + OWN_TRAINER for client in clients]

    def personas(self) -> list[Persona]:
        ids = [TRAINER, *self.chat_ids(), *REFERENCE.values(), *self.reminded_ids()]
        ids += self.alerted_trainers()
        return [Persona(user_id, "P", "P") for user_id in ids]

    async def seed(self, db_url: str) -> None:
        engine = make_engine(db_url)
        await migrate(engine)
        async with session_factory(engine)() as session:
            trainer = await _person(session, TRAINER, Role.TRAINER, "T")
            clients = [(FIRST_CLIENT + n, self.script_of(n)) for n in range(self.chats)]
            clients += [(user_id, script) for script, user_id in REFERENCE.items()]
            for user_id, script in clients:
                coach = trainer
                if script is URGENT:
                    coach = await _person(session, user_id + OWN_TRAINER, Role.TRAINER, "T")
                await _checking_in(session, user_id, coach, script)
            for user_id in self.reminded_ids():
                client = await _person(session, user_id, Role.CLIENT, "R")
                session.add(_profile(client, trainer))
                later = DUE + timedelta(days=1)
                session.add(
                    ReminderSchedule(client_id=client.id or 0, next_due_at=later, updated_at=DUE)
                )
            await session.commit()
        await engine.dispose()

    async def remind_now(self, db_url: str) -> None:
        """The reminded clients' reminders fall due: the planner queues them at its next
        tick."""
        reminded = select(Person.id).where(col(Person.telegram_user_id).in_(self.reminded_ids()))
        engine = make_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                await session.exec(
                    update(ReminderSchedule)
                    .where(col(ReminderSchedule.client_id).in_(reminded))
                    .values(next_due_at=DUE)
                )
                await session.commit()
        finally:
            await engine.dispose()


async def _checking_in(session: Any, user_id: int, trainer: Person, script: Script) -> None:
    client = await _person(session, user_id, Role.CLIENT, NAME)
    session.add(_profile(client, trainer, checkin_time="20:00"))  # no reminder meanwhile
    program = Program(
        client_id=client.id or 0,
        questions=[q for q in OPTIONAL_QUESTIONS if script is PLAIN or q != "stiffness"],
        updated_at=DUE,
    )
    session.add(program)
    await session.flush()
    session.add(Exercise(program_id=program.id or 0, name="Heel slides", sets=1, reps=10))


async def _person(session: Any, user_id: int, role: Role, name: str) -> Person:
    person = Person(
        telegram_user_id=user_id,
        chat_id=user_id,
        role=role,
        name=name,
        timezone="Europe/London",
        created_at=DUE - timedelta(days=1),
    )
    session.add(person)
    await session.flush()
    return person


def _profile(client: Person, trainer: Person, checkin_time: str = "10:00") -> ClientProfile:
    return ClientProfile(
        person_id=client.id or 0,
        trainer_id=trainer.id or 0,
        clearance=Clearance.CLEARED,
        post_op=False,
        checkin_time=checkin_time,
        consent_at=DUE - timedelta(days=1),
        onboarded_at=DUE - timedelta(days=1),
    )


def answers(sandbox: SandboxServer, chat_id: int) -> list[str]:
    """The bot's messages in a chat, in the order the sandbox got them."""
    return [m.get("text", "") for m in sandbox.history(chat_id) if m["from"].get("is_bot")]
