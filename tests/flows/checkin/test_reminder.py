"""The reminder planner, its buttons, the nudge, R10, the digest and /settings (real database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.checkin.digest import plan_digests
from flows.checkin.reminder import (
    SKIP_REASONS,
    SKIP_TEXTS,
    _nudge_ids,
    add_schedules,
    add_schedules_tick,
    plan_due,
    plan_due_in_bulk_tick,
    plan_nudges_in_bulk_tick,
    plan_nudges_tick,
)
from flows.engine.buttons import ReminderPress
from storage.db import SessionFactory
from storage.models import Alert, Checkin, Outbox, Pause, Person, ReminderSchedule
from storage.repo import Store, store_factory
from tests.flows.checkin.test_checkin import make_client
from tests.flows.engine.poison import poison
from tests.flows.harness import User, make_router, planner_rules, texts

LA = "America/Los_Angeles"
RULES = planner_rules(LA)


async def plan(sessions: SessionFactory, clock: FakeClock) -> int:
    """What the planner tick does, minus the app around it: the set-based path, then the
    batch path for what it left."""
    async with sessions() as session:
        await add_schedules(Store(session), clock.now(), RULES)
        await session.commit()
    queued = (await plan_due_in_bulk_tick(store_factory(sessions), clock.now(), RULES)).done
    async with sessions() as session:
        store = Store(session)
        _, batch = await plan_due(store, clock.now(), RULES)
        queued += batch
        await store.commit()
    queued += (await plan_nudges_in_bulk_tick(store_factory(sessions), clock.now(), RULES)).done
    queued += (await plan_nudges_tick(store_factory(sessions), clock.now(), RULES)).done
    return queued


async def outbox(sessions: SessionFactory, kind: str | None = None) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).order_by(col(Outbox.id))
        if kind:
            query = query.where(Outbox.kind == kind)
        return list((await session.exec(query)).all())


async def schedule(sessions: SessionFactory) -> ReminderSchedule:
    async with sessions() as session:
        rows = (await session.exec(select(ReminderSchedule))).all()
        assert len(rows) == 1
        return rows[0]


async def demo(sessions: SessionFactory, clock: FakeClock) -> None:
    await seed_demo_centre(sessions, LA, clock.now())


async def test_reminder_at_local_time_across_spring_forward(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # 04:00 PST, Saturday
    await demo(sessions, clock)
    assert await plan(sessions, clock) == 0
    assert (await schedule(sessions)).next_due_at == datetime(2026, 3, 7, 16, tzinfo=UTC)
    clock.set(datetime(2026, 3, 7, 16, 0, 5, tzinfo=UTC))  # 08:00 PST
    assert await plan(sessions, clock) == 1
    assert await plan(sessions, clock) == 0  # idempotent
    # Sunday is PDT: 08:00 local is 15:00 UTC, 23 hours later
    assert (await schedule(sessions)).next_due_at == datetime(2026, 3, 8, 15, tzinfo=UTC)
    clock.set(datetime(2026, 3, 8, 15, 0, 1, tzinfo=UTC))
    assert await plan(sessions, clock) == 1
    rows = await outbox(sessions, "reminder")
    assert [r.dedupe_key for r in rows] == ["rem:3:2026-03-07", "rem:3:2026-03-08"]
    labels = [b["text"] for row in rows[0].buttons for b in row]
    assert labels == ["Check in now", "Remind me in 1 h", "Skip today"]
    data = [b["data"] for row in rows[0].buttons for b in row]
    assert data == [ReminderPress(c).pack() for c in ("now", "snooze", "skip")]


async def test_a_day_missed_while_down_is_not_sent_late(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 04:00 in LA
    await demo(sessions, clock)
    await plan(sessions, clock)
    clock.advance(timedelta(days=1, hours=10))  # down through Monday's reminder
    assert await plan(sessions, clock) == 0
    assert (await schedule(sessions)).next_due_at == datetime(2026, 11, 25, 16, tzinfo=UTC)


async def test_snooze_skip_and_check_in_now(sessions: SessionFactory, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # 08:00 in LA
    await demo(sessions, clock)
    router = make_router(sessions, clock)
    jordan = User(router, CLIENT.user_id)
    await plan(sessions, clock)  # creates the schedule: due tomorrow
    replies = await jordan.press_data(ReminderPress("snooze").pack(), "Remind me in 1 h")
    assert "I'll remind you again at 09:00" in texts(replies)
    clock.advance(timedelta(minutes=59))
    assert await plan(sessions, clock) == 0
    clock.advance(timedelta(minutes=1))
    assert await plan(sessions, clock) == 1
    assert (await schedule(sessions)).next_due_at == datetime(2026, 11, 24, 16, tzinfo=UTC)

    replies = await jordan.press_data(ReminderPress("now").pack(), "Check in now")
    assert "pain" in texts(replies).lower()
    await jordan.command("cancel")
    await jordan.press_data(ReminderPress("skip").pack(), "Skip today")
    replies = await jordan.press_data(ReminderPress("skip", "travel").pack(), "Travel")
    assert "Today is skipped" in texts(replies)
    async with sessions() as session:
        pause = (await session.exec(select(Pause))).one()
    assert (pause.first_day, pause.last_day, pause.reason) == (
        date(2026, 11, 23),
        date(2026, 11, 23),
        "skip:travel",
    )
    trainer = User(router, TRAINER.user_id)
    # clients only
    assert "expired" in texts(await trainer.press_data(ReminderPress("snooze").pack()))


async def test_skipped_and_paused_days_get_nothing(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    await demo(sessions, clock)
    await plan(sessions, clock)
    jordan = User(make_router(sessions, clock), CLIENT.user_id)
    await jordan.press_data(ReminderPress("skip", "sick").pack())
    clock.set(datetime(2026, 11, 23, 16, 1, tzinfo=UTC))
    assert await plan(sessions, clock) == 0  # skipped today
    await jordan.command("pause", "3")  # today and the next two days
    for _ in range(2):
        clock.advance(timedelta(days=1))
        assert await plan(sessions, clock) == 0
    clock.advance(timedelta(days=1))
    assert await plan(sessions, clock) == 1


async def test_nudge_once_then_r10_after_three_missed_days_and_the_digest(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # Monday 04:00 in LA; joined today
    await demo(sessions, clock)
    await plan(sessions, clock)
    sent: list[str] = []
    for day in range(5):  # Mon..Fri: reminder at 08:00, nudge at 19:00 (03:00 UTC next day)
        clock.set(datetime(2026, 11, 23 + day, 16, 0, 1, tzinfo=UTC))
        await plan(sessions, clock)
        clock.set(datetime(2026, 11, 24 + day, 3, 0, 1, tzinfo=UTC))
        await plan(sessions, clock)
        await plan(sessions, clock)
    sent = [r.dedupe_key or "" for r in await outbox(sessions, "nudge")]
    assert sent == ["nudge:3:2026-11-23", "nudge:3:2026-11-24"]  # days 1 and 2 of the run
    async with sessions() as session:
        alerts = list((await session.exec(select(Alert))).all())
    assert [(a.rule, a.severity, a.answers) for a in alerts] == [
        ("R10", "routine", {"missed_days": 3})
    ]
    assert alerts[0].created_at == datetime(2026, 11, 26, 16, 0, 1, tzinfo=UTC)  # Thursday

    async with sessions() as session:  # Sam's digest at 18:00 in LA
        store = Store(session)
        clock.set(datetime(2026, 11, 28, 1, 59, tzinfo=UTC))
        assert await plan_digests(store, clock.now(), RULES, "18:00") == 0
        clock.set(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
        assert await plan_digests(store, clock.now(), RULES, "18:00") == 1
        assert await plan_digests(store, clock.now(), RULES, "18:00") == 0
        await store.commit()
    digest = (await outbox(sessions, "digest"))[0]
    assert "Jordan · R10: no check-in for several days" in digest.text
    async with sessions() as session:
        sam = (await session.exec(select(Person).where(Person.name == "Sam"))).one()
    assert digest.chat_id == sam.chat_id


async def test_no_nudge_after_a_check_in(sessions: SessionFactory, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    await demo(sessions, clock)
    await plan(sessions, clock)
    async with sessions() as session:
        session.add(
            Checkin(
                client_id=3, local_date=date(2026, 11, 23), status="done", started_at=clock.now()
            )
        )
        await session.commit()
    clock.set(datetime(2026, 11, 24, 3, 0, 1, tzinfo=UTC))  # 19:00 in LA
    assert await plan(sessions, clock) == 0


async def test_a_skipped_day_is_no_pause_and_sick_offers_the_red_flag_screen(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # 08:00 in LA
    await demo(sessions, clock)
    jordan = User(make_router(sessions, clock), CLIENT.user_id)
    sick = await jordan.press_data(ReminderPress("skip", "sick").pack(), "Sick")
    assert "Today is skipped" in texts(sick) and "warning sign" in texts(sick)
    asked = texts(await jordan.command("checkin"))  # skipped, not paused: welcome to check in
    assert "paused" not in asked and "/resume" not in asked and "pain" in asked.lower()
    await jordan.command("cancel")
    flags = texts(await jordan.press("Check my symptoms", sick))
    assert "any of these since yesterday" in flags.lower()
    assert "Call 999 now." in texts(await jordan.press("chest"))
    async with sessions() as session:
        [alert] = (await session.exec(select(Alert))).all()
    assert (alert.rule, alert.severity) == ("E1", "emergency")
    assert "You're not paused" in texts(await jordan.command("resume"))


async def test_settings_changes_the_reminder_time_and_quiet_hours(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 04:00 in LA
    await demo(sessions, clock)
    await plan(sessions, clock)
    jordan = User(make_router(sessions, clock), CLIENT.user_id)
    replies = await jordan.command("settings")
    assert "Daily reminder: 08:00 (America/Los_Angeles)" in texts(replies)
    assert "Quiet hours: off" in texts(replies)  # the demo people's, so the sandbox works at night
    await jordan.press("Reminder time")
    replies = await jordan.text("6:30")
    assert "I'll remind you at 06:30" in texts(replies)
    assert "Heads-up" not in texts(replies)
    assert (await schedule(sessions)).next_due_at == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    await jordan.command("settings")
    asked = texts(await jordan.press("Quiet hours"))
    assert "Reminders and messages wait" in asked and "trainers" not in asked  # a client's
    assert "span like" in texts(await jordan.text("whenever"))
    replies = await jordan.text("22:00-06:00")
    assert "quiet hours 22:00–06:00" in texts(replies)
    await jordan.command("settings")
    await jordan.press("Reminder time")
    replies = await jordan.text("5:45")  # inside quiet hours it would wait: they move instead
    assert "your quiet hours are now 22:00–05:45" in texts(replies)
    await jordan.command("settings")
    await jordan.press("Reminder time")
    replies = await jordan.text("22:30")
    assert "your quiet hours are now 23:30–05:45" in texts(replies)
    assert "Quiet hours: 23:30–05:45" in texts(await jordan.command("settings"))
    sam = User(make_router(sessions, clock), TRAINER.user_id)
    await sam.command("settings")
    assert "Urgent alerts to trainers still come" in texts(await sam.press("Quiet hours"))
    await sam.text("22:00-06:00")
    await sam.command("settings")
    await sam.press("Digest time")
    assert "digest comes at 17:00" in texts(await sam.text("5pm"))


def test_every_reason_to_skip_a_day_has_its_button() -> None:
    assert list(SKIP_TEXTS) == list(SKIP_REASONS)


async def test_the_evening_reads_only_clients_who_may_be_nudged(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Every minute of the evening the batch path looks up clients without a check-in or a
    nudge today; those past the start of a missed run are not read at all (at 100,000 clients
    loading them cost seconds a minute), while a pause still counts as no missed day."""
    clock.set(datetime(2026, 11, 3, 12, 0, tzinfo=UTC))  # everyone joins three weeks earlier
    await demo(sessions, clock)
    ada, bo, cy, di = [
        await make_client(sessions, clock, user_id=user_id) for user_id in (9301, 9302, 9303, 9304)
    ]
    for client_id in (ada, bo, cy, di):
        await poison(sessions, Person, client_id, timezone=LA)
    today = date(2026, 11, 23)  # Monday; nudge time is 19:00 in LA
    async with sessions() as session:
        for client_id, day in ((ada, today - timedelta(days=1)), (bo, today - timedelta(days=10))):
            session.add(
                Checkin(client_id=client_id, local_date=day, status="done", started_at=clock.now())
            )
        session.add(
            Checkin(
                client_id=cy,
                local_date=today - timedelta(days=10),
                status="done",
                started_at=clock.now(),
            )
        )
        session.add(
            Pause(
                client_id=cy,
                first_day=today - timedelta(days=9),
                last_day=today - timedelta(days=1),
                created_at=clock.now(),
            )
        )
        await session.commit()
    stores = store_factory(sessions)
    await add_schedules_tick(stores, clock.now(), RULES)
    clock.set(datetime(2026, 11, 24, 3, 30, tzinfo=UTC))  # 19:30 in LA

    async with sessions() as session:
        read = await _nudge_ids(Store(session), LA, clock.now(), RULES)
    assert sorted(read) == sorted([ada, cy])  # not Bo (ten days missed), Di, Jordan (never)
    assert (await plan_nudges_tick(stores, clock.now(), RULES)).done == 2
    assert sorted(r.person_id or 0 for r in await outbox(sessions, "nudge")) == sorted([ada, cy])
