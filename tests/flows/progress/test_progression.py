"""Progression suggestions: 7 green days and 80% of sets, once, to the client's own trainer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.account.mydata import export
from flows.checkin.triage import FLAGGED, Thresholds
from flows.engine.buttons import ProgressionAnswer
from flows.engine.core import Edit, Send, Toast
from flows.progress.progression import green_run, plan_suggestions_tick, suggestion_due
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Checkin, ClientProfile, Conversation, Outbox, ProgressionSuggestion, Role
from storage.personal import delete_person, stored_about
from storage.progression import candidate_ids
from storage.repo import Store, store_factory
from tests.flows.harness import User, add_person, make_router, person_of
from tests.flows.progress.test_progress import (
    add_checkin,
    add_pause,
    days_ago,
    exercises,
    joined_on,
)

TODAY = date(2026, 11, 23)
ZONE = "Europe/London"
EXPIRED = "This button has expired. Please use the latest message."


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, ZONE, clock.now())
    await joined_on(sessions, days_ago(40))
    return make_router(sessions, clock)


async def tick(sessions: SessionFactory, clock: FakeClock) -> int:
    outcome = await plan_suggestions_tick(store_factory(sessions), clock.now(), ZONE, Thresholds())
    return outcome.done


async def suggestions(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).where(Outbox.kind == "progression").order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


async def green_week(sessions: SessionFactory, ending: int = 1, done: int = 3) -> None:
    """Seven green check-ins ending `ending` days ago, `done` of 3 sets each of 3 exercises."""
    for n in range(ending + 6, ending - 1, -1):
        await add_checkin(sessions, days_ago(n), 2, done=exercises(3, 3, done))


def row(day: date, light: str | None = "green", flags: list[str] | None = None) -> Checkin:
    return Checkin(
        client_id=1,
        local_date=day,
        light=light,
        red_flags=flags or [],
        exercises=exercises(3, 3, 3),
        started_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


# --- the counting --------------------------------------------------------------------------------


def test_a_run_skips_pauses_and_today_and_ends_at_amber_red_flags_or_a_gap() -> None:
    first = TODAY - timedelta(days=60)
    rows = {days_ago(n): row(days_ago(n)) for n in (1, 2, 4, 5)}
    rows[days_ago(6)] = row(days_ago(6), "amber")
    run = green_run(rows, {days_ago(3)}, TODAY, first, 7)
    assert [r.local_date for r in run] == [days_ago(n) for n in (1, 2, 4, 5)]
    assert green_run(rows, set(), TODAY, first, 7) == run[:2]  # 3 days ago: no check-in
    rows[days_ago(2)] = row(days_ago(2), flags=["calf_swelling"])
    assert [r.local_date for r in green_run(rows, {days_ago(3)}, TODAY, first, 7)] == [days_ago(1)]
    assert green_run(rows, set(), TODAY, days_ago(1), 7) == [rows[days_ago(1)]]  # after: `first`


def test_the_thresholds_and_the_newest_day() -> None:
    rows = [row(days_ago(n)) for n in range(7, 0, -1)]
    first = TODAY - timedelta(days=60)
    assert suggestion_due(rows, set(), TODAY, first, Thresholds()) == (days_ago(1), 1.0)
    assert suggestion_due(rows[1:], set(), TODAY, first, Thresholds()) is None  # 6 days
    strict = Thresholds(progression_adherence_min=1.01)
    assert suggestion_due(rows, set(), TODAY, first, strict) is None
    for r in rows:
        r.exercises = []  # nothing prescribed: nothing to progress
    assert suggestion_due(rows, set(), TODAY, first, Thresholds()) is None


# --- the tick and the trainer's answers -------------------------------------------------------


async def test_seven_green_days_suggest_once_to_the_trainer(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await green_week(sessions, done=2)  # 8 of 9 sets: 89%
    assert await tick(sessions, clock) == 1
    assert await tick(sessions, clock) == 0  # the same run: nothing again
    [message] = await suggestions(sessions)
    sam = await person_of(sessions, TRAINER.user_id)
    assert message.chat_id == sam.chat_id
    assert message.text == (
        "Jordan: 7 green days, adherence 89%. Consider progressing their program.\n\n"
        "Jordan is post-op: agree any change with their surgeon or physio first.\n\n"
        "Nothing changes unless you change it."
    )
    assert [b["text"] for b in message.buttons[0]] == ["Open program", "Not yet"]
    for word in (" her ", " his ", " him ", " she ", " he "):
        assert word not in f" {message.text} "

    clock.advance(timedelta(days=1))  # a new day with one more green check-in: still not again
    await add_checkin(sessions, TODAY, 1)
    assert await tick(sessions, clock) == 0


async def test_only_clients_with_enough_green_days_since_their_last_suggestion_are_read(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The tick runs every minute: the database narrows it to clients with enough green
    days since their last suggestion, so everyone else costs no query of their own."""

    async def candidates() -> list[int]:
        async with store_factory(sessions)() as store:
            return await candidate_ids(
                store, 0, 10, "progress", clock.now(), need=7, lookback_days=60, flagged=FLAGGED
            )

    jordan = await person_of(sessions, CLIENT.user_id)
    for n in range(6, 0, -1):
        await add_checkin(sessions, days_ago(n), 2)
    await add_checkin(sessions, days_ago(7), 2, light="amber")
    assert await candidates() == []  # six green days: not enough
    await add_checkin(sessions, days_ago(8), 2)
    assert await candidates() == [jordan.id]  # seven, though not in a row: the tick decides
    assert await tick(sessions, clock) == 0
    async with sessions() as session:  # the amber day turns green: a run of 8
        [amber] = (await session.exec(select(Checkin).where(Checkin.light == "amber"))).all()
        amber.light = "green"
        await session.commit()
    assert await tick(sessions, clock) == 1
    assert await candidates() == []  # every green day is counted by that suggestion


