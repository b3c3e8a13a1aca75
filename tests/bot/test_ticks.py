"""The outbox sender and the app's ticks with one bad row among good ones: the good ones go out
in the same tick, the bad one is logged by id (no text, no exception message) and marked, and
the next tick doesn't raise either."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from bot.outbox import MAX_ATTEMPTS, OutboxSender
from bot.proactive import sender_rules
from bot.settings import load_settings
from bot.telegram_api import ApiResult, BotApi, Outcome
from storage.db import SessionFactory
from storage.models import (
    Alert,
    Booking,
    BookingStatus,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Person,
    ReminderSchedule,
    Role,
    TickFailure,
)
from storage.repo import Store
from tests.flows.engine.poison import assert_no_content, failure_lines, failures, poison
from tests.flows.harness import add_person, person_of
from tests.flows.progress.drawing import hold_drawing

LA = "America/Los_Angeles"
SECRET = "SECRET-TEXT-4411"


class FakeApi:
    """Telegram that accepts everything, and remembers to whom."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send_message(
        self, chat_id: int, text: str, buttons: list[list[dict[str, str]]]
    ) -> ApiResult:
        self.sent.append(chat_id)
        return ApiResult(Outcome.SENT, result={"message_id": len(self.sent)})


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


def _sender(sessions: SessionFactory, clock: FakeClock, api: FakeApi) -> OutboxSender:
    settings = load_settings(_env_file=None, default_timezone=LA)
    rules = replace(sender_rules(settings), rate_per_second=1000, per_chat_seconds=0.0)
    return OutboxSender(sessions, cast(BotApi, api), clock.now, rules)


async def _queue(
    sessions: SessionFactory, clock: FakeClock, person: Person, kind: str, priority: int = 5
) -> int:
    async with sessions() as session:
        row = await Store(session).enqueue(
            chat_id=person.chat_id,
            person_id=person.id,
            text=f"{SECRET} for {person.name}",
            kind=kind,
            now=clock.now(),
            priority=priority,
        )
        await session.commit()
        assert row is not None
        return row.id or 0


async def _row(sessions: SessionFactory, row_id: int) -> Outbox:
    async with sessions() as session:
        row = await session.get(Outbox, row_id)
        assert row is not None
        return row


async def _fail_sending(engine: AsyncEngine, row_id: int) -> None:
    """A database error on one row: the database refuses to mark it "sending"."""
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            await conn.execute(
                text(
                    "CREATE TRIGGER poison_row BEFORE UPDATE ON outbox"
                    f" WHEN NEW.id = {row_id} AND NEW.status = 'sending'"
                    " BEGIN SELECT RAISE(ABORT, 'poison row'); END"
                )
            )
            return
        await conn.execute(
            text(
                "CREATE FUNCTION poison_row() RETURNS trigger AS $$"
                " BEGIN RAISE EXCEPTION 'poison row'; END $$ LANGUAGE plpgsql"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER poison_row BEFORE UPDATE ON outbox FOR EACH ROW"
                f" WHEN (NEW.id = {row_id} AND NEW.status = 'sending')"
                " EXECUTE FUNCTION poison_row()"
            )
        )


# --- the sender -------------------------------------------------------------------------------


