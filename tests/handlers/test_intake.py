"""The intake on a real database: stored before confirmed, and a start finishes what a crash left.

The runtime here is a stand-in that decodes a tiny update shape and records what it would send;
everything else (the router, the inbox tables) is the real thing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, seed_demo_centre
from flows.engine.core import Event, EventKind, Menu, Reply, Send
from flows.router import MAX_ATTEMPTS, Router
from handlers import RawUpdate
from handlers.intake import Intake
from storage.db import SessionFactory
from storage.models import InboxUpdate, ProcessedUpdate
from storage.repo import store_factory
from tests.flows.harness import BOT, make_router


class Runtime:
    """Decodes {"update_id", "text"} as the demo client's message; records replies."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, list[Reply]]] = []

    async def initialize(self) -> str:
        return "testbot"

    def decode(self, raw: RawUpdate) -> Event | None:
        text = raw["text"]
        if not isinstance(text, str):
            raise TypeError("text is not text")
        kind = EventKind.COMMAND if text.startswith("/") else EventKind.TEXT
        chat = raw.get("chat", CLIENT.user_id)
        return Event(
            raw["update_id"],
            chat,
            chat,
            kind,
            text=text,
            command=text[1:] if kind == EventKind.COMMAND else "",
        )

    async def send(self, event: Event, replies: Sequence[Reply]) -> None:
        self.sent.append((event.update_id, list(replies)))

    async def set_menu(
        self, menu: Menu, chat_id: int | None = None, language: str = ""
    ) -> None: ...
    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None: ...
    async def delete_webhook(self) -> None: ...
    async def close(self) -> None: ...


class SlowRuntime(Runtime):
    """Sends take a while, as over the network; records which chats were sending at once."""

    def __init__(self) -> None:
        super().__init__()
        self.sending: set[int] = set()
        self.overlaps: list[int] = []  # a chat that was already sending
        self.most_at_once = 0
        self.order: dict[int, list[int]] = {}

    async def send(self, event: Event, replies: Sequence[Reply]) -> None:
        if event.chat_id in self.sending:
            self.overlaps.append(event.chat_id)
        self.sending.add(event.chat_id)
        self.most_at_once = max(self.most_at_once, len(self.sending))
        await asyncio.sleep(0.01)
        self.order.setdefault(event.chat_id, []).append(event.update_id)
        self.sending.discard(event.chat_id)
        await super().send(event, replies)


async def inbox_rows(sessions: SessionFactory) -> list[InboxUpdate]:
    async with sessions() as session:
        return list((await session.exec(select(InboxUpdate))).all())


async def drained(intake: Intake) -> None:
    for _ in range(1000):  # 10 s: the machine may be busy
        if not intake.worker.backlog:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the intake did not drain")


@pytest.fixture
async def seeded(sessions: SessionFactory, clock: FakeClock) -> SessionFactory:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return sessions


