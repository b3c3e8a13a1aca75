"""The weekly summary: once a week at each client's local day and time, a roster for trainers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine import ticks
from flows.progress import chartdata, weekly
from flows.progress.chart import Chart
from flows.progress.weekly import WEEKLY_TICK, due_week, plan_weekly_tick
from flows.router import Router
from storage import checkins
from storage.db import BUSY_TIMEOUT_MS, SessionFactory
from storage.models import Checkin, ClientProfile, Outbox, Person, Role, TickFailure
from storage.repo import Store, store_factory
from storage.weekly import weekly_due_ids
from tests.flows.harness import User, add_person, make_router, person_of, texts
from tests.flows.progress.test_progress import (
    add_checkin,
    add_pause,
    days_ago,
    exercises,
    joined_on,
)

ZONE = "Europe/London"
SUNDAY_6PM = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # London is on UTC in November


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, ZONE, clock.now())
    await joined_on(sessions, days_ago(20))
    return make_router(sessions, clock)


async def tick(sessions: SessionFactory, clock: FakeClock) -> int:
    return (await plan_weekly_tick(store_factory(sessions), clock.now(), ZONE)).done


async def weekly_rows(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).where(col(Outbox.kind).startswith("weekly")).order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


def test_due_only_within_the_window_after_the_local_time() -> None:
    assert due_week(SUNDAY_6PM, ZONE, 6, "18:00") == "2026-W48"
    assert due_week(SUNDAY_6PM - timedelta(minutes=1), ZONE, 6, "18:00") is None
    assert due_week(SUNDAY_6PM + timedelta(hours=5, minutes=59), ZONE, 6, "18:00") == "2026-W48"
    assert due_week(SUNDAY_6PM + timedelta(hours=6), ZONE, 6, "18:00") is None
    # 18:00 in New York is 23:00 in London: due then, not at London's 18:00
    assert due_week(SUNDAY_6PM, "America/New_York", 6, "18:00") is None
    assert due_week(SUNDAY_6PM + timedelta(hours=5), "America/New_York", 6, "18:00") == "2026-W48"
    # late on Sunday evening a Monday 01:00 time in Tokyo is already due (their Monday)
    assert due_week(datetime(2026, 11, 29, 16, 30, tzinfo=UTC), "Asia/Tokyo", 0, "01:00")


async def test_once_a_week_at_the_clients_time_with_the_chart(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    for n in (4, 5, 6):  # Friday to Sunday
        await add_checkin(sessions, days_ago(-n), 2)
    clock.set(SUNDAY_6PM - timedelta(minutes=5))
    assert await tick(sessions, clock) == 0  # not yet
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 2  # Jordan's summary and Sam's roster
    assert await tick(sessions, clock) == 0  # again (a restart, another process): nothing
    clock.advance(timedelta(hours=3))
    assert await tick(sessions, clock) == 0
    summary, roster = await weekly_rows(sessions)
    jordan = await person_of(sessions, CLIENT.user_id)
    assert summary.chat_id == jordan.chat_id and summary.file_kind == "photo"
    assert summary.file_content is not None and summary.file_content.startswith(b"\x89PNG")
    assert summary.text.splitlines() == [
        "Your week, Jordan: 3 check-ins in the last 7 days.",
        "Exercises: 100% of your sets.",
        "Streak: 3 days.",
        "You reached your 80% goal this week. Well done!",
    ]
    sam = await person_of(sessions, TRAINER.user_id)
    assert roster.chat_id == sam.chat_id and roster.file_kind is None
    assert roster.text.splitlines() == [
        "Your clients this week (1), most in need first: light, sets done, open alerts",
        "🟢 Jordan · 100% · 0 open",
    ]

    clock.advance(timedelta(days=7))  # the next Sunday: the next week's
    assert await tick(sessions, clock) == 2


async def test_every_client_gets_theirs_when_they_fill_several_pages(
    router: Router, sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick walks the clients a page at a time (a million would not fit in memory at
    once): none is left out or queued twice across the pages, and the roster lists them all."""
    monkeypatch.setattr(ticks, "PAGE", 2)
    sam = await person_of(sessions, TRAINER.user_id)
    for n in range(4):
        client = await add_person(sessions, clock, 700 + n, f"Client {n}", Role.CLIENT)
        profile = ClientProfile(
            person_id=client.id or 0, trainer_id=sam.id or 0, onboarded_at=clock.now()
        )
        async with sessions() as session:
            session.add(profile)
            await session.commit()
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 6  # five clients' summaries and Sam's roster
    assert await tick(sessions, clock) == 0
    rows = await weekly_rows(sessions)
    summaries = sorted(row.chat_id for row in rows if row.kind == "weekly_summary")
    jordan = await person_of(sessions, CLIENT.user_id)
    assert summaries == sorted([jordan.chat_id, 700, 701, 702, 703])
    [roster] = [row for row in rows if row.chat_id == sam.chat_id]
    assert roster.text.startswith("Your clients this week (5)")


