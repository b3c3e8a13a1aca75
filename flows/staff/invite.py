"""Invites: one-time deep links that decide who joins as trainer or client, and for whom.

/invite asks one thing:  NAME -> done (the link and code)
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from flows.engine import dates
from flows.engine.buttons import Actions
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.flow import Done, Flow, FlowData, Result, Retry, StepSpec
from flows.engine.localtime import local
from flows.engine.sanitize import clean_label
from flows.engine.texts import N_
from storage.models import Invite, Person, Role
from storage.repo import Store

NAME_MAX = 64


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def create_invite(
    store: Store,
    *,
    role: Role,
    name: str,
    now: datetime,
    ttl_days: int,
    created_by: Person | None = None,
    trainer: Person | None = None,
) -> Invite:
    """A fresh unguessable code; client invites belong to the trainer who made them."""
    invite = Invite(
        code=secrets.token_urlsafe(12),
        role=role,
        name=name,
        created_by=created_by.id if created_by else None,
        trainer_id=trainer.id if trainer else None,
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    await store.add(invite)
    return invite


def clean_name(text: str) -> str | None:
    """The invited person's name as the bot and their trainer will see it (flows.engine.sanitize:
    no invisible or reordering characters, a letter or digit in it), 1 to 64 characters."""
    name = clean_label(text, NAME_MAX)
    return name if name is not None and not name.startswith("/") else None


class Step(StrEnum):
    NAME = "name"


class Data(FlowData):
    """Nothing to remember: the one answer makes the invite."""


async def ask_name(ctx: Context, data: Data) -> None:
    person = ctx.person
    if person and person.role == Role.ADMIN:
        ctx.say(ctx.t("invite_ask_trainer_name"))
    else:
        ctx.say(ctx.t("invite_ask_client_name"))


async def answer_name(ctx: Context, data: Data, answer: Answer) -> Result:
    """An admin invites a trainer, a trainer invites a client."""
    name = clean_name(answer.text)
    if name is None or ctx.person is None:
        raise Retry(ctx.t("invite_bad_name"))
    inviter = ctx.person
    is_admin = inviter.role == Role.ADMIN
    invite = await create_invite(
        ctx.store,
        role=Role.TRAINER if is_admin else Role.CLIENT,
        name=name,
        now=ctx.now,
        ttl_days=ctx.bot.invite_ttl_days,
        created_by=inviter,
        trainer=None if is_admin else inviter,
    )
    ctx.say(
        ctx.t(
            "invite_ready",
            name=name,
            expires=dates.day_year_clock(local(invite.expires_at, ctx.zone(inviter)), ctx.locale),
            link=invite_link(ctx.bot.username, invite.code),
            code=invite.code,
        )
    )
    return Done()


INVITE = register(Flow("invite", Data, {Step.NAME: StepSpec(ask_name, answer_name)}))


async def _invite(ctx: Context) -> None:
    await start(ctx, INVITE)


COMMANDS = (
    Command(
        "invite",
        _invite,
        {Role.TRAINER: N_("cmd_invite_trainer"), Role.ADMIN: N_("cmd_invite_admin")},
    ),
)
ACTIONS: Actions = ()