async def test_the_sender_delivers_the_rest_when_one_persons_quiet_hours_are_unusable(
    sessions: SessionFactory, clock: FakeClock, api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    pat = await add_person(sessions, clock, 2001, "Pat", Role.CLIENT)
    kim = await add_person(sessions, clock, 2002, "Kim", Role.CLIENT)
    await poison(sessions, Person, pat.id or 0, quiet_start="7h", quiet_end="08:00")
    bad = await _queue(sessions, clock, pat, "reminder")
    good = await _queue(sessions, clock, kim, "reminder")
    sender = _sender(sessions, clock, api)

    assert await sender.deliver_due() == 1
    assert api.sent == [kim.chat_id]
    assert (await _row(sessions, good)).status == OutboxStatus.SENT
    marked = await _row(sessions, bad)
    assert (marked.status, marked.attempts) == (OutboxStatus.PENDING, 1)
    assert marked.last_error == "error: ValueError" and marked.not_before > clock.now()
    [line] = failure_lines(caplog)
    assert line.startswith(f"tick outbox: row {bad} (reminder) failed (ValueError at flows/")
    assert_no_content([line], SECRET, "Pat", "7h")

    assert await sender.deliver_due() == 0  # not due yet: nothing raised, nothing logged
    assert failure_lines(caplog) == []
    async with sessions() as session:  # its last try: a reminder is given up, not retried forever
        row = await session.get(Outbox, bad)
        assert row is not None
        row.attempts, row.not_before = MAX_ATTEMPTS - 1, clock.now()
        await session.commit()
    assert await sender.deliver_due() == 0
    assert (await _row(sessions, bad)).status == OutboxStatus.FAILED
    assert "given up" in failure_lines(caplog)[0]


async def test_an_alert_row_the_database_refuses_is_retried_and_never_given_up(
    engine: AsyncEngine,
    sessions: SessionFactory,
    clock: FakeClock,
    api: FakeApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sam = await add_person(sessions, clock, 1002, "Sam", Role.TRAINER)
    tia = await add_person(sessions, clock, 1010, "Tia", Role.TRAINER)
    bad = await _queue(sessions, clock, sam, "alert_urgent", priority=0)
    good = await _queue(sessions, clock, tia, "alert_urgent", priority=0)
    await _fail_sending(engine, bad)
    sender = _sender(sessions, clock, api)

    assert await sender.deliver_due() == 1
    assert api.sent == [tia.chat_id]  # the other alert goes in the same tick
    assert (await _row(sessions, good)).status == OutboxStatus.SENT
    marked = await _row(sessions, bad)
    assert (marked.status, marked.attempts) == (OutboxStatus.PENDING, 1)
    [line] = failure_lines(caplog)
    assert line.startswith(f"tick outbox: row {bad} (alert_urgent) failed (")
    assert_no_content([line], SECRET, "poison row", "Sam")

    for _ in range(MAX_ATTEMPTS + 1):  # an alert keeps trying, however often it fails
        clock.advance(timedelta(minutes=10))
        assert await sender.deliver_due() == 0
    marked = await _row(sessions, bad)
    assert marked.status == OutboxStatus.PENDING and marked.attempts == MAX_ATTEMPTS + 2
    assert marked.not_before <= clock.now() + timedelta(minutes=10)
    assert len(failure_lines(caplog)) == MAX_ATTEMPTS + 1


# --- the app's ticks --------------------------------------------------------------------------


async def _app(engine: AsyncEngine, clock: FakeClock, api: FakeApi, db_url: str) -> MendBot:
    """The bot's ticks without its runtime: the engine and sender set as `start` sets them."""
    settings = load_settings(
        _env_file=None, database_url=db_url, default_timezone=LA, quiet_hours="00:00-00:00"
    )
    app = MendBot(settings, clock=clock, seed_demo=False)
    app.engine = engine
    app.sender = OutboxSender(app.sessions, cast(BotApi, api), clock.now, sender_rules(settings))
    return app


async def _kinds(sessions: SessionFactory) -> list[tuple[str, int | None]]:
    async with sessions() as session:
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
    return [(row.kind, row.person_id) for row in rows]


async def test_every_tick_of_the_app_goes_on_past_a_bad_row(
    engine: AsyncEngine,
    db_url: str,
    sessions: SessionFactory,
    clock: FakeClock,
    api: FakeApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 04:00 in LA
    await seed_demo_centre(sessions, LA, clock.now())
    app = await _app(engine, clock, api, db_url)
    jordan = await person_of(sessions, CLIENT.user_id)
    sam = await person_of(sessions, TRAINER.user_id)
    alex = await person_of(sessions, ADMIN.user_id)
    # the bad rows: a client with a zone no code knows, a trainer with a digest time that
    # isn't one, a visitor whose zone no code knows, an alert with an answer no text is for
    pat = await add_person(sessions, clock, 2001, "Pat", Role.CLIENT)
    tia = await add_person(sessions, clock, 1010, "Tia", Role.TRAINER)
    wes = await add_person(sessions, clock, 5002, "Wes", Role.PROSPECT)
    vera = await add_person(sessions, clock, 5001, "Vera", Role.PROSPECT)
    now = clock.now()
    async with sessions() as session:
        session.add(
            ClientProfile(
                person_id=pat.id or 0,
                trainer_id=sam.id or 0,
                checkin_time="08:00",
                onboarded_at=now,
                consent_at=now,
            )
        )
        for trainer in (sam, tia):
            session.add(
                Alert(
                    client_id=jordan.id or 0,
                    trainer_id=trainer.id or 0,
                    rule="R1",
                    severity="routine",
                    created_at=now,
                    updated_at=now,
                )
            )
        alerts = [
            Alert(
                client_id=jordan.id or 0,
                trainer_id=sam.id or 0,
                rule="E1",
                severity="emergency",
                answers=answers,
                created_at=now - timedelta(days=1),
                updated_at=now,
            )
            for answers in ({"pain_now": 9}, {"night_waking": "SECRET-ANSWER"})
        ]
        bookings = [
            Booking(
                trainer_id=sam.id or 0,
                prospect_id=visitor.id or 0,
                starts_at=now + timedelta(hours=14, minutes=30 + 30 * n),  # 18:30 LA, 19:00
                ends_at=now + timedelta(hours=15, minutes=30 * n),
                status=BookingStatus.CONFIRMED,
                created_at=now - timedelta(days=2),
                updated_at=now,
            )
            for n, visitor in enumerate((vera, wes))
        ]
        session.add_all([*alerts, *bookings])
        await session.commit()
        broken_alert, wes_booking = alerts[1].id or 0, bookings[1].id or 0
    await poison(sessions, Person, pat.id or 0, timezone="london")
    await poison(sessions, Person, tia.id or 0, timezone=LA, digest_time="25:99")
    await poison(sessions, Person, wes.id or 0, timezone="london")
    seen: list[str] = []

    def logged() -> list[str]:
        lines = failure_lines(caplog)
        seen.extend(lines)
        return lines

    assert await app.plan_reminders() == 0  # Jordan's schedule made; Pat's recorded
    assert await app.escalate_alerts() == 1  # the answerable one reaches Alex
    assert len(logged()) == 2
    assert await app.plan_reminders() == 0  # again: nothing raises, nothing is logged
    assert await app.escalate_alerts() == 0
    assert logged() == []
    clock.set(datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))  # 08:00 in LA
    assert await app.plan_reminders() == 1
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 18:00 in LA: Sam's digest, 1 h before
    assert await app.send_digests() == 1
    assert await app.plan_booking_reminders() == 1
    assert await app.escalate_alerts() == 0  # the other alert is tried again, still no text
    assert len(logged()) == 4  # Tia's, Wes's, and the two that came due again
    assert await app.send_digests() == 0
    assert await app.plan_booking_reminders() == 0
    assert logged() == []
    await app.deliver_outbox()
    assert await _kinds(sessions) == [
        ("alert_escalated_emergency", alex.id),
        ("reminder", jordan.id),
        ("digest", sam.id),
        ("bk_reminder_1h", vera.id),
    ]
    assert len(api.sent) == 4
    assert await failures(sessions) == {  # the first two were tried again at their time
        ("schedule", pat.id or 0): 2,
        ("escalate", broken_alert): 2,
        ("digest", tia.id or 0): 1,
        ("booking", wes_booking): 1,
    }
    assert len(seen) == 6
    assert_no_content(seen, "SECRET", "london", "25:99", "Pat", "Tia", "Wes", "Jordan")

    clock.advance(timedelta(days=8))  # long past any retry: the hourly tick forgets them
    await app.forget_updates()
    async with sessions() as session:
        assert (await session.exec(select(TickFailure))).all() == []
        assert (await session.exec(select(ReminderSchedule))).all()  # Jordan's, untouched


async def test_reminders_are_planned_while_the_weekly_charts_are_drawn(
    engine: AsyncEngine,
    db_url: str,
    sessions: SessionFactory,
    clock: FakeClock,
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a Sunday's summary time every client's chart is drawn (~0.1 s each: minutes for a
    big centre): the progress tick shared the planner's turn, so reminders and digests waited."""
    clock.set(datetime(2026, 11, 30, 2, 5, tzinfo=UTC))  # Sunday 18:05 in LA
    await seed_demo_centre(sessions, LA, clock.now())
    app = await _app(engine, clock, api, db_url)
    held = hold_drawing(monkeypatch)
    progress = asyncio.create_task(app.plan_progress())
    await asyncio.wait_for(held.started.wait(), 10)
    await asyncio.wait_for(app.plan_reminders(), 10)  # Jordan's schedule, while drawing
    async with sessions() as session:
        assert (await session.exec(select(ReminderSchedule))).all()
    held.go_on.set()
    assert await progress == 2  # Jordan's summary and Sam's roster
