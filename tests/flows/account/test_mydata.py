"""/mydata and /deleteme through the router on a real database: the export has everything, and
deletion leaves nothing about the person in any table, touches nobody else and can't be redone
by a stale button."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from bot.clock import FakeClock
from bot.demo import TRAINER, seed_demo_centre
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.sandbox.server import Persona, SandboxServer
from bot.telegram_api import BotApi
from flows.checkin.day import RED_FLAG_ITEMS
from flows.engine.buttons import MessageClient
from flows.engine.core import Document, Edit, Menu, Reply, Send, Toast
from flows.engine.menu import VISITOR, commands_for
from flows.router import Router
from storage.db import SessionFactory
from storage.models import (
    ALERT_PRIORITY,
    NORMAL_PRIORITY,
    Booking,
    BookingStatus,
    Checkin,
    ClientProfile,
    Conversation,
    Invite,
    Outbox,
    OutboxStatus,
    OutboxSubject,
    Person,
    Program,
    ReminderSchedule,
    Role,
    SlotClaim,
)
from storage.personal import CHILD_REFERENCES, PERSON_REFERENCES, TABLES, Ref
from storage.repo import Store
from tests.flows.booking.test_booking import _book, _to_slots
from tests.flows.checkin.test_checkin import CLIENT_ID, make_client
from tests.flows.harness import SETTINGS, User, find_button, make_router, texts

OTHER_ID = 9002
SANDBOX_TOKEN = "777:deletion-test"
CALF = next(code for code, text in RED_FLAG_ITEMS.items() if "calf" in text)


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


# --- the schema: nothing that names a person is missed ---------------------------------------


def _references(target: str) -> set[tuple[str, str]]:
    return {
        (table.name, fk.parent.name)
        for table in SQLModel.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == target
    }


def test_every_table_and_person_reference_is_considered() -> None:
    """A new table, or a new column referencing person.id (or a table of rows about a person),
    fails here until storage/personal.py says what /mydata and /deleteme do with it."""
    assert set(SQLModel.metadata.tables) == set(TABLES)
    assert _references("person") == set(PERSON_REFERENCES)
    owned_tables = {table for (table, _), how in PERSON_REFERENCES.items() if how == Ref.OWNED}
    children = set().union(*(_references(t) for t in owned_tables - {"person"}))
    assert children == set(CHILD_REFERENCES)
    for (table, column), how in PERSON_REFERENCES.items():
        if how == Ref.CLEARED:
            assert SQLModel.metadata.tables[table].c[column].nullable, (table, column)


# --- helpers --------------------------------------------------------------------------------


async def _rows_naming(sessions: SessionFactory, person_id: int) -> dict[str, int]:
    """For each column with a foreign key to person.id: how many rows name this person."""
    found = {}
    async with sessions() as session:
        for table_name, column_name in PERSON_REFERENCES:
            table = SQLModel.metadata.tables[table_name]
            query = select(func.count()).select_from(table).where(table.c[column_name] == person_id)
            found[f"{table_name}.{column_name}"] = (await session.exec(query)).one()
        found["person.id"] = int(await session.get(Person, person_id) is not None)
    return found


async def _counts(sessions: SessionFactory) -> dict[str, int]:
    """Rows per table (update ids aside: every update adds one)."""
    found = {}
    async with sessions() as session:
        for name, table in SQLModel.metadata.tables.items():
            if name != "processed_update":
                found[name] = (await session.exec(select(func.count()).select_from(table))).one()
    return found


async def _one(sessions: SessionFactory, query: Any) -> Any:
    async with sessions() as session:
        return (await session.exec(query)).first()


async def _all(sessions: SessionFactory, query: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(query)).all())


def _export(replies: list[Reply]) -> tuple[Document, dict[str, Any]]:
    [document] = [r for r in replies if isinstance(r, Document)]
    return document, json.loads(document.content.decode("utf-8"))


async def _urgent_checkin(pat: User) -> None:
    """A post-op check-in with a calf red flag (U1) and a note."""
    await pat.command("checkin")
    await pat.press("5")
    await pat.press("Done")
    await pat.press("2")
    for label in ("As usual", "Not stiff", "Same", "No", "6"):
        await pat.press(label)
    await pat.press("calf/thigh")
    await pat.press("Done")
    assert "check-in is saved" in texts(await pat.text("calf feels tight"))


async def _upcoming_booking(sessions: SessionFactory, clock: FakeClock, person_id: int) -> int:
    """A confirmed consult from when the client was a visitor, with its slot claim."""
    async with sessions() as session:
        trainer = (
            await session.exec(select(Person).where(Person.telegram_user_id == TRAINER.user_id))
        ).one()
        starts = clock.now() + timedelta(days=2)
        booking = Booking(
            trainer_id=trainer.id or 0,
            prospect_id=person_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            status=BookingStatus.CONFIRMED,
            intake={"name": "Pat", "goal": "walk without a limp", "injury": "knee"},
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(booking)
        await session.flush()
        assert booking.id is not None
        session.add(SlotClaim(trainer_id=trainer.id or 0, starts_at=starts, booking_id=booking.id))
        session.add(
            ReminderSchedule(
                client_id=person_id,
                next_due_at=clock.now() + timedelta(days=1),
                updated_at=clock.now(),
            )
        )
        session.add(
            Invite(
                code="pat-invite",
                role=Role.CLIENT,
                name="Pat",
                created_by=trainer.id,
                trainer_id=trainer.id,
                created_at=clock.now(),
                expires_at=clock.now() + timedelta(days=7),
                used_by_user_id=CLIENT_ID,
                used_at=clock.now(),
            )
        )
        await session.commit()
        return booking.id or 0


# --- a client -------------------------------------------------------------------------------


async def test_a_client_exports_then_deletes_everything(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    pat_id = await make_client(sessions, clock, post_op=True, sets=(3,))
    kim_id = await make_client(sessions, clock, user_id=OTHER_ID)
    pat, kim = User(router, CLIENT_ID, "Pat"), User(router, OTHER_ID, "Kim")
    sam = User(router, TRAINER.user_id, "Sam")
    await _urgent_checkin(pat)
    await pat.command("checkin")  # changes today's answers: the first version is kept
    await pat.press("Change answers")
    await pat.press("3")
    await pat.press("Done")
    await pat.press("1")
    for label in ("As usual", "Not stiff", "Same", "No", "6"):
        await pat.press(label)
    await pat.press("None of these")
    await pat.text("all fine now")
    await kim.command("checkin")
    await kim.press("2")
    await kim.press("Done")
    await kim.press("Done")
    await kim.press("1")
    await kim.press("Skip")
    alert_message = await _one(sessions, select(Outbox).where(Outbox.kind == "alert_urgent"))
    await sam.press_data(alert_message.buttons[0][0]["data"], "Acknowledge")  # Sam acknowledges
    await sam.press_data(MessageClient(pat_id).pack(), "Message client")
    await sam.text("See you Thursday, Pat.")
    clock.advance(timedelta(hours=1))
    await pat.command("pause", "3")
    booking_id = await _upcoming_booking(sessions, clock, pat_id)

    # /mydata: one JSON file with everything about Pat
    document, data = _export(await pat.command("mydata"))
    assert document.filename == "mendbot-data-2026-11-23.json"
    assert "Everything mendbot stores about you" in document.caption
    assert list(data) == [
        "about",
        "exported_at",
        "times_shown_in",
        "person",
        "client_profile",
        "invites",
        "program",
        "checkins",
        "checkins_replaced",
        "pauses",
        "alerts",
        "progression_suggestions",
        "reminder_schedule",
        "consult_bookings",
        "messages_to_you",
        "your_messages_to_staff",
    ]
    assert data["exported_at"] == "2026-11-23T10:00:00+00:00"  # ISO 8601 with the offset
    assert data["person"]["name"] == "Pat" and data["person"]["timezone"] == "Europe/London"
    assert data["person"]["telegram_user_id"] == CLIENT_ID and "chat_id" not in data["person"]
    profile = data["client_profile"]
    assert (profile["condition"], profile["post_op"], profile["clearance"]) == (
        "ankle",
        True,
        "cleared",
    )
    assert profile["trainer"] == "Sam" and profile["checkin_time"] == "08:00"
    assert profile["consent_at"] == "2026-11-23T09:00:00+00:00"
    assert [e["name"] for e in data["program"]["exercises"]] == ["Move 1"]
    assert data["program"]["exercises"][0]["sets"] == 3
    [checkin] = data["checkins"]  # the latest version counts
    assert (checkin["local_date"], checkin["pain_now"], checkin["exercise_pain"]) == (
        "2026-11-23",
        3,
        1,
    )
    assert checkin["red_flags"] == [] and checkin["note"] == "all fine now"
    [first] = data["checkins_replaced"]  # the one it replaced, whole
    assert (first["local_date"], first["version"], first["rules"]) == ("2026-11-23", 1, ["U1"])
    assert first["answers"]["pain_now"] == 5 and first["answers"]["exercise_pain"] == 2
    assert first["answers"]["red_flags"] == [CALF]
    assert first["answers"]["note"] == "calf feels tight"
    assert first["answers"]["exercises"][0]["sets_done"] == 3
    [alert] = data["alerts"]
    assert (alert["rule"], alert["severity"], alert["status"]) == ("U1", "urgent", "acknowledged")
    assert alert["answers"]["red_flags"] == [CALF] and alert["checkin_date"] == "2026-11-23"
    assert alert["client_told"] and alert["created_at"].endswith("+00:00")
    for internal in ("acknowledged_by", "escalated_at", "digested_at", "trainer_id", "id"):
        assert internal not in alert
    [pause] = data["pauses"]
    assert pause["first_day"] == "2026-11-23"
    assert data["reminder_schedule"]["next_due_at"] == "2026-11-24T10:00:00+00:00"
    [booking] = data["consult_bookings"]
    assert booking["intake"]["goal"] == "walk without a limp" and booking["trainer"] == "Sam"
    assert booking["status"] == "confirmed"
    assert any(m["text"].endswith("See you Thursday, Pat.") for m in data["messages_to_you"])
    assert [i["name"] for i in data["invites"]] == ["Pat"]
    assert "calf" not in json.dumps(_export(await kim.command("mydata"))[1]["checkins"])

    # /deleteme says what happens and asks; Keep my data changes nothing
    asked = await pat.command("deleteme")
    text = texts(asked)
    assert "deletes everything" in text and "Sam, your trainer, will be told" in text
    assert "can't be undone" in text and "/mydata" in text
    [question] = [r for r in asked if isinstance(r, Send)]
    assert [b.text for row in question.buttons for b in row] == [
        "Delete everything",
        "Keep my data",
    ]
    yes = find_button(asked, "Delete everything").data
    assert yes is not None
    before = await _counts(sessions)
    kept = await pat.press("Keep my data")
    assert Toast("Okay, nothing was deleted.") in kept
    assert Edit(1, "question\n\n» Keep my data") in kept
    assert await _counts(sessions) == before

    # Delete everything: every row about Pat goes, nobody else's
    kim_before = await _rows_naming(sessions, kim_id)
    gone = await pat.press_data(yes, "Delete everything")
    assert "everything mendbot stored about you is deleted" in texts(gone)
    assert Menu(commands_for(VISITOR)) in gone
    assert set((await _rows_naming(sessions, pat_id)).values()) == {0}
    for query in (
        select(Conversation).where(Conversation.chat_id == CLIENT_ID),
        select(Outbox).where(Outbox.chat_id == CLIENT_ID),
        select(Invite).where(Invite.used_by_user_id == CLIENT_ID),
        select(SlotClaim).where(SlotClaim.booking_id == booking_id),
    ):
        assert await _one(sessions, query) is None
    assert await _rows_naming(sessions, kim_id) == kim_before
    assert (await _rows_naming(sessions, kim_id))["checkin.client_id"] == 1
    told = await _all(
        sessions,
        select(Outbox).where(col(Outbox.kind).startswith("deleteme")).order_by(col(Outbox.id)),
    )
    assert [(o.chat_id, o.text) for o in told] == [
        (TRAINER.user_id, "Pat has deleted their data and left mendbot."),
        (
            TRAINER.user_id,
            "Pat has deleted their data, so their free consult on Wed 25 Nov, 10:00 "
            "(Europe/London) is cancelled.",
        ),
    ]
    assert await _one(sessions, select(Person).where(Person.telegram_user_id == TRAINER.user_id))

    # a stale button does nothing; Pat is a stranger now
    after = await _counts(sessions)
    stale = await pat.press_data(yes, "Delete everything")
    assert stale == [Toast("This button has expired. Please use the latest message.")]
    now = await _counts(sessions)
    assert now == {**after, "conversation": now["conversation"]}
    convo = await _one(sessions, select(Conversation).where(Conversation.chat_id == CLIENT_ID))
    assert (convo.flow, convo.data) == (None, {})  # a stranger's empty chat state, as for anyone
    assert "welcome to mendbot" in texts(await pat.command("start"))
    assert texts(await pat.command("mydata")) == "I don't have anything stored about you."
    assert await _one(sessions, select(Program).where(Program.client_id == kim_id))
    assert await _one(sessions, select(ClientProfile).where(ClientProfile.person_id == kim_id))
    assert len(await _all(sessions, select(Checkin))) == 1


# --- a prospect, staff and strangers ----------------------------------------------------------


async def test_a_visitor_who_booked_exports_and_deletes_and_the_slot_is_free_again(
    router: Router, sessions: SessionFactory
) -> None:
    vera = await _to_slots(router, 5001, "Vera")
    await _book(vera)
    prospect = await _one(sessions, select(Person).where(Person.telegram_user_id == 5001))
    assert prospect.role == Role.PROSPECT
    _, data = _export(await vera.command("mydata"))
    [booking] = data["consult_bookings"]
    assert booking["intake"]["goal"] == "I want to run again without knee pain"
    assert booking["phone"] == "+447700900123" and booking["starts_at"].endswith("+05:30")
    assert data["client_profile"] is None and data["checkins"] == []

    asked = await vera.command("deleteme")
    assert "Any consult you've booked is cancelled" in texts(asked)
    await vera.press("Delete everything")
    assert set((await _rows_naming(sessions, prospect.id)).values()) == {0}
    assert await _all(sessions, select(SlotClaim)) == []
    [told] = await _all(sessions, select(Outbox).where(Outbox.kind == "deleteme_trainer_consult"))
    assert told.text == (
        "Vera has deleted their data, so their free consult on Tue 24 Nov, 09:00 "
        "(Europe/London) is cancelled."
    )
    wes = await _to_slots(router, 5002, "Wes")  # the slot is offered again
    assert "yours for the next" in texts(await wes.press("14:30"))


async def test_staff_are_removed_by_the_admin_and_strangers_have_nothing(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id, "Sam")
    await sam.command("help")  # the chat's state row exists from here on
    before = await _counts(sessions)
    assert "ask the centre's admin to remove your account" in texts(await sam.command("deleteme"))
    assert "isn't available" in texts(await sam.command("mydata"))
    assert await _counts(sessions) == before
    stranger = User(router, 7001, "Lee")
    assert texts(await stranger.command("mydata")) == "I don't have anything stored about you."
    assert texts(await stranger.command("deleteme")) == "I don't have anything stored about you."


async def test_privacy_and_menus_mention_both(router: Router, sessions: SessionFactory) -> None:
    privacy = texts(await User(router, 7001).command("privacy"))
    assert "/mydata" in privacy and "/deleteme" in privacy
    staff = texts(await User(router, TRAINER.user_id).command("privacy"))  # staff: what they see
    assert "your own clients" in staff and "removed by the admin" in staff
    for role in (Role.CLIENT, Role.PROSPECT):
        names = [name for name, _ in commands_for(role)]
        assert "mydata" in names and "deleteme" in names


# --- nothing left that names or quotes them -----------------------------------------------------

NAME, NOTE, REPLY = "Zephyrine", "SENTINEL-NOTE calf hot", "SENTINEL-REPLY it is worse"


async def _everything_stored(sessions: SessionFactory) -> list[tuple[str, str]]:
    """Every row of every table as (table, text): where a name or a quote could hide."""
    found = []
    async with sessions() as session:
        connection = await session.connection()
        for name, table in SQLModel.metadata.tables.items():
            for row in (await connection.execute(table.select())).all():
                found.append((name, json.dumps([str(v) for v in row])))
    return found


async def test_deletion_leaves_no_message_that_names_or_quotes_them_and_the_flag_still_arrives(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """Sent alerts, relayed replies and notes quote the client; /deleteme deletes them. An
    urgent alert raised just before, still unsent, is delivered first (a flag must reach the
    trainer), then deleted too. /mydata had the client's own relayed reply."""
    pat_id = await make_client(sessions, clock, post_op=True, sets=(3,))
    async with sessions() as session:
        person = await session.get(Person, pat_id)
        assert person is not None
        person.name = NAME
        await session.commit()
    pat, sam = User(router, CLIENT_ID, NAME), User(router, TRAINER.user_id, "Sam")
    await pat.command("checkin")
    for label in ("5", "Done", "2", "As usual", "Not stiff", "Same", "No", "6", "calf/thigh"):
        await pat.press(label)
    await pat.press("Done")
    await pat.text(NOTE)
    async with sessions() as session:  # as if the sender had delivered everything so far
        for row in (await session.exec(select(Outbox))).all():
            row.status = OutboxStatus.SENT
        await session.commit()
    await sam.press_data(MessageClient(pat_id).pack(), "Message client")
    await sam.text("How is it today?")
    relayed = await _one(sessions, select(Outbox).where(Outbox.chat_id == CLIENT_ID))
    await pat.press_data(relayed.buttons[0][0]["data"], "Reply")
    await pat.text(REPLY)
    _, data = _export(await pat.command("mydata"))
    written = [m["text"] for m in data["your_messages_to_staff"]]
    assert len(written) == 2 and written[0].endswith(NOTE) and written[1].endswith(REPLY)

    clock.advance(timedelta(days=1))  # a new urgent flag, not yet sent when they delete
    await pat.command("checkin")
    for label in ("5", "Done", "2", "As usual", "Not stiff", "Same", "No", "6", "calf/thigh"):
        await pat.press(label)
    await pat.press("Done")
    await pat.text("skip")
    yes = find_button(await pat.command("deleteme"), "Delete everything").data
    assert yes is not None
    await pat.press_data(yes, "Delete everything")

    left = [(t, text) for t, text in await _everything_stored(sessions) if NAME in text]
    assert all(t == "outbox" for t, _ in left)
    kept = await _all(sessions, select(Outbox).where(col(Outbox.erase_after_send)))
    assert sorted(o.kind for o in kept) == ["alert_urgent", "deleteme_trainer"]
    assert all(o.status == OutboxStatus.PENDING for o in kept)
    assert len(left) == len(kept)  # nothing else names them: no sent alert, reply, note
    stored = await _everything_stored(sessions)
    assert not any(quote in text for quote in (NOTE, REPLY) for _, text in stored)
    on_disk = await _on_disk(sessions)
    assert NOTE.encode() not in on_disk and REPLY.encode() not in on_disk

    async with SandboxServer(SANDBOX_TOKEN, personas=[Persona(TRAINER.user_id, "Sam", "T")]) as api:
        bot_api = BotApi(api.base_url, SANDBOX_TOKEN)
        sender = OutboxSender(sessions, bot_api, clock.now, sender_rules(SETTINGS))
        await sender.recover()
        await sender.deliver_due()  # delivered, then gone at once
        await bot_api.aclose()
        got = [m.get("text", "") for m in api.history(TRAINER.user_id)]
    assert any(text.startswith("Urgent") and NAME in text for text in got), got
    assert not any(NAME in text for _, text in await _everything_stored(sessions))
    assert NAME.encode() not in await _on_disk(sessions)


