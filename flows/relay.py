"""Messages between a trainer and a client, passed on by the bot, both ways.

The trainer's Message client button (on alerts and the /clients card) relays their next message to
the client as from them; the client's copy has a Reply button that relays the client's next message
back. Replies reach the trainer behind a neutral first line: the text may name symptoms, and the
first line is what a lock screen shows.
"""

from __future__ import annotations

from typing import ClassVar

from flows.alert import client_for, expired, is_visitor
from flows.conversation import Action, Answer, Command, Context, Flow, Retry, register, start
from flows.notify import notify_person
from flows.texts import t
from storage.models import STAFF, Person, Role

RELAY_LIMIT = 2000


def _text(ctx: Context, answer: Answer) -> str:
    """The message as typed; anything else (a button, a photo, too long) asks again."""
    if answer.choice is not None or not answer.text.strip():
        raise Retry(ctx.t("relay_empty"))
    if len(answer.text) > RELAY_LIMIT:
        raise Retry(ctx.t("relay_too_long", limit=RELAY_LIMIT))
    return answer.text


class RelayFlow(Flow):
    """The trainer's next message goes to the client as from them, exactly as written."""

    name: ClassVar[str] = "alert_relay"  # stored in conversation rows: keep the name
    first_step: ClassVar[str] = "text"

    async def ask(self, ctx: Context, step: str) -> None:
        ctx.say(ctx.t("relay_ask", client=ctx.data.get("client_name", "")))

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        text = _text(ctx, answer)
        client = await client_for(ctx, str(ctx.data.get("client_id", "")))
        trainer = ctx.person
        if client is None or trainer is None:  # reassigned meanwhile: nothing is sent
            ctx.say(ctx.t("button_expired"))
            return None
        key = "relay_to_visitor" if is_visitor(client) else await _client_key(ctx, client, trainer)
        reply = [[{"text": t("relay_reply", client.locale), "data": f"reply:{trainer.id}"}]]
        await notify_person(ctx, client, key, buttons=reply, trainer=trainer.name, text=text)
        ctx.say(ctx.t("relay_sent", client=client.name))
        return None


class ReplyFlow(Flow):
    """The client's next message goes back to the trainer who wrote to them."""

    name: ClassVar[str] = "relay_reply"
    first_step: ClassVar[str] = "text"

    async def ask(self, ctx: Context, step: str) -> None:
        ctx.say(ctx.t("reply_ask", trainer=ctx.data.get("trainer_name", "")))

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        text = _text(ctx, answer)
        trainer = await _reply_target(ctx, str(ctx.data.get("trainer_id", "")))
        client = ctx.person
        if trainer is None or client is None:
            ctx.say(ctx.t("button_expired"))
            return None
        label = "alert_message_visitor" if is_visitor(client) else "alert_message_client"
        again = [[{"text": t(label, trainer.locale), "data": f"msg:{client.id}"}]]
        await notify_person(
            ctx, trainer, "reply_to_trainer", buttons=again, client=client.name, text=text
        )
        ctx.say(ctx.t("relay_sent", client=trainer.name))
        return None


async def _client_key(ctx: Context, client: Person, sender: Person) -> str:
    """ "your trainer" only when it is: an admin writing is someone at the centre."""
    profile = await ctx.store.profile(client.id or 0)
    own = profile is not None and profile.trainer_id == sender.id
    return "relay_to_client" if own else "relay_to_client_from_centre"


RELAY = register(RelayFlow())
REPLY = register(ReplyFlow())


async def _reply_target(ctx: Context, arg: str) -> Person | None:
    """The staff member a Reply button names, if the presser may write to them: a client their
    own trainer or an admin; a visitor any staff member (the one who wrote to them)."""
    person = ctx.person
    if person is None or person.role not in (Role.CLIENT, Role.PROSPECT) or not arg.isdigit():
        return None
    target = await ctx.store.person(int(arg))
    if target is None or target.role not in STAFF:
        return None
    if person.role == Role.CLIENT and target.role != Role.ADMIN:
        profile = await ctx.store.profile(person.id or 0)
        if profile is None or profile.trainer_id != target.id:
            return None
    return target


async def message_client(ctx: Context, arg: str) -> None:
    """The Message client button: the trainer's next message is relayed."""
    client = await client_for(ctx, arg)
    if client is None:
        expired(ctx)
        return
    ctx.replies.toast()
    await start(ctx, RELAY, client_id=client.id, client_name=client.name)


async def reply_to_trainer(ctx: Context, arg: str) -> None:
    """The Reply button under a trainer's message: the client's next message goes back."""
    trainer = await _reply_target(ctx, arg)
    if trainer is None:
        expired(ctx)
        return
    ctx.replies.toast()
    await start(ctx, REPLY, trainer_id=trainer.id, trainer_name=trainer.name)


COMMANDS: dict[str, Command] = {}
ACTIONS: dict[str, Action] = {"msg": message_client, "reply": reply_to_trainer}
