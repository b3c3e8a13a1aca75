"""Queries and writes, one method per question a flow asks.

A Store wraps one session: everything one update changes, its update id included, commits together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple, TypeVar

from sqlalchemy import CursorResult, Executable, bindparam, delete, exists, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionFactory, scrub
from storage.messages import caption_parts, parts
from storage.models import (
    NORMAL_PRIORITY,
    Centre,
    ClientProfile,
    Conversation,
    InboxUpdate,
    Invite,
    Outbox,
    OutboxSubject,
    Person,
    ProcessedUpdate,
    Role,
)
from storage.plain import Driver, Plain, Ran, detached, load, loaded, read

Rows = dict[str, Any] | list[dict[str, Any]]
"""A statement's parameters: one row, or many (executemany)."""
T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)


Saved = tuple[Any, ...] | None
"""A conversation's row as read (its columns in table order); None: it has no row yet."""


class Chat(NamedTuple):
    """What every update reads first: its chat's conversation and person, and the
    conversation's row as read (`_save_chat` writes it if it changed)."""

    convo: Conversation
    person: Person | None
    saved: Saved


class Attachment(NamedTuple):
    """A file an outbox row carries (Outbox.file_kind, file_name, file_content)."""

    kind: Literal["photo", "document"]
    name: str
    content: bytes


class Core:
    """Core statements (no ORM) in the store's transaction: rows that are never objects in a
    session. (The few every update runs go on the driver's cursor: storage/plain.py.)"""

    def __init__(self, connection: AsyncConnection | None = None) -> None:
        self._connection = connection  # the transaction's, once asked for

    async def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("no connection")
        return self._connection

    async def core(self, statement: Executable, rows: Rows | None = None) -> CursorResult[Any]:
        """A Core statement in the transaction, without the ORM (rows that are never objects
        in a session, and statements that run for every update)."""
        connection = await self.connection()
        return await connection.run_sync(_execute, statement, rows)

    async def insert_new(
        self, model: type[SQLModel], rows: Rows, returning: Any = None
    ) -> CursorResult[Any]:
        """INSERT ... ON CONFLICT DO NOTHING on SQLite or PostgreSQL: a row whose key is taken
        (by another process at the same moment, too) is skipped by the database, not an error.
        One row (a dict) or many (a list); `returning`: a column of the rows inserted."""
        connection = await self.connection()
        return await connection.run_sync(insert_new, model, rows, returning)


