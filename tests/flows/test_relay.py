"""Trainer <-> client messages passed on by the bot: the relay, the Reply, who may use them."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.core import EventKind, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import ClientProfile, Outbox, Role

from .harness import User, add_person, make_router, person_of, texts

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
    asked = await trainer.press_data(f"msg:{client.id}", "Message client")
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
    for action in ("msg", "hist"):
        for user_id in (1004, CLIENT.user_id):
            replies = await User(router, user_id).press_data(f"{action}:{client.id}")
            assert replies == [Toast(EXPIRED)]
        # a trainer is not a client: no relay to them
        replies = await User(router, ADMIN.user_id).press_data(f"{action}:{trainer.id}")
        assert replies == [Toast(EXPIRED)]
    admin = User(router, ADMIN.user_id)
    await admin.press_data(f"msg:{client.id}")
    assert texts(await admin.text("Checking in.")) == "Sent to Jordan."
    [row] = await _outbox(sessions)
    assert row.text == "Message from Alex at your training centre:\n\nChecking in."


async def test_the_client_replies_to_their_trainer(
    router: Router, sessions: SessionFactory
) -> None:
    client = await person_of(sessions, CLIENT.user_id)
    trainer = await person_of(sessions, TRAINER.user_id)
    sam = User(router, TRAINER.user_id)
    await sam.press_data(f"msg:{client.id}", "Message client")
    await sam.text("How is the knee after yesterday?")
    [to_client] = await _outbox(sessions)
    assert to_client.buttons == [[{"text": "Reply", "data": f"reply:{trainer.id}"}]]

    jordan = User(router, CLIENT.user_id)
    asked = await jordan.press_data(f"reply:{trainer.id}", "Reply")
    assert "Type your reply to Sam" in texts(asked)
    assert "I can only read text" in texts(await jordan._handle(kind=EventKind.OTHER))
    assert texts(await jordan.text("Swollen calf this morning, sore.")) == "Sent to Sam."
    back = (await _outbox(sessions))[-1]
    first, blank, text = back.text.split("\n", 2)
    assert (back.chat_id, first, blank) == (TRAINER.user_id, "Jordan replied to your message.", "")
    assert text == "Swollen calf this morning, sore."  # as written, below a neutral first line
    assert back.buttons == [[{"text": "Message client", "data": f"msg:{client.id}"}]]
    await jordan.text("and another thing")  # the reply is over: not passed on
    assert len(await _outbox(sessions)) == 2


async def test_a_reply_goes_only_to_the_clients_own_trainer_or_an_admin(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley = await add_person(sessions, clock, 1004, "Riley", Role.TRAINER)
    admin = await person_of(sessions, ADMIN.user_id)
    client = await person_of(sessions, CLIENT.user_id)
    jordan = User(router, CLIENT.user_id)
    assert await jordan.press_data(f"reply:{riley.id}") == [Toast(EXPIRED)]  # not their trainer
    assert await jordan.press_data(f"reply:{client.id}") == [Toast(EXPIRED)]  # not staff
    assert await jordan.press_data("reply:x") == [Toast(EXPIRED)]
    assert await User(router, TRAINER.user_id).press_data(f"reply:{admin.id}") == [Toast(EXPIRED)]
    assert "Type your reply to Alex" in texts(await jordan.press_data(f"reply:{admin.id}"))
    async with sessions() as session:  # Jordan moves to Riley: Sam's old Reply button expires
        profile = await session.get(ClientProfile, client.id)
        assert profile is not None
        profile.trainer_id = riley.id or 0
        await session.commit()
    trainer = await person_of(sessions, TRAINER.user_id)
    assert await jordan.press_data(f"reply:{trainer.id}") == [Toast(EXPIRED)]
    assert await _outbox(sessions) == []
