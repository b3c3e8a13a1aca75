"""What the bot sent a person: outbox rows are kept, so they also say who wrote to whom."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from storage.models import Outbox
from storage.repo import Store


async def button_data_sent(store: Store, person_id: int, kinds: Sequence[str]) -> set[str]:
    """The callback data of every button on messages of these kinds queued for this person (a
    relayed message's Reply button names the staff member who wrote it)."""
    query = select(Outbox.buttons).where(
        Outbox.person_id == person_id, col(Outbox.kind).in_(list(kinds))
    )
    rows = (await store.session.exec(query)).all()
    return {b["data"] for rows_of in rows for line in rows_of for b in line if "data" in b}
