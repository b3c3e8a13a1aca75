"""Delivery to the bot's webhook, as Telegram does it after setWebhook.

Updates are POSTed one per request, with the secret header, over up to `max_connections`
connections at once (setWebhook's parameter, 40 by default). Like Telegram, one chat's updates
go one at a time and in order: the next is sent only once the previous one was answered 2xx;
other chats' updates go meanwhile. Anything but a 2xx answer, or no answer, is retried with
backoff (that chat waits; the others don't) and shown in getWebhookInfo. Replays go first. A
JSON answer may itself be a method call, which is then performed (`perform`, from botapi.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import aiohttp

from bot.sandbox.updates import UpdateQueue

BACKOFF_START = 0.05
BACKOFF_MAX = 2.0
MAX_CONNECTIONS = 40  # Telegram's default for setWebhook's max_connections
MAX_CONNECTIONS_LIMIT = 100
_CHAT_HOLDERS = (  # the update types that carry a chat
    "message",
    "edited_message",
    "my_chat_member",
    "chat_member",
    "message_reaction",
    "message_reaction_count",
)


def chat_of(update: dict[str, Any]) -> Hashable:
    """The chat whose updates `update` queues behind; one shared queue for those without one
    (a test's raw update may have no chat at all)."""
    for kind in _CHAT_HOLDERS:
        chat = _field(update.get(kind), "chat")
        if chat is not None:
            return ("chat", _field(chat, "id"))
    query = update.get("callback_query")
    chat = _field(_field(query, "message"), "chat")
    if chat is not None:
        return ("chat", _field(chat, "id"))
    sender = _field(query, "from")
    return ("chat", _field(sender, "id")) if sender is not None else None


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


class Webhook:
    """The webhook's URL and secret, its delivery task and its last error."""

    def __init__(
        self,
        updates: UpdateQueue,
        perform: Callable[[str, dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.updates = updates
        self.perform = perform
        self.url = ""
        self.secret = ""
        self.max_connections = MAX_CONNECTIONS
        self.error: tuple[int, str] | None = None  # (unix time, message)
        self._task: asyncio.Task[None] | None = None

    def start(self, url: str, secret: str, max_connections: int = MAX_CONNECTIONS) -> None:
        """Deliver to `url` from now on (stop() the previous delivery first)."""
        self.url, self.secret = url, secret
        self.max_connections = max_connections
        self.error = None
        self._task = asyncio.create_task(_Delivery(self, url, secret, max_connections).run())

    async def stop(self) -> None:
        """Stop delivering; the URL stays until deleteWebhook clears it."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def post(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        update: dict[str, Any],
    ) -> bool:
        """One delivery; True if the webhook answered 2xx."""
        try:
            async with session.post(url, json=update, headers=headers) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    self.error = (
                        int(time.time()),
                        f"Wrong response from the webhook: {response.status} {response.reason}",
                    )
                    return False
                ctype = response.content_type
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.error = (int(time.time()), f"Connection failed: {type(exc).__name__}")
            return False
        if ctype == "application/json" and body:
            await self._reply(body)
        return True

    async def _reply(self, body: bytes) -> None:
        """A webhook answer may itself be a method call, which Telegram then performs."""
        with contextlib.suppress(ValueError):
            reply = json.loads(body)
            if isinstance(reply, dict) and isinstance(reply.get("method"), str):
                values = {k: v for k, v in reply.items() if k != "method"}
                await self.perform(reply["method"], values)


class _Delivery:
    """One setWebhook's delivery: which chats have an update in flight or wait to retry."""

    def __init__(self, hook: Webhook, url: str, secret: str, max_connections: int) -> None:
        self.hook, self.url = hook, url
        self.headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        self.limit = max_connections
        self.busy: set[Hashable] = set()  # chats with an update in flight
        self.retry_at: dict[Hashable, float] = {}  # chats whose last delivery failed
        self.backoff: dict[Hashable, float] = {}
        self.flights: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        updates = self.hook.updates
        timeout = aiohttp.ClientTimeout(total=60)
        connector = aiohttp.TCPConnector(limit=self.limit)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            try:
                while not updates.closing:
                    for queue, update in self._ready():
                        self._fly(session, queue, update)
                    await updates.signal.wait(self._next_retry())
            finally:
                for flight in self.flights:
                    flight.cancel()
                await asyncio.gather(*self.flights, return_exceptions=True)

    def _ready(self) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
        """The first waiting update of each chat that may be sent now, replays first, up to
        the free connections."""
        now = asyncio.get_running_loop().time()
        picked: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
        seen: set[Hashable] = set()
        updates = self.hook.updates
        for queue in (updates.redeliver, updates.pending):
            for update in queue:
                chat = chat_of(update)
                if len(self.flights) + len(picked) >= self.limit:
                    return picked
                if chat in seen or chat in self.busy or self.retry_at.get(chat, 0) > now:
                    seen.add(chat)
                    continue
                seen.add(chat)
                picked.append((queue, update))
        return picked

    def _next_retry(self) -> float | None:
        """Seconds until a failed chat may be retried (None: none waits); a retry already due
        but held back by the connection limit is woken by a finishing delivery instead."""
        now = asyncio.get_running_loop().time()
        later = [at for at in self.retry_at.values() if at > now]
        return min(later) - now if later else None

    def _fly(
        self, session: aiohttp.ClientSession, queue: list[dict[str, Any]], update: dict[str, Any]
    ) -> None:
        chat = chat_of(update)
        self.busy.add(chat)
        self.retry_at.pop(chat, None)
        flight = asyncio.create_task(self._send(session, queue, update, chat))
        self.flights.add(flight)

    async def _send(
        self,
        session: aiohttp.ClientSession,
        queue: list[dict[str, Any]],
        update: dict[str, Any],
        chat: Hashable,
    ) -> None:
        try:
            delivered = await self.hook.post(session, self.url, self.headers, update)
        finally:
            self.busy.discard(chat)
            self.flights.discard(asyncio.current_task())
        if delivered:
            for n, queued in enumerate(queue):
                if queued is update:
                    del queue[n]
                    break
            self.backoff.pop(chat, None)
        else:
            backoff = self.backoff.get(chat, BACKOFF_START)
            self.retry_at[chat] = asyncio.get_running_loop().time() + backoff
            self.backoff[chat] = min(backoff * 2, BACKOFF_MAX)
        self.hook.updates.signal.fire()  # a chat is free again: its next update may go
