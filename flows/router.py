"""The one entry point runtimes call: an Event in, the replies out.

Each update runs in one transaction with its update id, so a redelivered update is skipped and a
failed one changes nothing. Errors never reach the person as a traceback: they get a short apology.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from flows.account import language, mydata, onboarding, preferences
from flows.booking import availability
from flows.booking import staff as booking_staff
from flows.booking import visitor as booking
from flows.checkin import alert, pause, reminder
from flows.checkin import daily as checkin
from flows.engine.batches import Batches
from flows.engine.buttons import ButtonData, Handler, action_table, unpack
from flows.engine.conversation import (
    STATE_PREFIX,
    Answer,
    Command,
    Context,
    give,
    press,
    resume,
    stop,
)
from flows.engine.core import (
    BotInfo,
    Drawing,
    Event,
    EventKind,
    Replies,
    Reply,
    Send,
    Toast,
    fitted,
)
from flows.engine.languages import from_telegram
from flows.engine.menu import VISITOR, command_table, help_text, install, menu_for
from flows.engine.notify import mark_reachable
from flows.engine.sanitize import visible
from flows.engine.texts import N_, t
from flows.engine.wire import event_from_json, event_to_json, replies_from_json, replies_to_json
from flows.progress import progression, reportview, staffchart, week
from flows.staff import clients, invite, library, program, relay, templates
from storage import inbox
from storage.chatlock import sqlite_chat_turn
from storage.db import chat_turn, sqlite_file
from storage.models import STAFF, Role
from storage.repo import Store, Stores

log = logging.getLogger(__name__)

MODULES = (  # in the order their commands appear in the menu
    alert,
    clients,
    program,
    library,
    templates,
    availability,
    booking_staff,
    invite,
    checkin,
    week,
    staffchart,
    progression,
    reportview,
    pause,
    preferences,
    language,
    booking,
    mydata,
    onboarding,
    relay,
    reminder,
)
ACTIONS: dict[type[ButtonData], Handler] = action_table(
    route for m in MODULES for route in m.ACTIONS
)
ONBOARDING = {onboarding.CLIENT.name, onboarding.STAFF.name}
EVERYONE = frozenset({VISITOR, *Role})
MAX_ATTEMPTS = 3  # times one update may be taken up to handle; then it gets the apology


class Router:
    """Turns one Event into replies, with all its effects committed together.

    With the inbox (`receive`, `answered`, `waiting`) an update is stored before Telegram is
    told it arrived, its replies are stored with its effects, and a start picks up whatever a
    crash interrupted: handled at least once, effects exactly once.
    """

    def __init__(
        self,
        stores: Stores,
        bot: BotInfo,
        clock: Callable[[], datetime],
        one_writer: bool = False,
    ) -> None:
        """`one_writer` (SQLite): updates of different chats are handled at once, but their
        write transactions take turns in this process, so none waits in SQLite's busy handler
        or fails with "database is locked". This is not the chat's `turn`: that keeps one
        chat's updates in order across processes; this keeps SQLite to one writer."""
        self.stores = stores
        self.bot = bot
        self.clock = clock
        self._writer: asyncio.Lock | None = asyncio.Lock() if one_writer else None
        self.writer_wait = 0.0  # seconds transactions spent waiting for their turn (a measure)
        taken = self._writer.locked if self._writer is not None else None
        self._receiving = Batches(self._store_received, self._write_turn, taken)
        self._answering = Batches(self._forget_answered, self._write_turn, taken)
        self._stored_here: set[int] = set()  # stored by this process, not yet taken up
        self._fresh: dict[int, Event] = {}  # their events: their turn reads nothing
        self._unchecked: set[int] = set()  # taken up so: `handle` looks for older ones first
        self._turn_file = sqlite_file(stores.engine)  # its bytes are the chats' turns

    @contextlib.asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """This process's write turn (one_writer), or nothing to wait for. Held only for one
        transaction, never across a Bot API call, so a slow send holds no other chat up."""
        if self._writer is None:
            yield
            return
        asked = time.perf_counter()
        async with self._writer:
            self.writer_wait += time.perf_counter() - asked
            yield

    async def receive(self, events: Sequence[Event]) -> list[Event]:
        """Store received updates durably; returns those still to be answered, in order (new
        ones, and any stored before but not answered). Only after this returns may the update
        be confirmed to Telegram. Updates received at the same moment (several webhook calls)
        are stored in one transaction."""
        rows = [
            {"update_id": e.update_id, "chat_id": e.chat_id, "event": event_to_json(e)}
            for e in events
        ]
        received = await self._receiving.add(rows)
        for event in events:
            if event.update_id in received.stored:
                self._fresh[event.update_id] = event
        return [e for e in events if e.update_id in received.due]

    async def _store_received(self, rows: list[dict[str, Any]]) -> inbox.Received:
        now = self.clock()
        received = await self.stores.write(lambda c: inbox.store_received(c, rows, now))
        self._stored_here |= received.stored
        return received

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        """While held, no other process handles or answers this chat's updates (they may
        reach several processes behind a load balancer): see `next_due`. On a SQLite file the
        turn is a file lock (storage/chatlock.py): no session is opened for it."""
        if self._turn_file is not None:
            async with sqlite_chat_turn(self._turn_file, chat_id):
                yield
            return
        async with self.stores() as store, chat_turn(store.session, chat_id):
            yield

    async def next_due(self, chat_id: int, up_to: int) -> tuple[Event, list[Reply] | None] | None:
        """The chat's oldest unanswered update up to `up_to`, with its stored replies (None:
        still to be handled); None when there is none. Called while holding the chat's
        `turn`, so what another process stored and could not finish is taken up in order.

        Taking one up to handle counts an attempt; an update taken up MAX_ATTEMPTS times
        before (it crashes the process) is answered with the apology instead.

        The usual case, an update this process just stored, needs no statement here: its
        attempt was counted when it was stored, and whether anything older of its chat still
        waits is asked by `handle`, in its own transaction (if so, it hands it back, and this
        reads as above). One that another process took up meanwhile (it reached an older update
        of the chat first) is handled again harmlessly: its update id is claimed already."""
        fresh = self._fresh.pop(up_to, None)
        if fresh is not None:
            self._unchecked.add(up_to)
            return fresh, None
        while True:
            async with self.stores() as store:
                row = await inbox.next_of_chat(store, chat_id, up_to)
            if row is None:
                self._stored_here.discard(up_to)  # another process answered it
                return None
            taken = row.attempts  # before this time
            self._fresh.pop(row.update_id, None)  # taken up here: its own turn must read too
            if row.update_id in self._stored_here:
                self._stored_here.discard(row.update_id)
                taken -= 1  # this take-up was counted when it was stored
            elif row.replies is None and taken < MAX_ATTEMPTS:
                async with self._write_turn(), self.stores() as store:
                    await inbox.count_attempt(store, row.update_id)
                    await store.commit()
            try:
                event = event_from_json(row.event)
                replies = None if row.replies is None else replies_from_json(row.replies)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("inbox update %d unreadable (%s); dropped", row.update_id, _name(exc))
                await self.answered(row.update_id)
                continue
            if replies is None and taken >= MAX_ATTEMPTS:
                log.error(
                    "update %d taken up %d times; answered with an apology",
                    row.update_id,
                    MAX_ATTEMPTS,
                )
                replies = _with_toast(event, [Send(t("error", from_telegram(event.language_code)))])
                await self._settle(event, replies, self.clock())
            return event, replies

    async def handle(self, event: Event) -> list[Reply] | None:
        """Its replies, with its effects committed; None (nothing done) when `next_due` gave it
        without a read and an older update of its chat is still waiting: that one goes first."""
        now = self.clock()
        unchecked = event.update_id in self._unchecked
        self._unchecked.discard(event.update_id)
        try:
            async with self._write_turn(), self.stores() as store:
                # claimed, and with `unchecked`: nothing older of the chat waits
                chat = await store.claim_chat(
                    event.update_id, now, event.chat_id, event.user_id, unchecked
                )
                if chat is None:
                    older = unchecked and await inbox.older_waiting(
                        store, event.chat_id, event.update_id
                    )
                    if older:
                        return None  # still in `_stored_here`: its attempt stays counted once
                    self._stored_here.discard(event.update_id)
                    log.info("update %d was processed before; skipped", event.update_id)
                    return await _stored_replies(store, event.update_id)
                self._stored_here.discard(event.update_id)
                ctx = Context(event, now, self.bot, store, *chat, Replies())
                await mark_reachable(ctx)
                language.refresh_menu(ctx)
                await route(ctx)
                replies = fitted(_with_toast(event, ctx.replies.items))
                stored = replies_to_json(replies)
                await store.finish(
                    ctx.convo, lambda c: inbox.record_replies(c, event.update_id, stored, now)
                )
        except Exception as exc:
            _log_failure(event, exc)
            failed = _with_toast(event, [Send(t("error", from_telegram(event.language_code)))])
            await self._settle(event, failed, now)
            return failed
        if ctx.replies.drawings:
            return await self._drawn(event, replies, ctx.replies.drawings, now)
        return replies

    async def _drawn(
        self,
        event: Event,
        replies: list[Reply],
        drawings: list[tuple[Send, Drawing]],
        now: datetime,
    ) -> list[Reply]:
        """The replies with their charts and reports drawn, after the update's transaction and
        outside the write turn (other chats go on meanwhile), then stored in place of the stand-
        ins that were stored with it. If drawing fails, the stand-ins (caption, "could not be
        drawn") are the answer, as stored; if storing fails, a crash would resend them."""
        try:
            drawn = {
                id(stand_in): drawing.drawn(await drawing.draw()) for stand_in, drawing in drawings
            }
        except Exception as exc:
            _log_failure(event, exc)
            return replies
        final = fitted(drawn.get(id(reply), reply) for reply in replies)
        stored = replies_to_json(final)
        try:
            async with self._write_turn():
                await self.stores.write(
                    lambda c: inbox.record_replies(c, event.update_id, stored, now)
                )
        except Exception as exc:
            log.error(
                "update %d: its drawing could not be stored (%s)", event.update_id, _name(exc)
            )
        return final

    async def _settle(self, event: Event, replies: list[Reply], now: datetime) -> None:
        """A failed update is answered with an apology and not tried again (a retry could
        double what the person sees); if even that can't be stored, the next start retries."""
        try:
            stored = replies_to_json(replies)
            async with self._write_turn():
                await self.stores.write(lambda c: inbox.settle(c, event.update_id, stored, now))
        except Exception as exc:
            log.error("update %d: could not record its failure (%s)", event.update_id, _name(exc))

    async def answered(self, update_id: int) -> None:
        """The replies of `update_id` were sent: its inbox row goes. Returns once that is
        committed (the caller holds the chat's turn until then, so no other process sends the
        replies again); chats answered at the same moment go in one transaction."""
        await self._answering.add([update_id])

    async def _forget_answered(self, update_ids: list[int]) -> None:
        await self.stores.write(lambda c: inbox.answered(c, update_ids))

    async def waiting(self) -> list[tuple[int, int]]:
        """(chat id, update id) of every update stored and not answered, oldest first: what a
        start takes up, each in its chat's turn (so one another process is answering right
        now is left to it)."""
        async with self.stores() as store:
            rows = await inbox.waiting(store)
        return [(row.chat_id, row.update_id) for row in rows]


