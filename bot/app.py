"""Wiring: database, the Telegram runtime, the router, the outbox sender and the scheduler.

Without TELEGRAM_BOT_TOKEN the app also starts the sandbox (a local Bot API-compatible server with
a web chat page) and seeds the demo centre: `make run` gives a working bot, no Telegram account.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.demo import DEMO_PEOPLE, seed_demo_centre
from bot.outbox import OutboxSender
from bot.proactive import reminder_rules, sender_rules
from bot.settings import Settings, SettingsError
from bot.telegram_api import BotApi
from flows.booking.tick import plan_booking_reminders_tick
from flows.checkin.alert import escalate_tick
from flows.checkin.digest import plan_digests_tick
from flows.checkin.reminder import add_schedules_tick, plan_due_tick, plan_nudges_tick
from flows.engine.core import BotInfo
from flows.engine.menu import VISITOR, menu_for
from flows.router import Router
from handlers import ALLOWED_UPDATES
from handlers.intake import Intake, Runtime
from handlers.polling import Poller
from handlers.webhook import WebhookConfig, WebhookEndpoint
from storage.db import SessionFactory, exclusive, make_engine, migrate, session_factory
from storage.failures import forget_failures
from storage.repo import store_factory

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)
SANDBOX_BOT_USERNAME = "mendbot_sandbox_bot"
OUTBOX_INTERVAL_SECONDS = 1.0
ESCALATE_INTERVAL_SECONDS = 30.0
PLAN_INTERVAL_SECONDS = 15.0
DIGEST_INTERVAL_SECONDS = 60.0
BOOKING_INTERVAL_SECONDS = 30.0
FORGET_INTERVAL_SECONDS = 3600.0
KEEP_UPDATE_IDS = timedelta(days=2)  # Telegram redelivers an update for at most 24 h
KEEP_TICK_FAILURES = timedelta(days=7)  # past the longest retry (a day)


def make_runtime(name: str, token: str, api_base_url: str) -> Runtime:
    """The named runtime, imported only when chosen."""
    if name == "ptb":
        from handlers.ptb import PtbRuntime

        return PtbRuntime(token, api_base_url)
    if name == "aiogram":
        from handlers.aiogram3 import AiogramRuntime

        return AiogramRuntime(token, api_base_url)
    raise SettingsError(f"Invalid setting BOT_RUNTIME: {name}; use ptb or aiogram")


def webhook_config(settings: Settings) -> WebhookConfig | None:
    """WEBHOOK_* settings as the runtimes need them; None (long polling) without WEBHOOK_URL."""
    if not settings.webhook_url or settings.webhook_secret is None:
        return None
    return WebhookConfig(
        url=settings.webhook_url,
        secret=settings.webhook_secret.get_secret_value(),
        host=settings.webhook_listen_host,
        port=settings.webhook_listen_port,
        delete_on_stop=settings.webhook_delete_on_stop,
    )


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
        self.intake: Intake | None = None
        self.poller: Poller | None = None
        self.endpoint: WebhookEndpoint | None = None
        self.api: BotApi | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._send_lock = asyncio.Lock()
        self._escalate_lock = asyncio.Lock()
        self._plan_lock = asyncio.Lock()
        self._booking_lock = asyncio.Lock()

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
            quiet_hours=self.settings.quiet_span(),
            digest_time=self.settings.digest_time,
        )
        router = Router(store_factory(self.sessions), bot, self.clock.now)
        await self.runtime.set_menu(menu_for(VISITOR))
        self.intake = Intake(self.runtime, router)
        await self.intake.start()  # what a crash left comes first
        await self._receive(self.runtime, self.intake, token, base_url)
        self.api = BotApi(base_url, token, timeout=self.settings.send_timeout_seconds)
        self.sender = OutboxSender(
            self.sessions, self.api, self.clock.now, sender_rules(self.settings)
        )
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        ticks = (
            (self.deliver_outbox, OUTBOX_INTERVAL_SECONDS, "outbox", None),
            # the planner runs at once: a restart plans without waiting
            (self.plan_reminders, PLAN_INTERVAL_SECONDS, "plan", datetime.now(UTC)),
            (self.send_digests, DIGEST_INTERVAL_SECONDS, "digest", None),
            (self.escalate_alerts, ESCALATE_INTERVAL_SECONDS, "escalate", None),
            (self.plan_booking_reminders, BOOKING_INTERVAL_SECONDS, "booking_tick", None),
            (self.forget_updates, FORGET_INTERVAL_SECONDS, "forget_updates", None),
        )
        for tick, seconds, job_id, first_run in ticks:
            options = {"next_run_time": first_run} if first_run else {}
            self.scheduler.add_job(
                tick,
                "interval",
                seconds=seconds,
                id=job_id,
                max_instances=1,
                coalesce=True,
                **options,
            )
        self.scheduler.start()
        mode = "webhook" if self.settings.webhook_url else "long polling"
        log.info("mendbot is running as @%s (%s, %s)", username, self.settings.bot_runtime, mode)

    async def _receive(self, runtime: Runtime, intake: Intake, token: str, base_url: str) -> None:
        """Updates in: a webhook when WEBHOOK_URL is set (listening before setWebhook, so the
        first update finds us), long polling otherwise."""
        webhook = webhook_config(self.settings)
        if webhook is not None:
            self.endpoint = WebhookEndpoint(webhook, intake.accept, lambda: intake.busy)
            await self.endpoint.start()
            await runtime.set_webhook(webhook.url, webhook.secret, ALLOWED_UPDATES)
            return
        await runtime.delete_webhook()  # getUpdates answers 409 while a webhook is set
        self.poller = Poller(base_url, token, intake.accept, ALLOWED_UPDATES, lambda: intake.busy)
        self.poller.start()

    async def _stop_receiving(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        if self.endpoint is not None:
            if self.endpoint.config.delete_on_stop and self.runtime is not None:
                try:
                    await self.runtime.delete_webhook()
                except Exception as exc:
                    log.warning("deleteWebhook failed: %s", type(exc).__name__)
            await self.endpoint.stop()
            self.endpoint = None

    async def _telegram(self) -> tuple[str, str]:
        """The token and API base: the configured ones, or a fresh sandbox's."""
        if self.settings.telegram_bot_token is not None:
            return self.settings.telegram_bot_token.get_secret_value(), (
                self.settings.telegram_api_base_url
            )
        from bot.sandbox.server import Persona, SandboxServer

        token = f"{secrets.randbelow(9 * 10**8) + 10**8}:{secrets.token_urlsafe(24)}"
        personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
        async with store_factory(self.sessions)() as store:
            last_update_id = await store.last_update_id()
        self.sandbox = SandboxServer(
            token,
            host=self.settings.sandbox_host,
            port=self.settings.sandbox_port,
            personas=personas,
            bot_username=SANDBOX_BOT_USERNAME,
            last_update_id=last_update_id,
        )
        try:
            await self.sandbox.start()
        except OSError as exc:
            raise SettingsError(
                f"Invalid setting SANDBOX_PORT: {self.settings.sandbox_port} is not free ({exc})"
            ) from None
        return token, self.sandbox.base_url

    @asynccontextmanager
    async def _turn(self, lock: asyncio.Lock, job: str) -> AsyncIterator[bool]:
        """This process's turn at a tick: one at a time in here (a test's call and the
        scheduler's never overlap), and on PostgreSQL one process at a time; False: another
        process has it, so this tick is skipped."""
        if self.engine is None:
            raise RuntimeError("MendBot is not started")
        async with lock, exclusive(self.engine, job) as mine:
            yield mine

    async def deliver_outbox(self) -> int:
        """One delivery round by the one sender. Rows left "sending" can only be a dead
        sender's (only the lock's holder sends): they are settled first, never resent."""
        async with self._turn(self._send_lock, "outbox") as mine:
            if not mine:
                return 0
            await self.sender.recover()
            return await self.sender.deliver_due()

    async def plan_reminders(self) -> int:
        """The planner tick: new schedules, due reminders (batch by batch), evening nudges."""
        rules, queued = reminder_rules(self.settings), 0
        async with self._turn(self._plan_lock, "plan") as mine:
            if not mine:
                return 0
            stores = store_factory(self.sessions)
            await add_schedules_tick(stores, self.clock.now(), rules)
            while True:  # one bad client is recorded and left out (flows/engine/ticks.py)
                batch = await plan_due_tick(stores, self.clock.now(), rules)
                queued += batch.done
                if batch.rows < rules.batch or batch.unmarked:
                    break
            queued += (await plan_nudges_tick(stores, self.clock.now(), rules)).done
        return queued

    async def send_digests(self) -> int:
        """The digest tick: each trainer's routine flags, once a day at their local time."""
        rules, now = reminder_rules(self.settings), self.clock.now()
        async with self._turn(self._plan_lock, "digest") as mine:
            if not mine:
                return 0
            stores = store_factory(self.sessions)
            done = await plan_digests_tick(stores, now, rules, self.settings.digest_time)
        return done.done

    async def escalate_alerts(self) -> int:
        """Send overdue emergency and urgent alerts to the admins as well."""
        settings = self.settings
        emergency = timedelta(minutes=settings.alert_escalate_emergency_minutes)
        urgent = timedelta(minutes=settings.alert_escalate_urgent_minutes)
        async with self._turn(self._escalate_lock, "escalate") as mine:
            if not mine:
                return 0
            stores = store_factory(self.sessions)
            done = await escalate_tick(stores, self.clock.now(), emergency, urgent)
        return done.done

    async def plan_booking_reminders(self) -> int:
        """The booking tick: release expired holds, queue consult reminders and outcome asks."""
        zone = self.settings.default_timezone
        async with self._turn(self._booking_lock, "booking") as mine:
            if not mine:
                return 0
            stores = store_factory(self.sessions)
            done = await plan_booking_reminders_tick(stores, self.clock.now(), zone)
        return done.done

    async def forget_updates(self) -> int:
        """Prune processed update ids past any redelivery, so the table stays small, and tick
        failures long past their retry (their row is gone or no longer due)."""
        async with store_factory(self.sessions)() as store:
            count = await store.forget_updates(self.clock.now() - KEEP_UPDATE_IDS)
            await forget_failures(store, self.clock.now() - KEEP_TICK_FAILURES)
            await store.commit()
        return count

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            self.sender.close()
            async with self._send_lock, self._escalate_lock, self._booking_lock, self._plan_lock:
                pass  # let a tick that is under way finish before the engine goes
        await self._stop_receiving()
        if self.intake is not None:
            await self.intake.stop()
        if self.runtime is not None:
            await self.runtime.close()
        if self.api is not None:
            await self.api.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()
        if self.engine is not None:
            await self.engine.dispose()
