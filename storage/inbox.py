"""The inbox: updates stored before Telegram is told they arrived, until they are answered.

A row is written when an update is received (before the polling offset moves on or the webhook
answers 200), gets its replies in the transaction that handles it, and is deleted once they are
sent. Whatever a crash interrupts is still here at the next start. Update ids that were handled
before (processed_update) or are already waiting here are not stored twice.

Several processes may store one chat's updates (webhooks behind a load balancer); whoever holds
the chat's turn (storage/db.py `chat_turn`) takes them up oldest first (`next_of_chat`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from storage.models import InboxUpdate, ProcessedUpdate
from storage.repo import Store


async def store_received(store: Store, rows: Sequence[dict[str, Any]], now: datetime) -> set[int]:
    """Store new updates ({update_id, chat_id, event}); returns the ids still to be answered:
    the new ones, and those already waiting (Telegram sends an update again when the process
    that stored it died before answering 200, and then nobody else may know of it).

    An id handled before is skipped; a row another process stores at the same moment is
    skipped by the database (ON CONFLICT DO NOTHING) rather than failing the batch.
    """
    ids = [row["update_id"] for row in rows]
    if not ids:
        return set()
    waiting = set(
        (
            await store.session.exec(
                select(InboxUpdate.update_id).where(col(InboxUpdate.update_id).in_(ids))
            )
        ).all()
    )
    handled = set(
        (
            await store.session.exec(
                select(ProcessedUpdate.update_id).where(col(ProcessedUpdate.update_id).in_(ids))
            )
        ).all()
    )
    seen = waiting | handled
    fresh = {row["update_id"]: row for row in rows if row["update_id"] not in seen}
    if fresh:
        values = [{**row, "received_at": now, "attempts": 0} for row in fresh.values()]
        connection = await store.session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(InboxUpdate).on_conflict_do_nothing()
        await connection.execute(statement, values)
    return set(ids) - handled


async def record_replies(
    store: Store, update_id: int, replies: list[dict[str, Any]], now: datetime
) -> None:
    """The update's answer, in the transaction of its effects (an update handled without an
    inbox row, as in unit tests, just has nothing to record)."""
    await store.session.exec(
        update(InboxUpdate)
        .where(col(InboxUpdate.update_id) == update_id)
        .values(replies=replies, handled_at=now)
    )


async def answered(store: Store, update_id: int) -> None:
    """Its replies went out: nothing of the update is kept (processed_update keeps its id)."""
    await store.session.exec(delete(InboxUpdate).where(col(InboxUpdate.update_id) == update_id))


async def waiting(store: Store) -> list[InboxUpdate]:
    """Everything received and not yet answered, oldest first: what a start picks up."""
    query = select(InboxUpdate).order_by(col(InboxUpdate.update_id))
    return list((await store.session.exec(query)).all())


async def next_of_chat(store: Store, chat_id: int, up_to: int) -> InboxUpdate | None:
    """The chat's oldest update not yet answered, if its id is at most `up_to` (called while
    holding the chat's turn)."""
    query = (
        select(InboxUpdate)
        .where(col(InboxUpdate.chat_id) == chat_id, col(InboxUpdate.update_id) <= up_to)
        .order_by(col(InboxUpdate.update_id))
        .limit(1)
    )
    return (await store.session.exec(query)).first()


async def count_attempt(store: Store, update_id: int) -> None:
    """It is being taken up to be handled: one more attempt (committed before handling, so a
    crash while handling it counts)."""
    await store.session.exec(
        update(InboxUpdate)
        .where(col(InboxUpdate.update_id) == update_id)
        .values(attempts=InboxUpdate.attempts + 1)
    )


async def forget_chat(store: Store, chat_id: int, keep: int | None = None) -> None:
    """Drop a chat's waiting updates (the person deleted their data), except `keep` (the update
    doing the deletion, whose answer is still to be sent)."""
    query = delete(InboxUpdate).where(col(InboxUpdate.chat_id) == chat_id)
    if keep is not None:
        query = query.where(col(InboxUpdate.update_id) != keep)
    await store.session.exec(query)