async def _stored_replies(store: Store, update_id: int) -> list[Reply]:
    """What was answered to an update handled before and not yet confirmed sent (another
    process handled it and died before sending): to send now. None for a redelivery."""
    stored = await inbox.replies_of(store, update_id)
    try:
        return [] if stored is None else replies_from_json(stored)
    except (KeyError, TypeError, ValueError) as exc:
        log.error("inbox update %d unreadable (%s); dropped", update_id, _name(exc))
        return []


def _with_toast(event: Event, replies: list[Reply]) -> list[Reply]:
    """A button press always gets its spinner stopped, first."""
    if event.kind == EventKind.BUTTON and not any(isinstance(r, Toast) for r in replies):
        return [Toast(), *replies]
    return list(replies)


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def _log_failure(event: Event, exc: Exception) -> None:
    """Where and what failed, but not the message: it may quote SQL parameters (health data)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("update %d failed (%s): %s\n%s", event.update_id, event.kind, _name(exc), frames)


async def route(ctx: Context) -> None:
    kind = ctx.event.kind
    if kind == EventKind.BUTTON:
        await on_button(ctx)
    elif kind == EventKind.COMMAND:
        await on_command(ctx)
    elif kind == EventKind.TEXT:
        await on_text(ctx)
    elif kind == EventKind.CONTACT and ctx.convo.flow:
        await on_contact(ctx)
    else:
        ctx.say(ctx.t("not_text") if ctx.convo.flow else ctx.t("not_understood"))
        await resume(ctx)


async def on_contact(ctx: Context) -> None:
    """Only the sender's own card is their phone: a forwarded or address-book card would
    hand a trainer someone else's number."""
    if ctx.event.contact_user_id != ctx.event.user_id:
        ctx.say(ctx.t("contact_not_yours"))
        await resume(ctx)
        return
    await give(ctx, Answer(phone=ctx.event.phone))


