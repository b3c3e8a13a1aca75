"""The one entry point runtimes call: an Event in, the replies out.

Each update runs in one transaction with its update id, so a redelivered update is skipped and a
failed one changes nothing. Errors never reach the person as a traceback: they get a short apology.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime

from flows import (
    alert,
    availability,
    booking,
    checkin,
    clients,
    consult_staff,
    invite,
    mydata,
    myprogress,
    onboarding,
    pause,
    program,
    relay,
    reminder,
    settings,
)
from flows.conversation import (
    Action,
    Answer,
    Command,
    Context,
    give,
    parse_state_payload,
    resume,
    stop,
)
from flows.core import BotInfo, Event, EventKind, Replies, Reply, Send, Toast
from flows.menu import VISITOR, help_text, menu_for
from flows.notify import mark_reachable
from flows.texts import t
from storage.models import STAFF
from storage.repo import StoreFactory

log = logging.getLogger(__name__)

MODULES = (
    invite,
    onboarding,
    program,
    alert,
    relay,
    checkin,
    myprogress,
    clients,
    pause,
    reminder,
    settings,
    booking,
    availability,
    consult_staff,
    mydata,
)
COMMANDS: dict[str, Command] = {n: c for m in MODULES for n, c in m.COMMANDS.items()}
ACTIONS: dict[str, Action] = {n: a for m in MODULES for n, a in m.ACTIONS.items()}
ONBOARDING = {onboarding.CLIENT.name, onboarding.STAFF.name}


class Router:
    """Turns one Event into replies, with all its effects committed together."""

    def __init__(self, stores: StoreFactory, bot: BotInfo, clock: Callable[[], datetime]) -> None:
        self.stores = stores
        self.bot = bot
        self.clock = clock

    async def handle(self, event: Event) -> list[Reply]:
        now = self.clock()
        try:
            async with self.stores() as store:
                if not await store.claim_update(event.update_id, now):
                    log.info("update %d was processed before; skipped", event.update_id)
                    return []
                convo = await store.conversation(event.chat_id, event.user_id, now)
                person = await store.person_by_user(event.user_id)
                ctx = Context(event, now, self.bot, store, convo, person, Replies())
                await mark_reachable(ctx)
                await route(ctx)
                await store.commit()
        except Exception as exc:
            _log_failure(event, exc)
            failed: list[Reply] = [Send(t("error"))]
            return [Toast(), *failed] if event.kind == EventKind.BUTTON else failed
        replies = ctx.replies.items
        if event.kind == EventKind.BUTTON and not any(isinstance(r, Toast) for r in replies):
            replies.insert(0, Toast())
        return replies


def _log_failure(event: Event, exc: Exception) -> None:
    """Where and what failed, but not the message: it may quote SQL parameters (health data)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "update %d failed (%s): %s\n%s", event.update_id, event.kind, type(exc).__name__, frames
    )
    log.debug("update %d failure detail", event.update_id, exc_info=exc)


async def route(ctx: Context) -> None:
    kind = ctx.event.kind
    if kind == EventKind.BUTTON:
        await on_button(ctx)
    elif kind == EventKind.COMMAND:
        await on_command(ctx)
    elif kind == EventKind.TEXT:
        await on_text(ctx)
    elif kind == EventKind.CONTACT and ctx.convo.flow:
        await give(ctx, Answer(phone=ctx.event.phone))
    else:
        ctx.say(ctx.t("not_text") if ctx.convo.flow else ctx.t("not_understood"))
        await resume(ctx)


async def on_button(ctx: Context) -> None:
    event = ctx.event
    state = parse_state_payload(event.payload)
    if state is None:
        action, _, arg = event.payload.partition(":")
        handler = ACTIONS.get(action)
        if handler is None:
            ctx.replies.toast(ctx.t("button_expired"))
        else:
            await handler(ctx, arg)
        return
    version, value = state
    if ctx.convo.flow is None or version != ctx.convo.version:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    answer = Answer(
        choice=value,
        message_id=event.message_id,
        message_text=event.message_text,
        label=event.button_text,
    )
    await give(ctx, answer)


async def on_command(ctx: Context) -> None:
    name, person = ctx.event.command, ctx.person
    role = person.role if person else VISITOR
    if name == "start":
        await on_start(ctx)
    elif name in ("help", "privacy"):
        privacy = "privacy_staff" if role in STAFF else "privacy"
        ctx.say(help_text(role, ctx.locale) if name == "help" else ctx.t(privacy))
        if name == "help" and person is not None:
            ctx.replies.add(menu_for(role, ctx.locale))
        if ctx.convo.flow:
            ctx.say(ctx.t("help_resume"))
            await resume(ctx)
    elif name == "cancel":
        was_in_flow = ctx.convo.flow is not None
        stop(ctx)
        ctx.say(ctx.t("cancelled" if was_in_flow else "nothing_to_cancel"))
    elif name not in COMMANDS:
        ctx.say(ctx.t("unknown_command", command=name[:32]))
        await resume(ctx)
    elif role not in COMMANDS[name].roles:
        ctx.say(ctx.t("not_for_role"))
        await resume(ctx)
    elif ctx.convo.flow in ONBOARDING:
        ctx.say(ctx.t("finish_setup_first"))
        await resume(ctx)
    else:
        await COMMANDS[name].run(ctx)


async def on_start(ctx: Context) -> None:
    if ctx.event.args.strip().lower() == booking.DEEP_LINK:
        await booking.welcome(ctx, greet=False)  # the "consult" deep link: straight to it
    elif ctx.event.args:
        await onboarding.redeem(ctx, ctx.event.args)
    elif ctx.person is None:
        await booking.welcome(ctx)
    elif not await resume(ctx) and not await onboarding.begin(ctx):
        ctx.say(help_text(ctx.person.role, ctx.locale))
        ctx.replies.add(menu_for(ctx.person.role, ctx.locale))  # e.g. a seeded or restored chat


async def on_text(ctx: Context) -> None:
    if ctx.convo.flow:
        await give(ctx, Answer(text=ctx.event.text))
    elif ctx.person is None:
        ctx.say(ctx.t("visitor_welcome", name=ctx.event.first_name or "there"))
    elif not await onboarding.begin(ctx):
        ctx.say(ctx.t("not_understood"))
