"""A day of alerts, reminders and relays while the Bot API fails one call in five.

Jordan's urgent and emergency check-ins, Sam's message to Jordan and twenty clients' reminders
are queued; then the sandbox answers 429, 500 or times out (not performing the call) on 20% of
message calls, and the real sender works through the queue as its ticks would. Every alert
reaches Sam exactly once and before any reminder; nothing else arrives twice; a message other
than an alert whose call timed out may be lost (it may have arrived: never sent twice), but
nothing else is: a 429 or a 500 is retried.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.app import MendBot
from bot.clock import FakeClock
from bot.demo import TRAINER
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from storage.models import (
    Clearance,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Person,
    ReminderSchedule,
    Role,
)

from .burst import until
from .conftest import SETUPS, StartBot
from .test_checkin import checkin, step

# the sender is the same whatever the runtime: one setup
pytestmark = [pytest.mark.setups(SETUPS[0]), pytest.mark.slow]

CLIENTS = 20


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"quiet_hours": "00:00-00:00", "send_timeout_seconds": 0.5}


async def seed_clients(app: MendBot, sandbox: SandboxServer, clock: FakeClock) -> list[int]:
    """Clients of Sam in London, reminded tomorrow at 10:00 (sandbox users, so they exist)."""
    ids = [sandbox.add_visitor(f"Client {n}") for n in range(CLIENTS)]
    due = (clock.now() + timedelta(days=1)).replace(hour=10, minute=0)  # tomorrow 10:00
    async with app.sessions() as session:
        sam = (await session.exec(select(Person).where(Person.name == TRAINER.name))).one()
        for user_id in ids:
            person = Person(
                telegram_user_id=user_id,
                chat_id=user_id,
                role=Role.CLIENT,
                name=f"C{user_id}",
                timezone="Europe/London",
                created_at=clock.now() - timedelta(days=1),
            )
            session.add(person)
            await session.flush()
            session.add(
                ClientProfile(
                    person_id=person.id or 0,
                    trainer_id=sam.id or 0,
                    clearance=Clearance.CLEARED,
                    checkin_time="10:00",
                    consent_at=clock.now(),
                    onboarded_at=clock.now() - timedelta(days=1),
                )
            )
            session.add(ReminderSchedule(client_id=person.id or 0, next_due_at=due, updated_at=due))
        await session.commit()
    for user_id in ids:  # they have talked to the bot, so it may write to them
        sandbox.user_sends(user_id, "/start")
    await until(lambda: all(len(sandbox.history(i)) > 1 for i in ids), 20)
    return ids


async def outbox(app: MendBot) -> list[Outbox]:
    async with app.sessions() as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


def delivered(sandbox: SandboxServer) -> list[tuple[int, str]]:
    """(chat, text) of every message the sandbox really created, in order."""
    return [
        (int(c.params["chat_id"]), str(c.params.get("text", "")))
        for c in sandbox.calls
        if c.method == "sendMessage" and c.status == 200
    ]


async def test_every_alert_arrives_once_and_first_while_a_fifth_of_calls_fail(
    start_bot: StartBot,
    sandbox: SandboxServer,
    people: dict[str, ChatUser],
    clock: FakeClock,
) -> None:
    app = await start_bot()
    assert app.scheduler is not None
    app.scheduler.pause()  # the test runs the ticks, so the queue builds up first
    jordan, sam = people["client"], people["trainer"]
    clients = await seed_clients(app, sandbox, clock)

    await checkin(jordan, flags=["Calf/thigh"], note="left calf is warm")  # urgent, and a note
    await sam.send("/clients")
    listing = await sam.wait_for(contains="Your clients")
    await sam.press("Jordan", message_id=listing["message_id"])
    await sam.wait_for(contains="Jordan, last 14 days")
    await step(sam, "Message client", "Type your message to Jordan")
    await sam.send("Rest today please, I'll call you at 11.")
    await sam.wait_for(contains="Sent to Jordan")
    clock.advance(timedelta(hours=20))  # the next morning, 05:00
    await jordan.catch_up()
    stopped = await checkin(jordan, flags=["Chest pain"])  # an emergency
    assert stopped["text"].startswith("Call 999 now.")
    clock.set(clock.now().replace(hour=10, minute=0, second=5))
    await app.plan_reminders()

    queued = await outbox(app)
    alerts = [r for r in queued if r.kind.startswith("alert_")]
    reminders = [r for r in queued if r.kind == "reminder"]
    assert sorted(r.kind for r in alerts) == ["alert_emergency", "alert_urgent"]
    assert len(reminders) == CLIENTS
    before = len(sandbox.calls)

    sandbox.inject_fault_rate(0.2, kinds=("429", "500", "timeout"), seed=7, hold_seconds=1.0)
    for _ in range(200):
        await app.deliver_outbox()
        rows = await outbox(app)
        if all(r.status in (OutboxStatus.SENT, OutboxStatus.FAILED) for r in rows):
            break
        clock.advance(timedelta(seconds=20))
    sandbox.inject_fault_rate(0)

    faults = [c.fault for c in sandbox.calls[before:] if c.fault]
    assert {"429", "500", "timeout"} <= set(faults), faults  # the faults did happen
    sent = delivered(sandbox)
    for alert in alerts:
        first_line = alert.text.splitlines()[0]
        assert [text.splitlines()[0] for _, text in sent].count(first_line) == 1, first_line
    last_alert = max(i for i, (_, text) in enumerate(sent) if "alert:" in text.splitlines()[0])
    reminder_texts = {r.text for r in reminders}
    first_reminder = min(i for i, (_, text) in enumerate(sent) if text in reminder_texts)
    assert last_alert < first_reminder
    final = await outbox(app)
    for row in final:
        copies = sent.count((row.chat_id, row.text))
        if row.status == OutboxStatus.SENT:
            assert copies == 1, row.kind
        else:  # given up: only a message that is no alert and whose call timed out (it may or
            # may not have arrived). Which one draws a timeout depends on the order of the calls,
            # and per-chat pacing (real time) changes that order under load.
            assert not row.kind.startswith("alert_"), row.kind
            assert (row.last_error or "").startswith("uncertain"), row.kind
            assert copies == 0  # this sandbox's timeouts never perform the call
    assert {r.chat_id for r in reminders} == set(clients)
    assert any(r.kind.startswith("relay") for r in final)  # sent, or lost as above