async def on_button(ctx: Context) -> None:
    """A question's button goes to the engine; any other payload is unpacked once, exactly,
    and its handler gets the typed action. Whatever doesn't unpack has "expired"."""
    payload = ctx.event.payload
    if payload.startswith(STATE_PREFIX):
        await press(ctx)
        return
    data = unpack(payload)
    handler = ACTIONS.get(type(data)) if data is not None else None
    if data is None or handler is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    await handler(ctx, data)


async def on_command(ctx: Context) -> None:
    name = ctx.event.command
    role = ctx.person.role if ctx.person else VISITOR
    command = COMMANDS.get(name)
    if command is None:
        ctx.say(ctx.t("unknown_command", command=name[:32]))
        await resume(ctx)
    elif role not in command.roles:
        ctx.say(ctx.t("not_for_role"))
        await resume(ctx)
    elif ctx.convo.flow in ONBOARDING and not command.anytime:
        ctx.say(ctx.t("finish_setup_first"))
        await resume(ctx)
    else:
        await command.run(ctx)


async def on_help(ctx: Context) -> None:
    role = ctx.person.role if ctx.person else VISITOR
    ctx.say(help_text(role, ctx.locale))
    if ctx.person is not None:
        ctx.replies.add(menu_for(role, ctx.locale))
    await _back_to_flow(ctx)


