"""Webhook mode, shared by both runtimes: the HTTP endpoint Telegram POSTs updates to.

Each request must carry the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token (compared
in constant time); anything else is refused before its body is read. An update is answered 200 once
the intake has stored it (handlers/intake.py), before it is handled, so Telegram never times out
on a slow update, and a crash after the 200 loses nothing. If it can't be stored the answer is
500 and Telegram retries; a retry of a stored or handled update is skipped.

The same server answers the `routes` it is given (GET /metrics and /healthz, bot/metrics.py)
on paths of their own, without the secret: they hold no personal data.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from handlers import RawUpdate

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
    """An aiohttp server on the webhook path, handing each update to the intake."""

    def __init__(
        self,
        config: WebhookConfig,
        accept: Callable[[Sequence[RawUpdate]], Awaitable[None]],
        busy: Callable[[], bool] = lambda: False,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self.config = config
        self._accept = accept
        self._busy = busy
        self._routes = routes
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen first, so the first update Telegram sends after setWebhook finds us."""
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.config.path, self._on_post)
        app.add_routes(self._routes)
        # access_log=None: keep request lines out of the log (the path is all it would add).
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.host, self.config.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info(
            "webhook listening on %s:%d%s", self.config.host, self.config.port, self.config.path
        )

    async def stop(self) -> None:
        """Stop accepting (what was answered 200 is stored)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _on_post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401)
        if not hmac.compare_digest(given.encode(), self.config.secret.encode()):
            return web.Response(status=403)
        try:
            update = json.loads(await request.read())
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
            return web.Response(status=400)
        if not isinstance(update, dict) or type(update.get("update_id")) is not int:
            return web.Response(status=400)
        if self._busy():
            return web.Response(status=503)  # Telegram retries later
        try:
            await self._accept([update])
        except Exception as exc:  # not stored: Telegram must send it again
            log.error("webhook update not stored (%s)", type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200)
