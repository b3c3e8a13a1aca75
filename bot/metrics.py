"""Metrics and health: what /metrics exposes (Prometheus text format) and how /healthz decides.

Counted as it happens: updates by outcome and their handling time (handlers/intake.py), the
outbox sender's sends by outcome (bot/outbox.py), each periodic tick's duration (bot/app.py).
Read from the database at each scrape, within QUERY_TIMEOUT: the outbox backlog and the age of
its oldest message by kind, open alerts by severity, the age of the oldest unacknowledged
emergency (storage/stats.py: counts and oldest times, never a row's contents). Label values
come from small fixed sets (outcomes, outbox kinds, severities, tick names), never an id, a
name or a chat: nothing here identifies a person.

/healthz answers 200 "ok", or 503 with one line saying why: the database did not answer a
trivial query within QUERY_TIMEOUT, its SQLite file is gone, or the outbox sender is stuck:
messages have waited past STUCK_AFTER (due, or retried after Bot API failures) and this
process's sender delivered nothing in that time. While another process holds the sender's
turn (several processes on one database), that process's own /healthz speaks for the sender.
Ages are read on the bot's clock.
That is readiness: a restart mends neither a database nor Telegram being down. /livez is
liveness: 200 "alive" whenever the event loop answers at all (the server runs on it), so an
orchestrator restarts a bot whose loop is stuck, not one waiting out an outage.

Both are served on the webhook listener (handlers/webhook.py) and, with METRICS_PORT, on a
port of their own (`MetricsServer`; long polling has no web server otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as exposition
from prometheus_client.core import GaugeMetricFamily, Metric

from bot.telegram_api import Outcome
from handlers.intake import OUTCOMES
from storage.db import SessionFactory
from storage.repo import store_factory
from storage.stats import (
    DatabaseFileGone,
    Group,
    open_alerts,
    outbox_backlog,
    outbox_waiting,
    ping,
)

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
HEALTH_PATH = "/healthz"
LIVE_PATH = "/livez"
QUERY_TIMEOUT = 2.0  # seconds the database has to answer a scrape or a health check
STUCK_AFTER = timedelta(minutes=5)  # messages waiting this long with none delivered: stuck
SEVERITIES = ("emergency", "urgent", "routine")
TICK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300)
OTHER = "other"  # the label of a kind or severity outside the expected shape
_KIND = re.compile(r"[a-z][a-z0-9_]{0,47}")  # outbox kinds are code's words: alert_urgent, digest


@dataclass(frozen=True)
class Snapshot:
    """The database's part of a scrape."""

    now: datetime
    backlog: Sequence[Group]
    alerts: Sequence[Group]


