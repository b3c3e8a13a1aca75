"""The sandbox: a local stand-in for Telegram's Bot API, plus a web chat page on the same server.

Telegram is unreachable here, so the real bot talks HTTP to this server exactly as it would to
api.telegram.org (`<base_url>/bot<token>/<method>`, files at `<base_url>/file/bot<token>/<path>`),
people chat with it from a browser page, and end-to-end tests act as people through the same page
API. Everything lives in memory for the life of one server. The parts, one job each:

    botapi.py   the Bot API methods, and `calls`, the record of every call
    params.py   decoding their parameters (query, JSON, form, multipart)
    text.py     plain message text (no parse_mode) and markup.py the keyboards
    files.py    uploaded photos and documents
    updates.py  the update queue; webhook.py delivery to a webhook
    chats.py    people, chats and messages; what a person does
    faults.py   injected faults for reliability tests
    page.py     the chat page and its JSON API (the driver, driver.py, uses it too)

This module wires them into one aiohttp server. In-process tests act and arm faults through
its methods (`user_sends`, `add_visitor`, `set_blocked`, `inject_update`, `inject_faults`,
`inject_fault_rate`, `inject_poll_faults`) and read `calls` and `history(chat_id)`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.botapi import METHOD_NAMES, ApiCall, BotApi
from bot.sandbox.chats import Chats
from bot.sandbox.faults import Faults
from bot.sandbox.files import Files
from bot.sandbox.page import PageApi, page_errors
from bot.sandbox.params import MAX_UPLOAD_BYTES
from bot.sandbox.updates import UpdateQueue

__all__ = ["ApiCall", "Persona", "SandboxServer"]

log = logging.getLogger(__name__)


@dataclass
class Persona:
    """A ready-made person on the page, such as the demo admin, trainer or client."""

    user_id: int
    first_name: str
    label: str
    language: str = "en"  # their Telegram app's; for someone known, the one stored for them


class SandboxServer:
    """A Bot API-compatible server with a chat page; see the module docstring."""

    def __init__(
        self,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        personas: Sequence[Persona] = (),
        bot_username: str = "mendbot_sandbox_bot",
        bot_name: str = "mendbot",
        last_update_id: int = 0,
        people: Sequence[Persona] = (),
        visitor_ids_above: int = 0,
        on_reset: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`last_update_id`: where numbering continues, as Telegram's does for one bot (a bot that
        remembers the ids it processed must not see a fresh sandbox reuse them).

        `people`: others the bot already knows (after a restart), listed with the visitors;
        `visitor_ids_above`: new visitors get ids above this one, so never the id of someone the
        bot stored (they would inherit that person's account). `on_reset`: what the page's
        "Reset the demo" button runs (the app restores the demo centre); None: no such button."""
        head, sep, secret = token.partition(":")
        if not (head.isdigit() and sep and secret):
            raise ValueError("the bot token must look like '<digits>:<secret>'")
        self.token = token
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.bot_id = int(head)
        self.personas = list(personas)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.updates = UpdateQueue(last_update_id)
        self.chats = Chats(self.bot_user, self.updates)
        self.files = Files()
        self.faults = Faults(METHOD_NAMES)
        self.bot_api = BotApi(token, self.chats, self.files, self.faults)
        self.calls: list[ApiCall] = self.bot_api.calls
        self._page = PageApi(self)
        self._runner: web.AppRunner | None = None
        for persona in personas:
            self.chats.add_user(persona.user_id, persona.first_name, persona.label, started=True)
        for known in people:
            if known.user_id not in self.chats.users:
                self.chats.add_known(known.user_id, known.first_name, known.label, known.language)
        self.chats.number_visitors_above(visitor_ids_above)
        self.on_reset = on_reset
        # What a person does, and test controls (the page API offers the same).
        self.add_visitor = self.chats.add_visitor
        self.user_sends = self.chats.user_sends
        self.set_blocked = self.chats.set_blocked
        self.history = self.chats.history
        self.inject_update = self.updates.inject
        self.inject_faults = self.faults.inject_faults
        self.inject_fault_rate = self.faults.inject_fault_rate
        self.inject_poll_faults = self.faults.inject_poll_faults

    def __repr__(self) -> str:  # never shows the token
        return f"SandboxServer(base_url={self.base_url!r}, bot=@{self.bot_username})"

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def page_url(self) -> str:
        return self.base_url + "/"

    async def start(self) -> None:
        """Bind and serve; with port 0 the system picks a free port and `self.port` shows it."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[page_errors])
        app.router.add_route("*", "/bot{token}/{method}", self.bot_api.handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self.bot_api.handle_file)
        self._page.add_routes(app)
        self.updates.closing = self.chats.closing = self.faults.closing = False
        # access_log=None: request paths contain the bot token, which must never be logged.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner
        log.info("sandbox serving on %s", self.base_url)

    async def stop(self) -> None:
        """Wake every long poll, stop webhook delivery and close the listening socket."""
        self.updates.close()
        self.chats.close()
        self.faults.close()  # held (faulted) answers go out now
        await self.bot_api.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def forget_records(self) -> None:
        """Drop what it recorded (chats, updates, the calls made), once stopped and read.
        aiohttp caches request handlers module-wide (up to 1024), which keeps a stopped server
        alive with all of it: a long benchmark of many servers grew by megabytes a row."""
        self.calls.clear()
        self.chats.chats.clear()
        self.chats.callbacks.clear()
        self.updates.by_id.clear()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
