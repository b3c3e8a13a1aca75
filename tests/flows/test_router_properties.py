"""The router under long random sequences of events from every role (hypothesis).

People: the demo admin (Alex), trainer (Sam) and client (Jordan, post-op, every optional
question), a second trainer (Morgan) with a client of their own (Riley Thornbeck), and two
visitors (one with a Telegram id past 2^32). Each example is a list of bursts, a person and a few
things they do in a row (so check-ins, intakes and onboarding get somewhere): type a text from a
pool of likely answers and odd input, send a command (every command the router knows, unknown
ones, /start with invite codes seen in replies, used ones and made-up ones, "/x@otherbot"),
press a button from their newest message (real), from an older one or from a message the bot
sent them proactively (stale), or a forged payload (built with the codec's classes with random
or foreign ids, state buttons "~<version>:<value>" for the current version and values the
question never offered, raw strings), share a contact card, send a sticker. Time moves on between
bursts (hours, days) and the scheduler's ticks run, so check-ins span days and reminders,
escalations and consult reminders bring buttons of their own.

After every step:
- no reply is the generic "something went wrong", every update gets an answer, nothing is
  logged at ERROR;
- at most one check-in per client per local date, none dated after the client's today, and an
  alert's check-in is that client's;
- at most one open alert per client and rule; every emergency and urgent alert has its outbox
  message (kind alert_<severity>, to the alert's trainer, dedupe key naming the alert as raised);
- no reply to a trainer, and no outbox message to one, names someone who is another trainer's
  client or consult visitor and not theirs (client names are distinctive, so a substring search
  finds them; admins may see everyone).

Each example runs on a fresh database: a copy of one migrated and seeded SQLite file, or, with
MENDBOT_TEST_POSTGRES_URL, a PostgreSQL database created from a migrated and seeded template.

The default run (`make test`) is short: 10 examples of about 40 steps, a few seconds. Run it
longer with
  MENDBOT_PROPERTY_EXAMPLES=500 MENDBOT_PROPERTY_STEPS=150 .venv/bin/pytest \
      tests/flows/test_router_properties.py
(`--hypothesis-seed=N` repeats one run; a failure found is saved in .hypothesis/ and tried
first next time.)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import shutil
import tempfile
import types
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre, seed_demo_program
from flows.account.preferences import OFF as QUIET_OFF
from flows.booking.tick import plan_booking_reminders_tick
from flows.checkin import alert as alert_module
from flows.checkin.alert import escalate_tick
from flows.checkin.digest import plan_digests_tick
from flows.checkin.reminder import (
    add_schedules_tick,
    plan_due_tick,
    plan_nudges_tick,
)
from flows.engine import buttons as codec
from flows.engine.conversation import Command, Context
from flows.engine.core import (
    Button,
    ContactRequest,
    Edit,
    Event,
    EventKind,
    Menu,
    Reply,
    Send,
    Toast,
)
from flows.engine.menu import VISITOR, commands_for
from flows.engine.parse import ID_MAX
from flows.engine.schedule import local_date, zone_of
from flows.engine.texts import t
from flows.router import COMMANDS, Router
from flows.staff import clients as clients_module
from handlers import command_event
from storage.db import SessionFactory, make_engine, migrate, session_factory
from storage.models import (
    Alert,
    AlertStatus,
    Availability,
    Booking,
    Checkin,
    Clearance,
    ClientProfile,
    ConsultSettings,
    Conversation,
    Invite,
    Outbox,
    Person,
    Role,
)
from storage.repo import Store, store_factory
from tests.conftest import START, _drop_database, postgres_admin_url
from tests.flows.harness import BOT, make_router, planner_rules

EXAMPLES = int(os.environ.get("MENDBOT_PROPERTY_EXAMPLES", "10"))
STEPS = int(os.environ.get("MENDBOT_PROPERTY_STEPS", "40"))
ZONE = BOT.default_timezone
RULES = planner_rules(ZONE)


# --- who ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    user_id: int
    first_name: str


MORGAN = Who(2001, "Morgan")  # the second trainer
RILEY = Who(2002, "Riley")  # Morgan's client, stored as "Riley Thornbeck"
PEOPLE = (
    Who(ADMIN.user_id, ADMIN.name),
    Who(TRAINER.user_id, TRAINER.name),
    Who(CLIENT.user_id, CLIENT.name),
    MORGAN,
    RILEY,
    Who(3001, "Avery Lindqvist"),  # visitors: their Telegram first name may become their name
    Who(2**33 + 5, "Blake Okonkwo"),  # Telegram ids go past 32 bits
)
RILEY_NAME = "Riley Thornbeck"
DISTINCTIVE = (
    CLIENT.name,
    RILEY_NAME,
    "Avery Lindqvist",
    "Blake Okonkwo",
    "Casey Pembrook",
    "Drew Halloway",
)
"""Names a client or visitor can have here that the isolation check looks for: the seeded
clients, the visitors' Telegram names (a visitor may book under theirs) and the names trainers
type (a trainer may invite "Casey Pembrook"). None is a substring of any text the bot writes by
itself or of another of them."""


# --- what they do ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Cmd:
    text: str  # as typed, "/pause 3"; "/x@otherbot" is not for us and never reaches the router


@dataclass(frozen=True)
class StartCode:
    pick: int  # an invite code seen in any reply (used or not), or a made-up one if none yet


@dataclass(frozen=True)
class Answer:
    """Carry on: press one of the newest message's buttons; else pick an option of the
    share-contact keyboard or share one's own contact; else type `text` if a conversation is
    under way; else send a command of one's own menu (not /deleteme)."""

    pick: int
    text: str