async def test_not_for_a_client_with_a_red_or_amber_day_and_the_count_restarts(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    for n in range(8, 0, -1):
        await add_checkin(sessions, days_ago(n), 2, light="red" if n == 4 else "green")
    assert await tick(sessions, clock) == 0  # red 4 days ago: only 3 green since
    async with sessions() as session:  # amber is no better
        found = (await session.exec(select(Checkin).where(Checkin.pain_now == 2))).all()
        for checkin in found:
            checkin.light = "amber" if checkin.local_date == days_ago(4) else "green"
        await session.commit()
    assert await tick(sessions, clock) == 0
    for n in range(4):  # 4 more green days after the amber one's 3: 7 in a row
        await add_checkin(sessions, days_ago(-n), 2)
    assert await tick(sessions, clock) == 0  # not before their day has come
    clock.advance(timedelta(days=3))
    assert await tick(sessions, clock) == 1


async def test_a_post_op_line_only_for_post_op_clients_and_not_below_80_percent(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        profile = await session.get(ClientProfile, jordan.id)
        assert profile is not None
        profile.post_op = False
        await session.commit()
    await green_week(sessions, done=1)  # 7 of 9 sets: 78%
    assert await tick(sessions, clock) == 0
    async with sessions() as session:
        for checkin in (await session.exec(select(Checkin))).all():
            checkin.exercises = exercises(3, 3, 3)
        await session.commit()
    assert await tick(sessions, clock) == 1
    [message] = await suggestions(sessions)
    assert "post-op" not in message.text and "adherence 100%" in message.text


async def test_not_yet_asks_again_after_seven_more_green_days(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await green_week(sessions)
    await tick(sessions, clock)
    [message] = await suggestions(sessions)
    sam = User(router, TRAINER.user_id)
    [toast, edit] = await sam.press_data(message.buttons[0][1]["data"], "Not yet")
    assert toast == Toast() and isinstance(edit, Edit)
    assert edit.text.endswith("» Not yet: I'll ask again after 7 more green days.")
    async with sessions() as session:
        [saved] = (await session.exec(select(ProgressionSuggestion))).all()
        assert saved.answer == "later" and saved.answered_at == clock.now()
    await add_pause(sessions, TODAY, TODAY)
    for n in range(1, 8):
        clock.advance(timedelta(days=1))
        assert await tick(sessions, clock) == 0
        await add_checkin(sessions, days_ago(-n), 2)
    clock.advance(timedelta(days=1))
    assert await tick(sessions, clock) == 1
    assert len(await suggestions(sessions)) == 2


async def test_open_program_starts_the_program_on_that_client_for_their_trainer_only(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await green_week(sessions)
    await tick(sessions, clock)
    [message] = await suggestions(sessions)
    data = message.buttons[0][0]["data"]
    await add_person(sessions, clock, 2001, "Kim", Role.TRAINER)
    for user_id in (2001, CLIENT.user_id):
        assert await User(router, user_id).press_data(data) == [Toast(EXPIRED)]
    assert await User(router, TRAINER.user_id).press_data("sugg:99:open") == [Toast(EXPIRED)]
    replies = await User(router, TRAINER.user_id).press_data(data, "Open program")
    assert any(isinstance(r, Send) and r.text.startswith("Program for Jordan") for r in replies)
    async with sessions() as session:
        convo = await session.get(Conversation, TRAINER.user_id)
        assert convo is not None and convo.flow == "program"
        [saved] = (await session.exec(select(ProgressionSuggestion))).all()
        assert saved.answer == "open"
    alex = User(router, ADMIN.user_id)  # an admin may answer too
    assert (await alex.press_data(ProgressionAnswer(saved.id or 0, "later").pack()))[0] == Toast()


async def test_mydata_exports_and_deleteme_removes_the_suggestions(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await green_week(sessions)
    await tick(sessions, clock)
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        found = await stored_about(Store(session), jordan)
    [exported] = export(found, clock.now(), ZONE)["progression_suggestions"]
    assert exported["day"] == days_ago(1).isoformat() and exported["green_days"] == 7
    assert "client_id" not in exported and "trainer_id" not in exported
    async with sessions() as session:
        store = Store(session)
        await delete_person(store, jordan)
        await store.commit()
    async with sessions() as session:
        assert (await session.exec(select(ProgressionSuggestion))).all() == []
        assert await suggestions(sessions) == []  # the message about him went too
