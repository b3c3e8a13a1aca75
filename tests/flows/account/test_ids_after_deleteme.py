"""A deleted client's ids never come back (DESIGN.md: ids in buttons, links and dedupe keys are
never reused): the trainer's next client's urgent alert reaches the trainer, and the deleted
client's alert buttons have expired instead of acting on the new client."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import TRAINER, seed_demo_centre
from flows.engine.core import Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Alert, AlertStatus, Conversation, Outbox, Person
from tests.flows.account.test_mydata import _urgent_checkin
from tests.flows.checkin.test_checkin import CLIENT_ID, make_client
from tests.flows.harness import User, make_router

EXPIRED = Toast("This button has expired. Please use the latest message.")
NEXT_ID = 9002


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _alert_messages(sessions: SessionFactory) -> list[Outbox]:
    async with sessions() as session:
        query = select(Outbox).where(Outbox.kind == "alert_urgent").order_by(col(Outbox.id))
        return list((await session.exec(query)).all())


async def _alerts(sessions: SessionFactory) -> list[Alert]:
    async with sessions() as session:
        return list((await session.exec(select(Alert))).all())


async def test_the_next_clients_urgent_alert_arrives_and_old_buttons_have_expired(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    # Pat, the newest client, has an open urgent alert, then deletes herself
    pat_id = await make_client(sessions, clock, post_op=True, sets=(3,))
    pat, sam = User(router, CLIENT_ID, "Pat"), User(router, TRAINER.user_id, "Sam")
    await _urgent_checkin(pat)
    [pats_message] = await _alert_messages(sessions)
    [ack], [message, history] = pats_message.buttons
    assert (message["data"], history["data"]) == (f"msg:{pat_id}", f"hist:{pat_id}")
    await pat.command("deleteme")
    await pat.press("Delete everything")

    # Kim, the trainer's next client, raises an urgent alert of her own
    kim_id = await make_client(sessions, clock, user_id=NEXT_ID, post_op=True, sets=(3,))
    async with sessions() as session:
        kim = await session.get(Person, kim_id)
        assert kim is not None
        kim.name = "Kim"
        session.add(kim)
        await session.commit()
    await _urgent_checkin(User(router, NEXT_ID, "Kim"))
    [kims_alert] = await _alerts(sessions)
    assert kims_alert.client_id == kim_id and kims_alert.status == AlertStatus.OPEN

    # Sam is told (not deduplicated away by Pat's message)
    kims_messages = [row for row in await _alert_messages(sessions) if "Kim" in row.text]
    assert len(kims_messages) == 1
    assert kims_messages[0].dedupe_key == f"alert:{kims_alert.id}x1"
    assert kims_messages[0].chat_id == TRAINER.user_id

    # Pat's old buttons act on nobody: each answers that it has expired
    assert await sam.press_data(ack["data"], "Acknowledge") == [EXPIRED]
    assert await sam.press_data(history["data"], "History") == [EXPIRED]
    assert await sam.press_data(message["data"], "Message client") == [EXPIRED]
    [still_open] = await _alerts(sessions)
    assert still_open.status == AlertStatus.OPEN and still_open.acknowledged_by is None
    async with sessions() as session:
        convo = await session.get(Conversation, TRAINER.user_id)
    assert convo is None or convo.flow is None  # no relay to anyone was started
    replies = await sam.press_data(f"hist:{kim_id}", "History")  # Kim's own buttons work
    assert any(isinstance(r, Send) and r.text.startswith("Kim, last 14 days") for r in replies)