@dataclass(frozen=True)
class Press:
    """A button of the newest message still showing some ("newest"), of any message ever,
    its buttons since removed or not ("older", stale), or of a proactive message ("outbox")."""

    source: Literal["newest", "older", "outbox"]
    pick: int


@dataclass(frozen=True)
class Forge:
    payload: str


@dataclass(frozen=True)
class ForgeState:
    """ "~<current version + delta>:<value>": the engine must refuse values not offered."""

    delta: int
    value: str


@dataclass(frozen=True)
class Share:
    whose: int  # index into PEOPLE (own or someone else's contact card)
    phone: str


@dataclass(frozen=True)
class Sticker:
    pass


Action = Say | Cmd | StartCode | Answer | Press | Forge | ForgeState | Share | Sticker


@dataclass(frozen=True)
class Burst:
    who: int  # index into PEOPLE
    actions: tuple[Action, ...]
    then_minutes: int  # the clock moves on afterwards (0: not), and the ticks run


ODD_TEXTS = (
    "²",
    "٣",
    "１２",
    "𝟓",
    "Ⅻ",
    "1234567890123456789012345",
    "-1",
    "11",
    "10.5",
    "1e3",
    "\u200b\u200c\u200d",
    "\u202e\u2066\u2069",
    "\ufeff \u2060",
    "\u3164",
    "Casey\u202ePembrook",
    "a\x00b",
    "\x00",
    "x" * 5000,
    "🙂" * 300,
    "99:99",
    "25:00",
    "24:00",
    "/",
    "@testbot",
    "DROP TABLE person; --",
    "{}",
)
VALID_TEXTS = (
    *(str(n) for n in range(11)),
    "Done",
    "done",
    "Skip",
    "skip",
    "Yes",
    "yes",
    "No",
    "no",
    "None",
    "none",
    "Back",
    "back",
    "Not yet",
    "I agree",
    "08:00",
    "7:30",
    "19:00",
    "21:00-08:00",
    "off",
    "Europe/London",
    "London",
    "New York",
    "Tokyo",
    "America/Los_Angeles",
    "Mars/Olympus",
    "3 days",
    "2 weeks",
    "knee",
    "knee surgery last month",
    "calf feels tight",
    "Quad sets",
    "3x10",
    "3 x 10",
    "30 s",
    "https://example.com/video",
    "09:00-12:00",
    "09:00-12:00, 14:00-17:00",
    "2026-12-24",
    "tomorrow",
    "+44 7700 900123",
    t("bk_skip_phone"),
    "Hello",
)
NAMES_TYPED = ("Casey Pembrook", "Drew Halloway", CLIENT.name, RILEY_NAME, "Avery Lindqvist")
"""Typed by trainers only (a client's name in /program, a new client's in /invite): clients
and visitors are quoted to their trainer (a note, an intake, a reply), so a name they type is
theirs to write, not a leak."""
COMMAND_NAMES = (*sorted(COMMANDS), "start", "help", "privacy", "cancel", "foo", "CHECKIN")
COMMAND_ARGS = ("", "", "", "3", "²", "consult", "abc", "x" * 300, "1234567890123456789012345")
STATE_VALUES = (
    "london",
    "yes",
    "no",
    "tg",
    "any",
    "0",
    "10",
    "11",
    "²",
    "done",
    "change",
    "keep",
    "add",
    "post_op",
    "c1",
    "c5",
    f"c{2**31}",
    "page:99999",
    "page:²",
    "t:0",
    "t:29000000",
    "p:5",
    "f:chest_pain",
    "f:nope",
    "x" * 55,
)
START_TS = int(START.timestamp())
RAW_PAYLOADS = (
    "",
    "~",
    "~:",
    "~1",
    "~abc:yes",
    f"~{2**31}:yes",
    "~99999999999999999999:yes",
    "ack:",
    "ack:1,,2",
    "ack:C1X",
    "ack:L" + "9" * 25,
    "hist:01",
    "hist:²",
    "hist:٣",
    "msg:-1",
    "bkout:1:",
    "bkout:1:an",
    "bkout:1",
    "clients:10000",
    "progress:30",
    "rem:now:travel",
    "rem:skip:travel",
    "reply:1",
    "reply:2",
    "reply:4",
    "delme:yes:1.0",
    "nothing:at:all",
    "x" * 64,
)
BIG_IDS = (2**31 - 1, 2**31, 2**32 + 1, 2**63 - 1, 10**25)
PREFIXES = (
    *("ack", "ack:L", "hist", "msg", "reply", "clear", "client", "cprog"),
    *("bkmove", "bkcancel", "bknew", "bktcancel", "bkout"),
)


