"""Messages between a trainer and a client, passed on by the bot, both ways.

The trainer's Message client button (on alerts and the /clients card) relays their next message to
the client as from them; the client's copy has a Reply button that relays the client's next message
back. Replies reach the trainer behind a neutral first line: the text may name symptoms, and the
first line is what a lock screen shows.

A Reply button is only as good as the message it came on: it reaches a staff member who wrote to
this person (the relayed message is an outbox row carrying that very button) or a client's own
trainer. A forged `reply:<staff id>` to anyone else has "expired".

Each direction is a one-step flow, started by its button:
    alert_relay (Message client):  TEXT -> done (sent to the client)
    relay_reply (Reply):           TEXT -> done (sent to the trainer)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from flows.checkin.alert import client_for, expired, is_visitor
from flows.engine.buttons import Actions, MessageClient, ReplyTo, Route, outbox_button
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.flow import Done, Flow, FlowData, Result, Retry, StepSpec
from flows.engine.notify import notify_person
from flows.engine.texts import N_, t
from storage.models import STAFF, Person, Role
from storage.sent import button_data_sent

RELAY_LIMIT = 2000
# a relayed message's text key (and outbox kind): to a visitor, a client from their own trainer,
# a client from someone else at the centre
Relayed = Literal["visitor", "own_client", "centre_client"]
RELAY_TEXTS: dict[Relayed, str] = {
    "visitor": N_("relay_to_visitor"),
    "own_client": N_("relay_to_client"),
    "centre_client": N_("relay_to_client_from_centre"),
}
RELAY_KINDS = tuple(RELAY_TEXTS.values())


def _text(ctx: Context, answer: Answer) -> str:
    """The message as typed; anything else (a button, a photo, too long) asks again."""
    if answer.choice is not None or not answer.text.strip():
        raise Retry(ctx.t("relay_empty"))
    if len(answer.text) > RELAY_LIMIT:
        raise Retry(ctx.t("relay_too_long", limit=RELAY_LIMIT))
    return answer.text


class Step(StrEnum):
    TEXT = "text"


class RelayData(FlowData):
    """Whom the trainer writes to; checked again when the message is sent."""

    client_id: int = 0
    client_name: str = ""


class ReplyData(FlowData):
    """Whom the client answers; checked again when the message is sent."""

    trainer_id: int = 0
    trainer_name: str = ""


async def ask_relay(ctx: Context, data: RelayData) -> None:
    ctx.say(ctx.t("relay_ask", client=data.client_name))


async def answer_relay(ctx: Context, data: RelayData, answer: Answer) -> Result:
    """The trainer's next message goes to the client as from them, exactly as written."""
    text = _text(ctx, answer)
    client = await client_for(ctx, data.client_id)
    trainer = ctx.person
    if client is None or trainer is None:  # reassigned meanwhile: nothing is sent
        ctx.say(ctx.t("button_expired"))
        return Done()
    relayed: Relayed = "visitor" if is_visitor(client) else await _relayed(ctx, client, trainer)
    reply = [[outbox_button(t("relay_reply", client.locale), ReplyTo(trainer.id or 0))]]
    await notify_person(
        ctx, client, RELAY_TEXTS[relayed], buttons=reply, trainer=trainer.name, text=text
    )
    ctx.say(ctx.t("relay_sent", client=client.name))
    return Done()


async def ask_reply(ctx: Context, data: ReplyData) -> None:
    ctx.say(ctx.t("reply_ask", trainer=data.trainer_name))


async def answer_reply(ctx: Context, data: ReplyData, answer: Answer) -> Result:
    """The client's next message goes back to the trainer who wrote to them."""
    text = _text(ctx, answer)
    trainer = await _reply_target(ctx, data.trainer_id)
    client = ctx.person
    if trainer is None or client is None:
        ctx.say(ctx.t("button_expired"))
        return Done()
    if is_visitor(client):
        label = t("alert_message_visitor", trainer.locale)
    else:
        label = t("alert_message_client", trainer.locale)
    again = [[outbox_button(label, MessageClient(client.id or 0))]]
    await notify_person(
        ctx,
        trainer,
        "reply_to_trainer",
        buttons=again,
        about=[client.id],
        client=client.name,
        text=text,
    )
    ctx.say(ctx.t("relay_sent", client=trainer.name))
    return Done()


async def _relayed(ctx: Context, client: Person, sender: Person) -> Relayed:
    """ "your trainer" only when it is: an admin writing is someone at the centre."""
    profile = await ctx.store.profile(client.id or 0)
    own = profile is not None and profile.trainer_id == sender.id
    return "own_client" if own else "centre_client"


# the names are stored in conversation rows: keep them
RELAY = register(Flow("alert_relay", RelayData, {Step.TEXT: StepSpec(ask_relay, answer_relay)}))
REPLY = register(Flow("relay_reply", ReplyData, {Step.TEXT: StepSpec(ask_reply, answer_reply)}))


async def _reply_target(ctx: Context, staff_id: int) -> Person | None:
    """The staff member a Reply button names, if the presser may write to them: a client's own
    trainer; otherwise only someone who wrote to them, and for a client never another trainer
    (nor the one they had before a reassignment)."""
    person = ctx.person
    if person is None or person.role not in (Role.CLIENT, Role.PROSPECT) or staff_id < 1:
        return None
    target = await ctx.store.person(staff_id)
    if target is None or target.role not in STAFF:
        return None
    if person.role == Role.CLIENT:
        profile = await ctx.store.profile(person.id or 0)
        if profile is not None and profile.trainer_id == target.id:
            return target
        if target.role != Role.ADMIN:
            return None
    wrote = await button_data_sent(ctx.store, person.id or 0, RELAY_KINDS)
    return target if ReplyTo(staff_id).pack() in wrote else None


async def message_client(ctx: Context, data: MessageClient) -> None:
    """The Message client button: the trainer's next message is relayed."""
    client = await client_for(ctx, data.client_id)
    if client is None:
        expired(ctx)
        return
    ctx.replies.toast()
    await start(ctx, RELAY, data=RelayData(client_id=client.id or 0, client_name=client.name))


async def reply_to_trainer(ctx: Context, data: ReplyTo) -> None:
    """The Reply button under a trainer's message: the client's next message goes back."""
    trainer = await _reply_target(ctx, data.staff_id)
    if trainer is None:
        expired(ctx)
        return
    ctx.replies.toast()
    await start(ctx, REPLY, data=ReplyData(trainer_id=trainer.id or 0, trainer_name=trainer.name))


COMMANDS: tuple[Command, ...] = ()
ACTIONS: Actions = (Route(MessageClient, message_client), Route(ReplyTo, reply_to_trainer))
