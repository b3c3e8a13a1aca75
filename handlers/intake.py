"""Updates in, answers out, and nothing lost at a crash: shared by both runtimes and both modes.

    receive (poll or webhook) -> decode -> store in the inbox -> confirm to Telegram
                                                            -> handle -> send replies -> answered

An update is confirmed to Telegram (the next getUpdates offset, the webhook's 200) only after
`accept` has stored it. The router stores its replies in the transaction of its effects, so a
crash before that handles it again at the next start, a crash after it sends the replies again;
`start` picks up both before anything new.

Which updates run at the same moment is this process's choice (handlers/worker.py): different
chats at once, up to `concurrency` of them, each chat's one at a time in the order received.

Several processes may share the work (webhooks behind a load balancer): Telegram sends one chat's
updates one at a time, but each is confirmed once stored, so the next may reach another process
while the first still waits in this one's queue. So the worker runs each update inside its
chat's turn (`Inbox.turn`, a lock across processes), and the holder first handles or answers
whatever older update of that chat is still unanswered, whichever process stored it: each
chat's updates are handled, and answered, in the order Telegram numbered them.

A raw update the runtime cannot decode (a field of the wrong type, a message without a chat) is
logged by id and error type, never content, and skipped: it is confirmed like any other, since a
retry can't decode it either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from flows.engine.core import Event, Menu, Reply
from handlers import RawUpdate
from handlers.worker import DEFAULT_CONCURRENCY, ChatWorker

log = logging.getLogger(__name__)


BACKLOG_LIMIT = 1000  # waiting updates past which a webhook answers 503 and polling slows down
OUTCOMES = ("answered", "resent", "skipped", "replies_failed", "failed", "undecodable")
"""What became of an update: the `outcome` of its log line, and what the metrics count."""

Observe = Callable[[str, float | None], None]
"""Told each update's outcome and, once handled, its handling time in seconds."""


class Runtime(Protocol):
    """A Telegram framework as an adapter: decode updates, perform replies (handlers/ptb.py,
    handlers/aiogram3.py)."""

    async def initialize(self) -> str: ...
    def decode(self, raw: RawUpdate) -> Event | None: ...
    async def send(self, event: Event, replies: Sequence[Reply]) -> None: ...
    async def set_menu(self, menu: Menu, chat_id: int | None = None, language: str = "") -> None:
        """The command menu: one chat's (a person's role, state and language), or the bot-wide
        default for people whose Telegram is in `language` ("" for all)."""
        ...

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None: ...
    async def delete_webhook(self) -> None: ...
    async def close(self) -> None: ...


Turn = tuple[int, int]
"""(chat id, update id): a chat's unanswered updates up to that one, taken up in its turn."""


class Inbox(Protocol):
    """What the intake needs of the router (flows/router.py)."""

    async def receive(self, events: Sequence[Event]) -> list[Event]: ...
    def turn(self, chat_id: int) -> AbstractAsyncContextManager[None]: ...
    async def next_due(
        self, chat_id: int, up_to: int
    ) -> tuple[Event, list[Reply] | None] | None: ...
    async def handle(self, event: Event) -> list[Reply] | None:
        """None: not handled, an older update of the chat waits (next_due gives it now)."""

    async def answered(self, update_id: int) -> None: ...
    async def waiting(self) -> Sequence[Turn]: ...


class Intake:
    def __init__(
        self,
        runtime: Runtime,
        inbox: Inbox,
        observe: Observe = lambda outcome, seconds: None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.runtime = runtime
        self.inbox = inbox
        self.observe = observe
        self.worker: ChatWorker[Turn] = ChatWorker(self._take_turn, _chat_of, concurrency)

    @property
    def busy(self) -> bool:
        """Too much waiting: a webhook asks Telegram to retry later, polling waits."""
        return self.worker.backlog >= BACKLOG_LIMIT

    async def start(self) -> None:
        """Finish what a crash or stop left, in order, before anything new arrives."""
        for turn in await self.inbox.waiting():
            await self.worker.put(turn)
        if self.worker.backlog:
            log.info("picking up %d update(s) from before the start", self.worker.backlog)
        self.worker.start()

    async def stop(self) -> None:
        """Finish what was accepted (for a while); the rest stays stored for the next start."""
        await self.worker.stop()

    def decode(self, raws: Sequence[RawUpdate]) -> list[Event]:
        events = []
        for raw in raws:
            try:
                event = self.runtime.decode(raw)
            except Exception as exc:  # a bad update must not stop the others
                log.warning("update %s undecodable (%s); skipped", _id(raw), type(exc).__name__)
                self.observe("undecodable", None)
                continue
            if event is not None:
                events.append(event)
        return events

    async def accept(self, raws: Sequence[RawUpdate]) -> None:
        """Decode and store `raws`; when this returns they may be confirmed. Raises if they
        could not be stored (then they must not be confirmed)."""
        events = self.decode(raws)
        if not events:
            return
        for event in await self.inbox.receive(events):
            await self.worker.put((event.chat_id, event.update_id))

    async def _take_turn(self, turn: Turn) -> None:
        """In the chat's turn, answer its unanswered updates up to this one, oldest first
        (usually just this one; none if another process got to it first)."""
        chat_id, up_to = turn
        done: set[int] = set()
        behind: set[int] = set()
        async with self.inbox.turn(chat_id):
            while (due := await self.inbox.next_due(chat_id, up_to)) is not None:
                event, replies = due
                if event.update_id in done:  # still there after it was answered: leave it
                    log.error("update %d answered but still waiting", event.update_id)
                    return
                if not await self._process(event, replies):
                    if event.update_id in behind:  # the router contradicts itself: stop
                        log.error("update %d keeps waiting behind another", event.update_id)
                        return
                    behind.add(event.update_id)
                    continue  # an older update of the chat goes first
                if event.update_id == up_to:  # the oldest first: none up to it is left
                    return
                done.add(event.update_id)

    async def _process(self, event: Event, replies: list[Reply] | None) -> bool:
        """Handle (unless `replies` were stored), send and forget `event`; False when it is
        not its turn yet (nothing was done)."""
        started, outcome = time.perf_counter(), "answered" if replies is None else "resent"
        if replies is None:
            try:
                handled = await self.inbox.handle(event)
            except Exception:  # the worker logs it
                self.observe("failed", time.perf_counter() - started)
                raise
            if handled is None:
                return False
            replies = handled
            if not replies:  # handled before: a redelivery, or another process got to it
                outcome = "skipped"
        try:
            if replies:  # none: handled before (a redelivery), nothing to say again
                await self.runtime.send(event, replies)
        except Exception as exc:  # sending is best effort; the answer is stored
            log.warning("update %d: replies failed (%s)", event.update_id, type(exc).__name__)
            outcome = "replies_failed"
        await self.inbox.answered(event.update_id)
        seconds = time.perf_counter() - started
        self.observe(outcome, seconds)
        duration_ms = round(seconds * 1000, 1)
        fields = {"update_id": event.update_id, "event": str(event.kind), "outcome": outcome}
        log.info(
            "update %d (%s) %s in %.1f ms",
            event.update_id,
            event.kind,
            outcome,
            duration_ms,
            extra={**fields, "duration_ms": duration_ms},
        )
        return True


def _chat_of(turn: Turn) -> int:
    return turn[0]


def _id(raw: object) -> object:
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    return update_id if type(update_id) is int else "?"
