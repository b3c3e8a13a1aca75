"""Wiring: database, the Telegram runtime, the router, the outbox sender and the scheduler.

Without TELEGRAM_BOT_TOKEN the app also starts the sandbox (a local Bot API-compatible server with
a web chat page) and seeds the demo centre: `make run` gives a working bot, no Telegram account.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.demo import DEMO_PEOPLE, reset_demo_centre, seed_demo_centre
from bot.failing import TickFailures
from bot.metrics import HEALTH_PATH, LIVE_PATH, METRICS_PATH, Metrics, MetricsServer
from bot.outbox import OutboxSender
from bot.people import highest_user_id, set_menus, stored_people
from bot.proactive import bot_info, reminder_rules, sender_rules
from bot.settings import Settings, SettingsError
from bot.startup import binding, opening_database, reach_database, reach_telegram
from bot.telegram_api import BotApi
from flows.booking.tick import plan_booking_reminders_tick
from flows.checkin.alert import escalate_tick
from flows.checkin.digest import plan_digests_tick
from flows.checkin.reminder import (
    add_schedules_tick,
    plan_due_in_bulk_tick,
    plan_due_tick,
    plan_nudges_in_bulk_tick,
    plan_nudges_tick,
)
from flows.engine.languages import SUPPORTED
from flows.engine.menu import VISITOR, menu_for
from flows.progress.drawer import DRAWER
from flows.progress.progression import plan_suggestions_tick
from flows.progress.weekly import plan_weekly_tick
from flows.router import Router
from handlers import ALLOWED_UPDATES
from handlers.intake import Intake, Runtime
from handlers.polling import Poller
from handlers.webhook import WebhookConfig, WebhookEndpoint
from storage.db import (
    SessionFactory,
    exclusive,
    make_engine,
    migrate,
    running,
    session_factory,
)
from storage.failures import forget_failures
from storage.repo import store_factory
from storage.sent import forget_sent

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)
SANDBOX_BOT_USERNAME = "mendbot_sandbox_bot"
KEEP_UPDATE_IDS = timedelta(days=2)  # Telegram redelivers an update for at most 24 h
KEEP_TICK_FAILURES = timedelta(days=7)  # past the longest retry (a day)
FORGET_AT_ONCE = 2000  # sent messages deleted a transaction (a few ms of the write lock)
FORGET_RUNS = 100  # transactions a run: 200,000 messages an hour at most


def freeze_startup() -> None:
    """Once started, in a process that only runs the bot: what start-up built (modules, models,
    the schema, the caches) lives as long as the process, so the garbage collector stops going
    through it at every collection (gc.freeze): under load about 0.4 ms less CPU an update."""
    gc.collect()
    gc.freeze()


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
    if urlsplit(settings.webhook_url).path in (METRICS_PATH, HEALTH_PATH, LIVE_PATH):
        raise SettingsError(
            f"Invalid setting WEBHOOK_URL: its path is {METRICS_PATH}, {HEALTH_PATH} or "
            f"{LIVE_PATH}, which serve metrics and health"
        )
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
        self.update_engine: AsyncEngine | None = None  # SQLite: the updates' own, inline
        self.runtime: Runtime | None = None
        self.intake: Intake | None = None
        self.poller: Poller | None = None
        self.endpoint: WebhookEndpoint | None = None
        self.api: BotApi | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.metrics = Metrics(self.clock.now, lambda: self.sessions, self._last_delivery)
        self.metrics_server: MetricsServer | None = None
        self._sender_elsewhere = False  # the last outbox tick found another process sending
        self._send_lock = asyncio.Lock()
        self._escalate_lock = asyncio.Lock()
        self._plan_lock = asyncio.Lock()
        # its own: on a Sunday evening the weekly charts take minutes, and reminders must not wait
        self._progress_lock = asyncio.Lock()
        self._booking_lock = asyncio.Lock()
        self._locks = (
            self._send_lock,
            self._escalate_lock,
            self._plan_lock,
            self._progress_lock,
            self._booking_lock,
        )
        self._ticking: set[asyncio.Task[object]] = set()  # the scheduler's ticks under way
        self.tick_failures = TickFailures()
        self._stopping = False  # long ticks end between pages (flows/engine/ticks.py paged)
        self._running = ExitStack()  # the running lock: a restore refuses while it is held

    @property
    def sessions(self) -> SessionFactory:
        if self.engine is None:
            raise RuntimeError("MendBot is not started")
        return session_factory(self.engine)

    def _update_engine(self, url: str) -> AsyncEngine:
        """Updates are short transactions: on a SQLite file they run inline on the loop
        (storage/inline_sqlite.py), which costs a third less CPU than aiosqlite's thread; the
        ticks keep the threaded engine, as their bulk statements must not hold up the loop.
        PostgreSQL's driver is asynchronous already: one engine."""
        assert self.engine is not None
        if self.engine.dialect.name != "sqlite":
            return self.engine
        return make_engine(url, self.settings.update_concurrency, inline=True)

    async def start(self) -> None:
        url = self.settings.database_url
        with opening_database(url):
            self.engine = make_engine(url, self.settings.update_concurrency)
            self._running.enter_context(running(self.engine))
        await reach_database(self.engine, url)
        await migrate(self.engine)
        self.update_engine = self._update_engine(url)
        if self.seed_demo:
            await seed_demo_centre(self.sessions, self.settings.default_timezone, self.clock.now())
        token, base_url = await self._telegram()
        self.runtime = make_runtime(self.settings.bot_runtime, token, base_url)
        username = await self.runtime.initialize()
        router = Router(
            store_factory(session_factory(self.update_engine)),
            bot_info(self.settings, username),
            self.clock.now,
            one_writer=self.engine.dialect.name == "sqlite",
        )
        await self.runtime.set_menu(menu_for(VISITOR, "en"))  # any language we don't speak: English
        for language in SUPPORTED:
            await self.runtime.set_menu(menu_for(VISITOR, language), language=language)
        if self.seed_demo:  # the sandbox's menus live in its memory: everyone's, set again
            await set_menus(self.runtime, await stored_people(self.sessions))
        self.api = BotApi(base_url, token, timeout=self.settings.send_timeout_seconds)
        self.sender = OutboxSender(
            self.sessions,
            self.api,
            self.clock.now,
            sender_rules(self.settings),
            observe=self.metrics.sent,
        )
        await self._serve_metrics()
        self.intake = Intake(
            self.runtime, router, self.metrics.update_handled, self.settings.update_concurrency
        )
        await self.intake.start()  # what a crash left comes first
        await self._receive(self.runtime, self.intake, token, base_url)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._stopping = False
        every = self.settings  # each tick's interval is a setting (*_INTERVAL_SECONDS)
        ticks = (
            (self.deliver_outbox, every.outbox_interval_seconds, "outbox", None),
            # the planner runs at once: a restart plans without waiting
            (self.plan_reminders, every.plan_interval_seconds, "plan", datetime.now(UTC)),
            (self.send_digests, every.digest_interval_seconds, "digest", None),
            (self.escalate_alerts, every.escalate_interval_seconds, "escalate", None),
            (self.plan_booking_reminders, every.booking_interval_seconds, "booking", None),
            (self.forget_updates, every.forget_interval_seconds, "forget_updates", None),
            (self.plan_progress, every.progress_interval_seconds, "progress", None),
        )
        for tick, seconds, job_id, first_run in ticks:
            options = {"next_run_time": first_run} if first_run else {}
            self.scheduler.add_job(
                self._tracked(job_id, self.metrics.timed(job_id, tick)),  # timed, by its id
                "interval",
                seconds=seconds,
                id=job_id,
                max_instances=1,
                coalesce=True,
                # a run due while the loop was busy (a slow start, a loaded machine) runs late
                # rather than being dropped as missed after APScheduler's default second
                misfire_grace_time=None,
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
            self.endpoint = WebhookEndpoint(
                webhook, intake.accept, lambda: intake.busy, self.metrics.routes()
            )
            async with binding("WEBHOOK_LISTEN", webhook.host, webhook.port):
                await self.endpoint.start()
            await runtime.set_webhook(webhook.url, webhook.secret, ALLOWED_UPDATES)
            return
        await runtime.delete_webhook()  # getUpdates answers 409 while a webhook is set
        self.poller = Poller(base_url, token, intake.accept, ALLOWED_UPDATES, lambda: intake.busy)
        self.poller.start()

    async def _serve_metrics(self) -> None:
        """/metrics and /healthz on METRICS_PORT, if set (webhook mode serves them anyway)."""
        port = self.settings.metrics_port
        if port is None:
            return
        server = MetricsServer(self.metrics.routes(), self.settings.metrics_host, port)
        async with binding("METRICS", self.settings.metrics_host, port):
            await server.start()
        self.metrics_server = server

    def _last_delivery(self) -> datetime | None:
        """When this process's sender last delivered (or started); None while another process
        holds the sender's turn, so its own /healthz judges the sender."""
        return None if self._sender_elsewhere else self.sender.last_delivery

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
            token = self.settings.telegram_bot_token.get_secret_value()
            await reach_telegram(self.settings.telegram_api_base_url, token)
            return token, self.settings.telegram_api_base_url
        from bot.sandbox.server import Persona, SandboxServer

        token = f"{secrets.randbelow(9 * 10**8) + 10**8}:{secrets.token_urlsafe(24)}"
        personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
        demo_ids = {p.user_id for p in DEMO_PEOPLE}
        known = [
            Persona(k.user_id, k.name, k.label, k.locale)
            for k in await stored_people(self.sessions)
            if k.user_id not in demo_ids
        ]
        async with store_factory(self.sessions)() as store:
            last_update_id = await store.last_update_id()
        self.sandbox = SandboxServer(
            token,
            host=self.settings.sandbox_host,
            port=self.settings.sandbox_port,
            personas=personas,
            bot_username=SANDBOX_BOT_USERNAME,
            last_update_id=last_update_id,
            people=known,
            visitor_ids_above=await highest_user_id(self.sessions),
            on_reset=self.reset_demo if self.seed_demo else None,
        )
        async with binding("SANDBOX", self.settings.sandbox_host, self.settings.sandbox_port):
            await self.sandbox.start()
        return token, self.sandbox.base_url

    async def reset_demo(self) -> None:
        """The demo centre as at the first start (the page's button, `mendbot sandbox --reset`),
        with the demo people's menus set again."""
        await reset_demo_centre(self.sessions, self.settings.default_timezone, self.clock.now())
        if self.runtime is not None:
            demo_ids = {p.user_id for p in DEMO_PEOPLE}
            people = await stored_people(self.sessions)
            await set_menus(self.runtime, [p for p in people if p.user_id in demo_ids])

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
            self._sender_elsewhere = not mine
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
            queued += (await plan_due_in_bulk_tick(stores, self.clock.now(), rules)).done
            while True:  # one bad client is recorded and left out (flows/engine/ticks.py)
                batch = await plan_due_tick(stores, self.clock.now(), rules)
                queued += batch.done
                if batch.rows < rules.batch or batch.unmarked:
                    break
            queued += (await plan_nudges_in_bulk_tick(stores, self.clock.now(), rules)).done
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

    async def plan_progress(self) -> int:
        """The progress tick: progression suggestions to trainers (TRIAGE.md section 3) and the
        weekly summaries."""
        settings, now = self.settings, self.clock.now()
        async with self._turn(self._progress_lock, "progress") as mine:
            if not mine:
                return 0
            stores = store_factory(self.sessions)
            zone, thresholds = settings.default_timezone, settings.thresholds()
            done = await plan_suggestions_tick(stores, now, zone, thresholds, self._going)
            weekly = await plan_weekly_tick(stores, now, zone, self._going)
        return done.done + weekly.done

    async def forget_updates(self) -> int:
        """Prune processed update ids past any redelivery, so the table stays small, tick
        failures long past their retry (their row is gone or no longer due), and messages sent
        more than OUTBOX_KEEP_DAYS ago."""
        async with store_factory(self.sessions)() as store:
            count = await store.forget_updates(self.clock.now() - KEEP_UPDATE_IDS)
            await forget_failures(store, self.clock.now() - KEEP_TICK_FAILURES)
            await store.commit()
        return count + await self.forget_sent()

    async def forget_sent(self) -> int:
        """Sent messages past OUTBOX_KEEP_DAYS go, FORGET_AT_ONCE a transaction (the write lock
        is held that long only), up to FORGET_RUNS transactions a run: a backlog (a first run
        over years of reminders) goes over a few hours, and a stop ends it between two."""
        before = self.clock.now() - timedelta(days=self.settings.outbox_keep_days)
        forgotten = 0
        for _ in range(FORGET_RUNS):
            async with store_factory(self.sessions)() as store:
                count = await forget_sent(store, before, FORGET_AT_ONCE)
                await store.commit()
            forgotten += count
            if count < FORGET_AT_ONCE or self._stopping:
                break
        return forgotten

    def _going(self) -> bool:
        return not self._stopping

    def _tracked(
        self, job_id: str, tick: Callable[[], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        """`tick`, known to `stop` while it runs (to let it finish instead of cancelling it),
        its failures told once, not at every run (bot/failing.py)."""

        async def tracked() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._ticking.add(task)
            try:
                await tick()
            except Exception as exc:
                self.tick_failures.failed(job_id, exc)
            else:
                self.tick_failures.succeeded(job_id)
            finally:
                self._ticking.discard(task)

        return tracked

    async def stop(self) -> None:
        if self.metrics_server is not None:
            await self.metrics_server.stop()
            self.metrics_server = None
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no tick starts from here on
            self._stopping = True  # a tick walking every client ends after its page
            self.sender.close()  # the outbox tick stops after the send under way
            await asyncio.gather(*self._ticking, return_exceptions=True)  # the rest finish
            self.scheduler.shutdown(wait=False)  # nothing runs: nothing is cancelled
            for lock in self._locks:
                async with lock:
                    pass  # nor a tick a caller started itself
        await self._stop_receiving()
        if self.intake is not None:
            await self.intake.stop()
        if self.runtime is not None:
            await self.runtime.close()
        if self.api is not None:
            await self.api.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()
        if self.update_engine is not None and self.update_engine is not self.engine:
            await self.update_engine.dispose()
        if self.engine is not None:
            await self.engine.dispose()
        await DRAWER.stop()  # a drawing under way has finished: the worker may go
        self._running.close()