# --- strategies -----------------------------------------------------------------------------------

ids = st.integers(1, 12) | st.integers(13, ID_MAX)  # small ones name real rows


def _field(hint: Any) -> st.SearchStrategy[Any]:
    """Any value the codec lets this field hold (so every forged instance packs)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        [inner] = [a for a in args if a is not type(None)]
        return st.none() | _field(inner)
    if hint is int:
        return ids
    if origin is Annotated and isinstance(args[1], codec.Range):
        return st.integers(args[1].lo, args[1].hi)
    if origin is Annotated and isinstance(args[1], codec.Pattern):
        return st.from_regex(re.compile(args[1].regex, re.ASCII), fullmatch=True)
    if origin is Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(ids, min_size=1, max_size=4).map(tuple)
    raise TypeError(f"no strategy for {hint!r}")


def _packed(cls: type[codec.ButtonData], values: dict[str, Any]) -> str | None:
    try:
        return cls(**values).pack()
    except ValueError:  # a rule across fields, a trailing part after a missing one, too long
        return None


def _forged_with(cls: type[codec.ButtonData]) -> st.SearchStrategy[str | None]:
    hints = get_type_hints(cls, include_extras=True)
    parts = {f.name: _field(hints[f.name]) for f in fields(cls)}  # type: ignore[arg-type]
    return st.fixed_dictionaries(parts).map(lambda values: _packed(cls, values))


forged_by_codec = (
    st.sampled_from(codec.registered()).flatmap(_forged_with).filter(lambda p: p is not None)
)
forged_raw = (
    st.sampled_from(RAW_PAYLOADS)
    | st.builds(
        lambda p, n: f"{p}:{n}".replace("::", ":"),
        st.sampled_from(PREFIXES),
        st.sampled_from(BIG_IDS),
    )
    | st.builds(lambda n: f"delme:yes:{n}.{START_TS}", st.integers(1, 10))
    | st.text(max_size=70)
)
commands = st.builds(
    lambda name, args, at: f"/{name}{at} {args}".rstrip(),
    st.sampled_from(COMMAND_NAMES),
    st.sampled_from(COMMAND_ARGS),
    st.sampled_from(("", "", "", "@testbot", "@TestBot", "@otherbot")),
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight (one_of would merge repeats)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


picks = weighted((3, st.integers(0, 30)), (1, st.integers(-2, -1)))
"""Which button (modulo their number): the last ones (Done, None of these, Skip) a quarter
of the time, so multi-select screens get finished now and then."""
newest = st.builds(Press, st.just("newest"), picks)
PHONES = ("+447700900123", "447700900123", "", "²²²", "9" * 40)


def actions_of(role: Role) -> tuple[st.SearchStrategy[Action], st.SearchStrategy[Action]]:
    """Anything at all, and mostly what the conversation asks for (so flows get to their end,
    and their alerts), by someone starting in `role`."""
    valid = (*VALID_TEXTS, *NAMES_TYPED) if role == Role.TRAINER else VALID_TEXTS
    typed = st.sampled_from(valid) | st.sampled_from(ODD_TEXTS) | st.text(max_size=40)
    answers = st.builds(Answer, picks, st.sampled_from(valid))
    anything: st.SearchStrategy[Action] = weighted(
        (4, answers),
        (3, newest),
        (3, st.builds(Say, typed)),
        (2, st.builds(Cmd, commands)),
        (2, st.builds(Press, st.sampled_from(("older", "outbox")), picks)),
        (2, st.builds(Forge, forged_by_codec | forged_raw)),
        (1, st.builds(ForgeState, st.sampled_from((0, 0, -1, 1)), st.sampled_from(STATE_VALUES))),
        (1, st.builds(StartCode, picks)),
        (1, st.builds(Share, st.integers(0, len(PEOPLE) - 1), st.sampled_from(PHONES))),
        (1, st.builds(Sticker)),
    )
    return anything, weighted((9, answers), (1, anything))


ROLE_COMMANDS = {
    Role.ADMIN: ("alerts", "clients", "program", "bookings", "invite", "settings", "help"),
    Role.TRAINER: ("alerts", "clients", "program", "availability", "bookings", "invite"),
    Role.CLIENT: ("checkin", "checkin", "checkin", "progress", "pause", "resume", "settings"),
    Role.PROSPECT: ("start", "book", "book", "mybooking"),
}
ROLES = (*(Role.ADMIN, Role.TRAINER, Role.CLIENT, Role.TRAINER, Role.CLIENT), *[Role.PROSPECT] * 2)
"""The role each of PEOPLE starts in (visitors may join with an invite code instead)."""
ROLE_ACTIONS = {role: actions_of(role) for role in ROLE_COMMANDS}
minutes = st.sampled_from((0, 0, 0, 0, 5, 20, 61, 4 * 60, 11 * 60, 24 * 60, 3 * 24 * 60))


@st.composite
def burst(draw: st.DrawFn) -> Burst:
    """A person does a few things in a row: on track (their own command, then mostly what is
    asked) or anything at all."""
    who = draw(st.integers(0, len(PEOPLE) - 1))
    role = ROLES[who]
    anything, on_track = ROLE_ACTIONS[role]
    if draw(st.booleans()):
        opening: st.SearchStrategy[Action] = st.builds(
            lambda name: Cmd(f"/{name}"), st.sampled_from(ROLE_COMMANDS[role])
        )
        if role == Role.PROSPECT:
            opening = opening | st.builds(StartCode, picks)
        length = draw(st.integers(1, 24))
        actions = (draw(opening), *draw(st.lists(on_track, min_size=length, max_size=length)))
    else:
        actions = tuple(draw(st.lists(anything, min_size=1, max_size=12)))
    return Burst(who, actions, draw(minutes))


def scripts() -> st.SearchStrategy[list[Burst]]:
    """Bursts of about STEPS actions in all (a list, so shrinking can drop whole bursts)."""
    return st.lists(burst(), min_size=max(1, STEPS // 12), max_size=max(2, STEPS // 4))


# --- one fresh database per example ---------------------------------------------------------------


async def seed(sessions: SessionFactory) -> None:
    """The demo centre, plus Morgan (a second trainer, taking consults) and his client Riley."""
    await seed_demo_centre(sessions, ZONE, START)
    async with sessions() as session:
        morgan = Person(
            telegram_user_id=MORGAN.user_id,
            chat_id=MORGAN.user_id,
            role=Role.TRAINER,
            name=MORGAN.first_name,
            timezone="America/New_York",
            quiet_start=QUIET_OFF[0],
            quiet_end=QUIET_OFF[1],
            created_at=START,
        )
        riley = Person(
            telegram_user_id=RILEY.user_id,
            chat_id=RILEY.user_id,
            role=Role.CLIENT,
            name=RILEY_NAME,
            timezone="America/New_York",
            created_at=START,
        )
        session.add_all([morgan, riley])
        await session.flush()
        assert morgan.id is not None and riley.id is not None
        session.add(
            ClientProfile(
                person_id=riley.id,
                trainer_id=morgan.id,
                condition="ankle sprain",
                post_op=False,
                clearance=Clearance.CLEARED,
                consent_at=START,
                checkin_time="18:00",
                onboarded_at=START,
            )
        )
        session.add(ConsultSettings(trainer_id=morgan.id))
        for weekday in range(6):
            session.add(
                Availability(trainer_id=morgan.id, weekday=weekday, start="10:00", end="13:00")
            )
        await seed_demo_program(Store(session), riley.id, morgan.id, START)
        await session.commit()


async def build(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate(engine)
        await seed(session_factory(engine))
    finally:
        await engine.dispose()


@dataclass
class Databases:
    """Hands out a fresh copy of the seeded database for each example."""

    fresh: Callable[[], Any]  # an async context manager yielding a database URL


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        template = tmp_path_factory.mktemp("router-properties") / "template.sqlite3"
        asyncio.run(build(f"sqlite+aiosqlite:///{template}"))
        assert not Path(f"{template}-wal").exists()  # all of it is in the one file

        @asynccontextmanager
        async def sqlite_copy() -> AsyncIterator[str]:
            folder = tempfile.mkdtemp(prefix="mendbot-property-")
            try:
                copy = Path(folder) / "mendbot.sqlite3"
                shutil.copyfile(template, copy)
                yield f"sqlite+aiosqlite:///{copy}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        yield Databases(sqlite_copy)
        return

    template_name = f"mendbot_prop_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_create(admin_url, template_name, None))
    asyncio.run(build(_pg_url(admin_url, template_name)))

    @asynccontextmanager
    async def pg_copy() -> AsyncIterator[str]:
        name = f"{template_name}_{uuid.uuid4().hex[:8]}"
        await _pg_create(admin_url, name, template_name)
        try:
            yield _pg_url(admin_url, name)
        finally:
            await _pg_drop(admin_url, name)

    try:
        yield Databases(pg_copy)
    finally:
        asyncio.run(_pg_drop(admin_url, template_name))


def _pg_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _pg_create(admin_url: str, name: str, template: str | None) -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            like = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(text(f'CREATE DATABASE "{name}"{like}'))
    finally:
        await admin.dispose()


async def _pg_drop(admin_url: str, name: str) -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        await _drop_database(admin, name)
    finally:
        await admin.dispose()


# --- driving the router ---------------------------------------------------------------------------


class Errors(logging.Handler):
    """Every record at ERROR or above, from any logger, while an example runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Message:
    """A message in someone's chat as it shows now (an edit changes it)."""

    text: str
    buttons: list[Button]