async def _on_disk(sessions: SessionFactory) -> bytes:
    """The SQLite file and its WAL as bytes: a deleted row must not linger in free pages or in
    old WAL frames. (PostgreSQL keeps dead rows until vacuum: nothing to read here.)"""
    async with sessions() as session:
        url = (await session.connection()).engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return b""
    files = [Path(url.database), Path(f"{url.database}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_a_long_message_is_linked_once_and_all_its_parts_go_with_the_person(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """A text over Telegram's limit is queued as parts; only the first is linked to the people
    it names (a roster of N clients in N/130 parts took N links a part). /mydata still has every
    part of their own long message, and /deleteme still deletes every part of each message that
    names them, sent or not, and of an urgent alert after it is delivered."""
    pat_id = await make_client(sessions, clock, post_op=True, sets=(3,))
    async with sessions() as session:
        other = Person(
            telegram_user_id=OTHER_ID,
            chat_id=OTHER_ID,
            role=Role.CLIENT,
            name="Other",
            created_at=clock.now(),
        )
        session.add(other)
        await session.flush()
        other_id = other.id
        trainer = (
            await session.exec(select(Person).where(Person.telegram_user_id == TRAINER.user_id))
        ).one()
        store = Store(session)
        long_line = "x" * 70 + "\n"
        for kind, priority, lines in (
            ("reply_to_trainer", NORMAL_PRIORITY, 130),
            ("weekly_roster", NORMAL_PRIORITY, 200),
            ("alert_urgent", ALERT_PRIORITY, 70),
        ):
            await store.enqueue(
                chat_id=trainer.chat_id,
                person_id=trainer.id,
                text=f"{NAME}\n" + long_line * lines,
                kind=kind,
                priority=priority,
                now=clock.now(),
                about=[pat_id, other.id],
            )
        await session.commit()
    queued = await _all(sessions, select(Outbox).order_by(col(Outbox.id)))
    assert len(queued) == 3 + 4 + 2
    links = await _all(sessions, select(OutboxSubject))
    assert len(links) == 3 * 2  # two people, three messages: a first part each
    async with sessions() as session:  # the roster was sent, the alert not yet
        for row in (await session.exec(select(Outbox))).all():
            row.status = OutboxStatus.PENDING if row.kind.startswith("alert") else OutboxStatus.SENT
        await session.commit()

    pat = User(router, CLIENT_ID, NAME)
    _, data = _export(await pat.command("mydata"))
    assert len(data["your_messages_to_staff"]) == 3
    yes = find_button(await pat.command("deleteme"), "Delete everything").data
    assert yes is not None
    await pat.press_data(yes, "Delete everything")

    left = await _all(sessions, select(Outbox).where(col(Outbox.kind) != "deleteme_trainer"))
    assert [(o.kind, o.erase_after_send) for o in left] == [("alert_urgent", True)] * 2
    [link] = await _all(sessions, select(OutboxSubject))  # the alert's other person, until sent
    assert (link.outbox_id, link.person_id) == (left[0].id, other_id)
    async with SandboxServer(SANDBOX_TOKEN, personas=[Persona(TRAINER.user_id, "Sam", "T")]) as api:
        bot_api = BotApi(api.base_url, SANDBOX_TOKEN)
        sender = OutboxSender(sessions, bot_api, clock.now, sender_rules(SETTINGS))
        await sender.recover()
        await sender.deliver_due()
        await sender.deliver_due()
        await bot_api.aclose()
        got = [m.get("text", "") for m in api.history(TRAINER.user_id)]
    assert sum(NAME in text for text in got) == 1 and len(got) >= 2
    assert await _all(sessions, select(Outbox).where(col(Outbox.kind) != "deleteme_trainer")) == []
    assert await _all(sessions, select(OutboxSubject)) == []
