"""Proactive messages to people other than the one talking: always through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.engine.conversation import Context
from flows.engine.texts import t
from storage.models import NORMAL_PRIORITY, Person, Role


async def notify_person(
    ctx: Context,
    person: Person,
    key: str,
    *,
    buttons: list[list[dict[str, str]]] | None = None,
    priority: int = NORMAL_PRIORITY,
    dedupe_key: str | None = None,
    about: Sequence[int | None] = (),
    erase_after_send: bool = False,
    **values: Any,
) -> None:
    """Queue `key`'s text for `person`, in their language, in this update's transaction.

    `about`: whom the message quotes or names besides `person` (see Store.enqueue)."""
    await ctx.store.enqueue(
        chat_id=person.chat_id,
        person_id=person.id,
        text=t(key, person.locale, **values),
        kind=key,
        now=ctx.now,
        buttons=buttons,
        priority=priority,
        dedupe_key=dedupe_key,
        about=about,
        erase_after_send=erase_after_send,
    )


async def mark_reachable(ctx: Context) -> None:
    """The person wrote to us, so they unblocked the bot: reminders resume, and a client's
    trainer, who was told they were unreachable, is told this too."""
    person = ctx.person
    if person is None or person.unreachable_at is None:
        return
    person.unreachable_at = None
    profile = await ctx.store.profile(person.id or 0) if person.role == Role.CLIENT else None
    trainer = await ctx.store.person(profile.trainer_id) if profile else None
    if trainer is not None:
        await notify_person(ctx, trainer, "client_reachable", about=[person.id], client=person.name)