@dataclass
class Chat:
    """What one person has been shown."""

    messages: dict[int, Message] = field(default_factory=dict)
    contact: ContactRequest | None = None  # the share-contact keyboard, while it shows
    ever: list[tuple[int, Button]] = field(default_factory=list)  # every button, and where

    def newest(self) -> tuple[int, Message] | None:
        return max(self.messages.items(), default=None, key=lambda item: item[0])

    def with_buttons(self) -> list[tuple[int, Button]]:
        """The buttons of the newest message still showing some."""
        for message_id in sorted(self.messages, reverse=True):
            shown_now = self.messages[message_id].buttons
            if shown_now:
                return [(message_id, b) for b in shown_now]
        return []


ERROR_TEXT = t("error")
CODE = re.compile(r"start=([A-Za-z0-9_-]+)")


def shown(replies: list[Reply]) -> str:
    """Every text these replies show: messages, edits, toasts, captions."""
    texts = [
        r.text if isinstance(r, Send | Edit | Toast) else r.caption
        for r in replies
        if not isinstance(r, Menu)
    ]
    return "\n".join(texts)


def callback_buttons(keyboard_: tuple[tuple[Button, ...], ...]) -> list[Button]:
    return [b for row in keyboard_ for b in row if b.data is not None]


class World:
    """One example: the router on a fresh database, the people, a clock and what they saw."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.clock = FakeClock(START)
        self.router: Router = make_router(sessions, self.clock)
        self.stores = store_factory(sessions)
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.chats = [Chat() for _ in PEOPLE]
        self.codes: list[str] = []
        self.outbox_checked = 0  # outbox ids up to this one were checked for names
        self.typed: dict[int, str] = {}  # what each user typed so far (their own words)

    async def act(self, who: int, action: Action) -> tuple[Event | None, list[Reply]]:
        """The event this action makes (None: nothing reaches the router) and its replies."""
        event = await self.event(who, action)
        if event is None:
            return None, []
        replies = await self.router.handle(event)
        assert replies is not None  # only an update the router stored itself can wait its turn
        self.remember(who, replies)
        return event, replies

    async def event(self, who: int, action: Action) -> Event | None:
        person, chat = PEOPLE[who], self.chats[who]
        base = Event(
            update_id=next(self.update_ids),
            user_id=person.user_id,
            chat_id=person.user_id,
            kind=EventKind.OTHER,
            first_name=person.first_name,
        )
        if isinstance(action, Answer):
            return await self.answer(base, who, action)
        if isinstance(action, Say) and action.text.startswith("/"):
            return command_event(base, action.text, BOT.username)  # as the runtimes do
        if isinstance(action, Say):
            return _with(base, kind=EventKind.TEXT, text=action.text)
        if isinstance(action, Cmd):
            return command_event(base, action.text, BOT.username)
        if isinstance(action, StartCode):
            code = self.codes[action.pick % len(self.codes)] if self.codes else "n0tAC0de123"
            return command_event(base, f"/start {code}", BOT.username)
        if isinstance(action, Share):
            return self.share(base, action.whose, action.phone)
        if isinstance(action, Sticker):
            return base
        if isinstance(action, Press):
            found = await self.pressable(who, action.source)
            if not found:
                return None
            message_id, pressed = found[action.pick % len(found)]
            message = chat.messages.get(message_id)
            text_ = message.text if message else "question"
            return self.press(base, pressed.data or "", message_id, text_, pressed.text)
        if isinstance(action, ForgeState):
            version = await self.version(person.user_id) + action.delta
            payload = f"~{version}:{action.value}"
            return self.press(base, payload, next(self.message_ids), "question", action.value)
        return self.press(base, action.payload, next(self.message_ids), "question", "?")

    async def answer(self, base: Event, who: int, action: Answer) -> Event | None:
        """Carry on: the newest question's answer, or, with none open, something of one's own
        menu (not /deleteme: that is left to chance)."""
        chat = self.chats[who]
        newest = chat.newest()
        if newest is not None and newest[1].buttons:
            message_id, message = newest
            pressed = message.buttons[action.pick % len(message.buttons)]
            return self.press(base, pressed.data or "", message_id, message.text, pressed.text)
        if chat.contact is not None:
            options = chat.contact.options
            n = action.pick % (len(options) + 1)
            if n < len(options):
                return _with(base, kind=EventKind.TEXT, text=options[n])
            return self.share(base, who, "+447700900123")
        async with self.sessions() as session:
            convo = await session.get(Conversation, base.chat_id)
            found = await session.exec(
                select(Person).where(Person.telegram_user_id == base.user_id)
            )
            person = found.first()
        if convo is not None and convo.flow is not None:
            return _with(base, kind=EventKind.TEXT, text=action.text)
        menu = [name for name, _ in commands_for(person.role if person else VISITOR)]
        menu = [name for name in menu if name not in ("deleteme", "cancel")]
        return command_event(base, f"/{menu[action.pick % len(menu)]}", BOT.username)

    def share(self, base: Event, whose: int, phone: str) -> Event:
        owner = PEOPLE[whose].user_id
        return _with(base, kind=EventKind.CONTACT, phone=phone, contact_user_id=owner)

    def press(self, base: Event, payload: str, message_id: int, message: str, label: str) -> Event:
        return _with(
            base,
            kind=EventKind.BUTTON,
            payload=payload,
            callback_id=f"cb{base.update_id}",
            message_id=message_id,
            message_text=message,
            button_text=label,
        )

    async def pressable(self, who: int, source: str) -> list[tuple[int, Button]]:
        chat = self.chats[who]
        if source == "newest":
            return chat.with_buttons()
        if source == "older":
            return chat.ever
        async with self.sessions() as session:
            query = select(Outbox).where(Outbox.chat_id == PEOPLE[who].user_id)
            rows = (await session.exec(query.order_by(Outbox.id))).all()  # type: ignore[arg-type]
        return [
            (next(self.message_ids), Button(b["text"], data=b["data"]))
            for row in rows
            for line in row.buttons
            for b in line
            if b.get("data")
        ]

    async def version(self, user_id: int) -> int:
        async with self.sessions() as session:
            convo = await session.get(Conversation, user_id)
        return convo.version if convo else 0

    def remember(self, who: int, replies: list[Reply]) -> None:
        """The chat as Telegram would show it after these replies."""
        chat = self.chats[who]
        for reply in replies:
            if isinstance(reply, Send):
                message_id = next(self.message_ids)
                chat.messages[message_id] = Message(reply.text, callback_buttons(reply.buttons))
                if reply.contact is not None or reply.remove_keyboard:
                    chat.contact = reply.contact
                chat.ever += [(message_id, b) for b in chat.messages[message_id].buttons]
            elif isinstance(reply, Edit) and reply.message_id in chat.messages:
                edited = Message(reply.text, callback_buttons(reply.buttons))
                chat.messages[reply.message_id] = edited
                chat.ever += [(reply.message_id, b) for b in edited.buttons]
        for code in CODE.findall(shown(replies)):
            if code not in self.codes:
                self.codes.append(code)

    async def later(self, minutes: int) -> None:
        """Time passes and the scheduler's ticks run, as `mendbot run` would."""
        self.clock.advance(timedelta(minutes=minutes))
        now = self.clock.now()
        await add_schedules_tick(self.stores, now, RULES)
        await plan_due_tick(self.stores, now, RULES)
        await plan_nudges_tick(self.stores, now, RULES)
        await plan_digests_tick(self.stores, now, RULES, BOT.digest_time)
        await escalate_tick(self.stores, now, timedelta(minutes=15), timedelta(hours=4))
        await plan_booking_reminders_tick(self.stores, now, ZONE)


