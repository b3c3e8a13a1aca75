"""One bad row never stops a tick (flows/engine/ticks.py): for each tick, a row no code can use
(stored straight to the database, as rows from before buttons were validated) next to good ones. The
good ones go through in that same tick, the bad one is logged by id (no content, no exception
message) and recorded, later ticks skip it until its retry time, and a success clears it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.booking.tick import plan_booking_reminders_tick
from flows.checkin.alert import escalate_tick
from flows.checkin.digest import plan_digests_tick
from flows.checkin.reminder import (
    add_schedules_tick,
    plan_due_tick,
    plan_nudges_tick,
)
from flows.engine import ticks
from flows.engine.ticks import Outcome, RowErrors, Tick, paged
from storage.db import SessionFactory
from storage.models import (
    Alert,
    Booking,
    BookingStatus,
    ClientProfile,
    Outbox,
    Person,
    ReminderSchedule,
    Role,
)
from storage.repo import Store, StoreFactory, store_factory
from tests.flows.checkin.test_checkin import make_client
from tests.flows.engine.poison import assert_no_content, failure_lines, failures, poison
from tests.flows.harness import add_person, person_of, planner_rules

LA = "America/Los_Angeles"
SCHEDULE = "flows/engine/schedule.py"
RULES = planner_rules(LA)
EMERGENCY, URGENT = timedelta(minutes=15), timedelta(hours=4)


@pytest.fixture
async def stores(
    sessions: SessionFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[StoreFactory]:
    caplog.set_level(logging.INFO)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 04:00 in LA
    await seed_demo_centre(sessions, LA, clock.now())
    yield store_factory(sessions)


async def _outbox(sessions: SessionFactory, kind: str) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).where(Outbox.kind == kind).order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


async def _client(sessions: SessionFactory, clock: FakeClock, user_id: int, name: str) -> int:
    """An onboarded client of Sam in LA, checking in at 08:00, named `name`."""
    client_id = await make_client(sessions, clock, user_id=user_id)
    await poison(sessions, Person, client_id, name=name, timezone=LA)
    return client_id


# --- the planner ------------------------------------------------------------------------------


async def _plan(stores: StoreFactory, now: datetime) -> Outcome:
    """The planner tick as bot/app.py runs it (new schedules, then due reminders)."""
    await add_schedules_tick(stores, now, RULES)
    return await plan_due_tick(stores, now, RULES)


async def test_the_planner_plans_everyone_else_when_one_client_cannot_be_planned(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jordan = (await person_of(sessions, CLIENT.user_id)).id or 0
    lee = await _client(sessions, clock, 9101, "Lee")
    max_ = await _client(sessions, clock, 9102, "Max")
    await _plan(stores, clock.now())  # three schedules, 08:00 in LA
    pat = await _client(sessions, clock, 9103, "Pat")  # joins with a zone no code knows
    kim = await _client(sessions, clock, 9104, "Kim")  # and one with a time that isn't one
    await poison(sessions, Person, pat, timezone="london")
    await poison(sessions, ClientProfile, kim, checkin_time="25:99")
    await poison(sessions, Person, lee, timezone="london")  # scheduled, then broken
    await poison(sessions, ClientProfile, max_, checkin_time="25:99")

    # 08:00 in LA: Jordan's reminder goes out in this very tick; the four are recorded
    clock.set(datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))
    await _plan(stores, clock.now())
    assert [r.person_id for r in await _outbox(sessions, "reminder")] == [jordan]
    assert await failures(sessions) == {
        ("schedule", pat): 1,
        ("schedule", kim): 1,
        ("reminder", lee): 1,
        ("reminder", max_): 1,
    }
    lines = failure_lines(caplog)
    assert sorted(lines) == sorted(
        [
            f"tick schedule: client {pat} failed (ZoneInfoNotFoundError at {SCHEDULE}:"
            f"{_line(lines, pat)}",
            f"tick schedule: client {kim} failed (ValueError at {SCHEDULE}:{_line(lines, kim)}",
            f"tick reminder: client {lee} failed (ZoneInfoNotFoundError at {SCHEDULE}:"
            f"{_line(lines, lee)}",
            f"tick reminder: client {max_} failed (ValueError at {SCHEDULE}:{_line(lines, max_)}",
        ]
    )
    assert_no_content(lines, "london", "25:99", "Lee", "Max", "Pat", "Kim")

    # the next ticks skip them (nothing raised, nothing logged) until the retry time
    clock.advance(timedelta(minutes=14))
    await _plan(stores, clock.now())
    assert failure_lines(caplog) == []
    clock.advance(timedelta(minutes=2))  # 15 minutes on: tried again, still broken
    await poison(sessions, Person, lee, timezone=LA)  # someone fixed Lee's zone
    await _plan(stores, clock.now())
    assert len(failure_lines(caplog)) == 3
    assert await failures(sessions) == {
        ("schedule", pat): 2,
        ("schedule", kim): 2,
        ("reminder", max_): 2,  # Lee's is cleared: his reminder went out, a little late
    }
    assert [r.person_id for r in await _outbox(sessions, "reminder")] == [jordan, lee]
    async with sessions() as session:
        max_schedule = await session.get(ReminderSchedule, max_)
    assert max_schedule is not None and max_schedule.next_due_at <= clock.now()  # kept for later


def _line(lines: list[str], row_id: int) -> str:
    """The rest of the line logged for `row_id` after the file name (line number and all)."""
    [line] = [text for text in lines if f" {row_id} failed" in text]
    return line.split("flows/engine/schedule.py:", 1)[1]


async def test_nudges_go_to_everyone_else_when_one_zone_or_quiet_span_is_unusable(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jordan = (await person_of(sessions, CLIENT.user_id)).id or 0
    pat = await _client(sessions, clock, 9103, "Pat")
    kim = await _client(sessions, clock, 9104, "Kim")
    await add_schedules_tick(stores, clock.now(), RULES)
    await poison(sessions, Person, pat, timezone="london")  # a whole zone no code can read
    await poison(sessions, Person, kim, quiet_start="7h", quiet_end="08:00")  # one client's
    clock.set(datetime(2026, 11, 24, 3, 30, tzinfo=UTC))  # 19:30 in LA: nudge time

    done = await plan_nudges_tick(stores, clock.now(), RULES)
    assert (done.done, done.unmarked) == (1, 0)
    assert [r.person_id for r in await _outbox(sessions, "nudge")] == [jordan]
    assert await failures(sessions) == {("nudge", pat): 1, ("nudge", kim): 1}
    lines = failure_lines(caplog)
    assert len(lines) == 2
    assert any(f"tick nudge: client {pat} failed (ZoneInfoNotFoundError" in x for x in lines)
    assert any(f"tick nudge: client {kim} failed (ValueError" in x for x in lines)
    assert_no_content(lines, "london", "7h", "Pat", "Kim")

    clock.advance(timedelta(minutes=30))  # held for an hour: no retry, nothing raised
    assert (await plan_nudges_tick(stores, clock.now(), RULES)).rows == 0
    assert failure_lines(caplog) == []


# --- digests ----------------------------------------------------------------------------------


async def test_digests_go_to_every_other_trainer_when_one_has_an_unusable_digest_time(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sam = await person_of(sessions, TRAINER.user_id)
    tia = await add_person(sessions, clock, 1010, "Tia", Role.TRAINER)
    await poison(sessions, Person, tia.id or 0, timezone=LA, digest_time="25:99")
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        for trainer in (sam, tia):
            session.add(
                Alert(
                    client_id=jordan.id or 0,
                    trainer_id=trainer.id or 0,
                    rule="R1",
                    severity="routine",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        await session.commit()
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 18:00 in LA, Sam's digest time

    done = await plan_digests_tick(stores, clock.now(), RULES, "18:00")
    assert done.done == 1
    assert [r.person_id for r in await _outbox(sessions, "digest")] == [sam.id]
    assert await failures(sessions) == {("digest", tia.id): 1}
    lines = failure_lines(caplog)
    assert len(lines) == 1 and f"tick digest: staff member {tia.id} failed (ValueError" in lines[0]
    assert_no_content(lines, "25:99", "Tia", "Jordan")
    assert (await plan_digests_tick(stores, clock.now(), RULES, "18:00")).done == 0
    assert failure_lines(caplog) == []  # Tia waits for her retry; Sam's digest is not redone

    await poison(sessions, Person, tia.id or 0, digest_time="18:05")  # fixed
    clock.advance(timedelta(minutes=10))
    assert (await plan_digests_tick(stores, clock.now(), RULES, "18:00")).done == 1
    assert await failures(sessions) == {}


# --- escalation -------------------------------------------------------------------------------


async def _overdue(sessions: SessionFactory, clock: FakeClock, answers: dict[str, object]) -> int:
    jordan = await person_of(sessions, CLIENT.user_id)
    sam = await person_of(sessions, TRAINER.user_id)
    alert = Alert(
        client_id=jordan.id or 0,
        trainer_id=sam.id or 0,
        rule="E1",
        severity="emergency",
        answers=answers,
        client_told="call 911",
        created_at=clock.now() - timedelta(minutes=20),
        updated_at=clock.now(),
    )
    async with sessions() as session:
        session.add(alert)
        await session.commit()
        return alert.id or 0


async def test_an_alert_that_cannot_be_escalated_never_stops_the_others_and_is_never_given_up(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alex = await person_of(sessions, ADMIN.user_id)
    blair = await add_person(sessions, clock, 1009, "Blair", Role.ADMIN)
    await poison(sessions, Person, blair.id or 0, timezone="london")  # can't be written for
    good = await _overdue(sessions, clock, {"pain_now": 9})
    broken = await _overdue(sessions, clock, {"night_waking": "SECRET-ANSWER"})  # no text for it

    done = await escalate_tick(stores, clock.now(), EMERGENCY, URGENT)
    assert (done.rows, done.done) == (2, 0)  # neither reached every admin yet
    rows = await _outbox(sessions, "alert_escalated_emergency")
    assert [(r.person_id, r.dedupe_key) for r in rows] == [(alex.id, f"escalate:{good}:{alex.id}")]
    assert await failures(sessions) == {("escalate", good): 1, ("escalate", broken): 1}
    lines = failure_lines(caplog)
    assert f"tick escalate: alert {good} failed (ZoneInfoNotFoundError" in " ".join(lines)
    assert f"tick escalate: alert {broken} failed (KeyError" in " ".join(lines)
    assert_no_content(lines, "SECRET", "london", "Jordan", "Blair", "alert_night")

    assert (await escalate_tick(stores, clock.now(), EMERGENCY, URGENT)).rows == 0  # waits
    clock.advance(timedelta(minutes=1))  # a minute on it is tried again: never given up
    await escalate_tick(stores, clock.now(), EMERGENCY, URGENT)
    assert await failures(sessions) == {("escalate", good): 2, ("escalate", broken): 2}
    assert len(await _outbox(sessions, "alert_escalated_emergency")) == 1  # Alex's, once

    await poison(sessions, Person, blair.id or 0, timezone=LA)  # fixed: Blair gets it too
    clock.advance(timedelta(minutes=2))
    assert (await escalate_tick(stores, clock.now(), EMERGENCY, URGENT)).done == 1
    assert await failures(sessions) == {("escalate", broken): 3}
    async with sessions() as session:
        escalated = await session.get(Alert, good)
    assert escalated is not None and escalated.escalated_at == clock.now()
    rows = await _outbox(sessions, "alert_escalated_emergency")
    assert sorted(r.person_id or 0 for r in rows) == sorted([alex.id or 0, blair.id or 0])


# --- booking reminders ----------------------------------------------------------------------


async def test_booking_reminders_go_out_when_one_visitors_zone_is_unusable(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sam = await person_of(sessions, TRAINER.user_id)
    vera = await add_person(sessions, clock, 5001, "Vera", Role.PROSPECT)
    wes = await add_person(sessions, clock, 5002, "Wes", Role.PROSPECT)
    await poison(sessions, Person, wes.id or 0, timezone="london")
    ids = []
    async with sessions() as session:
        for n, visitor in enumerate((vera, wes)):
            starts = clock.now() + timedelta(minutes=30 + n * 30)
            booking = Booking(
                trainer_id=sam.id or 0,
                prospect_id=visitor.id or 0,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                status=BookingStatus.CONFIRMED,
                created_at=clock.now() - timedelta(days=2),
                updated_at=clock.now(),
            )
            session.add(booking)
            await session.flush()
            ids.append(booking.id or 0)
        await session.commit()

    done = await plan_booking_reminders_tick(stores, clock.now(), "Europe/London")
    assert (done.rows, done.done) == (2, 1)
    assert [r.person_id for r in await _outbox(sessions, "bk_reminder_1h")] == [vera.id]
    assert await failures(sessions) == {("booking", ids[1]): 1}
    lines = failure_lines(caplog)
    assert lines and f"tick booking: booking {ids[1]} failed (ZoneInfoNotFoundError" in lines[0]
    assert_no_content(lines, "london", "Wes")
    assert (await plan_booking_reminders_tick(stores, clock.now(), "Europe/London")).done == 0
    assert failure_lines(caplog) == []  # Vera's is queued once; Wes's waits for its retry

    await poison(sessions, Person, wes.id or 0, timezone=LA)  # fixed
    clock.advance(timedelta(minutes=5))
    assert (await plan_booking_reminders_tick(stores, clock.now(), "Europe/London")).done == 1
    assert await failures(sessions) == {}


async def test_a_paged_tick_visits_every_row_once_and_a_bad_row_costs_only_its_page(
    stores: StoreFactory,
    sessions: SessionFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`paged` (the ticks over every client): pages of PAGE rows in order, each in one
    transaction; where a page fails, that page's rows go one by one and the bad one is
    recorded, while the pages before and after it stay whole."""
    monkeypatch.setattr(ticks, "PAGE", 3)
    tick = Tick("test", "row", timedelta(minutes=1), timedelta(hours=1))
    rows = list(range(1, 8))
    batches: list[list[int]] = []

    async def page(store: Store, after: int, limit: int, name: str, now: datetime) -> list[int]:
        assert (name, now) == (tick.name, clock.now())
        return [row for row in rows if row > after][:limit]

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        batches.append(list(batch))
        if 5 in batch:
            raise ValueError("a row no code can use")
        return len(batch)

    outcome = await paged(stores, tick, clock.now(), page, work)
    assert batches == [[1, 2, 3], [4, 5, 6], [4], [5], [6], [7]]
    assert outcome == Outcome(rows=7, done=6)
    assert await failures(sessions) == {("test", 5): 1}


async def test_a_paged_tick_ends_between_pages_when_the_bot_stops(
    stores: StoreFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop waits for the ticks under way: one walking a million clients ends after the page
    it is on, and the next run starts from the first row again (the work is idempotent)."""
    monkeypatch.setattr(ticks, "PAGE", 2)
    tick = Tick("test", "row", timedelta(minutes=1), timedelta(hours=1))
    batches: list[list[int]] = []

    async def page(store: Store, after: int, limit: int, name: str, now: datetime) -> list[int]:
        return [row for row in range(1, 10) if row > after][:limit]

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        batches.append(list(batch))
        return len(batch)

    outcome = await paged(stores, tick, clock.now(), page, work, lambda: len(batches) < 2)
    assert batches == [[1, 2], [3, 4]] and outcome == Outcome(rows=4, done=4)
