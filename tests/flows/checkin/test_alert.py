"""Trainer alerts: stored before sent, grouped, updated while open, acknowledged, escalated."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any, get_args

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.checkin.alert import (
    ALERT_WORDS,
    BLANK,
    ESCALATED_WHY,
    SENT_AT_ONCE,
    SEVERITY_NAMES,
    _light,
    ack_data,
    alert_words,
    escalate_overdue,
    raise_alerts,
)
from flows.checkin.day import RED_FLAG_ITEMS
from flows.checkin.labels import told_record
from flows.checkin.triage import Assessment, Severity, rule_severity
from flows.engine.buttons import AckAlerts, AckCheckin, History, MessageClient
from flows.engine.conversation import Context
from flows.engine.core import Edit, Event, EventKind, Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Alert, AlertStatus, Checkin, ClientProfile, Outbox, Person, Role
from storage.repo import Store
from tests.flows.harness import BOT, User, add_person, make_router, person_of, texts

EXPIRED = "This button has expired. Please use the latest message."
TOLD = "Call 999 now. Your trainer has been told."
_update_ids = itertools.count(900_000)


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _add_client(
    sessions: SessionFactory, clock: FakeClock, user_id: int, name: str, trainer: Person
) -> Person:
    client = await add_person(sessions, clock, user_id, name, Role.CLIENT)
    async with sessions() as session:
        assert client.id is not None and trainer.id is not None
        session.add(ClientProfile(person_id=client.id, trainer_id=trainer.id, post_op=False))
        await session.commit()
    return client


def _series(today: date) -> list[dict[str, Any]]:
    """Six earlier days (one missing) and today; today's date as a date object (stored as text)."""
    pains = [2, 3, None, 3, 4, 5, 8]
    series: list[dict[str, Any]] = []
    for offset, pain in zip(range(6, -1, -1), pains, strict=True):
        if pain is not None:
            day = today - timedelta(days=offset)
            series.append(
                {"date": day if offset == 0 else day.isoformat(), "pain_now": pain, "light": None}
            )
    return series


async def _raise(
    sessions: SessionFactory,
    clock: FakeClock,
    rules: tuple[str, ...],
    *,
    client_user: int = CLIENT.user_id,
    day: date | None = None,
    red_flags: tuple[str, ...] = (),
    note: str | None = None,
    pain_now: int = 8,
    told: str = TOLD,
) -> list[int]:
    """A finished check-in with these rules, handed to raise_alerts as the check-in would."""
    now = clock.now()
    local_date = day or now.date()
    async with sessions() as session:
        store = Store(session)
        client = await store.person_by_user(client_user)
        assert client is not None and client.id is not None
        checkin = Checkin(
            client_id=client.id,
            local_date=local_date,
            status="done",
            pain_now=pain_now,
            exercise_pain=6,
            night_waking="several",
            night_eased=False,
            red_flags=list(red_flags),
            note=note,
            rules=list(rules),
            started_at=now,
            completed_at=now,
        )
        await store.add(checkin)
        event = Event(
            update_id=next(_update_ids),
            user_id=client_user,
            chat_id=client_user,
            kind=EventKind.BUTTON,
        )
        convo = await store.conversation(client_user, client_user, now)
        ctx = Context(event, now, BOT, store, convo, client)
        severity = rule_severity(rules[0])
        assessment = Assessment(severity, rules, "red")
        alerts = await raise_alerts(ctx, client, checkin, assessment, _series(local_date), told)
        ids = [alert.id for alert in alerts]
        await store.commit()
    assert all(isinstance(i, int) for i in ids)
    return [i for i in ids if i is not None]