def _with(base: Event, **changes: Any) -> Event:
    values = {f.name: getattr(base, f.name) for f in fields(Event)}
    return Event(**{**values, **changes})


# --- the invariants -------------------------------------------------------------------------------


@dataclass
class Rows:
    """What the invariants read, as plain rows (only the columns they need: this runs after
    every step)."""

    people: dict[int, Any]
    profiles: dict[int, Any]
    checkins: list[Any]
    alerts: list[Any]
    alert_messages: list[Any]
    new_messages: list[Any]  # outbox rows not checked for names yet
    bookings: list[Any]
    invites: list[Any]

    def person_by_user(self, user_id: int) -> Any:
        return next((p for p in self.people.values() if p.telegram_user_id == user_id), None)


async def read_rows(sessions: SessionFactory, outbox_after: int) -> Rows:
    async with sessions() as session:

        async def every(*columns: Any, where: Any = None) -> list[Any]:
            query = select(*columns)
            return list((await session.exec(query if where is None else query.where(where))).all())

        people = await every(
            Person.id, Person.telegram_user_id, Person.role, Person.name, Person.timezone
        )
        profiles = await every(ClientProfile.person_id, ClientProfile.trainer_id)
        return Rows(
            people={p.id: p for p in people},
            profiles={p.person_id: p for p in profiles},
            checkins=await every(Checkin.id, Checkin.client_id, Checkin.local_date),
            alerts=await every(
                Alert.id,
                Alert.client_id,
                Alert.trainer_id,
                Alert.checkin_id,
                Alert.rule,
                Alert.severity,
                Alert.status,
                Alert.times_raised,
            ),
            alert_messages=await every(
                Outbox.kind,
                Outbox.person_id,
                Outbox.dedupe_key,
                where=col(Outbox.kind).in_(("alert_emergency", "alert_urgent")),
            ),
            new_messages=await every(
                Outbox.id,
                Outbox.person_id,
                Outbox.kind,
                Outbox.text,
                where=col(Outbox.id) > outbox_after,
            ),
            bookings=await every(Booking.prospect_id, Booking.trainer_id),
            invites=await every(Invite.name, Invite.role, Invite.trainer_id),
        )