async def test_a_stopping_bot_queues_nothing_more_and_the_next_run_catches_up(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    stopping = await plan_weekly_tick(store_factory(sessions), clock.now(), ZONE, lambda: False)
    assert stopping.done == 0 and await weekly_rows(sessions) == []
    assert await tick(sessions, clock) == 2  # Jordan's summary and Sam's roster


async def test_the_roster_shows_a_flagged_day_red_whatever_its_answers_light(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """TRIAGE.md section 3: an urgent or emergency flag makes the day red on every screen."""
    await add_checkin(sessions, days_ago(-6), 2)  # Sunday: green answers...
    async with sessions() as session:
        row = (await session.exec(select(Checkin))).one()
        row.severity = "urgent"  # ...and an urgent flag the same day
        await session.commit()
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 2
    roster = (await weekly_rows(sessions))[-1]
    assert roster.kind == "weekly_roster"
    assert roster.text.splitlines()[1].startswith("🔴 Jordan")


async def test_a_paused_client_gets_none_and_a_client_may_move_it(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_pause(sessions, SUNDAY_6PM.date(), SUNDAY_6PM.date())
    clock.set(SUNDAY_6PM + timedelta(minutes=1))
    assert await tick(sessions, clock) == 1  # Sam's roster only
    assert [row.kind for row in await weekly_rows(sessions)] == ["weekly_roster"]

    jordan = User(router, CLIENT.user_id)
    menu = texts(await jordan.command("settings"))
    assert "Weekly summary: Sunday at 18:00" in menu
    await jordan.press("Weekly summary")
    assert "Please pick a day" in texts(await jordan.text("someday"))
    await jordan.press("Wednesday")
    assert "Done: your weekly summary comes on Wednesday at 07:00." in texts(
        await jordan.press("07:00")
    )
    async with sessions() as session:
        profile = await session.get(ClientProfile, (await person_of(sessions, CLIENT.user_id)).id)
        assert profile is not None and (profile.weekly_day, profile.weekly_time) == (2, "07:00")
    clock.set(datetime(2026, 12, 2, 7, 1, tzinfo=UTC))  # Wednesday 07:01 London
    assert await tick(sessions, clock) == 1
    assert [row.kind for row in await weekly_rows(sessions)] == ["weekly_roster", "weekly_summary"]


async def add_client(
    sessions: SessionFactory,
    clock: FakeClock,
    user_id: int,
    zone: str | None,
    day: int | None = None,
    hhmm: str | None = None,
) -> int:
    """An onboarded client of Sam's with this zone and weekly day and time (None: defaults)."""
    sam = await person_of(sessions, TRAINER.user_id)
    client = await add_person(sessions, clock, user_id, f"Client {user_id}", Role.CLIENT)
    async with sessions() as session:
        person = await session.get(Person, client.id)
        assert person is not None
        person.timezone = zone
        session.add(person)
        session.add(
            ClientProfile(
                person_id=client.id or 0,
                trainer_id=sam.id or 0,
                onboarded_at=clock.now(),
                weekly_day=day,
                weekly_time=hhmm,
            )
        )
        await session.commit()
    return client.id or 0


async def test_the_database_hands_over_only_clients_whose_time_has_come_once_a_week(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The tick runs every minute: it must not read every client to find the few due. Each
    setting is decided in its own zone, unset ones as the centre's defaults."""
    unset = await add_client(sessions, clock, 801, None)  # London by default, Sunday 18:00
    london = await add_client(sessions, clock, 802, ZONE, 6, "18:00")
    await add_client(sessions, clock, 803, "America/New_York")  # 18:00 there is 23:00 here
    tokyo = await add_client(sessions, clock, 804, "Asia/Tokyo", 0, "01:00")  # its Monday
    await add_client(sessions, clock, 805, ZONE, 0)  # Monday 18:00
    noon = await add_client(sessions, clock, 806, ZONE, 6, "12:00")  # over six hours ago

    async def due_ids(at: datetime) -> list[int]:
        async with store_factory(sessions)() as store:
            settings = weekly.due_settings(
                await weekly.weekly_times(store, WEEKLY_TICK.name, at), at, ZONE
            )
            return await weekly_due_ids(
                store, 0, 100, WEEKLY_TICK.name, at, due=settings, key_prefix=weekly.KEY_PREFIX
            )

    jordan = (await person_of(sessions, CLIENT.user_id)).id or 0
    at = SUNDAY_6PM + timedelta(minutes=30)  # 01:30 on Monday in Tokyo
    assert await due_ids(at) == sorted([jordan, unset, london, tokyo])
    clock.set(at)
    assert await tick(sessions, clock) == 5  # their four summaries and Sam's roster
    assert await due_ids(at) == []  # queued: not handed over again this week
    assert await due_ids(SUNDAY_6PM - timedelta(minutes=1)) == [noon]  # its window, earlier
    assert await due_ids(SUNDAY_6PM - timedelta(hours=6, minutes=1)) == []


async def test_a_zone_the_tick_cannot_read_fails_alone_and_everyone_else_gets_theirs(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """One bad row never stops a tick: the setting's clients go through their own rows, which
    fail and are recorded (retried later), while every other summary is queued."""
    broken = await add_client(sessions, clock, 811, "Mars/Olympus_Mons")
    fine = await add_client(sessions, clock, 812, None)
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 3  # Jordan's, the fine client's and Sam's roster
    rows = await weekly_rows(sessions)
    assert {row.person_id for row in rows if row.kind == "weekly_summary"} == {
        (await person_of(sessions, CLIENT.user_id)).id,
        fine,
    }
    async with sessions() as session:
        failed = (await session.exec(select(TickFailure))).all()
    assert [(f.tick, f.row_id) for f in failed] == [(WEEKLY_TICK.name, broken)]


async def test_many_different_settings_are_asked_for_a_share_at_a_time(
    router: Router, sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weekly, "SETTINGS_AT_ONCE", 1)
    times = ("17:00", "17:30", "18:00", "15:00")
    ids = [await add_client(sessions, clock, 820 + n, ZONE, 6, t) for n, t in enumerate(times)]
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 6  # four clients, Jordan, Sam's roster
    rows = await weekly_rows(sessions)
    assert set(ids) <= {row.person_id for row in rows}


async def a_write_goes_through_at_once(sessions: SessionFactory) -> bool:
    """Whether another connection may write right now, without waiting (SQLite's one write
    lock is free); a chat's update writes like this."""
    async with sessions() as session:
        sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
        if sqlite:
            await session.exec(text("PRAGMA busy_timeout=0"))  # type: ignore[call-overload]
        try:
            await session.exec(text("UPDATE person SET name = name WHERE id = 1"))  # type: ignore[call-overload]
            await session.commit()
            return True
        except OperationalError as exc:
            assert "locked" in str(exc)
            return False
        finally:
            await session.rollback()
            if sqlite:
                await session.exec(text(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"))  # type: ignore[call-overload]


async def test_charts_are_drawn_before_the_tick_writes_so_no_chat_waits_for_them(
    router: Router, sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a transaction's first write holds the file's one write lock until it commits:
    a summary queued before the next client's chart was drawn made every chat's answer wait
    for all of a page's drawing (11 s for a hundred clients at Sunday 18:00)."""
    for n in range(3):
        await add_client(sessions, clock, 830 + n, None)
    free_while_drawing = []
    draw = chartdata.render_async

    async def drawing(chart: Chart) -> bytes:
        free_while_drawing.append(await a_write_goes_through_at_once(sessions))
        return await draw(chart)

    monkeypatch.setattr(chartdata, "render_async", drawing)
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    assert await tick(sessions, clock) == 5  # four summaries and Sam's roster
    assert free_while_drawing == [True] * 4


async def test_a_large_roster_reads_check_ins_a_batch_of_clients_at_a_time_in_their_own_weeks(
    router: Router, sessions: SessionFactory, clock: FakeClock, engine: AsyncEngine
) -> None:
    """One query of check-ins per CLIENTS_AT_ONCE clients, not one a client (100,000 clients
    took 66 s), and each client's week is still their own: in Tokyo it is Monday already."""
    sam = await person_of(sessions, TRAINER.user_id)
    async with sessions() as session:
        for n in range(12):
            zone = "Asia/Tokyo" if n % 2 else ZONE
            client = Person(
                telegram_user_id=800 + n,
                chat_id=800 + n,
                role=Role.CLIENT,
                name=f"Client {n:02d}",
                timezone=zone,
                created_at=clock.now(),
            )
            session.add(client)
            await session.flush()
            cid = client.id or 0
            session.add(
                ClientProfile(person_id=cid, trainer_id=sam.id or 0, onboarded_at=clock.now())
            )
            # London's week is 23-29 November; Tokyo's 24-30 (Monday 03:00 there)
            for day, done in ((22, 1), (23, 0 if n % 2 else 1), (30, 1)):
                session.add(
                    Checkin(
                        client_id=cid,
                        local_date=date(2026, 11, day),
                        status="done",
                        light="green",
                        exercises=exercises(done, sets=1),
                        started_at=clock.now(),
                    )
                )
        await session.commit()
    read: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM checkin" in statement and "checkin.exercises" in statement:
            read.append(statement)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(checkins, "CLIENTS_AT_ONCE", 5)
    clock.set(SUNDAY_6PM + timedelta(minutes=5))
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with sessions() as session:
            assert await weekly._roster(Store(session), sam, clock.now(), ZONE) == 1
            await session.commit()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        monkeypatch.undo()
    assert len(read) == 3  # 13 clients (Jordan too), 5 at a time
    roster = (await weekly_rows(sessions))[-1]
    lines = {line.split(" · ")[0][2:]: line for line in roster.text.splitlines()[1:]}
    for n in range(12):  # London: 23rd done (30th not yet); Tokyo: 30th done (23rd too early)
        assert lines[f"Client {n:02d}"].endswith("· 100% · 0 open"), lines