class Store(Core):
    """The repository flows talk to; it never commits on its own."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__()
        self.session = session
        self.erased = False  # someone's data was deleted: scrub its traces once committed
        self._chat: Chat | None = None  # the update's chat, as `chat_of` read it

    def _read(self, convo: Conversation) -> Chat | None:
        """The chat `chat_of` read, if `convo` is its conversation."""
        chat = self._chat
        return chat if chat is not None and chat.convo is convo else None

    async def commit(self) -> None:
        self._connection = None
        await self.session.commit()
        await self._after_commit()

    async def _after_commit(self) -> None:
        if self.erased:
            self.erased = False
            await scrub(self.session)

    async def rollback(self) -> None:
        self._connection = None
        await self.session.rollback()

    async def connection(self) -> AsyncConnection:
        """The session's connection, in its transaction (asked of the session once per
        transaction: every update runs several statements on it)."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    # updates ---------------------------------------------------------------------------------
    async def claim_update(self, update_id: int, now: datetime, chat_id: int | None = None) -> bool:
        """Record the update id; False if it was processed before (a redelivery) or another
        worker records it at the same moment. One statement: the database decides.

        With `chat_id`: also False (nothing recorded) while an older update of the chat waits
        in the inbox, which is to be handled first (flows/router.py `handle`)."""
        return await self.session.run_sync(_claim, update_id, now, chat_id)

    async def claim_chat(
        self, update_id: int, now: datetime, chat_id: int, user_id: int, unchecked: bool
    ) -> tuple[Conversation, Person | None] | None:
        """`claim_update` (with the chat if `unchecked`), then, if claimed, `chat_of`: what
        every update asks first, in one step into the database instead of three. None: not
        claimed."""
        chat = await self.session.run_sync(_claim_chat, update_id, now, chat_id, user_id, unchecked)
        if chat is None:
            return None
        self._chat = chat
        return chat.convo, chat.person

    async def last_update_id(self) -> int:
        """The highest update id processed (0 if none): a new sandbox numbers on from it."""
        found = await self.session.exec(select(func.max(col(ProcessedUpdate.update_id))))
        return int(found.one() or 0)

    async def forget_updates(self, before: datetime) -> int:
        """Drop update ids processed before `before`: Telegram redelivers for at most 24 h, and
        after a week without updates it may restart numbering anywhere, old ids included."""
        result = await self.session.exec(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
        )
        return int(result.rowcount or 0)

    # people ----------------------------------------------------------------------------------
    async def person_by_user(self, user_id: int) -> Person | None:
        result = await self.session.exec(_PERSON_BY_USER, params={"user": user_id})
        return result.first()

    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def add_person(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person

    async def people_with_role(self, role: Role) -> list[Person]:
        result = await self.session.exec(
            select(Person).where(Person.role == role).order_by(col(Person.id))
        )
        return list(result.all())

    async def profile(self, person_id: int) -> ClientProfile | None:
        return await self.load_first(ClientProfile, _PROFILE, {"id": person_id})

    async def load(self, model: type[M], statement: Plain, values: Mapping[str, Any]) -> list[M]:
        """The rows of a `select(model)` built once, as the session's own query would give
        them, run on the driver's cursor (storage/plain.py): the reads of every check-in."""
        return await self.session.run_sync(load, model, statement, values)

    async def load_first(
        self, model: type[M], statement: Plain, values: Mapping[str, Any]
    ) -> M | None:
        """`load`'s first row, or None."""
        found = await self.load(model, statement, values)
        return found[0] if found else None

    async def read(self, statement: Plain, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """A SELECT of columns built once, on the driver's cursor, in this transaction."""
        return await self.session.run_sync(read, statement, values)

    async def add(self, row: Any) -> None:
        self.session.add(row)
        await self.session.flush()

    # centre ----------------------------------------------------------------------------------
    async def centre(self, now: datetime) -> Centre:
        centre = await self.session.get(Centre, 1)
        if centre is None:
            centre = Centre(id=1, created_at=now)
            await self.add(centre)
        return centre

    # invites ---------------------------------------------------------------------------------
    async def invite(self, code: str) -> Invite | None:
        return await self.session.get(Invite, code)

    async def invite_used_by(self, user_id: int) -> Invite | None:
        """The invite this Telegram user joined with (the latest, if several)."""
        result = await self.session.exec(
            select(Invite)
            .where(Invite.used_by_user_id == user_id)
            .order_by(col(Invite.used_at).desc())
        )
        return result.first()

    # conversation ----------------------------------------------------------------------------
    async def conversation(self, chat_id: int, user_id: int, now: datetime) -> Conversation:
        """The chat's state, locked until commit on PostgreSQL (FOR UPDATE), so two processes
        handling one chat's updates take turns instead of overwriting each other."""
        return await self.session.run_sync(_conversation, chat_id, user_id, now)

    async def save_chat(self, convo: Conversation) -> None:
        """The conversation's changes (every update makes some) as one plain UPDATE instead of
        the session's flush, whose bookkeeping costs more than the statement (`_save_chat`)."""
        read = self._read(convo)
        await self.session.run_sync(lambda s: _save_chat(s, Driver.of(s.connection()), convo, read))

    async def chat_of(
        self, chat_id: int, user_id: int, now: datetime
    ) -> tuple[Conversation, Person | None]:
        """`conversation` and `person_by_user` at once: one statement for every update (the
        person rides along on the conversation's row; only a first message asks twice)."""
        self._chat = await self.session.run_sync(
            lambda s: _chat_of(s, Driver.of(s.connection()), chat_id, user_id, now)
        )
        return self._chat.convo, self._chat.person

    async def finish(self, convo: Conversation, last: Callable[[Driver], object]) -> None:
        """The end of every update in one step into the database: `save_chat`, `last` (plain
        statements on the transaction's driver connection), then `commit`."""
        self._connection = None
        await self.session.run_sync(_finish, convo, self._read(convo), last)
        await self._after_commit()

    # outbox ----------------------------------------------------------------------------------
    async def enqueue(
        self,
        *,
        chat_id: int,
        text: str,
        kind: str,
        now: datetime,
        buttons: list[list[dict[str, str]]] | None = None,
        priority: int = NORMAL_PRIORITY,
        person_id: int | None = None,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        about: Sequence[int | None] = (),
        erase_after_send: bool = False,
        attachment: Attachment | None = None,
    ) -> Outbox | None:
        """Queue a proactive message; a repeated dedupe key queues nothing and returns None.

        `about`: the people a message to someone else quotes or names (a client in an alert to
        their trainer), so that deleting one of them deletes it. `erase_after_send`: a notice
        about someone already gone (they left): delivered, then deleted. `attachment`: a photo
        or document sent with `text` as its caption.

        A text longer than Telegram takes goes as several messages, one row each, in order
        (storage/messages.py): the buttons under the last, the file with the first; the first
        row is returned and holds the key (the others: the key and ":part<n>")."""
        if dedupe_key is not None:
            existing = await self.session.exec(
                select(Outbox).where(Outbox.dedupe_key == dedupe_key)
            )
            if existing.first() is not None:
                return None
        if attachment is not None:
            first, rest = caption_parts(text)
            texts = [first, *rest]
        else:
            texts = parts(text)
        subjects = {p for p in about if p is not None and p != person_id}
        rows: list[Outbox] = []
        for n, part in enumerate(texts, start=1):
            last = n == len(texts)
            row = Outbox(
                chat_id=chat_id,
                text=part,
                kind=kind,
                buttons=(buttons or []) if last else [],
                priority=priority,
                person_id=person_id,
                dedupe_key=dedupe_key if n == 1 or dedupe_key is None else f"{dedupe_key}:part{n}",
                not_before=not_before or now,
                created_at=now,
                erase_after_send=erase_after_send,
            )
            if attachment is not None and n == 1:
                row.file_kind, row.file_name, row.file_content = attachment
            if rows:
                row.first_part_id = rows[0].id
            await self.add(row)
            rows.append(row)
        if subjects:  # a roster names thousands: rows, not objects
            links = [{"outbox_id": rows[0].id, "person_id": subject} for subject in subjects]
            await self.core(insert(OutboxSubject.__table__), links)  # type: ignore[attr-defined]
        return rows[0]


def _execute(connection: Connection, statement: Executable, rows: Rows | None) -> Any:
    return connection.execute(statement, rows)


def claim(driver: Driver, update_id: int, now: datetime, chat_id: int | None = None) -> bool:
    """`Store.claim_update` on a transaction's driver connection (`Stores.write`)."""
    row = {"update_id": update_id, "processed_at": now}
    if chat_id is None:
        return bool(plain_insert_new(driver, ProcessedUpdate, row).rowcount)
    claimed = _claim_unless_behind(driver.dialect.name).run(driver, {**row, "chat_id": chat_id})
    return bool(claimed.rowcount)


# The steps every update takes, each run in one go on the sync session (`AsyncSession.run_sync`),
# their statements on the driver's cursor (storage/plain.py).
def _claim(session: Session, update_id: int, now: datetime, chat_id: int | None) -> bool:
    return claim(Driver.of(session.connection()), update_id, now, chat_id)


def _claim_chat(
    session: Session, update_id: int, now: datetime, chat_id: int, user_id: int, unchecked: bool
) -> Chat | None:
    driver = Driver.of(session.connection())  # asked once: the session looks it up each time
    if not claim(driver, update_id, now, chat_id if unchecked else None):
        return None
    return _chat_of(session, driver, chat_id, user_id, now)


def _chat_of(session: Session, driver: Driver, chat_id: int, user_id: int, now: datetime) -> Chat:
    """The chat's conversation, as an instance no session holds (`_save_chat` writes it), and
    its person, as the session would have loaded them."""
    found = _CHAT_OF.run(driver, {"chat": chat_id, "user": user_id})
    if not found.rows:
        convo = Conversation(chat_id=chat_id, user_id=user_id, data={}, updated_at=now)
        people = load(session, Person, _PERSON_OF_USER, {"user": user_id})
        return Chat(convo, people[0] if people else None, None)
    row = found.rows[0]
    saved = row[:_CONVO_WIDTH]
    convo = detached(Conversation, dict(zip(_CONVO_KEYS, saved, strict=True)))
    person_row = row[_CONVO_WIDTH:]
    person = None
    if person_row[_PERSON_ID] is not None:  # the outer join found them
        person = loaded(session, Person, dict(zip(_PERSON_KEYS, person_row, strict=True)))
    return Chat(convo, person, saved)


def _conversation(session: Session, chat_id: int, user_id: int, now: datetime) -> Conversation:
    convo: Conversation | None = session.execute(_CONVERSATION, {"chat": chat_id}).scalar()
    if convo is None:
        convo = Conversation(chat_id=chat_id, user_id=user_id, data={}, updated_at=now)
        session.add(convo)
    return convo


def _save_chat(session: Session, driver: Driver, convo: Conversation, read: Chat | None) -> None:
    """A conversation the session holds (`Store.conversation`, or added to it) is written as
    one plain UPDATE (it then leaves the session), or left to the session when new. The one
    `_chat_of` read (`read`) is written here, inserted if it had no row, updated if it changed
    since: as with the session's JSON columns, only a new value counts as a change, not one
    changed in place."""
    if convo in session:
        if convo in session.new or convo in session.deleted or not session.is_modified(convo):
            return
        _SAVE_CHAT.run(driver, _chat_values(convo))
        session.expunge(convo)
        return
    if read is None:
        raise ValueError("a conversation neither read by this store nor held by its session")
    values = tuple(getattr(convo, key) for key in _CONVO_KEYS)
    if read.saved is None:
        _NEW_CHAT.run(driver, dict(zip(_CONVO_KEYS, values, strict=True)))
    elif values != read.saved:
        _SAVE_CHAT.run(driver, _chat_values(convo))


def _chat_values(convo: Conversation) -> dict[str, Any]:
    return {"key": convo.chat_id, **{f"new_{key}": getattr(convo, key) for key in _CONVO_KEYS}}


def _finish(
    session: Session, convo: Conversation, read: Chat | None, last: Callable[[Driver], object]
) -> None:
    driver = Driver.of(session.connection())
    _save_chat(session, driver, convo, read)
    last(driver)
    session.commit()


def insert_new(
    connection: Connection, model: type[SQLModel], rows: Rows, returning: Any = None
) -> CursorResult[Any]:
    """`Core.insert_new` on a plain connection (`Stores.write`)."""
    return connection.execute(_insert_new(connection.dialect.name, model, returning), rows)


StoreFactory = Callable[[], AbstractAsyncContextManager[Store]]

# Built once, as they run for every update: building a statement costs more than running it.
_PERSON_BY_USER = select(Person).where(Person.telegram_user_id == bindparam("user"))
_PERSON_OF_USER = Plain(_PERSON_BY_USER)
_PROFILE = Plain(select(ClientProfile).where(ClientProfile.person_id == bindparam("id")))
_CONVERSATION = (
    select(Conversation).where(Conversation.chat_id == bindparam("chat")).with_for_update()
)
_SAVE_CHAT = Plain(
    update(Conversation)
    .where(col(Conversation.chat_id) == bindparam("key"))
    .values(
        user_id=bindparam("new_user_id"),
        flow=bindparam("new_flow"),
        step=bindparam("new_step"),
        data=bindparam("new_data"),
        version=bindparam("new_version"),
        offered=bindparam("new_offered"),
        updated_at=bindparam("new_updated_at"),
        locale=bindparam("new_locale"),
    )
)
_NEW_CHAT = Plain(insert(Conversation))
_CONVO_KEYS = tuple(c.key for c in Conversation.__table__.c)  # type: ignore[attr-defined]
_CONVO_WIDTH = len(_CONVO_KEYS)
_PERSON_KEYS = tuple(c.key for c in Person.__table__.c)  # type: ignore[attr-defined]
_PERSON_ID = _PERSON_KEYS.index("id")
_CHAT_OF = Plain(
    select(*Conversation.__table__.c, *Person.__table__.c)  # type: ignore[attr-defined]
    .select_from(Conversation)
    .outerjoin(Person, col(Person.telegram_user_id) == bindparam("user"))
    .where(Conversation.chat_id == bindparam("chat"))
    .with_for_update(of=Conversation)  # PostgreSQL: the conversation's row, not the person's
)


@cache
def _claim_unless_behind(dialect: str) -> Plain:
    """INSERT INTO processed_update SELECT :update_id, :processed_at WHERE NOT EXISTS (an older
    update of :chat_id in the inbox) ON CONFLICT DO NOTHING."""
    columns = ProcessedUpdate.__table__.c  # type: ignore[attr-defined]
    update_id = bindparam("update_id", type_=columns.update_id.type)
    older = select(InboxUpdate.update_id).where(
        InboxUpdate.chat_id == bindparam("chat_id", type_=columns.update_id.type),
        col(InboxUpdate.update_id) < update_id,
    )
    rows = select(update_id, bindparam("processed_at", type_=columns.processed_at.type)).where(
        ~exists(older)
    )
    statement = _INSERTS[dialect](ProcessedUpdate).from_select(["update_id", "processed_at"], rows)
    return Plain(statement.on_conflict_do_nothing())


@cache
def _insert_new(dialect: str, model: type[SQLModel], returning: Any) -> Executable:
    statement = _INSERTS[dialect](model).on_conflict_do_nothing()
    return statement if returning is None else statement.returning(returning)


@cache
def _plain_insert_new(dialect: str, model: type[SQLModel], returning: Any = None) -> Plain:
    """`insert_new`'s statement, for the driver's cursor (one row at a time)."""
    return Plain(_insert_new(dialect, model, returning))


def plain_insert_new(
    driver: Driver, model: type[SQLModel], row: dict[str, Any], returning: Any = None
) -> Ran:
    """`insert_new` of one row on a transaction's driver connection."""
    return _plain_insert_new(driver.dialect.name, model, returning).run(driver, row)


_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class Stores:
    """`async with stores() as store`: a Store on a session of its own, rolled back unless
    committed. `await stores.write(work)`: a bare transaction for plain statements
    (storage/plain.py), committed when `work` returns."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Store]:
        opened = self.sessions()
        session = await opened.__aenter__()
        try:
            yield Store(session)
        finally:
            if session.sync_session.in_transaction():
                await opened.__aexit__(None, None, None)  # ends it, even if cancelled
            else:  # committed (every update): only objects to let go, no database call
                session.sync_session.close()

    @property
    def engine(self) -> AsyncEngine:
        """The engine the sessions are made on."""
        engine: AsyncEngine = self.sessions.kw["bind"]
        return engine

    async def write(self, work: Callable[[Driver], T]) -> T:
        """`work` (plain statements on the driver connection it is given) in a bare
        transaction of its own, committed unless it raises. It runs in one go: for the writes
        every update makes (storing it, forgetting it once answered), stepping in and out of
        the event loop for the connection, the transaction and each statement cost more than
        the statements."""
        return await greenlet_spawn(_in_transaction, self.engine.sync_engine, work)


def _in_transaction(engine: Engine, work: Callable[[Driver], T]) -> T:
    connection = engine.raw_connection()
    try:
        result = work(Driver(connection, engine.dialect))
        connection.commit()
        return result
    finally:
        connection.close()  # back to the pool, which rolls back what was not committed


def store_factory(sessions: SessionFactory) -> Stores:
    return Stores(sessions)
