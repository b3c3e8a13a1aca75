"""The people the database knows, for the sandbox page and for the command menus set at start.

The sandbox keeps its chats in memory, the database does not forget: after a restart the page
must list the people stored (not offer their ids to newcomers, who would inherit their data), and
every stored person's command menu, which lived in the old sandbox's memory, is set again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from flows.engine.menu import menu_for
from handlers.intake import Runtime
from storage.db import SessionFactory
from storage.models import Conversation, Person, Role

log = logging.getLogger(__name__)

ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.TRAINER: "Trainer",
    Role.CLIENT: "Client",
    Role.PROSPECT: "Visitor",
}


@dataclass(frozen=True)
class Known:
    """One stored person, as much of them as the page and the menu need."""

    user_id: int
    chat_id: int
    name: str
    role: Role
    locale: str

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, "Person")


async def stored_people(sessions: SessionFactory) -> list[Known]:
    """Everyone stored, oldest first."""
    async with sessions() as session:
        rows = await session.exec(select(Person).order_by(col(Person.id)))
        return [
            Known(p.telegram_user_id, p.chat_id, p.name, Role(p.role), p.locale) for p in rows.all()
        ]


async def highest_user_id(sessions: SessionFactory) -> int:
    """The highest Telegram user id the database holds anything for: a stored person, or a
    visitor's unfinished conversation (their name and answers so far). New sandbox visitors are
    numbered above it."""
    async with sessions() as session:
        person = (await session.exec(select(func.max(Person.telegram_user_id)))).one()
        convo = (await session.exec(select(func.max(Conversation.user_id)))).one()
    return max(person or 0, convo or 0)


async def set_menus(runtime: Runtime, people: list[Known]) -> int:
    """Each person's command menu for their role; a refused one is logged (by type, never the
    person) and the rest still set. Returns how many were set."""
    done = 0
    for person in people:
        try:
            await runtime.set_menu(menu_for(person.role, person.locale), person.chat_id)
        except Exception as exc:
            log.warning("setting a command menu failed: %s", type(exc).__name__)
            continue
        done += 1
    return done