class StoreGauges:
    """A collector of the gauges read from the database: each scrape reads the database first
    (Metrics.scrape: async, within a timeout) and leaves its `snapshot` here (None: the
    database did not answer), which `collect` (what prometheus_client calls) turns into
    gauges."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None

    def collect(self) -> Iterator[Metric]:
        found = self.snapshot
        yield GaugeMetricFamily(
            "mendbot_database_up",
            "1 if the database answered this scrape's queries in time, else 0",
            value=0 if found is None else 1,
        )
        if found is None:
            return
        backlog = _merged(found.backlog, lambda kind: kind if _KIND.fullmatch(kind) else OTHER)
        count = GaugeMetricFamily(
            "mendbot_outbox_backlog", "Outbox messages not yet delivered, by kind", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "mendbot_outbox_oldest_age_seconds",
            "Age of the oldest outbox message not yet delivered, by kind",
            labels=["kind"],
        )
        for kind, group in sorted(backlog.items()):
            count.add_metric([kind], group.count)
            oldest.add_metric([kind], _age(found.now, group.oldest))
        yield count
        yield oldest
        alerts = _merged(found.alerts, lambda sev: sev if sev in SEVERITIES else OTHER)
        open_ = GaugeMetricFamily(
            "mendbot_alerts_open", "Alerts not acknowledged, by severity", labels=["severity"]
        )
        for severity in (*SEVERITIES, *(s for s in sorted(alerts) if s not in SEVERITIES)):
            open_.add_metric([severity], alerts[severity].count if severity in alerts else 0)
        yield open_
        emergency = alerts.get("emergency")
        yield GaugeMetricFamily(
            "mendbot_oldest_unacknowledged_emergency_age_seconds",
            "Age of the oldest emergency alert nobody acknowledged (0: none)",
            value=_age(found.now, emergency.oldest) if emergency else 0,
        )


def _merged(groups: Sequence[Group], label: Callable[[str], str]) -> dict[str, Group]:
    """The groups by label; groups that get the same label (OTHER) are added up."""
    merged: dict[str, Group] = {}
    for group in groups:
        name = label(str(group.name))
        seen = merged.get(name, Group(name, 0, group.oldest))
        merged[name] = Group(name, seen.count + group.count, min(seen.oldest, group.oldest))
    return merged


def _age(now: datetime, then: datetime) -> float:
    return max(0.0, (now - then).total_seconds())


class Metrics:
    """One bot's metrics (a registry of its own: tests run several bots in one process), its
    health check and the HTTP handlers serving both."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        sessions: Callable[[], SessionFactory],
        last_delivery: Callable[[], datetime | None],
        stuck_after: timedelta = STUCK_AFTER,
        timeout: float = QUERY_TIMEOUT,
    ) -> None:
        """`last_delivery`: when this process's sender last delivered a message (or started);
        None while another process holds the sender's turn."""
        self.clock = clock
        self.sessions = sessions
        self.last_delivery = last_delivery
        self.stuck_after = stuck_after
        self.timeout = timeout
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "mendbot_updates", "Updates, by outcome", ["outcome"], registry=self.registry
        )
        self.update_seconds = Histogram(
            "mendbot_update_duration_seconds",
            "Time from taking an update up to its answer sent",
            registry=self.registry,
        )
        self.sends = Counter(
            "mendbot_sends", "Outbox sends, by outcome", ["outcome"], registry=self.registry
        )
        self.ticks = Histogram(
            "mendbot_tick_duration_seconds",
            "Duration of each periodic tick",
            ["tick"],
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.updates.labels(outcome)
        for sent in Outcome:
            self.sends.labels(sent.value)
        self.gauges = StoreGauges()
        self.registry.register(self.gauges)
        self._failing: str | None = None  # what the last health check found wrong
        self._database_read = True  # the last scrape read the database

    # ------------------------------------------------------------------ counting

    def update_handled(self, outcome: str, seconds: float | None) -> None:
        """An update's outcome (handlers.intake.OUTCOMES) and handling time."""
        self.updates.labels(outcome if outcome in OUTCOMES else OTHER).inc()
        if seconds is not None:
            self.update_seconds.observe(seconds)

    def sent(self, outcome: Outcome) -> None:
        self.sends.labels(outcome.value).inc()

    def timed(
        self, tick: str, run: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        """`run` (a periodic tick) with its duration observed under `tick`."""
        duration = self.ticks.labels(tick)

        async def timed_tick() -> None:
            with duration.time():
                await run()

        return timed_tick

    # ------------------------------------------------------------------ health

    async def health(self) -> str | None:
        """None when healthy, else one line saying what is wrong (no personal data)."""
        now, seconds = self.clock(), f"{self.stuck_after.total_seconds():g}"
        try:
            async with asyncio.timeout(self.timeout), store_factory(self.sessions())() as store:
                await ping(store)
                delivered = self.last_delivery()
                if delivered is None or now - delivered <= self.stuck_after:
                    return None
                waiting = await outbox_waiting(store, now, self.stuck_after)
        except TimeoutError:
            return f"database: no answer within {self.timeout:g} s"
        except DatabaseFileGone:
            return "database: its file is gone (deleted or moved while the bot ran)"
        except Exception as exc:
            return f"database: unreachable ({type(exc).__name__})"
        if not waiting:
            return None
        return f"outbox sender stuck: {waiting} message(s) waiting over {seconds} s, none delivered"

    # ------------------------------------------------------------------ HTTP

    def routes(self) -> list[web.RouteDef]:
        """GET /metrics, /healthz and /livez, for any aiohttp application."""
        return [
            web.get(METRICS_PATH, self._metrics),
            web.get(HEALTH_PATH, self._healthz),
            web.get(LIVE_PATH, _livez),
        ]

    async def scrape(self) -> bytes:
        """The exposition, the database's gauges read afresh."""
        snapshot, now = None, self.clock()
        try:
            async with asyncio.timeout(self.timeout), store_factory(self.sessions())() as store:
                snapshot = Snapshot(now, await outbox_backlog(store), await open_alerts(store))
        except Exception as exc:  # the scrape still answers, with mendbot_database_up 0
            if self._database_read:  # log the change, not every scrape
                log.warning("metrics: database not read (%s)", type(exc).__name__)
        self._database_read = snapshot is not None
        self.gauges.snapshot = snapshot
        return exposition(self.registry)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = await self.scrape()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        reason = await self.health()
        if (reason is None) != (self._failing is None):  # log the changes, not every probe
            if reason is None:
                log.info("healthy again")
            else:
                log.warning("unhealthy: %s", reason)
        self._failing = reason
        if reason is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=f"{reason}\n")


async def _livez(_request: web.Request) -> web.Response:
    return web.Response(text="alive\n")


class MetricsServer:
    """/metrics and /healthz on a port of their own (METRICS_PORT; 0 picks a free one)."""

    def __init__(self, routes: Sequence[web.RouteDef], host: str, port: int) -> None:
        self.host, self.port = host, port
        self._routes = routes
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(self._routes)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("metrics and health on http://%s:%d%s", self.host, self.port, METRICS_PATH)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
