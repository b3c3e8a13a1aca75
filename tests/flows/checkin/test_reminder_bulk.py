"""The set-based planner path: the same reminders and next due times as the batch path, for
the clients it may take; the rest (snoozed, maybe R10) left to the batch path. Real database
(SQLite, or PostgreSQL with MENDBOT_TEST_POSTGRES_URL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from flows.checkin.reminder import (
    plan_due_in_bulk_tick,
    plan_due_tick,
    plan_nudges_in_bulk_tick,
    plan_nudges_tick,
    reminder_buttons,
)
from flows.engine.texts import t
from storage.db import SessionFactory
from storage.models import (
    NORMAL_PRIORITY,
    Alert,
    Checkin,
    ClientProfile,
    Outbox,
    Pause,
    Person,
    ReminderSchedule,
)
from storage.repo import store_factory
from tests.flows.harness import planner_rules

LA, LONDON = "America/Los_Angeles", "Europe/London"
RULES = planner_rules(LA)  # a client without a zone is in LA
NOW = datetime(2026, 3, 8, 15, 0, 30, tzinfo=UTC)  # 08:00:30 PDT, the first day of summer time
TODAY = date(2026, 3, 8)
LA_NEXT = datetime(2026, 3, 9, 15, tzinfo=UTC)


async def seed(sessions: SessionFactory, clients: list[dict[str, Any]]) -> None:
    """A trainer and `clients` ({id, zone, time, due, onboarded, checked_in, paused,
    unreachable, snoozed, quiet, locale}), written as plain rows."""
    async with sessions() as session:
        person = {"role": "trainer", "name": "T", "timezone": LA, "locale": "en", "created_at": NOW}
        await session.exec(insert(Person).values(id=1, telegram_user_id=1, chat_id=1, **person))
        for c in clients:
            cid = c["id"]
            await session.exec(
                insert(Person).values(
                    id=cid,
                    telegram_user_id=cid,
                    chat_id=cid,
                    role="client",
                    name=f"C{cid}",
                    timezone=c.get("zone", LA),
                    locale=c.get("locale", "en"),
                    created_at=NOW - timedelta(days=30),
                    unreachable_at=NOW if c.get("unreachable") else None,
                    quiet_start=c.get("quiet", (None, None))[0],
                    quiet_end=c.get("quiet", (None, None))[1],
                )
            )
            await session.exec(
                insert(ClientProfile).values(
                    person_id=cid,
                    trainer_id=1,
                    clearance="cleared",
                    checkin_time=c.get("time", "08:00"),
                    consent_at=NOW - timedelta(days=30),
                    onboarded_at=c.get("onboarded", NOW - timedelta(days=20)),
                )
            )
            await session.exec(
                insert(ReminderSchedule).values(
                    client_id=cid,
                    next_due_at=c.get("due", NOW - timedelta(seconds=30)),
                    snoozed_until=c.get("snoozed"),
                    updated_at=NOW,
                )
            )
            for day in c.get("checked_in", ()):
                await session.exec(
                    insert(Checkin).values(
                        client_id=cid,
                        local_date=day,
                        status="done",
                        red_flags=[],
                        exercises=[],
                        rules=[],
                        started_at=NOW,
                    )
                )
            if c.get("paused"):
                await session.exec(
                    insert(Pause).values(
                        client_id=cid,
                        first_day=c.get("paused_on", TODAY),
                        last_day=c.get("paused_on", TODAY),
                        created_at=NOW,
                    )
                )
        await session.commit()


YESTERDAY = [TODAY - timedelta(days=1)]
POPULATION: list[dict[str, Any]] = [
    {"id": 101, "checked_in": YESTERDAY},  # the common case
    {"id": 102},  # nothing for 20 days: R10, so the batch path
    {"id": 103, "zone": LONDON, "time": "14:00", "onboarded": NOW - timedelta(hours=20)},
    {"id": 104, "checked_in": YESTERDAY, "paused": True},
    {"id": 105, "checked_in": YESTERDAY, "unreachable": True},
    {"id": 106, "checked_in": YESTERDAY, "snoozed": NOW - timedelta(minutes=1)},
    {"id": 107, "checked_in": [*YESTERDAY, TODAY]},
    {"id": 108, "checked_in": YESTERDAY, "due": datetime(2026, 3, 7, 16, tzinfo=UTC)},  # down
    {"id": 109, "zone": None, "checked_in": YESTERDAY},
    {"id": 110, "checked_in": YESTERDAY, "snoozed": datetime(2026, 3, 9, 10, tzinfo=UTC)},
    {"id": 111, "checked_in": YESTERDAY, "due": NOW + timedelta(minutes=1)},  # not yet
]


async def plan_all(sessions: SessionFactory, now: datetime, bulk: bool) -> tuple[int, int]:
    """As the app's planner tick: the set-based path (if `bulk`), then batches; the reminders
    each queued."""
    stores = store_factory(sessions)
    first = (await plan_due_in_bulk_tick(stores, now, RULES)).done if bulk else 0
    rest = 0
    while True:
        batch = await plan_due_tick(stores, now, RULES)
        rest += batch.done
        if batch.rows < RULES.batch:
            return first, rest


async def state(sessions: SessionFactory) -> tuple[list[Any], list[Any], list[Any]]:
    async with sessions() as session:
        outbox = (await session.exec(select(Outbox).order_by(col(Outbox.dedupe_key)))).all()
        schedules = (
            await session.exec(select(ReminderSchedule).order_by(col(ReminderSchedule.client_id)))
        ).all()
        alerts = (await session.exec(select(Alert.client_id, Alert.rule))).all()
    messages = [
        (o.chat_id, o.person_id, o.kind, o.priority, o.text, o.buttons, o.dedupe_key, o.status)
        for o in outbox
    ]
    return (
        messages,
        [(s.client_id, s.next_due_at, s.snoozed_until) for s in schedules],
        sorted(alerts),
    )


@pytest.mark.parametrize("bulk", [True, False], ids=["set-based first", "batches only"])
async def test_the_set_based_path_plans_what_the_batch_path_would(
    sessions: SessionFactory, bulk: bool
) -> None:
    """The same expected rows either way; only who queued them differs."""
    await seed(sessions, POPULATION)
    counts = await plan_all(sessions, NOW, bulk)
    messages, schedules, alerts = await state(sessions)
    # 101, 103, 109, 110 in bulk; 102 (maybe R10) and 106 (snoozed) in batches
    assert counts == ((4, 2) if bulk else (0, 6))
    assert [m[6] for m in messages] == [
        "rem:101:2026-03-08",
        "rem:102:2026-03-08",
        "rem:103:2026-03-08",
        "rem:106:2026-03-08:snooze:1459",
        "rem:109:2026-03-08",
        "rem:110:2026-03-08",  # due today, its snooze for tomorrow still pending
    ]
    for chat_id, person_id, kind, priority, text, buttons, _, status in messages:
        assert (chat_id, kind, priority, status) == (
            person_id,
            "reminder",
            NORMAL_PRIORITY,
            "pending",
        )
        assert text == t("reminder", "en", name=f"C{person_id}")
        assert buttons == reminder_buttons("en")
    assert alerts == [(102, "R10")]
    assert schedules == [
        (101, LA_NEXT, None),
        (102, LA_NEXT, None),
        (103, datetime(2026, 3, 9, 14, tzinfo=UTC), None),
        (104, LA_NEXT, None),
        (105, LA_NEXT, None),
        (106, LA_NEXT, None),
        (107, LA_NEXT, None),
        (108, LA_NEXT, None),
        (109, LA_NEXT, None),
        (110, datetime(2026, 3, 9, 10, tzinfo=UTC), datetime(2026, 3, 9, 10, tzinfo=UTC)),
        (111, NOW + timedelta(minutes=1), None),
    ]


async def test_a_second_run_queues_nothing_even_if_a_schedule_is_due_again(
    sessions: SessionFactory,
) -> None:
    await seed(sessions, POPULATION)
    await plan_all(sessions, NOW, bulk=True)
    assert await plan_all(sessions, NOW, bulk=True) == (0, 0)
    async with sessions() as session:  # as if the move on had been lost: the key still holds
        row = await session.get(ReminderSchedule, 101)
        assert row is not None
        row.next_due_at = NOW - timedelta(seconds=30)
        await session.commit()
    assert await plan_all(sessions, NOW, bulk=True) == (0, 0)


async def test_local_time_across_spring_forward_in_bulk(sessions: SessionFactory) -> None:
    saturday = datetime(2026, 3, 7, 16, 0, 30, tzinfo=UTC)  # 08:00:30 PST
    friday = [date(2026, 3, 6)]  # recent enough on both days: no R10 to decide
    await seed(
        sessions, [{"id": 101, "due": saturday - timedelta(seconds=30), "checked_in": friday}]
    )
    stores = store_factory(sessions)
    assert (await plan_due_in_bulk_tick(stores, saturday, RULES)).done == 1
    _, schedules, _ = await state(sessions)
    assert schedules == [(101, datetime(2026, 3, 8, 15, tzinfo=UTC), None)]  # 23 hours on
    assert (await plan_due_in_bulk_tick(stores, NOW, RULES)).done == 1
    messages, schedules, _ = await state(sessions)
    assert [m[6] for m in messages] == ["rem:101:2026-03-07", "rem:101:2026-03-08"]
    assert schedules == [(101, LA_NEXT, None)]  # 24 hours on: both days are summer time
    assert (await plan_due_tick(stores, NOW, RULES)).rows == 0  # nothing left for batches


EVENING = datetime(2026, 3, 9, 2, 30, tzinfo=UTC)  # 19:30 PDT on the 8th; London is asleep
LATER = NOW + timedelta(days=1)  # no reminder due meanwhile


def on(*days: int) -> list[date]:
    return [date(2026, 3, day) for day in days]


EVENING_CLIENTS: list[dict[str, Any]] = [
    {"id": 201, "due": LATER, "checked_in": on(7)},  # missed nothing yet: nudged
    {"id": 202, "due": LATER, "checked_in": on(6)},  # missed one: nudged
    {"id": 203, "due": LATER, "checked_in": on(5)},  # missed two: R10 is next, no nudge
    {"id": 204, "due": LATER, "checked_in": on(8)},  # checked in today
    {"id": 205, "due": LATER, "checked_in": on(7), "quiet": ("19:00", "07:00")},  # quiet now
    {"id": 206, "due": LATER, "checked_in": on(7), "quiet": ("23:00", "06:00")},  # not yet
    {"id": 207, "due": LATER, "checked_in": on(7), "paused": True},
    {"id": 208, "due": LATER, "checked_in": on(7), "time": "20:00"},  # after the nudge time
    {"id": 209, "due": LATER, "checked_in": on(7), "zone": LONDON},  # night there
    {"id": 210, "due": LATER, "onboarded": datetime(2026, 3, 8, 17, tzinfo=UTC)},  # joined today
]


@pytest.mark.parametrize("bulk", [True, False], ids=["set-based first", "batches only"])
async def test_nudges_set_based_and_in_batches_alike(sessions: SessionFactory, bulk: bool) -> None:
    await seed(sessions, EVENING_CLIENTS)
    stores = store_factory(sessions)
    first = (await plan_nudges_in_bulk_tick(stores, EVENING, RULES)).done if bulk else 0
    rest = (await plan_nudges_tick(stores, EVENING, RULES)).done
    assert (first, rest) == ((3, 1) if bulk else (0, 4))  # 206's own quiet hours: batches
    messages, _, _ = await state(sessions)
    assert [m[6] for m in messages] == [f"nudge:{c}:2026-03-08" for c in (201, 202, 206, 210)]
    for chat_id, person_id, kind, _, text, buttons, _, _ in messages:
        assert (chat_id, kind) == (person_id, "nudge")
        assert text == t("nudge", "en", name=f"C{person_id}")
        assert buttons == reminder_buttons("en", snooze=False)
    assert (await plan_nudges_in_bulk_tick(stores, EVENING, RULES)).done == 0  # once a day
    assert (await plan_nudges_tick(stores, EVENING, RULES)).done == 0
