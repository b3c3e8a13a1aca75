"""/metrics and /healthz of the real bot, scraped over HTTP: on the webhook listener in webhook
mode, on METRICS_PORT in long polling. Values after check-ins and alerts; no personal data in
the exposition; /healthz fails while the database is unreachable and while the outbox sender
is stuck (the Bot API failing every send), and recovers after."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from storage.models import Outbox, Person
from storage.repo import store_factory
from tests.conftest import _admin_engine, postgres_admin_url

from .burst import until
from .conftest import POLLING, WEBHOOK, BotSetup, StartBot
from .test_checkin import checkin

# one of each mode (and of each runtime): where the routes are served is what differs
pytestmark = pytest.mark.setups(POLLING[0], WEBHOOK[1])

SENTINEL_NAME = "Quillonia Zebedeux"
SENTINEL_NOTE = "SENTINEL-NOTE-5519 calf is warm"
LABEL_NAMES = {"outcome", "kind", "severity", "tick", "le"}


@pytest.fixture
def settings_overrides(setup: BotSetup) -> dict[str, object]:
    """Quiet hours off (see conftest); long polling serves the routes on a free port."""
    port = 0 if setup.mode == "polling" else None
    return {"quiet_hours": "00:00-00:00", "metrics_port": port}


def base_url(app: MendBot) -> str:
    if app.metrics_server is not None:
        return f"http://127.0.0.1:{app.metrics_server.port}"
    return f"http://127.0.0.1:{app.settings.webhook_listen_port}"  # the webhook listener


async def get(app: MendBot, path: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{base_url(app)}{path}")


async def scrape(app: MendBot) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    response = await get(app, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    return response.text, samples


def one(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples[(name, frozenset(labels.items()))]


async def rename_client(app: MendBot, name: str) -> None:
    async with app.sessions() as session:
        jordan = (
            await session.exec(select(Person).where(Person.telegram_user_id == CLIENT.user_id))
        ).one()
        jordan.name = name
        await session.commit()


async def test_scrape_after_check_ins_and_alerts(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    app = await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await rename_client(app, SENTINEL_NAME)  # a client whose name must not leak
    await checkin(jordan, flags=["Calf/thigh"], note=SENTINEL_NOTE)
    await sam.wait_for(contains="Urgent alert")
    clock.advance(timedelta(days=1))
    await jordan.catch_up()
    await checkin(jordan, flags=["Chest pain"])
    await sam.wait_for(contains="EMERGENCY alert")
    clock.advance(timedelta(minutes=10))

    for _ in range(100):  # a message shows in the chat before its sender has counted it
        text, samples = await scrape(app)
        if one(samples, "mendbot_sends_total", outcome="sent") >= 3:
            break
        await asyncio.sleep(0.1)

    assert SENTINEL_NAME.split()[0] not in text and "SENTINEL" not in text
    labels = {label for (_, pairs) in samples for label in pairs}
    assert {name for name, _ in labels} <= LABEL_NAMES  # none that could hold an id or a name
    assert all(re.fullmatch("[a-z_]+", value) for name, value in labels if name != "le")
    answered = one(samples, "mendbot_updates_total", outcome="answered")
    assert answered >= 25  # two check-ins' worth of messages and button presses
    handled = sum(
        one(samples, "mendbot_updates_total", outcome=outcome)
        for outcome in ("answered", "resent", "replies_failed", "failed")
    )
    assert one(samples, "mendbot_update_duration_seconds_count") == handled
    assert one(samples, "mendbot_sends_total", outcome="sent") >= 3  # two alerts and the note
    assert one(samples, "mendbot_sends_total", outcome="blocked") == 0
    assert one(samples, "mendbot_alerts_open", severity="emergency") == 1
    assert one(samples, "mendbot_alerts_open", severity="urgent") == 1
    assert one(samples, "mendbot_alerts_open", severity="routine") == 0
    assert one(samples, "mendbot_oldest_unacknowledged_emergency_age_seconds") == 600
    assert one(samples, "mendbot_tick_duration_seconds_count", tick="outbox") >= 1
    assert one(samples, "mendbot_tick_duration_seconds_count", tick="plan") >= 1
    assert one(samples, "mendbot_database_up") == 1
    health = await get(app, "/healthz")
    assert (health.status_code, health.text) == (200, "ok\n")


async def test_served_beside_the_webhook_not_on_its_path(
    start_bot: StartBot, setup: BotSetup
) -> None:
    app = await start_bot()
    assert (await get(app, "/healthz")).status_code == 200  # no secret header needed
    if setup.mode == "polling":
        assert app.endpoint is None and app.metrics_server is not None
        return
    assert app.metrics_server is None  # METRICS_PORT unset: the webhook listener serves them
    assert (await get(app, "/telegram")).status_code == 405  # the webhook path only takes POST
    async with httpx.AsyncClient() as client:
        posted = await client.post(f"{base_url(app)}/metrics", json={"update_id": 1})
    assert posted.status_code == 405


def block_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # nothing else runs meanwhile, as on a machine too busy to keep up


async def test_a_tick_due_while_the_loop_was_busy_runs_late(start_bot: StartBot) -> None:
    """The planner runs at start (a restart plans without waiting); a loop held up past that
    moment must delay the run, not drop it as missed until the next interval."""
    app = await start_bot()
    block_the_loop(2.5)  # the first run was due at start: it is now 2.5 s late
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10  # the next interval's run would be 15 s away
    while True:
        _, samples = await scrape(app)
        if one(samples, "mendbot_tick_duration_seconds_count", tick="plan") >= 1:
            break
        assert loop.time() < deadline, "the planner's first run was dropped"
        await asyncio.sleep(0.1)


@asynccontextmanager
async def unreachable(app: MendBot) -> AsyncIterator[str]:
    """While inside, the bot's database refuses it; gives the error /healthz should name.

    SQLite: the file moves away and a folder takes its place, so it opens as nothing.
    PostgreSQL: the database stops accepting connections and the bot's are ended.
    """
    assert app.engine is not None and app.engine.url.database is not None
    admin_url = postgres_admin_url()
    if admin_url is None:
        database = Path(app.engine.url.database)
        moved = database.with_name("moved-away.sqlite3")
        move_away(database, moved)
        try:
            yield "OperationalError"
        finally:
            move_back(database, moved)
        return
    admin = _admin_engine(admin_url)
    name = app.engine.url.database
    try:
        await allow_connections(admin, name, False)
        yield "DBAPIError"
    finally:
        await allow_connections(admin, name, True)
        await admin.dispose()


def move_away(database: Path, moved: Path) -> None:
    database.rename(moved)
    database.mkdir()


def move_back(database: Path, moved: Path) -> None:
    database.rmdir()
    moved.rename(database)


async def allow_connections(admin: AsyncEngine, name: str, allow: bool) -> None:
    async with admin.connect() as conn:
        await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND usename = current_user"
                ),
                {"name": name},
            )


async def test_healthz_fails_while_the_database_is_unreachable(start_bot: StartBot) -> None:
    app = await start_bot()
    assert app.engine is not None
    async with unreachable(app) as error:
        await app.engine.dispose()  # no pooled connection to the old database stays open
        health = await get(app, "/healthz")
        assert health.status_code == 503
        # on a loaded machine the refusal may come later than the 2 s /healthz waits
        why = (f"database: unreachable ({error})\n", "database: no answer within 2 s\n")
        assert health.text in why
        live = await get(app, "/livez")  # not ready, but alive: nothing a restart would mend
        assert (live.status_code, live.text) == (200, "alive\n")
        _, samples = await scrape(app)  # metrics still answer, saying so
        assert one(samples, "mendbot_database_up") == 0
    await app.engine.dispose()
    assert (await get(app, "/healthz")).status_code == 200


async def tried(app: MendBot, times: int) -> None:
    """Wait until the sender has tried the queued digest `times` times (and recorded it), so
    the clock moves between tries, never during one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        async with app.sessions() as session:
            query = select(Outbox.attempts).where(Outbox.kind == "digest")
            if (await session.exec(query)).one() >= times:
                return
        assert loop.time() < deadline, f"the digest was not tried {times} times"
        await asyncio.sleep(0.05)