async def on_privacy(ctx: Context) -> None:
    staff = ctx.person is not None and ctx.person.role in STAFF
    ctx.say(ctx.t("privacy_staff") if staff else ctx.t("privacy"))
    await _back_to_flow(ctx)


async def _back_to_flow(ctx: Context) -> None:
    if ctx.convo.flow:
        ctx.say(ctx.t("help_resume"))
        await resume(ctx)


async def on_cancel(ctx: Context) -> None:
    was_in_flow = ctx.convo.flow is not None
    stop(ctx)
    ctx.say(ctx.t("cancelled") if was_in_flow else ctx.t("nothing_to_cancel"))


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
    if ctx.convo.flow:  # nothing visible (zero-width characters only) is no answer
        await give(ctx, Answer(text=ctx.event.text if visible(ctx.event.text) else ""))
    elif ctx.person is None:
        ctx.say(ctx.t("visitor_welcome", name=ctx.event.first_name or "there"))
    elif not await onboarding.begin(ctx):
        ctx.say(ctx.t("not_understood"))


def _general(key: str, roles: frozenset[str]) -> dict[str, str]:
    return {role: key for role in roles}


BASICS = (  # the router's own: they work for everyone, even in the middle of joining
    Command("start", on_start, {VISITOR: N_("cmd_start")}, also=EVERYONE, anytime=True),
    Command("help", on_help, _general(N_("cmd_help"), EVERYONE), more=True, anytime=True),
    Command("privacy", on_privacy, _general(N_("cmd_privacy"), EVERYONE), more=True, anytime=True),
    Command(
        "cancel",
        on_cancel,
        _general(N_("cmd_cancel"), EVERYONE - {VISITOR}),
        also=EVERYONE,
        more=True,
        anytime=True,
    ),
)
COMMANDS: dict[str, Command] = install(
    command_table([*(c for m in MODULES for c in m.COMMANDS), *BASICS])
)
