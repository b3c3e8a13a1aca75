"""Drive the Router with Events as a runtime would, on a real database (no Telegram involved)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlmodel import select

from bot.clock import FakeClock
from bot.proactive import bot_info, reminder_rules
from bot.settings import load_settings
from flows.checkin.reminder import ReminderRules
from flows.engine.core import Button, Document, Edit, Event, EventKind, Photo, Reply, Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Person, Role
from storage.repo import store_factory

SETTINGS = load_settings(_env_file=None, emergency_number="999", default_timezone="Europe/London")
BOT = bot_info(SETTINGS, "testbot")
_update_ids = itertools.count(1)


def planner_rules(default_timezone: str) -> ReminderRules:
    """The planner's rules from the default settings, in `default_timezone`."""
    return reminder_rules(SETTINGS.model_copy(update={"default_timezone": default_timezone}))


def make_router(sessions: SessionFactory, clock: FakeClock) -> Router:
    return Router(store_factory(sessions), BOT, clock.now)


@dataclass
class User:
    """One Telegram user talking to the router; remembers the bot's last question."""

    router: Router
    user_id: int
    first_name: str = "Test"
    last: list[Reply] = field(default_factory=list)
    language_code: str = ""  # as Telegram sends it ("es-MX"); "" when not sent

    async def _handle(self, **kwargs: object) -> list[Reply]:
        event = Event(
            update_id=next(_update_ids),
            user_id=self.user_id,
            chat_id=self.user_id,
            first_name=self.first_name,
            language_code=self.language_code,
            **kwargs,  # type: ignore[arg-type]
        )
        replies = await self.router.handle(event)
        assert replies is not None  # only an update the router stored itself can wait its turn
        self.last = replies
        return self.last

    async def text(self, text: str) -> list[Reply]:
        return await self._handle(kind=EventKind.TEXT, text=text)

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self._handle(
            kind=EventKind.COMMAND, text=f"/{name} {args}".strip(), command=name, args=args
        )

    async def press(self, label: str, replies: list[Reply] | None = None) -> list[Reply]:
        button = find_button(replies if replies is not None else self.last, label)
        assert button.data is not None
        return await self.press_data(button.data, label)

    async def press_data(self, data: str, label: str = "") -> list[Reply]:
        return await self._handle(
            kind=EventKind.BUTTON,
            payload=data,
            callback_id="cb",
            message_id=1,
            message_text="question",
            button_text=label,
        )


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Send | Edit | Toast))


def find_button(replies: list[Reply], label: str) -> Button:
    for reply in reversed(replies):  # the newest keyboard first (an edit can replace one)
        if isinstance(reply, Send | Edit | Photo | Document):
            for row in reply.buttons:
                for button in row:
                    if label.lower() in button.text.lower():
                        return button
    raise AssertionError(f"no button {label!r} in {texts(replies)!r}")


async def person_of(sessions: SessionFactory, user_id: int) -> Person:
    """The stored person with this Telegram user id (it must exist)."""
    async with sessions() as session:
        found = await session.exec(select(Person).where(Person.telegram_user_id == user_id))
        return found.one()


async def add_person(
    sessions: SessionFactory, clock: FakeClock, user_id: int, name: str, role: Role
) -> Person:
    """A person of `role` in London, created now (no profile: add one where a test needs it)."""
    async with sessions() as session:
        person = Person(
            telegram_user_id=user_id,
            chat_id=user_id,
            role=role,
            name=name,
            timezone="Europe/London",
            created_at=clock.now(),
        )
        session.add(person)
        await session.commit()
        await session.refresh(person)
        return person
