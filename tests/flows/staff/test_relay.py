"""Trainer <-> client messages passed on by the bot: the relay, the Reply, who may use them."""

from __future__ import annotations

from typing import get_args

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.engine.buttons import History, MessageClient, ReplyTo
from flows.engine.core import EventKind, Toast
from flows.router import Router
from flows.staff.relay import RELAY_KINDS, RELAY_TEXTS, Relayed
from storage.db import SessionFactory
from storage.models import ClientProfile, Outbox, Role
from tests.flows.harness import User, add_person, make_router, person_of, texts

EXPIRED = "This button has expired. Please use the latest message."


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _outbox(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


async def test_trainer_messages_the_client_through_the_outbox(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    client = await person_of(sessions, CLIENT.user_id)
    trainer = User(router, TRAINER.user_id)
    asked = await trainer.press_data(MessageClient(client.id or 0).pack(), "Message client")
    assert "Type your message to Jordan; I'll pass it on as from you." in texts(asked)
    assert "/cancel" in texts(asked)
    retry = await trainer.text("   ")
    assert "Please type your message as text." in texts(retry)
    assert "Type your message to Jordan" in texts(retry)
    sticker = await trainer._handle(kind=EventKind.OTHER)
    assert "Type your message to Jordan" in texts(sticker)
    long = await trainer.text("x" * 2001)
    assert "over 2000 characters" in texts(long)
    assert await _outbox(sessions) == []

    message = "Saw your check-in {today}.  Call me at 5 — and rest the leg!\nSam"
    sent = await trainer.text(message)
    assert texts(sent) == "Sent to Jordan."
    [row] = await _outbox(sessions)
    assert (row.chat_id, row.person_id) == (CLIENT.user_id, client.id)
    assert row.text == f"Message from Sam, your trainer:\n\n{message}"
    # the relay is over: the next text is not passed on
    await trainer.text("hello?")
    assert len(await _outbox(sessions)) == 1


async def test_only_the_clients_trainer_or_an_admin_may_message_or_see_history(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_person(sessions, clock, 1004, "Riley", Role.TRAINER)
    client = await person_of(sessions, CLIENT.user_id)
    trainer = await person_of(sessions, TRAINER.user_id)
    for action in (MessageClient, History):
        for user_id in (1004, CLIENT.user_id):
            replies = await User(router, user_id).press_data(action(client.id or 0).pack())
            assert replies == [Toast(EXPIRED)]
        # a trainer is not a client: no relay to them
        replies = await User(router, ADMIN.user_id).press_data(action(trainer.id or 0).pack())
        assert replies == [Toast(EXPIRED)]
    admin = User(router, ADMIN.user_id)
    await admin.press_data(MessageClient(client.id or 0).pack())
    assert texts(await admin.text("Checking in.")) == "Sent to Jordan."
    [row] = await _outbox(sessions)
    assert row.text == "Message from Alex at your training centre:\n\nChecking in."


async def test_the_client_replies_to_their_trainer(
    router: Router, sessions: SessionFactory
) -> None:
    client = await person_of(sessions, CLIENT.user_id)
    trainer = await person_of(sessions, TRAINER.user_id)
    sam = User(router, TRAINER.user_id)
    await sam.press_data(MessageClient(client.id or 0).pack(), "Message client")
    await sam.text("How is the knee after yesterday?")
    [to_client] = await _outbox(sessions)
    reply = ReplyTo(trainer.id or 0).pack()
    assert to_client.buttons == [[{"text": "Reply", "data": reply}]]

    jordan = User(router, CLIENT.user_id)
    asked = await jordan.press_data(reply, "Reply")
    assert "Type your reply to Sam" in texts(asked)
    assert "I can only read text" in texts(await jordan._handle(kind=EventKind.OTHER))
    assert texts(await jordan.text("Swollen calf this morning, sore.")) == "Sent to Sam."
    back = (await _outbox(sessions))[-1]
    first, blank, text = back.text.split("\n", 2)
    assert (back.chat_id, first, blank) == (TRAINER.user_id, "Jordan replied to your message.", "")
    assert text == "Swollen calf this morning, sore."  # as written, below a neutral first line
    assert back.buttons == [
        [{"text": "Message client", "data": MessageClient(client.id or 0).pack()}]
    ]
    await jordan.text("and another thing")  # the reply is over: not passed on
    assert len(await _outbox(sessions)) == 2


async def test_a_reply_goes_only_to_the_clients_own_trainer_or_an_admin_who_wrote(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley = await add_person(sessions, clock, 1004, "Riley", Role.TRAINER)
    admin = await person_of(sessions, ADMIN.user_id)
    client = await person_of(sessions, CLIENT.user_id)
    jordan = User(router, CLIENT.user_id)
    to_admin = ReplyTo(admin.id or 0).pack()
    assert await jordan.press_data(ReplyTo(riley.id or 0).pack()) == [Toast(EXPIRED)]  # not theirs
    assert await jordan.press_data(ReplyTo(client.id or 0).pack()) == [Toast(EXPIRED)]  # not staff
    for malformed in ("reply:x", "reply:²", "reply:" + "9" * 25, "reply:", "reply:1:2"):
        assert await jordan.press_data(malformed) == [Toast(EXPIRED)]
    assert await User(router, TRAINER.user_id).press_data(to_admin) == [Toast(EXPIRED)]
    # a forged Reply: Alex never wrote to Jordan, so Jordan can't write to Alex this way
    assert await jordan.press_data(to_admin) == [Toast(EXPIRED)]
    alex = User(router, ADMIN.user_id)
    await alex.press_data(MessageClient(client.id or 0).pack())
    assert texts(await alex.text("Checking in.")) == "Sent to Jordan."
    assert "Type your reply to Alex" in texts(await jordan.press_data(to_admin))
    await jordan.command("cancel")
    async with sessions() as session:  # Jordan moves to Riley: Sam's old Reply button expires
        profile = await session.get(ClientProfile, client.id)
        assert profile is not None
        profile.trainer_id = riley.id or 0
        await session.commit()
    trainer = await person_of(sessions, TRAINER.user_id)
    assert await jordan.press_data(ReplyTo(trainer.id or 0).pack()) == [Toast(EXPIRED)]
    assert [row.kind for row in await _outbox(sessions)] == ["relay_to_client_from_centre"]


async def test_a_visitor_replies_only_to_staff_who_wrote_to_them(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """A visitor has no trainer of their own: a forged Reply to any staff member (here the
    trainer and the admin) has expired until that person actually wrote to them."""
    visitor = await add_person(sessions, clock, 5003, "Vic", Role.PROSPECT)
    admin = await person_of(sessions, ADMIN.user_id)
    trainer = await person_of(sessions, TRAINER.user_id)
    vic = User(router, 5003)
    to_admin, to_trainer = ReplyTo(admin.id or 0).pack(), ReplyTo(trainer.id or 0).pack()
    for forged in (to_admin, to_trainer):
        assert await vic.press_data(forged) == [Toast(EXPIRED)]
    await vic.text("hello?")  # no relay was started: nothing is passed on
    assert await _outbox(sessions) == []

    alex = User(router, ADMIN.user_id)
    await alex.press_data(MessageClient(visitor.id or 0).pack())
    await alex.text("About your consult request.")
    [to_vic] = await _outbox(sessions)
    assert (to_vic.kind, to_vic.buttons) == (
        "relay_to_visitor",
        [[{"text": "Reply", "data": to_admin}]],
    )
    assert await vic.press_data(to_trainer) == [Toast(EXPIRED)]  # Sam still never wrote
    assert "Type your reply to Alex" in texts(await vic.press_data(to_admin))
    assert texts(await vic.text("Thanks!")) == "Sent to Alex."
    back = (await _outbox(sessions))[-1]
    assert (back.kind, back.chat_id) == ("reply_to_trainer", ADMIN.user_id)


def test_every_kind_of_relayed_message_has_its_text() -> None:
    assert set(RELAY_TEXTS) == set(get_args(Relayed))
    assert set(RELAY_KINDS) == set(RELAY_TEXTS.values())
