"""Wiring: database, the Telegram runtime, the router, the outbox sender and the scheduler.

Without TELEGRAM_BOT_TOKEN the app also starts the sandbox (a local Bot API-compatible server with
a web chat page) and seeds the demo centre: `make run` gives a working bot, no Telegram account.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.demo import DEMO_PEOPLE, seed_demo_centre
from bot.outbox import OutboxSender
from bot.settings import Settings, SettingsError
from bot.telegram_api import BotApi
from flows.alert import escalate_overdue
from flows.core import BotInfo, Menu
from flows.menu import VISITOR, menu_for
from flows.router import Router
from handlers import Handle
from storage.db import SessionFactory, make_engine, migrate, session_factory
from storage.repo import store_factory

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)
SANDBOX_BOT_USERNAME = "mendbot_sandbox_bot"
OUTBOX_INTERVAL_SECONDS = 1.0
ESCALATE_INTERVAL_SECONDS = 30.0


class Runtime(Protocol):
    async def initialize(self) -> str: ...
    async def start(self, handle: Handle, default_menu: Menu) -> None: ...
    async def stop(self) -> None: ...


def make_runtime(name: str, token: str, api_base_url: str) -> Runtime:
    if name == "ptb":
        from handlers.ptb import PtbRuntime

        return PtbRuntime(token, api_base_url)
    raise SettingsError(f"Invalid setting BOT_RUNTIME: {name} is not available yet; use ptb")


class MendBot:
    """One running bot. `start` and `stop` are all a caller (the CLI or a test) needs."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, seed_demo: bool | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.seed_demo = settings.sandbox if seed_demo is None else seed_demo
        self.sandbox: SandboxServer | None = None
        self.engine: AsyncEngine | None = None
        self.runtime: Runtime | None = None
        self.api: BotApi | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._send_lock = asyncio.Lock()
        self._escalate_lock = asyncio.Lock()

    @property
    def sessions(self) -> SessionFactory:
        if self.engine is None:
            raise RuntimeError("MendBot is not started")
        return session_factory(self.engine)

    async def start(self) -> None:
        self.engine = make_engine(self.settings.database_url)
        await migrate(self.engine)
        if self.seed_demo:
            await seed_demo_centre(self.sessions, self.settings.default_timezone, self.clock.now())
        token, base_url = await self._telegram()
        self.runtime = make_runtime(self.settings.bot_runtime, token, base_url)
        username = await self.runtime.initialize()
        bot = BotInfo(
            username=username,
            emergency_number=self.settings.emergency_number,
            default_timezone=self.settings.default_timezone,
            invite_ttl_days=self.settings.invite_ttl_days,
            thresholds=self.settings.thresholds(),
        )
        router = Router(store_factory(self.sessions), bot, self.clock.now)
        await self.runtime.start(router.handle, menu_for(VISITOR))
        self.api = BotApi(base_url, token)
        self.sender = OutboxSender(self.sessions, self.api, self.clock.now)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.deliver_outbox,
            "interval",
            seconds=OUTBOX_INTERVAL_SECONDS,
            id="outbox",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self.escalate_alerts,
            "interval",
            seconds=ESCALATE_INTERVAL_SECONDS,
            id="escalate",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        log.info("mendbot is running as @%s (%s runtime)", username, self.settings.bot_runtime)

    async def _telegram(self) -> tuple[str, str]:
        """The token and API base: the configured ones, or a fresh sandbox's."""
        if self.settings.telegram_bot_token is not None:
            return self.settings.telegram_bot_token.get_secret_value(), (
                self.settings.telegram_api_base_url
            )
        from bot.sandbox.server import Persona, SandboxServer

        token = f"{secrets.randbelow(9 * 10**8) + 10**8}:{secrets.token_urlsafe(24)}"
        personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
        self.sandbox = SandboxServer(
            token,
            host=self.settings.sandbox_host,
            port=self.settings.sandbox_port,
            personas=personas,
            bot_username=SANDBOX_BOT_USERNAME,
        )
        try:
            await self.sandbox.start()
        except OSError as exc:
            raise SettingsError(
                f"Invalid setting SANDBOX_PORT: {self.settings.sandbox_port} is not free ({exc})"
            ) from None
        return token, self.sandbox.base_url

    async def deliver_outbox(self) -> int:
        """One delivery round; a lock keeps a test's call and the scheduler's from overlapping."""
        async with self._send_lock:
            return await self.sender.deliver_due()

    async def escalate_alerts(self) -> int:
        """Send overdue emergency and urgent alerts to the admins as well."""
        settings = self.settings
        async with self._escalate_lock, store_factory(self.sessions)() as store:
            count = await escalate_overdue(
                store,
                self.clock.now(),
                timedelta(minutes=settings.alert_escalate_emergency_minutes),
                timedelta(minutes=settings.alert_escalate_urgent_minutes),
            )
            await store.commit()
        return count

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            async with self._send_lock, self._escalate_lock:
                pass  # let a tick that is under way finish before the engine goes
        if self.runtime is not None:
            await self.runtime.stop()
        if self.api is not None:
            await self.api.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()
        if self.engine is not None:
            await self.engine.dispose()