async def test_healthz_fails_while_the_sender_is_stuck(
    start_bot: StartBot, sandbox: SandboxServer, clock: FakeClock, people: dict[str, ChatUser]
) -> None:
    app = await start_bot()
    sandbox.inject_fault_rate(1.0, ["500"], methods=["sendMessage"])  # every send fails
    async with store_factory(app.sessions)() as store:
        await store.enqueue(
            chat_id=TRAINER.user_id, text="Your digest", kind="digest", now=clock.now()
        )
        await store.commit()
    await tried(app, 1)
    assert (await get(app, "/healthz")).status_code == 200  # failing, but not for long yet

    clock.advance(timedelta(minutes=10))  # nothing delivered in ten minutes
    await tried(app, 2)
    health = await get(app, "/healthz")
    assert health.status_code == 503
    assert health.text.startswith("outbox sender stuck: ")
    _, samples = await scrape(app)
    assert one(samples, "mendbot_sends_total", outcome="transient") >= 2
    assert one(samples, "mendbot_outbox_backlog", kind="digest") == 1
    assert one(samples, "mendbot_outbox_oldest_age_seconds", kind="digest") == 600

    sandbox.inject_fault_rate(0)  # Telegram is back: the retry goes out
    clock.advance(timedelta(minutes=1))  # past the retry's backoff
    await people["trainer"].wait_for(contains="Your digest")
    await until(lambda: app.sender.last_delivery == clock.now(), 10)
    assert (await get(app, "/healthz")).status_code == 200
