"""Delivery to the bot's webhook, as Telegram does it after setWebhook.

Updates are POSTed one at a time, in order (replays first), with the secret header; anything
but a 2xx answer, or no answer, is retried with backoff and shown in getWebhookInfo. A JSON
answer may itself be a method call, which is then performed (`perform`, from botapi.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.sandbox.updates import UpdateQueue

BACKOFF_START = 0.05
BACKOFF_MAX = 2.0


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
        self.error: tuple[int, str] | None = None  # (unix time, message)
        self._task: asyncio.Task[None] | None = None

    def start(self, url: str, secret: str) -> None:
        """Deliver to `url` from now on (stop() the previous delivery first)."""
        self.url, self.secret = url, secret
        self.error = None
        self._task = asyncio.create_task(self._deliver(url, secret))

    async def stop(self) -> None:
        """Stop delivering; the URL stays until deleteWebhook clears it."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, url: str, secret: str) -> None:
        """POST updates to the webhook one at a time, in order, retrying with backoff."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        backoff = BACKOFF_START
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self.updates.closing:
                queue = self.updates.redeliver or self.updates.pending
                if not queue:
                    await self.updates.signal.wait(None)
                    continue
                update = queue[0]
                if await self._post(session, url, headers, update):
                    if queue and queue[0] is update:
                        queue.pop(0)
                    backoff = BACKOFF_START
                else:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        update: dict[str, Any],
    ) -> bool:
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