def check_checkins(rows: Rows, today_of: Callable[[Any], date]) -> None:
    """At most one check-in per client and local date, none dated after the client's today."""
    days: dict[tuple[int, date], int] = {}
    for checkin in rows.checkins:
        key = (checkin.client_id, checkin.local_date)
        days[key] = days.get(key, 0) + 1
        client = rows.people[checkin.client_id]
        assert checkin.local_date <= today_of(client), f"check-in {checkin.id} dated ahead"
    doubled = {key: n for key, n in days.items() if n > 1}
    assert not doubled, f"more than one check-in a day: {doubled}"


def check_alerts(rows: Rows) -> None:
    """One open alert per client and rule; its check-in is the client's; every emergency and
    urgent alert has its message to the trainer queued."""
    checkins = {c.id: c for c in rows.checkins}
    open_rules: dict[tuple[int, str], int] = {}
    for alert in rows.alerts:
        if alert.checkin_id is not None:
            checkin = checkins.get(alert.checkin_id)
            assert checkin is not None and checkin.client_id == alert.client_id, alert.id
        if alert.status == AlertStatus.OPEN:
            key = (alert.client_id, alert.rule)
            open_rules[key] = open_rules.get(key, 0) + 1
        if alert.severity in ("emergency", "urgent"):
            assert _sent(rows, alert), (
                f"alert {alert.id} ({alert.rule}, {alert.severity}, raised "
                f"{alert.times_raised}x) has no outbox message"
            )
    doubled = {key: n for key, n in open_rules.items() if n > 1}
    assert not doubled, f"more than one open alert per client and rule: {doubled}"