async def test_accept_returns_only_once_the_updates_are_stored(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    intake = Intake(Runtime(), make_router(seeded, clock))  # not started: a crash right after
    await intake.accept([{"update_id": 11, "text": "/help"}, {"update_id": 12, "text": "/help"}])
    assert [r.update_id for r in await inbox_rows(seeded)] == [11, 12]


async def test_a_start_handles_what_was_stored_once_in_order(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    crashed = Intake(Runtime(), make_router(seeded, clock))
    await crashed.accept([{"update_id": n, "text": "/help"} for n in (21, 22, 23)])
    await crashed.accept([{"update_id": 22, "text": "/help"}])  # a redelivery: not stored twice
    runtime = Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.start()
    await drained(intake)
    await intake.stop()
    assert [update_id for update_id, _ in runtime.sent] == [21, 22, 23]
    assert all(replies for _, replies in runtime.sent)
    assert await inbox_rows(seeded) == []
    async with seeded() as session:
        handled = (await session.exec(select(ProcessedUpdate.update_id))).all()
    assert sorted(handled) == [21, 22, 23]


async def test_replies_stored_but_not_sent_at_a_crash_are_sent_not_handled_again(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    router = make_router(seeded, clock)
    await Intake(Runtime(), router).accept([{"update_id": 31, "text": "/help"}])
    event = Runtime().decode({"update_id": 31, "text": "/help"})
    assert event is not None
    replies = await router.handle(event)  # handled and committed, then the crash: not sent
    runtime = Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.start()
    await drained(intake)
    await intake.stop()
    assert runtime.sent == [(31, replies)]  # the stored answer (handling again would give [])
    assert await inbox_rows(seeded) == []


async def test_an_update_that_keeps_killing_the_process_is_answered_with_an_apology(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    router = make_router(seeded, clock)
    await Intake(Runtime(), router).accept([{"update_id": 41, "text": "/help"}])
    due = await router.next_due(CLIENT.user_id, 41)  # and the process dies handling it
    assert due is not None and due[1] is None
    for _ in range(MAX_ATTEMPTS - 1):  # each next process too
        router = make_router(seeded, clock)
        due = await router.next_due(CLIENT.user_id, 41)
        assert due is not None and due[1] is None
    router = make_router(seeded, clock)
    due = await router.next_due(CLIENT.user_id, 41)  # once more: give up, say sorry
    assert due is not None
    assert due[1] == [
        Send("Sorry, something went wrong on my side. Please try that again in a moment.")
    ]
    # handled no more: handling it again gives the apology stored to be sent, nothing new
    again = await router.handle(Runtime().decode({"update_id": 41, "text": "/x"}))  # type: ignore[arg-type]
    assert again == due[1]


async def test_a_chats_older_update_stored_by_another_process_is_answered_first(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """Behind a load balancer: 41 waits in another process's queue when 42, the chat's next,
    reaches this one. This one answers 41 first, then 42; the other finds nothing left."""
    other_runtime, runtime = Runtime(), Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.start()  # before 41 is stored: it finds 41 only in 42's turn
    other = Intake(other_runtime, make_router(seeded, clock))  # not started: its queue waits
    await other.accept([{"update_id": 41, "text": "/cancel"}])
    await intake.accept([{"update_id": 42, "text": "/help"}])
    await drained(intake)
    await intake.stop()
    assert [update_id for update_id, _ in runtime.sent] == [41, 42]
    other.worker.start()
    await drained(other)
    await other.stop()
    assert other_runtime.sent == []
    assert await inbox_rows(seeded) == []


async def test_replies_another_process_stored_but_never_sent_go_before_the_next_answer(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """The process that handled 51 died before sending its replies: the chat's next update
    sends them first (not handled again: that would give nothing), then its own."""
    router = make_router(seeded, clock)
    await Intake(Runtime(), router).accept([{"update_id": 51, "text": "/help"}])
    event = Runtime().decode({"update_id": 51, "text": "/help"})
    assert event is not None
    replies = await router.handle(event)
    runtime = Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.start()
    await intake.accept([{"update_id": 52, "text": "/help"}])
    await drained(intake)
    await intake.stop()
    assert runtime.sent[0] == (51, replies)
    assert [update_id for update_id, _ in runtime.sent] == [51, 52]


async def test_a_redelivered_update_whose_process_died_is_taken_up(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """Stored by a process that died before answering 200: Telegram sends it again, maybe to
    another process, which must answer it though the inbox already holds it."""
    await Intake(Runtime(), make_router(seeded, clock)).accept([{"update_id": 61, "text": "/help"}])
    runtime = Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.start()
    await intake.accept([{"update_id": 61, "text": "/help"}])
    await drained(intake)
    await intake.accept([{"update_id": 61, "text": "/help"}])  # and again, once answered
    await drained(intake)
    await intake.stop()
    assert [update_id for update_id, _ in runtime.sent] == [61]


async def test_an_undecodable_update_is_skipped_and_logged_by_id_only(
    seeded: SessionFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    intake = Intake(Runtime(), make_router(seeded, clock))
    with caplog.at_level(logging.INFO):
        await intake.accept([{"update_id": 51, "text": 12345}, {"update_id": 52, "text": "hi"}])
    assert [r.update_id for r in await inbox_rows(seeded)] == [52]
    assert "update 51 undecodable (TypeError)" in caplog.text
    assert "12345" not in caplog.text


async def test_each_update_gets_one_line_with_its_id_kind_outcome_and_time(
    seeded: SessionFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """What an operator needs per update (LOG_FORMAT=json turns these into fields), and
    nothing of what was said."""
    intake = Intake(Runtime(), make_router(seeded, clock))
    await intake.start()
    with caplog.at_level(logging.INFO, logger="handlers.intake"):
        await intake.accept([{"update_id": 51, "text": "my knee SENTINEL hurts"}])
        await drained(intake)
    await intake.stop()
    [line] = [r for r in caplog.records if getattr(r, "update_id", None) == 51]
    assert (line.event, line.outcome) == ("text", "answered")  # type: ignore[attr-defined]
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    assert "SENTINEL" not in line.getMessage()


async def test_each_outcome_is_told_to_the_observer(
    seeded: SessionFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the metrics count (bot/metrics.py): the outcome, and the time once handled."""
    told: list[tuple[str, bool]] = []
    router = make_router(seeded, clock)
    intake = Intake(Runtime(), router, lambda outcome, s: told.append((outcome, s is not None)))
    await intake.start()
    await intake.accept([{"update_id": 61, "text": 1}, {"update_id": 62, "text": "/help"}])
    await drained(intake)

    async def broken(event: Event) -> list[Reply]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(router, "handle", broken)
    await intake.accept([{"update_id": 63, "text": "/help"}])
    await drained(intake)
    await intake.stop()
    assert told == [("undecodable", False), ("answered", True), ("failed", True)]


async def test_chats_are_handled_at_once_on_one_database_each_in_order(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """20 chats of 5 updates each, 8 chats at a time, on the test's database (SQLite: writes
    take turns; PostgreSQL: row locks): every update answered once, none failed, each chat's
    in the order received, and chats overlapped."""
    runtime, outcomes = SlowRuntime(), []
    sqlite = (await _dialect(seeded)) == "sqlite"
    router = Router(store_factory(seeded), BOT, clock.now, one_writer=sqlite)
    intake = Intake(runtime, router, lambda outcome, _: outcomes.append(outcome), concurrency=8)
    await intake.start()
    chats = [1000 + n for n in range(20)]
    for round_ in range(5):
        await intake.accept(
            [{"update_id": 100 * c + round_, "chat": c, "text": "/help"} for c in chats]
        )
    await drained(intake)
    await intake.stop()
    assert outcomes == ["answered"] * 100
    assert runtime.overlaps == []
    assert runtime.order == {c: [100 * c + r for r in range(5)] for c in chats}
    assert 1 < runtime.most_at_once <= 8
    assert await inbox_rows(seeded) == []


async def _dialect(sessions: SessionFactory) -> str:
    async with sessions() as session:
        bind = session.bind
        assert bind is not None
        return bind.dialect.name


class Watched:
    """Wraps a router's `handle`: records each chat's updates in the order handled, and any
    chat found already being handled (two of its updates at once)."""

    def __init__(self) -> None:
        self.handling: set[int] = set()
        self.overlaps: list[int] = []
        self.order: dict[int, list[int]] = {}

    def watch(self, router: Router) -> Router:
        handle = router.handle

        async def watched(event: Event) -> list[Reply] | None:
            if event.chat_id in self.handling:
                self.overlaps.append(event.chat_id)
            self.handling.add(event.chat_id)
            try:
                await asyncio.sleep(0.005)  # others get the loop meanwhile
                replies = await handle(event)
                if replies:  # handled here, not before (by the other intake: nothing to say)
                    self.order.setdefault(event.chat_id, []).append(event.update_id)
                return replies
            finally:
                self.handling.discard(event.chat_id)

        router.handle = watched  # type: ignore[method-assign]
        return router


async def test_two_intakes_on_one_database_take_turns_on_each_chat(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """As two processes behind a load balancer, in one process: each chat's updates are
    spread over two intakes (each with its own workers). Each update is handled in its chat's
    turn, so no chat's two updates ever run at once nor out of order, and each once. On SQLite
    this needs the turn to hold between tasks of one process too (storage/chatlock.py); POSIX
    locks alone would let both intakes in."""
    watched, outcomes = Watched(), []
    sqlite = (await _dialect(seeded)) == "sqlite"
    intakes = [
        Intake(
            Runtime(),
            watched.watch(Router(store_factory(seeded), BOT, clock.now, one_writer=sqlite)),
            lambda outcome, _: outcomes.append(outcome),
            concurrency=4,
        )
        for _ in range(2)
    ]
    chats = [2000 + n for n in range(6)]
    for round_ in range(6):  # stored first, so both intakes find work on every chat at once
        for c in chats:
            update = {"update_id": 100 * c + round_, "chat": c, "text": "/help"}
            await intakes[(c + round_) % 2].accept([update])
    for intake in intakes:
        intake.worker.start()
    for intake in intakes:
        await drained(intake)
        await intake.stop()
    assert watched.overlaps == []
    assert watched.order == {c: [100 * c + r for r in range(6)] for c in chats}
    assert outcomes.count("answered") == len(chats) * 6
    assert set(outcomes) <= {"answered", "skipped"}
    assert await inbox_rows(seeded) == []


class Statements:
    """What a database is asked: the statements SQLAlchemy runs, by their first words (never
    their parameters), and the connections taken from the pool, one for each transaction
    (those of storage/plain.py run on the driver's cursor: SQLAlchemy sees no statement)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        self.transactions = 0
        sa_event.listen(engine.sync_engine, "before_cursor_execute", self._record)
        sa_event.listen(engine.sync_engine, "checkout", self._checkout)

    def _record(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        self.seen.append(" ".join(statement.split()[:3]))

    def _checkout(self, *_: object) -> None:
        self.transactions += 1


async def test_updates_received_at_the_same_moment_are_stored_in_one_transaction(
    seeded: SessionFactory, clock: FakeClock, engine: AsyncEngine
) -> None:
    """Webhook calls of several chats arriving together: one insert for all, and each call
    returns (may answer 200) only once its update is stored."""
    intake = Intake(Runtime(), make_router(seeded, clock))  # not started: only storing
    statements = Statements(engine)
    await asyncio.gather(
        *(intake.accept([{"update_id": n, "text": "/help", "chat": 900 + n}]) for n in range(6))
    )
    assert statements.transactions == 1
    assert sorted(r.update_id for r in await inbox_rows(seeded)) == list(range(6))


async def test_answers_sent_at_the_same_moment_are_forgotten_in_one_transaction(
    seeded: SessionFactory, clock: FakeClock, engine: AsyncEngine
) -> None:
    router = make_router(seeded, clock)
    await Intake(Runtime(), router).accept(
        [{"update_id": n, "text": "/help", "chat": 900 + n} for n in range(6)]
    )
    statements = Statements(engine)
    await asyncio.gather(*(router.answered(n) for n in range(6)))
    assert statements.transactions == 1
    assert await inbox_rows(seeded) == []  # committed before any answered() returned


async def test_taking_up_an_update_this_process_stored_runs_no_statement(
    seeded: SessionFactory, clock: FakeClock, engine: AsyncEngine
) -> None:
    """Its first attempt was counted when it was stored, and nothing older was waiting in its
    chat then: its turn neither writes nor reads. Only another process (or this one after a
    restart) taking it up counts one more."""
    router = make_router(seeded, clock)
    await Intake(Runtime(), router).accept([{"update_id": 71, "text": "/help"}])
    statements = Statements(engine)
    due = await router.next_due(CLIENT.user_id, 71)
    assert due is not None and due[0].update_id == 71 and due[1] is None
    assert (statements.seen, statements.transactions) == ([], 0)
    assert [r.attempts for r in await inbox_rows(seeded)] == [1]
    restarted = make_router(seeded, clock)  # the process died handling it
    assert await restarted.next_due(CLIENT.user_id, 71) is not None
    assert [r.attempts for r in await inbox_rows(seeded)] == [2]


async def test_an_update_behind_an_older_one_of_its_chat_waits_for_it(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """73 was stored here, so its turn starts without a read; but 72 of the same chat still
    waits (another process stored it, or its own turn failed): handling 73 does nothing and
    hands it back, and the turn goes on with 72."""
    other, router = make_router(seeded, clock), make_router(seeded, clock)
    await Intake(Runtime(), other).accept([{"update_id": 72, "text": "/help"}])
    await Intake(Runtime(), router).accept([{"update_id": 73, "text": "/cancel"}])
    due = await router.next_due(CLIENT.user_id, 73)
    assert due is not None and due[0].update_id == 73
    assert await router.handle(due[0]) is None
    due = await router.next_due(CLIENT.user_id, 73)
    assert due is not None and due[0].update_id == 72
    assert await router.handle(due[0])
    await router.answered(72)
    due = await router.next_due(CLIENT.user_id, 73)
    assert due is not None and due[0].update_id == 73
    assert await router.handle(due[0])
    assert [r.attempts for r in await inbox_rows(seeded)] == [1]  # 73 counted once, when stored


async def test_replies_another_process_stored_for_this_ones_update_are_sent_by_it(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """This process stored 75 (its chat's oldest, so its turn reads nothing); meanwhile another
    process took it up, handled it and died before sending. Handling it here again changes
    nothing, and the stored answer is what is sent, not nothing."""
    runtime = Runtime()
    intake = Intake(runtime, make_router(seeded, clock))
    await intake.accept([{"update_id": 75, "text": "/help"}])
    other = make_router(seeded, clock)
    due = await other.next_due(CLIENT.user_id, 75)
    assert due is not None
    replies = await other.handle(due[0])  # and the other process dies here
    assert replies
    intake.worker.start()
    await drained(intake)
    await intake.stop()
    assert runtime.sent == [(75, replies)]
    assert await inbox_rows(seeded) == []


async def test_an_update_stored_by_a_process_that_died_at_once_still_gets_its_attempts(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """Stored, then the process died before taking it up: that counts as one attempt, so
    the next processes may try MAX_ATTEMPTS - 1 times more before the apology."""
    await Intake(Runtime(), make_router(seeded, clock)).accept([{"update_id": 81, "text": "/x"}])
    for _ in range(MAX_ATTEMPTS - 1):
        due = await make_router(seeded, clock).next_due(CLIENT.user_id, 81)
        assert due is not None and due[1] is None
    due = await make_router(seeded, clock).next_due(CLIENT.user_id, 81)
    assert due is not None and due[1] is not None  # the apology, stored to be sent


async def test_an_update_answered_in_a_later_ones_turn_is_not_taken_up_again(
    seeded: SessionFactory, clock: FakeClock
) -> None:
    """92's turn came first and answered 91 before it: 91's own turn then finds nothing,
    rather than taking 91 up again from what this process remembered when storing it."""
    router = make_router(seeded, clock)
    intake = Intake(Runtime(), router)
    await intake.accept([{"update_id": 91, "text": "/help"}])
    await intake.accept([{"update_id": 92, "text": "/help"}])
    due = await router.next_due(CLIENT.user_id, 92)
    assert due is not None and await router.handle(due[0]) is None  # 91 waits
    for expected in (91, 92):
        due = await router.next_due(CLIENT.user_id, 92)
        assert due is not None and due[0].update_id == expected
        assert await router.handle(due[0])
        await router.answered(expected)
    assert await router.next_due(CLIENT.user_id, 91) is None
