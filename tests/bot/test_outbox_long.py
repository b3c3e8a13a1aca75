"""A queued message longer than Telegram takes (a trainer's weekly roster of a hundred clients):
it arrives whole, in several messages in order, through the real Bot API client against the
sandbox, which refuses what Telegram refuses ("message is too long")."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import DEMO_PEOPLE, TRAINER, seed_demo_centre
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import load_settings
from bot.telegram_api import BotApi
from storage.db import SessionFactory
from storage.messages import CAPTION_LIMIT, TEXT_LIMIT, parts, units
from storage.models import Outbox, OutboxStatus
from storage.repo import Attachment, Store
from tests.bot.test_outbox_files import a_png
from tests.flows.harness import person_of

TOKEN = "4242:long-token"
ROSTER = "\n".join(f"🟢 Client {n} · 100% · 0 open" for n in range(200))


async def test_a_long_message_and_a_long_caption_arrive_whole_in_order(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    sam = await person_of(sessions, TRAINER.user_id)
    buttons = [[{"text": "Open", "data": "alerts"}]]
    async with sessions() as session:
        store = Store(session)
        first = await store.enqueue(
            chat_id=sam.chat_id,
            person_id=sam.id,
            text=ROSTER,
            kind="weekly_roster",
            now=clock.now(),
            dedupe_key="weekly:roster",
            buttons=buttons,
        )
        await store.enqueue(
            chat_id=sam.chat_id,
            person_id=sam.id,
            text=ROSTER,
            kind="weekly_summary",
            now=clock.now(),
            attachment=Attachment("photo", "week.png", a_png()),
        )
        again = await store.enqueue(
            chat_id=sam.chat_id,
            text="x",
            kind="weekly_roster",
            now=clock.now(),
            dedupe_key="weekly:roster",
        )
        await store.commit()
    assert first is not None and first.dedupe_key == "weekly:roster" and again is None
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
    async with SandboxServer(TOKEN, port=0, personas=personas) as server:
        api = BotApi(server.base_url, TOKEN)
        rules = sender_rules(load_settings(_env_file=None))
        rules = replace(rules, rate_per_second=1000, per_chat_seconds=0.0)
        try:
            await OutboxSender(sessions, api, clock.now, rules).deliver_due()
        finally:
            await api.aclose()
        async with ChatUser(server.base_url, TRAINER.user_id) as user:
            seen = [m for m in await user.messages() if m["from_bot"]]
    async with sessions() as session:
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    count = len(parts(ROSTER))  # the roster's messages come first, then the summary's
    roster, summary = seen[:count], seen[count:]
    assert count > 1 and len(summary) > 1
    assert "\n".join(m["text"] for m in roster) == ROSTER  # whole, in order
    assert all(units(m["text"]) <= TEXT_LIMIT for m in roster)
    assert roster[-1]["buttons"] and not any(m["buttons"] for m in roster[:-1])
    photo, *rest = summary
    assert photo["photo"] is not None and units(photo["caption"]) <= CAPTION_LIMIT
    assert "\n".join([photo["caption"], *(m["text"] for m in rest)]) == ROSTER
