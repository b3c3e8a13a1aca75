"""The router's safety net: a failing flow gets an apology, changes nothing, and logs no data."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time

import pytest
from sqlmodel import select

import flows.router as router_module
from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.conversation import Command, Context
from flows.engine.core import Event, EventKind, Photo, Send
from flows.progress import chartdata
from flows.progress.chart import Chart
from flows.router import Router
from storage.db import SessionFactory
from storage.models import InboxUpdate, Outbox, Person
from storage.repo import store_factory
from tests.flows.harness import BOT, User, make_router, texts
from tests.flows.progress.drawing import HeldDrawing, hold_drawing
from tests.flows.progress.test_progress import TODAY, add_checkin, days_ago, joined_on


async def test_a_failing_update_apologises_and_logs_no_data(
    sessions: SessionFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed_demo_centre(sessions, "Europe/London", clock.now())

    async def explode(ctx: Context) -> None:
        raise ValueError(f"could not store {ctx.event.args!r}")  # data in a message

    monkeypatch.setitem(
        router_module.COMMANDS, "boom", Command("boom", explode, also=frozenset({"client"}))
    )
    router = make_router(sessions, clock)
    event = Event(
        update_id=77,
        user_id=CLIENT.user_id,
        chat_id=CLIENT.user_id,
        kind=EventKind.COMMAND,
        text="/boom my calf is hot and swollen",
        command="boom",
        args="my calf is hot and swollen",
    )
    with caplog.at_level(logging.INFO):
        replies = await router.handle(event)
    assert replies == [
        Send("Sorry, something went wrong on my side. Please try that again in a moment.")
    ]
    assert "ValueError" in caplog.text
    assert "swollen" not in caplog.text
    # its effects were rolled back, but it is settled: a redelivery isn't answered twice
    assert await router.handle(event) == []


async def test_writing_to_the_bot_clears_unreachable(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """A client marked unreachable (403) who writes again has unblocked us: reminders resume."""
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    await _set_unreachable(sessions, clock.now())
    jordan = User(make_router(sessions, clock), CLIENT.user_id)
    assert await jordan.text("hello again")
    assert await _set_unreachable(sessions, None) is None
    async with sessions() as session:
        [told] = (await session.exec(select(Outbox))).all()
    assert (told.chat_id, told.kind) == (TRAINER.user_id, "client_reachable")
    assert "Jordan is back in touch" in told.text


async def _set_unreachable(sessions: SessionFactory, value: datetime | None) -> datetime | None:
    """Set Jordan's unreachable mark; returns what it was."""
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == CLIENT.user_id)
        jordan = (await session.exec(query)).one()
        was, jordan.unreachable_at = jordan.unreachable_at, value
        await session.commit()
    return was


async def charting_router(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Router, HeldDrawing]:
    """The demo centre with a week of Jordan's check-ins, a router taking write turns (as on
    SQLite), and chart drawing that says when it starts and waits to be let go on."""
    clock.set(datetime.combine(TODAY, time(12), UTC))
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    await joined_on(sessions, days_ago(10))
    for n in range(1, 8):
        await add_checkin(sessions, days_ago(n), n % 4)
    held = hold_drawing(monkeypatch)
    return Router(store_factory(sessions), BOT, clock.now, one_writer=True), held


async def test_a_chart_is_drawn_after_its_transaction_so_other_chats_go_on_meanwhile(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing takes ~0.1 s (a report more): inside the update's transaction it held the one
    write turn, and every other chat's answer waited for the picture."""
    router, held = await charting_router(sessions, clock, monkeypatch)
    jordan, sam = User(router, CLIENT.user_id), User(router, TRAINER.user_id)
    charting = asyncio.create_task(jordan.command("progress"))
    await asyncio.wait_for(held.started.wait(), 10)
    answered = await asyncio.wait_for(sam.command("help"), 10)  # while the chart is drawn
    assert "/clients" in texts(answered)
    held.go_on.set()
    replies = await charting
    assert isinstance(replies[-1], Photo) and replies[-1].content.startswith(b"\x89PNG")


async def test_a_drawn_chart_replaces_its_stand_in_among_the_stored_replies(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replies are stored with the update's effects, before the drawing (the caption and
    "could not be drawn" stand in); once drawn, the picture is stored in its place, so a crash
    before the send resends the picture."""
    router, held = await charting_router(sessions, clock, monkeypatch)
    held.go_on.set()
    event = Event(
        update_id=91,
        user_id=CLIENT.user_id,
        chat_id=CLIENT.user_id,
        kind=EventKind.COMMAND,
        text="/progress",
        command="progress",
    )
    await router.receive([event])
    replies = await router.handle(event)
    assert replies is not None and isinstance(replies[-1], Photo)
    async with sessions() as session:
        row = await session.get(InboxUpdate, 91)
        assert row is not None and row.replies is not None
        assert [r["type"] for r in row.replies] == ["send", "photo"]


async def test_a_chart_that_cannot_be_drawn_leaves_its_caption_and_a_word_of_it(
    sessions: SessionFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    router, _ = await charting_router(sessions, clock, monkeypatch)

    async def broken(chart: Chart) -> bytes:
        raise RuntimeError(f"no font for {chart.labels.title!r}")  # data in a message

    monkeypatch.setattr(chartdata, "render_async", broken)
    with caplog.at_level(logging.INFO):
        replies = await User(router, CLIENT.user_id).command("progress")
    assert texts(replies[-1:]).splitlines() == [
        "Jordan: pain and exercises, last 7 days",
        "",
        "(The picture could not be drawn just now: please ask again in a moment.)",
    ]
    stand_in = replies[-1]
    assert isinstance(stand_in, Send) and stand_in.buttons  # the other windows, to ask again
    assert "RuntimeError" in caplog.text and "Jordan" not in caplog.text


async def test_a_reply_longer_than_telegram_takes_goes_as_several_messages(
    sessions: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused as "message is too long", a long list (a trainer's clients) never arrived."""
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    long = "\n".join(f"Client {n}: 100% of sets, no open alerts" for n in range(300))

    async def say_long(ctx: Context) -> None:
        ctx.say(long)

    monkeypatch.setitem(
        router_module.COMMANDS, "long", Command("long", say_long, also=frozenset({"client"}))
    )
    replies = await User(make_router(sessions, clock), CLIENT.user_id).command("long")
    assert len(replies) > 1 and all(isinstance(r, Send) for r in replies)
    assert "\n".join(r.text for r in replies if isinstance(r, Send)) == long
