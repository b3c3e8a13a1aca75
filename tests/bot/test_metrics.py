"""bot/metrics.py on a real, migrated database: the gauges read at scrape time (outbox backlog
and oldest age by kind, open alerts by severity, the oldest unacknowledged emergency), the
counters and histograms, and how /healthz decides (database, stuck sender)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import MendBot, webhook_config
from bot.clock import FakeClock
from bot.metrics import STUCK_AFTER, Metrics
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.settings import SettingsError, load_settings
from bot.telegram_api import ApiResult, BotApi, Outcome
from storage.db import SessionFactory, exclusive, make_engine, migrate, session_factory
from storage.models import Alert, AlertStatus, Outbox, OutboxStatus, Person, Role
from tests.flows.harness import add_person

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(exposition: bytes) -> Samples:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def labelled(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


class Sender:
    """Stands in for MendBot's view of its sender (None: another process sends)."""

    def __init__(self, last: datetime | None) -> None:
        self.last = last

    def __call__(self) -> datetime | None:
        return self.last


def metrics_of(sessions: SessionFactory, clock: FakeClock, sender: Sender) -> Metrics:
    return Metrics(clock.now, lambda: sessions, sender)


@pytest.fixture
async def people(sessions: SessionFactory, clock: FakeClock) -> tuple[Person, Person]:
    client = await add_person(sessions, clock, 501, "Client", Role.CLIENT)
    trainer = await add_person(sessions, clock, 502, "Trainer", Role.TRAINER)
    return client, trainer


async def add_outbox(
    sessions: SessionFactory,
    clock: FakeClock,
    kind: str,
    *,
    status: OutboxStatus = OutboxStatus.PENDING,
    age: timedelta = timedelta(0),
    due_in: timedelta = timedelta(0),
    attempts: int = 0,
    last_error: str | None = None,
) -> None:
    """An outbox row created `age` ago, due `due_in` from now."""
    async with sessions() as session:
        session.add(
            Outbox(
                chat_id=9001,
                kind=kind,
                text="a message",
                status=status,
                created_at=clock.now() - age,
                not_before=clock.now() + due_in,
                attempts=attempts,
                last_error=last_error,
            )
        )
        await session.commit()


async def add_alert(
    sessions: SessionFactory,
    clock: FakeClock,
    people: tuple[Person, Person],
    severity: str,
    age: timedelta,
    status: AlertStatus = AlertStatus.OPEN,
) -> None:
    client, trainer = people
    rule = {"emergency": "E1", "urgent": "U1", "routine": "R2"}[severity]
    async with sessions() as session:
        session.add(
            Alert(
                client_id=client.id or 0,
                trainer_id=trainer.id or 0,
                rule=rule,
                severity=severity,
                status=status,
                created_at=clock.now() - age,
                updated_at=clock.now() - age,
            )
        )
        await session.commit()


async def test_database_gauges_count_by_kind_and_severity_never_by_row(
    sessions: SessionFactory, clock: FakeClock, people: tuple[Person, Person]
) -> None:
    minute = timedelta(minutes=1)
    await add_outbox(sessions, clock, "checkin_reminder", age=3 * minute)
    await add_outbox(sessions, clock, "checkin_reminder", age=1 * minute, due_in=60 * minute)
    await add_outbox(sessions, clock, "alert_urgent", status=OutboxStatus.SENDING, age=minute)
    await add_outbox(sessions, clock, "digest", status=OutboxStatus.SENT, age=90 * minute)
    await add_outbox(sessions, clock, "digest", status=OutboxStatus.FAILED, age=90 * minute)
    await add_outbox(sessions, clock, "Odd Kind: 42", age=2 * minute)  # not a code word
    await add_alert(sessions, clock, people, "emergency", 20 * minute)
    await add_alert(sessions, clock, people, "emergency", 5 * minute)
    await add_alert(sessions, clock, people, "emergency", 99 * minute, AlertStatus.ACKNOWLEDGED)
    await add_alert(sessions, clock, people, "routine", 2 * minute)

    samples = parse(await metrics_of(sessions, clock, Sender(clock.now())).scrape())

    assert value(samples, "mendbot_database_up") == 1
    assert labelled(samples, "mendbot_outbox_backlog") == {  # sent and failed rows are done
        (("kind", "alert_urgent"),): 1,
        (("kind", "checkin_reminder"),): 2,
        (("kind", "other"),): 1,
    }
    assert value(samples, "mendbot_outbox_oldest_age_seconds", kind="checkin_reminder") == 180
    assert value(samples, "mendbot_outbox_oldest_age_seconds", kind="alert_urgent") == 60
    assert labelled(samples, "mendbot_alerts_open") == {
        (("severity", "emergency"),): 2,
        (("severity", "urgent"),): 0,
        (("severity", "routine"),): 1,
    }
    assert value(samples, "mendbot_oldest_unacknowledged_emergency_age_seconds") == 20 * 60


