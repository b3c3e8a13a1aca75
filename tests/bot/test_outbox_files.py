"""Outbox rows that carry a file (a weekly chart, a report): delivered as a photo or a document,
with the row's text as the caption and its buttons under it, through the real Bot API client
against the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import httpx
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, DEMO_PEOPLE, seed_demo_centre
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import load_settings
from bot.telegram_api import BotApi
from flows.progress.chart import Chart, ChartDay, ChartLabels, render
from storage.db import SessionFactory
from storage.models import Outbox, OutboxStatus
from storage.repo import Attachment, Store
from tests.flows.harness import person_of

TOKEN = "4242:files-token"


def a_png() -> bytes:
    day = date(2026, 11, 23)
    labels = ChartLabels("t", "p", "e", "a", "paused", "skipped", "flag", "none", ("d",))
    return render(Chart((ChartDay(day, "checkin", 3),), labels))


async def test_a_photo_and_a_document_go_out_with_caption_and_buttons(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    jordan = await person_of(sessions, CLIENT.user_id)
    png = a_png()
    async with sessions() as session:
        store = Store(session)
        for n, attachment in enumerate(
            (Attachment("photo", "week.png", png), Attachment("document", "r.pdf", b"%PDF-1.4"))
        ):
            await store.enqueue(
                chat_id=jordan.chat_id,
                person_id=jordan.id,
                text=f"caption {n}",
                kind="weekly",
                now=clock.now(),
                buttons=[[{"text": "Open", "data": "progress:7"}]],
                attachment=attachment,
            )
        await store.commit()
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
    async with SandboxServer(TOKEN, port=0, personas=personas) as server:
        api = BotApi(server.base_url, TOKEN)
        settings = load_settings(_env_file=None)
        rules = replace(sender_rules(settings), rate_per_second=1000, per_chat_seconds=0.0)
        try:
            assert await OutboxSender(sessions, api, clock.now, rules).deliver_due() == 2
        finally:
            await api.aclose()
        async with ChatUser(server.base_url, CLIENT.user_id) as user:
            photo = await user.wait_for(lambda m: m["photo"] is not None)
            document = await user.wait_for(lambda m: m["document"] is not None)
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                assert (await http.get(photo["photo"]["url"])).content == png
    assert photo["caption"] == "caption 0" and document["caption"] == "caption 1"
    assert photo["buttons"][0][0]["text"] == "Open"
    assert document["document"]["file_name"] == "r.pdf"
    async with sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        # delivered, the bytes go: a weekly chart for every client every week would otherwise
        # grow the database by about 70 KB a client a week; what was sent stays named
        assert [(row.file_name, row.file_content) for row in rows] == [
            ("week.png", None),
            ("r.pdf", None),
        ]
