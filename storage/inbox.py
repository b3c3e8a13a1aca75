"""The inbox: updates stored before Telegram is told they arrived, until they are answered.

A row is written when an update is received (before the polling offset moves on or the webhook
answers 200), gets its replies in the transaction that handles it, and is deleted once they are
sent. Whatever a crash interrupts is still here at the next start. Update ids already waiting
are not stored twice; one handled before (processed_update) is skipped in its turn.

Several processes may store one chat's updates (webhooks behind a load balancer); whoever holds
the chat's turn (storage/db.py `chat_turn`) takes them up oldest first (`next_of_chat`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, update
from sqlmodel import col, select

from storage.models import InboxUpdate
from storage.plain import Driver, Plain
from storage.repo import Core, Store, claim, plain_insert_new

# Built once: they run for every update, and building a statement costs more CPU than running it.
_UPDATE_ID = col(InboxUpdate.update_id)
_WAITING = Plain(select(_UPDATE_ID).where(col(InboxUpdate.update_id) == bindparam("id")))
_REPLIES = Plain(
    update(InboxUpdate)
    .where(col(InboxUpdate.update_id) == bindparam("id"))
    .values(replies=bindparam("new_replies"), handled_at=bindparam("now"))
)
_ANSWERED = Plain(delete(InboxUpdate).where(col(InboxUpdate.update_id) == bindparam("id")))
_NEXT = (
    select(
        col(InboxUpdate.update_id),
        col(InboxUpdate.event),
        col(InboxUpdate.replies),
        col(InboxUpdate.attempts),
    )
    .where(
        col(InboxUpdate.chat_id) == bindparam("chat"),
        col(InboxUpdate.update_id) <= bindparam("up_to"),
    )
    .order_by(col(InboxUpdate.update_id))
    .limit(1)
)
_OLDER = (
    select(col(InboxUpdate.update_id))
    .where(
        col(InboxUpdate.chat_id) == bindparam("chat"), col(InboxUpdate.update_id) < bindparam("id")
    )
    .limit(1)
)
_REPLIES_OF = select(col(InboxUpdate.replies)).where(col(InboxUpdate.update_id) == bindparam("id"))
_ATTEMPT = (
    update(InboxUpdate)
    .where(col(InboxUpdate.update_id) == bindparam("id"))
    .values(attempts=InboxUpdate.attempts + 1)
)


class Received(NamedTuple):
    """What `store_received` did with a batch of updates (sets of update ids)."""

    due: set[int]  # still to be answered: stored now, or waiting from before
    stored: set[int]  # stored just now


def store_received(driver: Driver, rows: Sequence[dict[str, Any]], now: datetime) -> Received:
    """Store new updates ({update_id, chat_id, event}). `due` has the new ones and those
    already waiting (Telegram sends an update again when the process that stored it died before
    answering 200, and then nobody else may know of it).

    A new row counts as taken up once (attempts 1): the process that stores it takes it up next
    without writing again (flows/router.py), so a crash before that counts as an attempt too.
    A row another process stores at the same moment is skipped by the database (ON CONFLICT DO
    NOTHING) rather than failing the batch; only a redelivery reads what is already waiting.
    An update handled and answered before is stored again and skipped in its turn (its claim
    finds it), rather than looked for here in every batch.
    """
    if not rows:
        return Received(set(), set())
    values = [
        {**row, "received_at": now, "attempts": 1}
        for row in {r["update_id"]: r for r in rows}.values()
    ]
    stored: set[int] = set()
    for value in values:
        inserted = plain_insert_new(driver, InboxUpdate, value, _UPDATE_ID)
        stored.update(update_id for (update_id,) in inserted.rows)
    known = [row["update_id"] for row in values if row["update_id"] not in stored]
    waiting = {update_id for update_id in known if _WAITING.run(driver, {"id": update_id}).rows}
    return Received(stored | waiting, stored)


def record_replies(
    driver: Driver, update_id: int, replies: list[dict[str, Any]], now: datetime
) -> None:
    """The update's answer, in the transaction of its effects (an update handled without an
    inbox row, as in unit tests, just has nothing to record)."""
    _REPLIES.run(driver, {"id": update_id, "new_replies": replies, "now": now})


def settle(driver: Driver, update_id: int, replies: list[dict[str, Any]], now: datetime) -> None:
    """The update counts as handled (its id is claimed, if nobody claimed it before) with
    these replies: the apology of one that failed."""
    claim(driver, update_id, now)
    record_replies(driver, update_id, replies, now)


def answered(driver: Driver, update_ids: Sequence[int]) -> None:
    """Their replies went out: nothing of these updates is kept (processed_update keeps the
    ids)."""
    for update_id in update_ids:
        _ANSWERED.run(driver, {"id": update_id})


async def waiting(store: Store) -> list[InboxUpdate]:
    """Everything received and not yet answered, oldest first: what a start picks up."""
    query = select(InboxUpdate).order_by(col(InboxUpdate.update_id))
    return list((await store.session.exec(query)).all())


class Due(NamedTuple):
    """An update waiting in a chat: its Event and replies as stored (flows/engine/wire.py)."""

    update_id: int
    event: dict[str, Any]
    replies: list[dict[str, Any]] | None
    attempts: int


async def next_of_chat(store: Core, chat_id: int, up_to: int) -> Due | None:
    """The chat's oldest update not yet answered, if its id is at most `up_to` (called while
    holding the chat's turn)."""
    row = (await store.core(_NEXT, {"chat": chat_id, "up_to": up_to})).first()
    return None if row is None else Due._make(row)


async def older_waiting(store: Core, chat_id: int, update_id: int) -> bool:
    """Whether an update of the chat older than `update_id` is still waiting (called while
    holding the chat's turn: one another process stored and could not finish, or one of this
    process whose turn failed)."""
    return (await store.core(_OLDER, {"chat": chat_id, "id": update_id})).first() is not None


async def replies_of(store: Core, update_id: int) -> list[dict[str, Any]] | None:
    """The replies stored for a waiting update (None: not handled, or not waiting)."""
    found = await store.core(_REPLIES_OF, {"id": update_id})
    return found.scalar()


async def count_attempt(store: Core, update_id: int) -> None:
    """It is being taken up to be handled again, or by a process that did not store it: one
    more attempt (committed before handling, so a crash while handling it counts)."""
    await store.core(_ATTEMPT, {"id": update_id})


async def forget_chat(store: Store, chat_id: int, keep: int | None = None) -> None:
    """Drop a chat's waiting updates (the person deleted their data), except `keep` (the update
    doing the deletion, whose answer is still to be sent)."""
    query = delete(InboxUpdate).where(col(InboxUpdate.chat_id) == chat_id)
    if keep is not None:
        query = query.where(col(InboxUpdate.update_id) != keep)
    await store.session.exec(query)