def _sent(rows: Rows, alert: Any) -> bool:
    """Its message is queued: kind alert_<severity>, to its trainer, and its dedupe key
    ("alert:<id>x<times raised>.<id>x<times raised>...", flows/checkin/alert.py) names it as
    raised."""
    raised = f"{alert.id}x{alert.times_raised}"
    return any(
        row.kind == f"alert_{alert.severity}"
        and row.person_id == alert.trainer_id
        and (row.dedupe_key or "").startswith("alert:")
        and raised in row.dedupe_key.removeprefix("alert:").split(".")
        for row in rows.alert_messages
    )


def owners(rows: Rows) -> dict[str, set[int]]:
    """Each distinctive name in use: the staff whose client, consult visitor (a booking, an
    intake alert) or client invite it is."""
    found: dict[str, set[int]] = {}
    for person in rows.people.values():
        if person.name not in DISTINCTIVE or person.role not in (Role.CLIENT, Role.PROSPECT):
            continue
        mine = found.setdefault(person.name, set())
        profile = rows.profiles.get(person.id)
        if profile is not None:
            mine.add(profile.trainer_id)
        mine.update(b.trainer_id for b in rows.bookings if b.prospect_id == person.id)
        mine.update(a.trainer_id for a in rows.alerts if a.client_id == person.id)
    for invite in rows.invites:
        if invite.role == Role.CLIENT and invite.name in DISTINCTIVE:
            found.setdefault(invite.name, set()).add(invite.trainer_id)
    return found


def foreign_names(rows: Rows, trainer: Any, written: str, own: str = "") -> list[str]:
    """Names in `written` of someone who is another trainer's and not this one's (a name the
    trainer typed themselves, an exercise called "Riley Thornbeck", is their own words)."""
    return [
        name
        for name, staff in owners(rows).items()
        if staff and trainer.id not in staff and name in written and name not in own
    ]


def check_isolation(
    rows: Rows, actor: Any, replies: list[Reply], typed: dict[int, str] | None = None
) -> None:
    """No reply to a trainer, nor any message queued for one, names another's client."""
    typed = typed or {}
    if actor is not None and actor.role == Role.TRAINER:
        own = typed.get(actor.telegram_user_id, "")
        leaked = foreign_names(rows, actor, shown(replies), own)
        assert not leaked, f"a reply to trainer {actor.name} names {leaked}"
    for row in rows.new_messages:
        staff = rows.people.get(row.person_id)
        if staff is not None and staff.role == Role.TRAINER:
            own = typed.get(staff.telegram_user_id, "")
            leaked = foreign_names(rows, staff, row.text, own)
            assert not leaked, f"outbox {row.kind} to trainer {staff.name} names {leaked}"


