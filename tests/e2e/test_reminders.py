"""Reminders and the outbox end to end: the real runtime, the sandbox, quiet hours on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from storage.models import Outbox, OutboxStatus, Person

from .conftest import StartBot


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"default_timezone": "America/Los_Angeles"}  # the demo people live in LA; quiet on


async def test_reminder_at_local_time_on_a_dst_day_then_snooze_and_skip(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))  # 07:00 PDT, the day clocks go forward
    app = await start_bot()
    jordan = people["client"]
    await app.plan_reminders()  # Jordan's schedule: 08:00 local = 15:00 UTC today
    clock.set(datetime(2026, 3, 8, 14, 59, 59, tzinfo=UTC))
    assert await app.plan_reminders() == 0
    clock.set(datetime(2026, 3, 8, 15, 0, 0, tzinfo=UTC))
    await app.plan_reminders()
    assert await queued(app, "reminder") == 1
    await jordan.wait_for(contains="time for today's check-in")
    await jordan.press("Remind me in 1 h")
    await jordan.wait_for_toast("I'll remind you again at 09:00")
    clock.advance(timedelta(hours=1))
    await app.plan_reminders()
    assert await queued(app, "reminder") == 2
    await jordan.wait_for(lambda m: "today's check-in" in m["text"] and bool(m["buttons"]))
    await jordan.press("Skip today")
    await jordan.wait_for(contains="What's the reason")
    await jordan.press("Rest day")
    await jordan.wait_for(contains="Today is skipped")
    clock.set(datetime(2026, 3, 9, 2, 0, 1, tzinfo=UTC))  # 19:00: no nudge on a skipped day
    await app.plan_reminders()
    assert await queued(app, "nudge") == 0
    await jordan.press("Check in now")  # a skipped day is not a pause: check-ins still welcome
    asked = await jordan.wait_for(contains="pain right now")
    assert "paused" not in asked["text"] and "/resume" not in asked["text"]


async def test_skipping_as_sick_offers_the_red_flag_screen(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 07:00 in LA
    app = await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await app.plan_reminders()
    clock.set(datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))
    await app.plan_reminders()
    await jordan.wait_for(contains="time for today's check-in")
    await jordan.press("Skip today")
    await jordan.wait_for(contains="What's the reason")
    await jordan.press("Sick")
    offer = await jordan.wait_for(contains="warning sign")
    await jordan.press("Check my symptoms", offer["message_id"])
    screen = await jordan.wait_for(contains="any of these since yesterday")
    assert "chest pain or pressure" in screen["text"]  # the full wording, in the question
    await jordan.press("Chest pain", screen["message_id"])
    await jordan.wait_for(contains="Call 999 now")
    await sam.wait_for(contains="EMERGENCY alert: Jordan")


async def test_nudge_in_the_evening(
    start_bot: StartBot, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))  # 08:00 in LA
    app = await start_bot()
    await app.plan_reminders()
    clock.set(datetime(2026, 11, 24, 3, 0, 1, tzinfo=UTC))  # 19:00 in LA
    await app.plan_reminders()
    assert await queued(app, "nudge") == 1
    nudge = await people["client"].wait_for(contains="no check-in yet today")
    assert [b["text"] for row in nudge["buttons"] for b in row] == ["Check in now", "Skip today"]


async def queued(app: MendBot, kind: str) -> int:
    """Rows of `kind` in the outbox (the background tick may plan them before a test's call)."""
    async with app.sessions() as session:
        return len((await session.exec(select(Outbox).where(Outbox.kind == kind))).all())


async def _queue(app_sessions: object, rows: list[Outbox]) -> None:
    async with app_sessions() as session:  # type: ignore[operator]
        session.add_all(rows)
        await session.commit()


def _row(chat_id: int, text: str, now: datetime, priority: int = 5) -> Outbox:
    return Outbox(
        chat_id=chat_id, kind="test", text=text, priority=priority, not_before=now, created_at=now
    )


async def test_429_and_500_then_everything_arrives_alerts_first(
    start_bot: StartBot, sandbox: SandboxServer, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # noon in LA
    app = await start_bot()
    sandbox.inject_faults(500, 100)
    now = clock.now()
    rows = [_row(CLIENT.user_id, f"note {n}", now) for n in range(3)]
    rows += [_row(ADMIN.user_id, "admin note", now), _row(TRAINER.user_id, "ALERT", now, 0)]
    await _queue(app.sessions, rows)
    await app.deliver_outbox()  # the alert answers 500 and backs off; nothing overtakes it
    async with app.sessions() as session:
        pending = (await session.exec(select(Outbox).where(Outbox.kind == "test"))).all()
    assert all(r.status == OutboxStatus.PENDING for r in pending)
    [alert] = [r for r in pending if r.priority == 0]
    assert alert.attempts == 1 and (alert.last_error or "").startswith("transient")
    assert all(r.attempts == 0 for r in pending if r is not alert)

    sandbox.inject_faults(429, 1, retry_after=5)
    clock.advance(timedelta(minutes=5))
    assert await app.deliver_outbox() == 0  # the first try answers 429: all sending waits
    clock.advance(timedelta(seconds=5))
    await app.deliver_outbox()
    async with app.sessions() as session:
        done = (
            await session.exec(
                select(Outbox).where(Outbox.kind == "test").order_by(col(Outbox.sent_at))
            )
        ).all()
    assert all(r.status == OutboxStatus.SENT and r.telegram_message_id for r in done)
    delivered = [
        c.params["text"]
        for c in sandbox.calls
        if c.method == "sendMessage"
        and c.status == 200
        and c.params.get("text") in {"ALERT", "admin note", "note 0", "note 1", "note 2"}
    ]
    assert delivered[0] == "ALERT"
    assert sorted(delivered) == sorted(["ALERT", "admin note", "note 0", "note 1", "note 2"])
    await people["trainer"].wait_for(contains="ALERT")


async def test_a_client_who_blocked_the_bot_is_marked_and_the_trainer_told(
    start_bot: StartBot, sandbox: SandboxServer, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 07:00 in LA
    app = await start_bot()
    await app.plan_reminders()
    sandbox.set_blocked(CLIENT.user_id, True)
    clock.set(datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))
    await app.plan_reminders()
    assert await queued(app, "reminder") == 1
    told = await people["trainer"].wait_for(contains="Jordan has blocked the bot")
    assert "won't get reminders" in told["text"]
    async with app.sessions() as session:
        jordan = (await session.exec(select(Person).where(Person.name == "Jordan"))).one()
        reminder = (await session.exec(select(Outbox).where(Outbox.kind == "reminder"))).one()
    assert jordan.unreachable_at is not None
    assert reminder.status == OutboxStatus.FAILED and "blocked" in (reminder.last_error or "")
    clock.advance(timedelta(days=1))
    await app.plan_reminders()
    assert await queued(app, "reminder") == 1  # nothing more is planned for them


async def test_quiet_hours_hold_routine_messages_but_not_alerts(
    start_bot: StartBot, sandbox: SandboxServer, people: dict[str, ChatUser], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # 22:00 in LA
    app = await start_bot()
    now = clock.now()
    async with app.sessions() as session:
        sam = (await session.exec(select(Person).where(Person.name == "Sam"))).one()
        sam.quiet_start = sam.quiet_end = None  # the centre's 21:00-08:00, not the demo's "off"
        await session.commit()
        await session.refresh(sam)
    quiet, urgent = _row(sam.chat_id, "quiet please", now), _row(sam.chat_id, "URGENT", now, 0)
    quiet.person_id = urgent.person_id = sam.id
    await _queue(app.sessions, [quiet, urgent])
    await people["trainer"].wait_for(contains="URGENT")
    await app.deliver_outbox()  # a whole round, so the quiet row's decision is in
    async with app.sessions() as session:
        held = (await session.exec(select(Outbox).where(Outbox.text == "quiet please"))).one()
    assert held.status == OutboxStatus.PENDING
    assert held.not_before == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 08:00 in LA
