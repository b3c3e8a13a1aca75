"""Proactive messages to people other than the one talking: always through the outbox."""

from __future__ import annotations

from typing import Any

from flows.conversation import Context
from flows.texts import t
from storage.models import Person

ALERT_PRIORITY = 0
NORMAL_PRIORITY = 5


async def notify_person(
    ctx: Context,
    person: Person,
    key: str,
    *,
    buttons: list[list[dict[str, str]]] | None = None,
    priority: int = NORMAL_PRIORITY,
    dedupe_key: str | None = None,
    **values: Any,
) -> None:
    """Queue `key`'s text for `person`, in their language, in this update's transaction."""
    await ctx.store.enqueue(
        chat_id=person.chat_id,
        person_id=person.id,
        text=t(key, person.locale, **values),
        kind=key,
        now=ctx.now,
        buttons=buttons,
        priority=priority,
        dedupe_key=dedupe_key,
    )
