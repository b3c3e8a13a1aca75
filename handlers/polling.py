"""Long polling that survives whatever comes back, shared by both runtimes.

getUpdates is called here with httpx, not through a framework, because the frameworks parse a
whole answer at once: one undecodable update, or one HTML error page from a proxy, stopped
aiogram's polling for good. Here a bad answer (not JSON, not the Bot API's shape, an error
status, a network error) is logged by kind and retried with backoff; each update is decoded on
its own by the intake. The offset, which confirms updates to Telegram, moves past a batch only
after the intake has stored it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence

import httpx

from handlers import RawUpdate

log = logging.getLogger(__name__)


POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait at Telegram
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
BUSY_WAIT = 0.2  # the intake has a backlog: fetch more once it shrinks


class PollError(Exception):
    """getUpdates gave no usable answer; the message is a kind, never content."""


class Poller:
    def __init__(
        self,
        api_base_url: str,
        token: str,
        accept: Callable[[Sequence[RawUpdate]], Awaitable[None]],
        allowed_updates: list[str],
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self._url = f"{api_base_url.rstrip('/')}/bot{token}/getUpdates"
        self._accept = accept
        self._allowed = allowed_updates
        self._busy = busy
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(POLL_TIMEOUT + 10, connect=10))
        self._task: asyncio.Task[None] | None = None
        self.offset = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mendbot-polling")

    async def stop(self) -> None:
        """End the poll under way (nothing it fetched was confirmed unless stored), then
        confirm what was stored so the next start doesn't fetch it again."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.offset:
            with contextlib.suppress(httpx.HTTPError, PollError):
                await self._fetch(wait=0, limit=1)
        await self._client.aclose()

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            if self._busy():
                await asyncio.sleep(BUSY_WAIT)
                continue
            try:
                updates = await self._fetch(wait=POLL_TIMEOUT)
                await self._take(updates)
            except (httpx.HTTPError, PollError) as exc:
                await self._wait(backoff, exc)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            except Exception as exc:  # storing failed (the database?): fetch them again later
                log.error("received updates not stored (%s); retrying", type(exc).__name__)
                await self._wait(backoff, None)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = BACKOFF_FIRST

    async def _take(self, updates: list[RawUpdate]) -> None:
        """Store the batch, then move the offset past it (the next call confirms it)."""
        ids = [u["update_id"] for u in updates if type(u.get("update_id")) is int]
        if len(ids) < len(updates):
            log.warning("%d update(s) without an update id skipped", len(updates) - len(ids))
        if updates:
            await self._accept(updates)
        if ids:
            self.offset = max(self.offset, max(ids) + 1)

    async def _wait(self, seconds: float, exc: BaseException | None) -> None:
        reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, PollError) else ""
        if exc is not None and not reason:
            reason = type(exc).__name__  # an httpx error's text could name the URL (the token)
        if reason:
            log.warning("getUpdates failed (%s); retrying in %.1f s", reason, seconds)
        await asyncio.sleep(seconds * random.uniform(0.8, 1.2))

    async def _fetch(self, wait: int, limit: int = 100) -> list[RawUpdate]:
        params = {
            "offset": self.offset or None,
            "timeout": wait,
            "limit": limit,
            "allowed_updates": self._allowed,
        }
        response = await self._client.post(self._url, json=params)
        return _updates_in(response)


def _updates_in(response: httpx.Response) -> list[RawUpdate]:
    """The updates of a getUpdates answer, or PollError saying what was wrong with it."""
    try:
        body = response.json()
    except ValueError:
        raise PollError(f"status {response.status_code}, not JSON") from None
    if not isinstance(body, dict):
        raise PollError(f"status {response.status_code}, not a Bot API answer")
    if response.status_code != 200 or body.get("ok") is not True:
        code = body.get("error_code", response.status_code)
        raise PollError(f"error {code}")
    result = body.get("result")
    if not isinstance(result, list) or not all(isinstance(u, dict) for u in result):
        raise PollError("status 200, result is not a list of updates")
    return result
