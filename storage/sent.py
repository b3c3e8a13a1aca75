"""What the bot sent a person: outbox rows are kept for a while (OUTBOX_KEEP_DAYS), so they
also say who wrote to whom, and then forgotten."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ALERT_PRIORITY, NORMAL_PRIORITY, Outbox, OutboxStatus, OutboxSubject
from storage.repo import Store

FINAL = [OutboxStatus.SENT, OutboxStatus.FAILED]
PRIORITIES = [ALERT_PRIORITY, NORMAL_PRIORITY]  # every priority: ix_outbox_due serves the look-up


async def button_data_sent(store: Store, person_id: int, kinds: Sequence[str]) -> set[str]:
    """The callback data of every button on messages of these kinds queued for this person (a
    relayed message's Reply button names the staff member who wrote it)."""
    query = select(Outbox.buttons).where(
        Outbox.person_id == person_id, col(Outbox.kind).in_(list(kinds))
    )
    rows = (await store.session.exec(query)).all()
    return {b["data"] for rows_of in rows for line in rows_of for b in line if "data" in b}


async def forget_sent(store: Store, before: datetime, limit: int) -> int:
    """Delete up to `limit` messages sent or given up on and due before `before` (and the later
    parts of a long one), with their subject links; the number of rows deleted. A message still
    to be sent is never touched (a flag must reach the trainer), however old. The ids are looked
    up first by the sender's index, so a run with nothing to forget writes nothing."""
    later = aliased(Outbox)
    unsent_part = exists().where(
        col(later.first_part_id) == col(Outbox.id), col(later.status).not_in(FINAL)
    )
    old = (
        select(Outbox.id)
        .where(
            col(Outbox.status).in_(FINAL),
            col(Outbox.priority).in_(PRIORITIES),
            col(Outbox.not_before) < before,
            ~unsent_part,  # a first part holds the links its later parts are found by
        )
        .limit(limit)
    )
    ids = list((await store.session.exec(old)).all())
    if not ids:
        return 0
    # a first part's later parts go with it: without its links they could not be found
    return await delete_messages(store.session, with_later_parts(ids))


def with_later_parts(ids: Any) -> Any:
    """Outbox rows with these ids (a list or a subquery), and the later parts of the long
    messages among them: only a first part carries the links to the people a message names."""
    return or_(col(Outbox.id).in_(ids), col(Outbox.first_part_id).in_(ids))


async def delete_messages(session: AsyncSession, which: Any) -> int:
    """Delete the outbox rows `which` selects, their subject links first (they point at
    them); the number of rows deleted."""
    links = col(OutboxSubject.outbox_id).in_(select(Outbox.id).where(which))
    quietly = {"synchronize_session": False}
    await session.exec(delete(OutboxSubject).where(links).execution_options(**quietly))
    found = await session.exec(delete(Outbox).where(which).execution_options(**quietly))
    return int(found.rowcount or 0)
