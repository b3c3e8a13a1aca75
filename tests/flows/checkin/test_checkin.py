"""The daily check-in through the router on a real SQLite file: answers, triage, alerts, summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import TRAINER, seed_demo_centre
from flows.checkin.daily import LIGHT_TEXTS
from flows.checkin.day import RED_FLAG_GROUPS, RED_FLAG_ITEMS
from flows.checkin.flag_screen import LABEL_MAX, flag_keyboard, flag_question
from flows.checkin.triage import Light
from flows.engine.buttons import History
from flows.engine.conversation import Context
from flows.engine.core import Edit, Event, EventKind, Send
from flows.router import Router
from storage.db import SessionFactory
from storage.models import (
    Alert,
    Checkin,
    CheckinVersion,
    Clearance,
    ClientProfile,
    Conversation,
    Exercise,
    Outbox,
    Person,
    Program,
    Role,
)
from tests.flows.harness import BOT, User, make_router, texts

CLIENT_ID = 9001


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def make_client(
    sessions: SessionFactory,
    clock: FakeClock,
    *,
    user_id: int = CLIENT_ID,
    post_op: bool = False,
    questions: tuple[str, ...] = (),
    sets: tuple[int, ...] = (3, 2),
    cleared: bool = True,
) -> int:
    """An onboarded client of the demo trainer with a program of len(sets) exercises."""
    async with sessions() as session:
        trainer = (
            await session.exec(select(Person).where(Person.telegram_user_id == TRAINER.user_id))
        ).one()
        person = Person(
            telegram_user_id=user_id,
            chat_id=user_id,
            role=Role.CLIENT,
            name="Pat",
            timezone="Europe/London",
            created_at=clock.now(),
        )
        session.add(person)
        await session.flush()
        assert person.id is not None and trainer.id is not None
        session.add(
            ClientProfile(
                person_id=person.id,
                trainer_id=trainer.id,
                condition="ankle",
                post_op=post_op,
                clearance=Clearance.CLEARED if cleared else Clearance.AWAITING_TRAINER,
                consent_at=clock.now(),
                checkin_time="08:00",
                onboarded_at=clock.now(),
            )
        )
        program = Program(client_id=person.id, questions=list(questions), updated_at=clock.now())
        session.add(program)
        await session.flush()
        assert program.id is not None
        for n, count in enumerate(sets, start=1):
            session.add(
                Exercise(program_id=program.id, position=n, name=f"Move {n}", sets=count, reps=10)
            )
        await session.commit()
        return person.id


async def checkins(sessions: SessionFactory) -> list[Checkin]:
    async with sessions() as session:
        return list((await session.exec(select(Checkin).order_by(col(Checkin.local_date)))).all())


async def alerts(sessions: SessionFactory) -> list[Alert]:
    async with sessions() as session:
        return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def trainer_outbox(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).where(Outbox.chat_id == TRAINER.user_id).order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


async def do_exercises(pat: User, exercise_pain: int) -> None:
    await pat.press("Done")
    await pat.press("Done")
    await pat.press(str(exercise_pain))


async def test_green_checkin(router: Router, sessions: SessionFactory, clock: FakeClock) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID, "Pat")
    assert "pain right now" in texts(await pat.command("checkin"))
    assert "Exercise 1 of 2: Move 1, 3 x 10" in texts(await pat.press("2"))
    await do_exercises(pat, 1)
    assert "Anything else" in texts(pat.last)
    summary = texts(await pat.press("Skip"))
    assert "🟢 Green: keep going." in summary
    assert "5 of 5 sets (100%)" in summary
    assert "Streak: 1 day." in summary
    [row] = await checkins(sessions)
    assert (row.status, row.pain_now, row.exercise_pain, row.severity) == ("done", 2, 1, "none")
    assert [e["sets_done"] for e in row.exercises] == [3, 2]
    assert await alerts(sessions) == []


async def test_amber_is_reassuring_not_alarming(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("3")
    await do_exercises(pat, 4)
    summary = texts(await pat.press("Skip"))
    assert "🟡 Amber: that's acceptable" in summary
    assert "Call" not in summary and "urgent" not in summary.lower()


async def test_partly_and_skipped_exercises(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    assert "How many of the 3 sets" in texts(await pat.press("Partly"))
    assert "from 1 to 2" in texts(await pat.text("3"))  # 3 of 3 isn't "partly"
    await pat.press("1")
    assert "What got in the way" in texts(await pat.press("Skipped"))
    await pat.press("Pain")
    await pat.press("2")  # exercise pain: asked because one exercise was partly done
    summary = texts(await pat.press("Skip"))
    assert "1 of 5 sets (20%)" in summary
    [row] = await checkins(sessions)
    assert [(e["sets_done"], e["skip_reason"]) for e in row.exercises] == [(1, None), (0, "pain")]


async def test_post_op_emergency_stops_the_checkin(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, post_op=True)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("4")
    await do_exercises(pat, 3)
    await pat.press("As usual")
    await pat.press("Not stiff")
    await pat.press("Same")
    await pat.press("No")
    flags = await pat.press("7")  # confidence; post-op: the red-flag screen comes every day
    assert "any of these since yesterday" in texts(flags)
    replies = await pat.press("chest pain")
    first = next(r for r in replies if isinstance(r, Send))
    assert first.text.startswith("Call 999 now.")
    assert "wait" not in texts(replies).lower()
    assert "stopped today's check-in" in texts(replies)
    [row] = await checkins(sessions)
    assert (row.status, row.rules, row.severity) == ("stopped", ["E1"], "emergency")
    [alert] = await alerts(sessions)
    assert (alert.rule, alert.severity, alert.client_told) == (
        "E1",
        "emergency",
        "told to call 999 now",
    )
    [message] = await trainer_outbox(sessions)
    assert message.priority == 0
    assert "chest" not in message.text.splitlines()[0].lower()
    assert "not checked in" not in texts(await pat.text("hello"))  # the flow is over
    assert "already checked in" in texts(await pat.command("checkin"))


async def test_urgent_calf_swelling_is_raised_at_once_and_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, post_op=True, sets=(3,))
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("5")
    await pat.press("Done")
    await pat.press("2")
    for label in ("As usual", "Not stiff", "Same", "No", "6"):
        await pat.press(label)
    await pat.press("calf/thigh")
    replies = await pat.press("Done")
    first = next(r for r in replies if isinstance(r, Send))
    assert first.text.startswith("Please contact your surgeon, physio or doctor today.")
    assert "» pain, swelling, warmth or redness in one calf or thigh" in texts(replies)
    assert [a.rule for a in await alerts(sessions)] == ["U1"]  # raised before the note
    assert len(await trainer_outbox(sessions)) == 1
    summary = texts(await pat.text("calf feels tight"))
    assert "Please contact your surgeon" in summary
    assert "Green" not in summary  # no load advice beside "don't load this area"
    assert "🔴 Red today: rest this area until you've been cleared." in summary
    assert [a.rule for a in await alerts(sessions)] == ["U1"]  # not raised twice
    outbox = await trainer_outbox(sessions)
    assert [o.kind for o in outbox][-1] == "ci_note_for_trainer"
    assert outbox[-1].text.endswith("calf feels tight")
    [row] = await checkins(sessions)
    assert (row.status, row.rules, row.note) == ("done", ["U1"], "calf feels tight")


async def test_worry_button_opens_the_red_flag_screen_then_returns(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    assert "any of these" in texts(await pat.press("Something new or worrying"))
    back = texts(await pat.press("None of these"))
    assert "pain right now" in back


async def test_red_flag_ticks_toggle_in_place(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("Something new or worrying")
    ticked = await pat.press("Wound issue")
    assert not any(isinstance(r, Send) for r in ticked)  # edited in place, no new message
    [edit] = [r for r in ticked if isinstance(r, Edit)]
    assert "'☑ Wound issue'" in str(edit.buttons)
    assert "wound red, hot, leaking, smelly or opening" in edit.text  # the question stays whole
    assert edit.text.endswith("Tap each one that applies, then Done.")  # just above the buttons
    [again] = [r for r in await pat.press("☑ Wound") if isinstance(r, Edit)]
    assert "'Wound issue'" in str(again.buttons) and "☑" not in str(again.buttons)
    assert await alerts(sessions) == []  # nothing is raised until Done


async def _changing_with_an_urgent_flag(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> User:
    """A post-op client checked in (pain 4, no flags) and is changing today's answers: pain 5
    and the calf flag ticked, Done (urgent, raised at once); the note is asked next."""
    await make_client(sessions, clock, post_op=True, sets=(3,))
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    for label in ("4", "Done", "2", "As usual", "Not stiff", "Same", "No", "6", "None of"):
        await pat.press(label)
    await pat.text("all good")
    await pat.command("checkin")
    await pat.press("Change answers")
    for label in ("5", "Done", "2", "As usual", "Not stiff", "Same", "No", "6", "calf/thigh"):
        await pat.press(label)
    await pat.press("Done")
    return pat


async def test_a_change_left_unfinished_keeps_the_day_and_still_alerts_at_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """An urgent flag raised while changing a submitted day's answers reaches the trainer with
    the new answers at once, and the day turns red with it; the rest of the day stays as
    submitted until the change is: left unfinished, it is not turned into a day without a
    check-in."""
    pat = await _changing_with_an_urgent_flag(router, sessions, clock)
    await pat.command("cancel")
    [row] = await checkins(sessions)
    assert (row.status, row.pain_now, row.note) == ("done", 4, "all good")
    assert (row.red_flags, row.rules, row.severity) == (["calf_swelling"], ["U1"], "urgent")
    [alert] = await alerts(sessions)
    assert (alert.rule, alert.severity, alert.checkin_id) == ("U1", "urgent", row.id)
    assert alert.answers["pain_now"] == 5 and alert.answers["red_flags"] == ["calf_swelling"]
    sam = User(router, TRAINER.user_id, "Sam")
    history = texts(await sam.press_data(History(row.client_id).pack(), "History"))
    assert history.endswith(
        "Mon 23 Nov: 4 / 2 / 100% / red / U1\n"
        "   earlier answers, later changed: 4 / 2 / 100% / green / –"
    )


async def test_a_change_finished_after_an_urgent_flag_replaces_the_day_and_alerts_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    pat = await _changing_with_an_urgent_flag(router, sessions, clock)
    await pat.text("calf is sore")
    [row] = await checkins(sessions)
    assert (row.status, row.pain_now, row.red_flags, row.rules) == (
        "done",
        5,
        ["calf_swelling"],
        ["U1"],
    )
    async with sessions() as session:
        [earlier] = (await session.exec(select(CheckinVersion))).all()
    assert (earlier.version, earlier.answers["pain_now"], earlier.status) == (1, 4, "done")
    [alert] = await alerts(sessions)  # raised mid-way, not again at the end
    assert (alert.rule, alert.times_raised, alert.checkin_id) == ("U1", 1, row.id)


def test_the_red_flag_screen_fits_a_phone_and_keeps_triage_md_meanings() -> None:
    """TRIAGE.md section 6: 17 items, each button its code; the question carries the full
    wording (grouped); short labels two to a row, so the screen is 10 rows, not 18."""
    ctx = Context(
        event=Event(update_id=1, user_id=1, chat_id=1, kind=EventKind.TEXT),
        now=datetime(2026, 11, 23, tzinfo=UTC),
        bot=BOT,
        store=None,  # type: ignore[arg-type]
        convo=Conversation(chat_id=1, user_id=1, data={}, updated_at=datetime.now(UTC)),
        person=None,
    )
    rows = flag_keyboard(ctx, {"chest_pain"})
    items = [b for row in rows[:-1] for b in row]
    assert len(rows) <= 10 and all(len(row) <= 2 for row in rows)
    codes = [str(b.data).split(":", 1)[-1] for b in items]  # "~<version>:f:<code>"
    assert sorted(codes) == sorted(f"f:{code}" for code in RED_FLAG_ITEMS)
    for button in items:
        assert len(button.text.removeprefix("☑ ").removeprefix("☐ ")) <= LABEL_MAX, button.text
    assert items[0].text == "☑ Chest pain" and rows[-1][0].text == "Done"
    question = flag_question(ctx, "Which of these?")
    assert question.startswith("Which of these?\n")
    for item in RED_FLAG_ITEMS.values():
        assert item in question
    grouped = [code for _, codes in RED_FLAG_GROUPS for code in codes]
    assert sorted(grouped) == sorted(RED_FLAG_ITEMS) and len(grouped) == len(set(grouped))


async def test_r2_builds_over_two_days(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, questions=("morning",), sets=())
    pat = User(router, CLIENT_ID)
    for _ in range(2):
        await pat.command("checkin")
        await pat.press("3")
        await pat.press("Worse")
        summary = texts(await pat.press("Skip"))
        assert "🔴 Red" in summary
        clock.advance(timedelta(days=1))
    [alert] = await alerts(sessions)
    assert (alert.rule, alert.severity) == ("R2", "routine")
    assert await trainer_outbox(sessions) == []  # routine: review queue, no message now


async def test_one_checkin_a_day_with_an_offer_to_change(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    await pat.press("Skip")
    assert "already checked in" in texts(await pat.command("checkin"))
    assert "stay as they are" in texts(await pat.press("Keep"))
    await pat.command("checkin")
    await pat.press("Change")
    await pat.press("6")
    await pat.press("Skip")
    [row] = await checkins(sessions)
    assert row.pain_now == 6


async def test_changing_answers_keeps_every_version_the_latest_counting(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, post_op=True, sets=(3,))
    pat, sam = User(router, CLIENT_ID), User(router, TRAINER.user_id, "Sam")
    for pain, flag, note in (
        (5, "calf/thigh", "calf feels tight"),
        (3, None, None),
        (2, None, None),
    ):
        await pat.command("checkin")
        if pain != 5:
            await pat.press("Change answers")
        await pat.press(str(pain))
        await pat.press("Done")
        await pat.press("2")
        for label in ("As usual", "Not stiff", "Same", "No", "6"):
            await pat.press(label)
        if flag:
            await pat.press(flag)
        await pat.press("Done" if flag else "None of these")
        await (pat.text(note) if note else pat.press("Skip"))
    [row] = await checkins(sessions)
    assert (row.pain_now, row.red_flags, row.note, row.rules) == (2, [], None, [])
    async with sessions() as session:
        query = select(CheckinVersion).order_by(col(CheckinVersion.version))
        first, second = (await session.exec(query)).all()
    assert (first.checkin_id, first.version, second.version) == (row.id, 1, 2)
    assert first.answers["red_flags"] == ["calf_swelling"] and first.rules == ["U1"]
    assert (first.answers["pain_now"], first.answers["note"]) == (5, "calf feels tight")
    assert (first.status, first.severity, first.light) == ("done", "urgent", "red")
    assert second.answers["pain_now"] == 3 and second.answers["note"] is None
    history = texts(await sam.press_data(History(row.client_id).pack(), "History"))
    assert "Mon 23 Nov: 2 / 2 / 100% / green / –\n" in history  # the latest counts
    assert "   earlier answers, later changed: 5 / 2 / 100% / red / U1\n" in history
    assert history.endswith("   earlier answers, later changed: 3 / 2 / 100% / green / –")


async def test_bad_input_asks_again(router: Router, sessions: SessionFactory, clock: FakeClock):
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    again = texts(await pat.text("eleven"))
    assert "from 0 to 10" in again and "pain right now" in again
    assert "Exercise 1" in texts(await pat.text("4"))  # typed numbers work too


async def test_pause_and_resume(router: Router, sessions: SessionFactory, clock: FakeClock):
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    assert "Paused until 25 Nov" in texts(await pat.command("pause", "3"))
    assert "paused until 25 Nov" in texts(await pat.command("checkin"))
    assert "Welcome back" in texts(await pat.command("resume"))
    assert "pain right now" in texts(await pat.command("checkin"))
    assert "not paused" in texts(await pat.command("resume"))
    assert "1 to 60" in texts(await pat.command("pause", "lots"))


async def test_paused_days_keep_the_streak(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    await pat.press("Skip")
    clock.advance(timedelta(days=1))
    await pat.command("pause", "2")
    clock.advance(timedelta(days=2))
    await pat.command("checkin")
    await pat.press("2")
    assert "Streak: 2 days in a row" in texts(await pat.press("Skip"))


async def test_not_cleared_clients_wait(router: Router, sessions: SessionFactory, clock: FakeClock):
    await make_client(sessions, clock, cleared=False)
    pat = User(router, CLIENT_ID)
    assert "confirms your physio or doctor has cleared you" in texts(await pat.command("checkin"))


async def test_the_prescription_is_copied_on_the_day(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, sets=(3,))
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    async with sessions() as session:
        query = select(Exercise).where(Exercise.name == "Move 1")
        exercise = (await session.exec(query)).one()
        exercise.sets, exercise.name = 5, "Renamed"
        await session.commit()
    await pat.press("Done")
    await pat.press("1")
    await pat.press("Skip")
    [row] = await checkins(sessions)
    assert [(e["name"], e["sets_prescribed"]) for e in row.exercises] == [("Move 1", 3)]


async def test_checkin_again_mid_way_asks_the_same_question(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, sets=(3,))
    pat = User(router, CLIENT_ID)
    for command in ("checkin", "checkin"):
        asked = texts(await pat.command(command))
    assert "pain right now" in asked  # not "already checked in": nothing is saved yet
    await pat.press("2")
    assert "Exercise 1 of 1: Move 1, 3 x 10" in texts(await pat.command("checkin"))


async def test_a_checkin_stored_by_the_previous_version_resumes(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """Step strings and data keys as the check-in stored them before its declared steps."""
    await make_client(sessions, clock, questions=("night",), sets=(3,))
    stored = {
        "date": clock.now().date().isoformat(),
        "post_op": False,
        "questions": ["night"],
        "exercises": [
            {
                "name": "Move 1",
                "sets_prescribed": 3,
                "reps": 10,
                "seconds": None,
                "sets_done": 3,
                "skip_reason": None,
            }
        ],
        "i": 0,
        "answers": {"red_flags": [], "pain_now": 4, "exercise_pain": 2, "night_waking": "once"},
        "raised": [],
    }
    async with sessions() as session:
        session.add(
            Conversation(
                chat_id=CLIENT_ID,
                user_id=CLIENT_ID,
                flow="checkin",
                step="night_eased",
                data=stored,
                version=7,
                updated_at=clock.now(),
            )
        )
        await session.commit()
    pat = User(router, CLIENT_ID)
    assert "Anything else" in texts(await pat.text("no"))  # not eased by rest: U4
    assert "Please contact your surgeon" in texts(await pat.press("Skip"))
    [row] = await checkins(sessions)
    assert (row.pain_now, row.night_waking, row.night_eased) == (4, "once", False)
    assert row.rules == ["U4"]
    assert [(e["name"], e["sets_done"]) for e in row.exercises] == [("Move 1", 3)]


def test_every_traffic_light_has_its_line() -> None:
    assert set(LIGHT_TEXTS) == set(get_args(Light))
