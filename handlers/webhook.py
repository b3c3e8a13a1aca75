"""Webhook mode, shared by both runtimes: the HTTP endpoint Telegram POSTs updates to.

Each request must carry the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token (compared
in constant time); anything else is refused before its body is read. An accepted update is queued
for the runtime's serial worker and answered 200 at once, so Telegram never times out and retries
a slow update. A retry that still arrives is harmless: the router records every update id in the
same transaction as its effects and skips one it has seen.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from handlers.worker import RawUpdate, SerialWorker

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024
SHUTDOWN_SECONDS = 1.0


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram reaches us and how we recognise it; the secret never shows in a repr."""

    url: str
    secret: str = field(repr=False)
    host: str = "0.0.0.0"
    port: int = 8443
    delete_on_stop: bool = True

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


class WebhookEndpoint:
    """An aiohttp server on the webhook path, feeding a SerialWorker."""

    def __init__(
        self, config: WebhookConfig, process: Callable[[RawUpdate], Awaitable[None]]
    ) -> None:
        self.config = config
        self.worker: SerialWorker[RawUpdate] = SerialWorker(process)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen first, so the first update Telegram sends after setWebhook finds us."""
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.config.path, self._on_post)
        # access_log=None: keep request lines out of the log (the path is all it would add).
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.host, self.config.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.worker.start()
        log.info(
            "webhook listening on %s:%d%s", self.config.host, self.config.port, self.config.path
        )

    async def stop(self) -> None:
        """Stop accepting, then let the updates already answered 200 finish."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.worker.stop()

    async def _on_post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401)
        if not hmac.compare_digest(given.encode(), self.config.secret.encode()):
            return web.Response(status=403)
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400)
        if not self.worker.submit(update):
            return web.Response(status=503)  # Telegram retries later
        return web.Response(status=200)