async def check(world: World, event: Event | None, replies: list[Reply], errors: Errors) -> None:
    logged = [f"{r.name}: {r.getMessage()[:300]}" for r in errors.records]
    assert not logged, f"logged at ERROR: {logged}"
    if event is not None:
        assert replies, "no answer at all"
        assert ERROR_TEXT not in shown(replies), "the generic error"
    rows = await read_rows(world.sessions, world.outbox_checked)

    def today_of(person: Any) -> date:
        return local_date(world.clock.now(), zone_of(person, ZONE))

    check_checkins(rows, today_of)
    check_alerts(rows)
    actor = rows.person_by_user(event.user_id) if event is not None else None
    if event is not None and event.text:
        world.typed[event.user_id] = world.typed.get(event.user_id, "") + "\n" + event.text
    check_isolation(rows, actor, replies, world.typed)
    world.outbox_checked = max([world.outbox_checked, *(r.id for r in rows.new_messages)])


# --- the test -------------------------------------------------------------------------------------


def _describe(who: int | None, action: object, replies: list[Reply]) -> str:
    name = PEOPLE[who].first_name if who is not None else "clock"
    said = shown(replies).replace("\n", " / ")
    return f"{name}: {action!r} -> {said[:200]!r}"


async def run(script: list[Burst], databases: Databases) -> dict[str, int]:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        async with databases.fresh() as url:
            engine = make_engine(url)
            try:
                world = World(session_factory(engine))
                await play(world, script, errors)
                rows = await read_rows(world.sessions, 0)
                return {
                    "checkins": len(rows.checkins),
                    "alerts": len(rows.alerts),
                    "bookings": len(rows.bookings),
                    "people": len(rows.people),
                }
            finally:
                await engine.dispose()
    finally:
        logging.getLogger().removeHandler(errors)


@dataclass(frozen=True)
class Later:
    minutes: int


async def play(world: World, script: list[Burst], errors: Errors) -> None:
    """Each action, then the checks; a failed check says what the last steps were."""
    steps: list[tuple[int, Action | Later]] = []
    for burst_ in script:
        steps += [(burst_.who, action_) for action_ in burst_.actions]
        if burst_.then_minutes:
            steps.append((burst_.who, Later(burst_.then_minutes)))
    transcript: list[str] = []
    for who, step in steps:
        event: Event | None = None
        replies: list[Reply] = []
        if isinstance(step, Later):
            await world.later(step.minutes)
        else:
            event, replies = await world.act(who, step)
        transcript.append(_describe(None if isinstance(step, Later) else who, step, replies))
        try:
            await check(world, event, replies, errors)
        except AssertionError as failed:
            recent = "\n".join(transcript[-15:])
            raise AssertionError(f"{failed}\nafter step {len(transcript)}:\n{recent}") from None


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(script=scripts())
def test_router_keeps_its_promises_under_random_use(
    script: list[Burst], databases: Databases
) -> None:
    asyncio.run(run(script, databases))


# --- the checks themselves: each fires when its promise is broken ---------------------------------

EMERGENCY = [Burst(2, (Cmd("/checkin"), Answer(-1, ""), Answer(0, "")), 0)]
"""Jordan: /checkin, "Something new or worrying", "chest pain": an emergency at once."""


def test_an_alert_without_its_message_is_caught(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def queue_nothing(*args: object) -> None:
        return None

    monkeypatch.setattr(alert_module, "_send_groups", queue_nothing)
    with pytest.raises(AssertionError, match=r"alert 1 \(E1, emergency, raised 1x\) has no"):
        asyncio.run(run(EMERGENCY, databases))


def test_a_check_in_dated_ahead_is_caught(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tomorrow(ctx: Context, person: Person | None) -> date:
        return local_date(ctx.now, ctx.zone(person)) + timedelta(days=1)

    monkeypatch.setattr(Context, "today", tomorrow)
    with pytest.raises(AssertionError, match="check-in 1 dated ahead"):
        asyncio.run(run(EMERGENCY, databases))


def test_another_trainers_client_named_to_a_trainer_is_caught(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_client = clients_module.clients_of
    monkeypatch.setattr(clients_module, "clients_of", lambda store, _: every_client(store, None))
    with pytest.raises(AssertionError, match=r"a reply to trainer Sam names \['Riley Thornbeck'\]"):
        asyncio.run(run([Burst(1, (Cmd("/clients"),), 0)], databases))


def test_a_failing_update_is_caught(databases: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    async def explode(ctx: Context) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(
        COMMANDS, "progress", Command("progress", explode, {Role.CLIENT: "cmd_progress"})
    )
    with pytest.raises(AssertionError, match=r"logged at ERROR: .*update 1 failed"):
        asyncio.run(run([Burst(2, (Cmd("/progress"),), 0)], databases))