async def test_an_empty_database_gives_zeros_not_gaps(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    samples = parse(await metrics_of(sessions, clock, Sender(clock.now())).scrape())
    assert labelled(samples, "mendbot_outbox_backlog") == {}
    assert set(labelled(samples, "mendbot_alerts_open").values()) == {0}
    assert len(labelled(samples, "mendbot_alerts_open")) == 3
    assert value(samples, "mendbot_oldest_unacknowledged_emergency_age_seconds") == 0


async def test_counters_and_histograms(sessions: SessionFactory, clock: FakeClock) -> None:
    metrics = metrics_of(sessions, clock, Sender(clock.now()))
    metrics.update_handled("answered", 0.02)
    metrics.update_handled("answered", 0.3)
    metrics.update_handled("undecodable", None)  # counted, no handling time
    metrics.update_handled("something new", 0.01)
    metrics.sent(Outcome.SENT)
    metrics.sent(Outcome.RETRY_AFTER)
    calls: list[int] = []

    async def tick() -> int:
        calls.append(1)
        return 1

    await metrics.timed("outbox", tick)()
    samples = parse(await metrics.scrape())

    assert value(samples, "mendbot_updates_total", outcome="answered") == 2
    assert value(samples, "mendbot_updates_total", outcome="undecodable") == 1
    assert value(samples, "mendbot_updates_total", outcome="other") == 1
    assert value(samples, "mendbot_updates_total", outcome="replies_failed") == 0  # shown at 0
    assert value(samples, "mendbot_update_duration_seconds_count") == 3
    assert value(samples, "mendbot_update_duration_seconds_bucket", le="0.025") == 2
    assert value(samples, "mendbot_sends_total", outcome="sent") == 1
    assert value(samples, "mendbot_sends_total", outcome="retry_after") == 1
    assert value(samples, "mendbot_sends_total", outcome="blocked") == 0
    assert value(samples, "mendbot_tick_duration_seconds_count", tick="outbox") == 1
    assert calls == [1]


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """Sessions on a database file that can't be opened (a folder stands where it should be)."""
    (tmp_path / "gone.sqlite3").mkdir()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone.sqlite3'}")
    yield session_factory(engine)
    await engine.dispose()


async def test_an_unreachable_database_fails_health_and_zeroes_database_up(
    unreachable: SessionFactory, clock: FakeClock
) -> None:
    metrics = metrics_of(unreachable, clock, Sender(clock.now()))
    assert await metrics.health() == "database: unreachable (OperationalError)"
    samples = parse(await metrics.scrape())  # the scrape itself still answers
    assert value(samples, "mendbot_database_up") == 0
    assert labelled(samples, "mendbot_alerts_open") == {}
    assert value(samples, "mendbot_updates_total", outcome="answered") == 0


async def test_a_database_file_deleted_under_the_bot_fails_health(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The bot keeps the deleted file open and SELECT 1 still answers, while every write from
    then on is lost when it stops: not ready, so an operator hears of it."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'mendbot.sqlite3'}")
    await migrate(engine)
    metrics = metrics_of(session_factory(engine), clock, Sender(clock.now()))
    assert await metrics.health() is None
    shutil.rmtree(tmp_path / "data")
    assert await metrics.health() == (
        "database: its file is gone (deleted or moved while the bot ran)"
    )
    await engine.dispose()


async def test_a_database_that_does_not_answer_in_time_fails_health(clock: FakeClock) -> None:
    @asynccontextmanager
    async def hanging() -> AsyncIterator[Any]:
        await asyncio.Event().wait()  # a database that never answers
        yield None

    sessions = cast(SessionFactory, hanging)
    metrics = Metrics(clock.now, lambda: sessions, Sender(clock.now()), timeout=0.01)
    assert await metrics.health() == "database: no answer within 0.01 s"
    assert value(parse(await metrics.scrape()), "mendbot_database_up") == 0


async def test_healthy_while_the_sender_delivers_or_nothing_waits(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    sender = Sender(clock.now())
    metrics = metrics_of(sessions, clock, sender)
    assert await metrics.health() is None
    await add_outbox(sessions, clock, "checkin_reminder")
    clock.advance(timedelta(hours=1))  # due for an hour: a backlog ...
    sender.last = clock.now() - timedelta(seconds=1)  # ... that is being delivered
    assert await metrics.health() is None
    sender.last = None  # another process has the sender's turn: its /healthz judges it
    assert await metrics.health() is None


async def test_stuck_when_messages_wait_and_none_was_delivered(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    sender = Sender(clock.now())
    metrics = metrics_of(sessions, clock, sender)
    await add_outbox(sessions, clock, "checkin_reminder")
    clock.advance(STUCK_AFTER - timedelta(seconds=1))
    assert await metrics.health() is None  # not for long enough yet
    clock.advance(timedelta(seconds=2))
    assert await metrics.health() == (
        "outbox sender stuck: 1 message(s) waiting over 300 s, none delivered"
    )


async def test_a_message_the_bot_api_keeps_failing_counts_as_waiting(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Each retry moves a failed message's due time on; it has still waited since it was
    queued. Held by quiet hours, or failed by our own code, a message is not the sender stuck."""
    hour = timedelta(hours=1)
    metrics = metrics_of(sessions, clock, Sender(clock.now() - hour))
    await add_outbox(sessions, clock, "nudge", age=hour, due_in=hour)  # quiet hours
    await add_outbox(
        sessions, clock, "digest", age=hour, due_in=hour, attempts=3, last_error="error: KeyError"
    )
    assert await metrics.health() is None
    await add_outbox(
        sessions,
        clock,
        "alert_emergency",
        age=hour,
        due_in=timedelta(seconds=8),
        attempts=3,
        last_error="transient: Internal Server Error",
    )
    reason = await metrics.health()
    assert reason is not None and reason.startswith("outbox sender stuck: 1 message(s)")


def test_the_webhook_path_cannot_be_a_metrics_path() -> None:
    """GET /metrics and /healthz share the webhook's listener, never its path."""
    for path in ("/metrics", "/healthz", "/livez"):
        settings = load_settings(
            _env_file=None, webhook_url=f"https://bot.example{path}", webhook_secret="abc"
        )
        with pytest.raises(SettingsError, match="Invalid setting WEBHOOK_URL"):
            webhook_config(settings)
    settings = load_settings(
        _env_file=None, webhook_url="https://bot.example/metrics/hook", webhook_secret="abc"
    )
    assert webhook_config(settings) is not None


class DownApi:
    """A Bot API answering every send with a 5xx."""

    async def send_message(
        self, chat_id: int, text: str, buttons: list[list[dict[str, str]]]
    ) -> ApiResult:
        return ApiResult(Outcome.TRANSIENT, description="Internal Server Error")


async def test_the_sender_is_judged_by_the_process_whose_turn_it_is(
    engine: AsyncEngine, db_url: str, clock: FakeClock
) -> None:
    """Several processes on one database take turns at the sender; one that found the turn
    taken leaves the judgement to the process sending (its own /healthz)."""
    app = MendBot(load_settings(_env_file=None, database_url=db_url), clock=clock)
    app.engine = engine
    app.sender = OutboxSender(
        app.sessions, cast(BotApi, DownApi()), clock.now, sender_rules(app.settings)
    )
    await add_outbox(app.sessions, clock, "digest")
    clock.advance(timedelta(hours=1))
    async with exclusive(engine, "outbox") as mine:  # another process is sending
        assert mine
        assert await app.deliver_outbox() == 0
        assert await app.metrics.health() is None
    assert await app.deliver_outbox() == 0  # this process's turn: Telegram fails the send
    reason = await app.metrics.health()
    assert reason is not None and reason.startswith("outbox sender stuck: 1 message(s)")