async def _alerts(sessions: SessionFactory) -> list[Alert]:
    async with sessions() as session:
        return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def _outbox(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


# --- raising ------------------------------------------------------------------------------------


async def test_emergency_alert_is_stored_then_queued_with_a_neutral_first_line(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    ids = await _raise(
        sessions, clock, ("E1",), red_flags=("chest_pain",), note="tight chest since 8am"
    )
    [alert] = await _alerts(sessions)
    trainer = await person_of(sessions, TRAINER.user_id)
    client = await person_of(sessions, CLIENT.user_id)
    assert [alert.id] == ids
    assert (alert.rule, alert.severity, alert.status) == ("E1", "emergency", AlertStatus.OPEN)
    assert (alert.client_id, alert.trainer_id) == (client.id, trainer.id)
    assert alert.answers["red_flags"] == ["chest_pain"]
    assert alert.answers["note"] == "tight chest since 8am"
    assert alert.answers["pain_now"] == 8 and alert.client_told == TOLD
    assert [d["date"] for d in alert.series][-1] == "2026-11-23"

    [row] = await _outbox(sessions)
    assert (row.chat_id, row.person_id, row.priority) == (TRAINER.user_id, trainer.id, 0)
    assert row.not_before == clock.now()
    # the message names the stored alert: it existed before the message was written
    assert row.buttons[0] == [{"text": "Acknowledge", "data": AckAlerts((alert.id or 0,)).pack()}]
    assert row.buttons[1] == [
        {"text": "Message client", "data": MessageClient(client.id or 0).pack()},
        {"text": "History", "data": History(client.id or 0).pack()},
    ]
    first, blank, *details = row.text.split("\n")
    assert first == "EMERGENCY alert: Jordan needs your attention now."
    assert blank == ""
    for symptom in [*RED_FLAG_ITEMS.values(), "pain", "chest", "E1"]:
        assert symptom not in first.lower()
    body = "\n".join(details)
    assert "E1: chest pain or pressure" in body
    assert "chest pain or pressure" in body.split("Answers:")[1]  # the client's own words
    assert "Pain now: 8/10" in body and "Worst pain during exercises: 6/10" in body
    assert "Woken by pain last night: several times; eased by rest or position: no" in body
    assert "Their note, as written: tight chest since 8am" in body
    assert "Pain now, last 7 days (17 Nov to 23 Nov): 2, 3, –, 3, 4, 5, 8" in body
    assert "Time: 23 Nov 2026, 09:00 (Europe/London)" in body
    assert f"Jordan: {TOLD}." in body
    assert "contact the client now; they were told to call 999" in body
    assert "Clinician contact: not on file (add it in /program)" in body


async def test_the_alert_names_the_clinician_on_file(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    client = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        profile = await session.get(ClientProfile, client.id)
        assert profile is not None
        profile.clinician = "Dr Lee, Riverside Physio, 020 7946 0000"
        await session.commit()
    await _raise(sessions, clock, ("U1",), red_flags=("calf",))
    [row] = await _outbox(sessions)
    assert "Clinician contact: Dr Lee, Riverside Physio, 020 7946 0000" in row.text


async def test_urgent_rules_of_one_checkin_share_one_message(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    ids = await _raise(sessions, clock, ("U1", "U5"), red_flags=("calf_swelling", "pop_giving_way"))
    assert len(ids) == 2
    [row] = await _outbox(sessions)
    assert row.priority == 0 and row.kind == "alert_urgent"
    assert row.text.startswith("Urgent alert: please review Jordan's check-in today.\n\n")
    assert "• U1: one-sided calf" in row.text and "• U5: sudden pop or snap" in row.text
    assert "pain, swelling, warmth or redness in one calf or thigh" in row.text
    assert "contact the client today; advise them to see their clinician" in row.text
    assert row.buttons[0][0]["data"] == AckAlerts((ids[0], ids[1])).pack()


async def test_emergency_and_urgent_of_one_checkin_are_two_messages(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await _raise(sessions, clock, ("E1", "U1", "R1"), red_flags=("chest_pain", "calf_swelling"))
    rows = await _outbox(sessions)
    assert [r.kind for r in rows] == ["alert_emergency", "alert_urgent"]
    assert "U1" not in rows[0].text and "E1" not in rows[1].text
    assert not any("R1" in r.text for r in rows)
    assert len(await _alerts(sessions)) == 3


async def test_routine_alert_is_stored_but_not_sent(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await _raise(sessions, clock, ("R1", "R7"))
    alerts = await _alerts(sessions)
    assert [(a.rule, a.severity, a.status) for a in alerts] == [
        ("R1", "routine", AlertStatus.OPEN),
        ("R7", "routine", AlertStatus.OPEN),
    ]
    assert await _outbox(sessions) == []


async def test_same_rule_while_open_updates_the_alert(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    first = await _raise(sessions, clock, ("U1",), day=date(2026, 11, 22), pain_now=5)
    clock.advance(timedelta(hours=2))
    second = await _raise(sessions, clock, ("U1",), pain_now=7)
    assert first == second
    [alert] = await _alerts(sessions)
    assert alert.times_raised == 2
    assert alert.answers["pain_now"] == 7
    assert alert.updated_at == clock.now() and alert.created_at == clock.now() - timedelta(hours=2)
    rows = await _outbox(sessions)
    assert len(rows) == 2
    assert "(raised 2 times, still open)" in rows[1].text


async def test_after_acknowledging_the_same_rule_opens_a_new_alert(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    [first] = await _raise(sessions, clock, ("U1",), day=date(2026, 11, 22))
    await User(router, TRAINER.user_id).press_data(AckAlerts((first,)).pack())
    [second] = await _raise(sessions, clock, ("U1",))
    assert second != first
    alerts = await _alerts(sessions)
    assert [(a.status, a.times_raised) for a in alerts] == [
        (AlertStatus.ACKNOWLEDGED, 1),
        (AlertStatus.OPEN, 1),
    ]


# --- acknowledging ------------------------------------------------------------------------------


async def test_trainer_acknowledges_and_the_message_records_it(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    [alert_id] = await _raise(sessions, clock, ("E1",), red_flags=("chest_pain",))
    client = await person_of(sessions, CLIENT.user_id)
    trainer_person = await person_of(sessions, TRAINER.user_id)
    clock.advance(timedelta(minutes=7))
    trainer = User(router, TRAINER.user_id)
    replies = await trainer.press_data(AckAlerts((alert_id,)).pack(), "Acknowledge")
    assert replies[0] == Toast("Acknowledged.")
    [edit] = [r for r in replies if isinstance(r, Edit)]
    assert edit.message_id == 1
    assert edit.text == "question\n\nAcknowledged by Sam at 09:07"
    labels = [(b.text, b.data) for row in edit.buttons for b in row]
    assert labels == [
        ("Message client", MessageClient(client.id or 0).pack()),
        ("History", History(client.id or 0).pack()),
    ]
    [alert] = await _alerts(sessions)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert (alert.acknowledged_by, alert.acknowledged_at) == (trainer_person.id, clock.now())

    clock.advance(timedelta(minutes=5))
    again = await User(router, ADMIN.user_id).press_data(AckAlerts((alert_id,)).pack())
    assert again == [Toast("Already acknowledged by Sam at 09:07.")]
    [alert] = await _alerts(sessions)
    assert alert.acknowledged_by == trainer_person.id


async def test_grouped_acknowledge_covers_every_alert_in_the_message(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await _raise(sessions, clock, ("U1", "U5"), red_flags=("calf_swelling", "pop_giving_way"))
    [row] = await _outbox(sessions)
    await User(router, TRAINER.user_id).press_data(row.buttons[0][0]["data"])
    assert {a.status for a in await _alerts(sessions)} == {AlertStatus.ACKNOWLEDGED}


async def test_long_id_lists_fall_back_to_the_checkin(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    data = ack_data([10**9 + i for i in range(7)], checkin_id=55, severity="urgent")
    assert data == AckCheckin(55, "U")
    assert ack_data([12, 13]) == AckAlerts((12, 13))
    ids = await _raise(sessions, clock, ("U1", "U5"), red_flags=("calf_swelling",))
    alerts = await _alerts(sessions)
    await User(router, TRAINER.user_id).press_data(
        AckCheckin(alerts[0].checkin_id or 0, "U").pack()
    )
    alerts = await _alerts(sessions)
    assert [a.id for a in alerts] == ids
    assert {a.status for a in alerts} == {AlertStatus.ACKNOWLEDGED}


async def test_others_cannot_acknowledge(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_person(sessions, clock, 1004, "Riley", Role.TRAINER)
    [alert_id] = await _raise(sessions, clock, ("E1",), red_flags=("chest_pain",))
    for user_id in (1004, CLIENT.user_id, 5555):
        replies = await User(router, user_id).press_data(AckAlerts((alert_id,)).pack())
        assert replies == [Toast(EXPIRED)]
    for forged in ("ack:", "ack:x", f"ack:{alert_id},999", "ack:C1X", "ack:L"):
        assert await User(router, TRAINER.user_id).press_data(forged) == [Toast(EXPIRED)]
    [alert] = await _alerts(sessions)
    assert alert.status == AlertStatus.OPEN and alert.acknowledged_by is None


# --- /alerts ------------------------------------------------------------------------------------


async def test_alerts_list_is_scoped_and_ordered(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley = await add_person(sessions, clock, 1004, "Riley", Role.TRAINER)
    await add_person(sessions, clock, 1006, "Noa", Role.TRAINER)
    await _add_client(sessions, clock, 1005, "Kim", riley)
    sam = User(router, TRAINER.user_id)
    assert texts(await sam.command("alerts")) == "No open alerts. Nice."

    await _raise(sessions, clock, ("R1",), day=date(2026, 11, 19))
    clock.advance(timedelta(hours=1))
    await _raise(sessions, clock, ("U1",), day=date(2026, 11, 20), red_flags=("calf_swelling",))
    clock.advance(timedelta(hours=1))
    await _raise(sessions, clock, ("E1",), day=date(2026, 11, 21), red_flags=("chest_pain",))
    clock.advance(timedelta(hours=1))
    await _raise(sessions, clock, ("U5",), day=date(2026, 11, 22), red_flags=("pop_giving_way",))
    clock.advance(timedelta(hours=1))
    await _raise(sessions, clock, ("U2",), client_user=1005, red_flags=("wound_problem",))

    replies = await sam.command("alerts")
    [send] = [r for r in replies if isinstance(r, Send)]
    lines = send.text.split("\n")
    assert lines[0] == "Open alerts, most severe first (4):"
    assert [line.split(" · ")[2].split(":")[0] for line in lines[1:]] == ["E1", "U5", "U1", "R1"]
    assert lines[1] == (
        "1. EMERGENCY · Jordan · E1: chest pain or pressure, sudden breathlessness, or coughing "
        "blood · 23 Nov · raised 1×"
    )
    assert "Kim" not in send.text
    buttons = [b for row in send.buttons for b in row]
    assert [b.text for b in buttons] == [f"Acknowledge #{n}" for n in range(1, 5)]

    admin_text = texts(await User(router, ADMIN.user_id).command("alerts"))
    assert "most severe first (5)" in admin_text
    assert "Kim · U2" in admin_text and "Jordan · E1" in admin_text
    assert admin_text.index("Jordan · E1") < admin_text.index("Kim · U2")
    riley_text = texts(await User(router, 1004).command("alerts"))
    assert "(1)" in riley_text and "Kim · U2" in riley_text and "Jordan" not in riley_text
    assert texts(await User(router, 1006).command("alerts")) == "No open alerts. Nice."
    client_reply = texts(await User(router, CLIENT.user_id).command("alerts"))
    assert "isn't available" in client_reply

    # acknowledging from the list shows the list as it is now
    acked = await sam.press_data(buttons[0].data or "")
    [edit] = [r for r in acked if isinstance(r, Edit)]
    assert edit.text.startswith("Open alerts, most severe first (3):\n1. Urgent · Jordan · U5")
    assert [b.text for row in edit.buttons for b in row] == [f"Acknowledge #{n}" for n in (1, 2, 3)]


async def test_alerts_list_shows_at_most_twenty(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    rules = ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9")
    for offset in range(3):
        await _add_client(
            sessions, clock, 2000 + offset, f"C{offset}", await person_of(sessions, 1002)
        )
        await _raise(sessions, clock, rules, client_user=2000 + offset)
    text = texts(await User(router, TRAINER.user_id).command("alerts"))
    assert text.startswith("Open alerts, most severe first (27):")
    assert "\n20. Routine" in text and "\n21." not in text
    assert text.endswith("…and 7 more. Acknowledge some to see the rest.")


# --- History ------------------------------------------------------------------------------------


async def _checkin(
    sessions: SessionFactory, clock: FakeClock, day: date, status: str = "done", **answers: Any
) -> None:
    client = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        assert client.id is not None
        session.add(
            Checkin(
                client_id=client.id,
                local_date=day,
                status=status,
                started_at=clock.now(),
                **answers,
            )
        )
        await session.commit()


async def test_history_shows_fourteen_days(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    exercises = [
        {"name": "squat", "sets_prescribed": 3, "sets_done": 3},
        {"name": "bridge", "sets_prescribed": 3, "sets_done": 1, "skip_reason": "pain"},
    ]
    await _checkin(
        sessions,
        clock,
        date(2026, 11, 23),
        pain_now=6,
        exercise_pain=7,
        exercises=exercises,
        light="red",
        rules=["U1", "R1"],
    )
    await _checkin(sessions, clock, date(2026, 11, 20), pain_now=3, light="green")
    await _checkin(sessions, clock, date(2026, 11, 10), status="stopped", pain_now=9)
    await _checkin(sessions, clock, date(2026, 11, 9), pain_now=1)  # 15 days ago: not shown
    await _checkin(sessions, clock, date(2026, 11, 21), status="in_progress", pain_now=4)
    client = await person_of(sessions, CLIENT.user_id)
    replies = await User(router, TRAINER.user_id).press_data(History(client.id or 0).pack())
    [send] = [r for r in replies if isinstance(r, Send)]
    lines = send.text.split("\n")
    assert lines[0] == "Jordan, last 14 days"
    rows = lines[2:]
    assert len(rows) == 14
    assert rows[0] == "Tue 10 Nov: 9 / – / – / – / –"
    assert rows[10] == "Fri 20 Nov: 3 / – / – / green / –"
    assert rows[11] == "Sat 21 Nov: no check-in"  # still in progress
    assert rows[13] == "Mon 23 Nov: 6 / 7 / 67% / red / U1 R1"
    assert sum(row.endswith("no check-in") for row in rows) == 11
    assert await _outbox(sessions) == []  # a reply, not a proactive message


# --- escalation ---------------------------------------------------------------------------------


async def _escalate(sessions: SessionFactory, clock: FakeClock) -> int:
    async with sessions() as session:
        store = Store(session)
        count = await escalate_overdue(
            store, clock.now(), timedelta(minutes=15), timedelta(hours=4)
        )
        await store.commit()
    return count


async def test_escalation_boundaries_go_to_every_admin_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    boss = await add_person(sessions, clock, 1009, "Blair", Role.ADMIN)
    start = clock.now()
    [emergency] = await _raise(
        sessions, clock, ("E1",), day=date(2026, 11, 22), red_flags=("chest_pain",)
    )
    [urgent] = await _raise(sessions, clock, ("U1",), red_flags=("calf_swelling",))
    await _raise(sessions, clock, ("R1",), day=date(2026, 11, 21))
    sent_to_trainer = len(await _outbox(sessions))

    clock.set(start + timedelta(minutes=14, seconds=59))
    assert await _escalate(sessions, clock) == 0
    clock.set(start + timedelta(minutes=15))
    assert await _escalate(sessions, clock) == 1
    rows = (await _outbox(sessions))[sent_to_trainer:]
    assert sorted(r.chat_id for r in rows) == sorted([ADMIN.user_id, 1009])
    admin = await person_of(sessions, ADMIN.user_id)
    assert {r.person_id for r in rows} == {admin.id, boss.id}
    assert {r.priority for r in rows} == {0}
    assert {r.dedupe_key for r in rows} == {
        f"escalate:{emergency}:{admin.id}",
        f"escalate:{emergency}:{boss.id}",
    }
    text = rows[0].text
    first = text.split("\n")[0]
    assert first == "Escalated EMERGENCY alert: Jordan needs attention now."
    assert "chest" not in first and "pain" not in first
    assert "for Sam's client, not acknowledged within 15 minutes." in text
    assert "E1: chest pain or pressure" in text and f"Jordan: {TOLD}." in text
    assert rows[0].buttons[0] == [{"text": "Acknowledge", "data": AckAlerts((emergency,)).pack()}]
    alerts = {a.id: a for a in await _alerts(sessions)}
    assert alerts[emergency].escalated_at == clock.now()
    assert alerts[emergency].status == AlertStatus.OPEN
    assert alerts[urgent].escalated_at is None

    assert await _escalate(sessions, clock) == 0  # never resent
    clock.set(start + timedelta(hours=3, minutes=59, seconds=59))
    assert await _escalate(sessions, clock) == 0
    clock.set(start + timedelta(hours=4))
    assert await _escalate(sessions, clock) == 1
    clock.set(start + timedelta(days=3))
    assert await _escalate(sessions, clock) == 0  # routine alerts are never escalated
    rows = (await _outbox(sessions))[sent_to_trainer:]
    assert len(rows) == 4
    assert [r.kind for r in rows[2:]] == ["alert_escalated_urgent"] * 2
    assert rows[2].text.startswith("Escalated urgent alert: please review Jordan's check-in.")
    assert "not acknowledged within 4 hours." in rows[2].text
    alerts = {a.id: a for a in await _alerts(sessions)}
    assert alerts[urgent].escalated_at == start + timedelta(hours=4)

    # the admin can acknowledge from the escalation message
    await User(router, 1009).press_data(AckAlerts((emergency,)).pack())
    alerts = {a.id: a for a in await _alerts(sessions)}
    assert alerts[emergency].acknowledged_by == boss.id


async def test_with_no_admin_an_overdue_alert_goes_back_to_its_trainer_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """A centre run by trainers alone: escalating to nobody would leave the flag unread."""
    async with sessions() as session:
        admin = (await session.exec(select(Person).where(Person.role == Role.ADMIN))).one()
        admin.role = Role.TRAINER
        await session.commit()
    start = clock.now()
    [emergency] = await _raise(sessions, clock, ("E1",), red_flags=("chest_pain",))
    sent_to_trainer = len(await _outbox(sessions))
    clock.set(start + timedelta(minutes=15))
    assert await _escalate(sessions, clock) == 1
    trainer = await person_of(sessions, TRAINER.user_id)
    [row] = (await _outbox(sessions))[sent_to_trainer:]
    assert (row.chat_id, row.priority) == (TRAINER.user_id, 0)
    assert row.dedupe_key == f"escalate:{emergency}:{trainer.id}"
    assert row.text.startswith("Escalated EMERGENCY alert: Jordan needs attention now.")
    assert await _escalate(sessions, clock) == 0  # once


async def test_acknowledged_alerts_are_not_escalated(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    start = clock.now()
    [alert_id] = await _raise(sessions, clock, ("E1",), red_flags=("chest_pain",))
    clock.advance(timedelta(minutes=10))
    await User(router, TRAINER.user_id).press_data(AckAlerts((alert_id,)).pack())
    clock.set(start + timedelta(hours=5))
    assert await _escalate(sessions, clock) == 0
    [alert] = await _alerts(sessions)
    assert alert.escalated_at is None
    assert [r.chat_id for r in await _outbox(sessions)] == [TRAINER.user_id]


def test_every_alert_sent_at_once_has_its_words_for_clients_and_visitors() -> None:
    assert set(ALERT_WORDS) == set(itertools.product((False, True), SENT_AT_ONCE))
    assert set(ESCALATED_WHY) == {False, True}
    assert set(SEVERITY_NAMES) == {s for s in get_args(Severity) if s != "none"}
    assert alert_words(True, "urgent") == ALERT_WORDS[True, "urgent"]
    with pytest.raises(KeyError):
        alert_words(False, "routine")  # waits for /alerts and the digest: never sent at once


def test_history_lights_are_in_the_readers_words() -> None:
    assert [_light(light, "en") for light in ("green", "amber", "red")] == ["green", "amber", "red"]
    assert [_light(light, "es") for light in ("green", "amber", "red")] == [
        "verde",
        "ámbar",
        "rojo",
    ]
    assert _light(None, "es") == BLANK and _light("purple", "es") == "purple"


async def test_a_spanish_trainer_reads_an_english_clients_alert_in_spanish(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The alert is written for its reader: the trainer's language, whatever the client's."""
    await User(router, TRAINER.user_id, "Sam").command("language", "es")
    told = told_record("emergency", "999")
    await _raise(sessions, clock, ("E1",), red_flags=("chest_pain",), told=told)
    [row] = await _outbox(sessions)
    assert row.text.split("\n")[0] == "Alerta de EMERGENCIA: Jordan necesita tu atención ahora."
    assert "E1: dolor u opresión en el pecho" in row.text
    assert "Marcado en la lista de síntomas: dolor u opresión en el pecho" in row.text
    assert "Jordan: se le dijo que llamara al 999 ahora." in row.text
    assert "23 nov 2026, 9:00" in row.text or "23 nov 2026, 09:00" in row.text
    assert [b["text"] for line in row.buttons for b in line] == [
        "Confirmar recibido",
        "Escribir al cliente",
        "Historial",
    ]
    [alert] = await _alerts(sessions)
    assert alert.client_told == "told to call 999 now"  # the record stays in English
