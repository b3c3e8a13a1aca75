"""mendbot on python-telegram-bot and on aiogram, long polling and webhook, side by side.

Each row runs the same script against a fresh sandbox: USERS clients check in at the same time, each
the whole daily check-in (13 updates: /checkin, pain, three exercises, ... "Skip"), then ROUNDS - 1
more crowds of USERS new clients. Latency is from a person's action (send or button press) to the
bot's answer showing in their chat; throughput is all updates over the wall time of the run. The
echo rows are the reference: a bare bot on the same runtime adapter and intake answering each of
the same 13 steps with what mendbot answers there (recorded from its router at start: the same
calls, texts and buttons), with no flows and no database, so the gap to them is mendbot's own
cost.

Each bot runs in a process of its own, as in production, where Telegram does not share the bot's
CPU; its CPU time per update is the last column. --together runs it in this process beside the
sandbox and the simulated people instead, where their work counts against both bots.

    .venv/bin/python bench/bench_runtimes.py [--users 10 50] [--checkins 150] [--pairs 3]
        [--runtimes ptb aiogram] [--modes polling webhook] [--together | --interleave]

Every row counts about the same number of check-ins (--checkins; crowds of --users people until
there are that many, at least --rounds crowds): a row of 10 people over 30 check-ins lasts two
seconds, too short to tell a change from the shared machine's moods. --pairs runs each setting's
echo and mendbot rows that many times, alternating which goes first, and gives the median of the
pairs' ratios with their range: on a shared machine one pair's ratio moves by ten points from one
minute to the next. --interleave runs both bots of a pair at once, their crowds taking turns, so
that drift falls on both rows alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.app import (
    SANDBOX_BOT_USERNAME,
    MendBot,
    freeze_startup,
    make_runtime,
    webhook_config,
)
from bot.clock import FakeClock
from bot.demo import DEMO_PEOPLE, TRAINER, seed_demo_centre, seed_demo_program
from bot.proactive import bot_info
from bot.sandbox.driver import ChatUser, Message
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import Settings, load_settings
from flows.engine.core import Button, Edit, Event, EventKind, Reply, Send
from flows.router import Router
from handlers import ALLOWED_UPDATES
from handlers.intake import Intake, Runtime
from handlers.polling import Poller
from handlers.webhook import WebhookEndpoint
from storage.db import SessionFactory, make_engine, migrate, session_factory
from storage.models import Clearance, ClientProfile, Person, Role
from storage.repo import Store, store_factory

TOKEN = "424242:bench-sandbox-token"
SECRET = "bench_webhook_secret"
Step = tuple[float, Message]
Expect = str | Callable[[Message], bool]  # text the answer contains, or a test of it
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# (what the person does, "send" or "press", and text the bot's answer contains)
CHECKIN: tuple[tuple[str, str, str], ...] = (
    ("send", "/checkin", "pain right now"),
    ("press", "2", "Exercise 1 of 3"),
    ("press", "Done", "Exercise 2 of 3"),
    ("press", "Done", "Exercise 3 of 3"),
    ("press", "Done", "worst pain during"),
    ("press", "1", "This morning"),
    ("press", "As usual", "stiff"),
    ("press", "Not stiff", "Swelling"),
    ("press", "Same", "wake you"),
    ("press", "No", "confident"),
    ("press", "7", "any of these"),
    ("press", "None of these", "Anything else"),
    ("press", "Skip", "Today's check-in is saved"),
)


@dataclass
class Run:
    bot: str
    runtime: str
    mode: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0  # the bot process's CPU seconds over the rounds (0: not measured)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    def against(self, reference: Run) -> tuple[float, float]:
        """Updates/s as a share of the reference's, p50 as a multiple of its."""
        return self.rate / reference.rate, self.p50 / reference.p50

    def row(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50 = self.p50
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        rate = self.rate
        cells = (
            self.bot,
            self.runtime,
            self.mode,
            len(ms),
            f"{rate:.0f}",
            f"{p50:.1f}",
            f"{p99:.1f}",
            f"{1000 * self.cpu / len(ms):.1f}" if self.cpu else "-",
        )
        return "| " + " | ".join(map(str, cells)) + " |"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def settings_for(runtime: str, mode: str, base_url: str, db: Path) -> Settings:
    webhook = {}
    if mode == "webhook":
        port = free_port()
        webhook = {
            "webhook_url": f"http://127.0.0.1:{port}/telegram",
            "webhook_secret": SECRET,
            "webhook_listen_host": "127.0.0.1",
            "webhook_listen_port": port,
        }
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_url=f"sqlite:///{db}",
        bot_runtime=runtime,
        **webhook,
    )


async def seed_clients(sessions: SessionFactory, user_ids: list[int], now: datetime) -> None:
    """Clients like the demo's Jordan (same program and questions), one per bench person."""
    async with sessions() as session:
        found = await session.exec(select(Person).where(Person.telegram_user_id == TRAINER.user_id))
        trainer = found.one()
        assert trainer.id is not None
        for user_id in user_ids:
            person = Person(
                telegram_user_id=user_id,
                chat_id=user_id,
                role=Role.CLIENT,
                name=f"Bench {user_id}",
                timezone="Europe/London",
                created_at=now,
            )
            session.add(person)
            await session.flush()
            assert person.id is not None
            session.add(
                ClientProfile(
                    person_id=person.id,
                    trainer_id=trainer.id,
                    condition="knee surgery",
                    post_op=True,
                    clearance=Clearance.CLEARED,
                    consent_at=now,
                    checkin_time="08:00",
                    onboarded_at=now,
                )
            )
            await seed_demo_program(Store(session), person.id, trainer.id, now)
        await session.commit()


async def act(user: ChatUser, how: str, text: str, expect: Expect, last: Message | None) -> Step:
    """One step: type `text`, or press its button on the bot's last answer. The clock starts
    when the update is sent, and stops when the answer shows in the person's chat."""
    started = time.perf_counter()
    if how == "send":
        await user.send(text)
    else:
        assert last is not None
        buttons = [b for row in last["buttons"] for b in row if b["text"] == text]
        if not buttons:
            raise AssertionError(f"no button {text!r} on {last['text']!r}")
        started = time.perf_counter()
        await user.press_data(last["message_id"], buttons[0]["callback_data"])
    if isinstance(expect, str):
        answer = await user.wait_for(contains=expect, timeout=30)
    else:
        answer = await user.wait_for(expect, timeout=30)
    return time.perf_counter() - started, answer


async def checkin_person(user: ChatUser, run: Run) -> None:
    last = None
    for how, text, expect in CHECKIN:
        seconds, last = await act(user, how, text, expect, last)
        run.latencies.append(seconds)


TRANSCRIPT_USER = 4_999_999  # the client whose check-in the echo's answers are recorded from


async def mendbot_transcript() -> list[list[Reply]]:
    """What mendbot answers at each step of CHECKIN, recorded from its router on a scratch
    database: the echo says exactly this, so both make the same Bot API calls with the same
    texts and buttons (bigger messages cost the runtime more to send and to read back), and
    the gap between them is mendbot's flows and storage alone."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/transcript.sqlite3")
        try:
            await migrate(engine)
            sessions = session_factory(engine)
            await seed_demo_centre(sessions, "Europe/London", START)
            await seed_clients(sessions, [TRANSCRIPT_USER], START)
            info = bot_info(load_settings(_env_file=None), SANDBOX_BOT_USERNAME)
            router = Router(store_factory(sessions), info, lambda: START)
            return await _record(router)
        finally:
            await engine.dispose()


async def _record(router: Router) -> list[list[Reply]]:
    user, transcript = TRANSCRIPT_USER, []
    last: list[Reply] = []
    for update_id, (how, text, expect) in enumerate(CHECKIN, start=1):
        replies = await router.handle(checkin_event(update_id, user, how, text, last))
        assert replies and any(expect in getattr(r, "text", "") for r in replies), (text, replies)
        transcript.append(replies)
        last = replies
    return transcript


def checkin_event(update_id: int, user: int, how: str, text: str, last: list[Reply]) -> Event:
    """A step of CHECKIN as the router receives it: the command typed, or the button labelled
    `text` pressed on the newest of `last` (the replies to the step before)."""
    if how == "send":
        return Event(update_id, user, user, EventKind.COMMAND, text=text, command=text[1:])
    message, button = button_in(last, text)
    return Event(
        update_id,
        user,
        user,
        EventKind.BUTTON,
        payload=button.data or "",
        callback_id=str(update_id),
        message_id=update_id,
        message_text=message.text,
        button_text=text,
    )


def button_in(replies: list[Reply], label: str) -> tuple[Send | Edit, Button]:
    """The newest message among `replies` with a button labelled `label`, and the button."""
    for reply in reversed(replies):
        if isinstance(reply, Send | Edit):
            for button in (b for row in reply.buttons for b in row if b.text == label):
                return reply, button
    raise AssertionError(f"no button {label!r}")


class EchoInbox:
    """The reference bot behind the same intake as mendbot (handlers/intake.py, same worker and
    concurrency) but with no flows and no database: at each step of a chat it answers what
    mendbot answered at that step (`mendbot_transcript`), the same calls with the same texts
    and buttons. Its inbox is a dict in memory and its chat turn takes no lock: one process,
    nothing shared."""

    def __init__(self, transcript: list[list[Reply]]) -> None:
        self.transcript = transcript
        self.pending: dict[int, Event] = {}
        self.steps: dict[int, int] = {}  # chat id: answers given

    async def receive(self, events: Sequence[Event]) -> list[Event]:
        self.pending.update((e.update_id, e) for e in events)
        return list(events)

    def turn(self, chat_id: int) -> AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

    async def next_due(self, chat_id: int, up_to: int) -> tuple[Event, list[Reply] | None] | None:
        due = [e for n, e in self.pending.items() if e.chat_id == chat_id and n <= up_to]
        return (min(due, key=lambda e: e.update_id), None) if due else None

    async def handle(self, event: Event) -> list[Reply]:
        step = self.steps.get(event.chat_id, 0)
        self.steps[event.chat_id] = step + 1
        replies = self.transcript[step % len(self.transcript)]
        if event.message_id is None:
            return replies
        return [
            replace(r, message_id=event.message_id) if isinstance(r, Edit) else r for r in replies
        ]

    async def answered(self, update_id: int) -> None:
        self.pending.pop(update_id, None)

    async def waiting(self) -> Sequence[tuple[int, int]]:
        return []


Script = Callable[[ChatUser, Run], Awaitable[None]]


async def drive(sandbox: SandboxServer, ids: list[int], person: Script, run: Run) -> None:
    users = [ChatUser(sandbox.base_url, user_id) for user_id in ids]
    try:
        for user in users:
            await user.catch_up()  # answers from an earlier round are not this round's
        started = time.perf_counter()
        await asyncio.gather(*(person(user, run) for user in users))
        run.seconds += time.perf_counter() - started
    finally:
        for user in users:
            await user.aclose()


@asynccontextmanager
async def running_mendbot(
    runtime: str, mode: str, base_url: str, ids: list[int], db: Path
) -> AsyncIterator[None]:
    """mendbot on `runtime`, its clients (one per id) seeded like the demo's Jordan."""
    clock = FakeClock(START)
    bot = MendBot(settings_for(runtime, mode, base_url, db), clock=clock, seed_demo=True)
    await bot.start()
    try:
        await seed_clients(bot.sessions, ids, clock.now())
        yield
    finally:
        await bot.stop()


@asynccontextmanager
async def running_echo(
    runtime: str, mode: str, base_url: str, ids: list[int], db: Path
) -> AsyncIterator[None]:
    """The echo bot on `runtime`, behind the same intake as mendbot."""
    transcript = await mendbot_transcript()
    settings = settings_for(runtime, mode, base_url, db)
    bot = make_runtime(runtime, TOKEN, base_url)
    await bot.initialize()
    intake = Intake(bot, EchoInbox(transcript), concurrency=settings.update_concurrency)
    await intake.start()
    receiving = await receive(bot, intake, settings, base_url)
    try:
        yield
    finally:
        await receiving.stop()
        await intake.stop()
        await bot.close()


Running = Callable[[str, str, str, list[int], Path], AbstractAsyncContextManager[None]]
BOTS: dict[str, tuple[Running, Script]] = {
    "mendbot": (running_mendbot, checkin_person),
    "echo": (running_echo, checkin_person),
}


@asynccontextmanager
async def apart(
    bot: str, runtime: str, mode: str, base_url: str, ids: list[int], db: Path
) -> AsyncIterator[int]:
    """The bot in a process of its own, as in production (Telegram does not run on the bot's
    CPU): this script with --serve. It says "ready" once receiving; closing its stdin stops
    it. Yields its process id."""
    command = [sys.executable, __file__, "--serve", bot, runtime, mode, base_url, str(db)]
    process = await asyncio.create_subprocess_exec(
        *command, ",".join(map(str, ids)), stdin=PIPE, stdout=PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), 120)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the {bot} process did not start")
        yield process.pid
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def serve(bot: str, runtime: str, mode: str, base_url: str, db: str, ids: str) -> None:
    """The --serve side of `apart`."""
    running, _ = BOTS[bot]
    async with running(runtime, mode, base_url, [int(n) for n in ids.split(",")], Path(db)):
        freeze_startup()  # as `mendbot run` does
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


@dataclass
class Served:
    """One bot serving its own sandbox: its crowds of people, and its process (None: in this
    process, --together)."""

    sandbox: SandboxServer
    crowds: list[list[int]]
    pid: int | None


@asynccontextmanager
async def serving(
    bot: str, runtime: str, mode: str, users: int, crowds: int, together: bool
) -> AsyncIterator[Served]:
    """A fresh sandbox with `crowds` crowds of `users` new people, and the bot serving it."""
    running, _ = BOTS[bot]
    demo = bot == "mendbot"
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE] if demo else []
    async with SandboxServer(
        TOKEN, personas=personas, bot_username=SANDBOX_BOT_USERNAME
    ) as sandbox:
        ids = [sandbox.add_visitor(f"Bench{n}") for n in range(users * crowds)]
        people = [ids[n * users : (n + 1) * users] for n in range(crowds)]
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.sqlite3"
            server: AbstractAsyncContextManager[int | None]
            if together:
                server = running(runtime, mode, sandbox.base_url, ids, db)
            else:
                server = apart(bot, runtime, mode, sandbox.base_url, ids, db)
            async with server as pid:
                yield Served(sandbox, people, pid)
        # aiohttp's handler cache keeps the stopped sandbox alive: 700 MB of old rows by the
        # 50-people rows, whose collections held up people and sandbox (p99 of 2-3 s)
        sandbox.forget_records()


async def crowd_of(served: Served, n: int, run: Run) -> None:
    """Crowd `n` checks in; its latencies and the bot process's CPU meanwhile go to `run`."""
    _, script = BOTS[run.bot]
    started = cpu_seconds(served.pid) if served.pid else 0.0
    await drive(served.sandbox, served.crowds[n], script, run)
    run.cpu += cpu_seconds(served.pid) - started if served.pid else 0.0


async def bench(
    bot: str, runtime: str, mode: str, users: int, rounds: int, warmup: int, together: bool
) -> Run:
    """One row: a fresh sandbox, the bot, `warmup` crowds of `users` new people each that are
    not counted (a process's first statements, imports and caches), then `rounds` crowds that
    are: their latencies, and the bot process's CPU time while they checked in."""
    run = Run(bot, runtime, mode)
    async with serving(bot, runtime, mode, users, warmup + rounds, together) as served:
        for n in range(warmup):
            await crowd_of(served, n, Run(bot, runtime, mode))
        for n in range(warmup, warmup + rounds):
            await crowd_of(served, n, run)
    return run


async def bench_interleaved(
    order: Sequence[str], runtime: str, mode: str, users: int, rounds: int, warmup: int
) -> dict[str, Run]:
    """One pair of rows with both bots serving at once, each in its process with its own
    sandbox, their crowds taking turns (one bot's crowd, then the other's, round by round):
    the machine's drift over a row, a fifth within minutes, falls on both bots alike. Only one
    bot has people at a time; the other waits for updates."""
    runs = {bot: Run(bot, runtime, mode) for bot in order}
    async with contextlib.AsyncExitStack() as stack:
        served = {
            bot: await stack.enter_async_context(
                serving(bot, runtime, mode, users, warmup + rounds, together=False)
            )
            for bot in order
        }
        for n in range(warmup + rounds):
            for bot in order:
                counted = runs[bot] if n >= warmup else Run(bot, runtime, mode)
                await crowd_of(served[bot], n, counted)
    return runs


async def receive(
    bot: Runtime, intake: Intake, settings: Settings, base_url: str
) -> Poller | WebhookEndpoint:
    """Updates in as mendbot receives them (bot/app.py `_receive`)."""
    webhook = webhook_config(settings)
    if webhook is not None:
        endpoint = WebhookEndpoint(webhook, intake.accept, lambda: intake.busy)
        await endpoint.start()
        await bot.set_webhook(webhook.url, webhook.secret, ALLOWED_UPDATES)
        return endpoint
    await bot.delete_webhook()
    poller = Poller(base_url, TOKEN, intake.accept, ALLOWED_UPDATES, lambda: intake.busy)
    poller.start()
    return poller


RUNTIMES = ("ptb", "aiogram")
MODES = ("polling", "webhook")


async def main(
    crowds: list[int],
    checkins: int,
    least: int,
    warmup: int,
    together: bool,
    pairs: int,
    runtimes: Sequence[str] = RUNTIMES,
    modes: Sequence[str] = MODES,
    interleave: bool = False,
) -> None:
    where = "all in one process" if together else "each bot in a process of its own"
    if interleave:
        where += ", both serving at once, their crowds taking turns"
    print(
        f"about {checkins} check-ins per row (at least {least} crowds), {len(CHECKIN)} updates"
        f" each, after {warmup} crowd(s) not counted, SQLite, {where}, {pairs} pair(s) of rows"
    )
    print("| people | bot | runtime | mode | updates | updates/s | p50 ms | p99 ms | CPU ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios: list[str] = []
    for users in crowds:
        rounds = max(least, -(-checkins // users))
        for runtime in runtimes:
            for mode in modes:
                compared = []
                for pair in range(pairs):
                    order = PAIR_ORDERS[pair % 2]
                    if interleave:
                        runs = await bench_interleaved(order, runtime, mode, users, rounds, warmup)
                    else:
                        runs = {
                            bot: await bench(bot, runtime, mode, users, rounds, warmup, together)
                            for bot in order
                        }
                    for bot in order:
                        print(f"| {users} {runs[bot].row()}", flush=True)
                    compared.append(runs["mendbot"].against(runs["echo"]))
                ratios.append(f"| {users} | {runtime} | {mode} | {summary(compared)} |")
    print(
        "\nmendbot against the echo in the same run (goals: >= 70 % of its updates/s, p50 <= 1.5x)"
        + (f"; median of {pairs} pairs (lowest-highest)" if pairs > 1 else "")
    )
    print("| people | runtime | mode | updates/s | p50 |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(ratios))


# Pairs alternate which bot goes first, so that the machine's drift over a pair (it slows down
# or speeds up by a fifth within minutes) leans on neither bot.
PAIR_ORDERS = (("echo", "mendbot"), ("mendbot", "echo"))


def summary(compared: Sequence[tuple[float, float]]) -> str:
    """Updates/s share and p50 multiple: one pair's, or the median of several with their range
    (each pair's ratio first, then the median: a slow minute affects both rows of its pair)."""
    shares = [share for share, _ in compared]
    multiples = [multiple for _, multiple in compared]
    if len(compared) == 1:
        return f"{shares[0]:.0%} | {multiples[0]:.2f}x"
    share = f"{statistics.median(shares):.0%} ({min(shares):.0%}-{max(shares):.0%})"
    multiple = f"{statistics.median(multiples):.2f}x ({min(multiples):.2f}-{max(multiples):.2f})"
    return f"{share} | {multiple}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--checkins", type=int, default=150, help="counted per row, about")
    parser.add_argument("--rounds", type=int, default=3, help="counted crowds per row, at least")
    parser.add_argument("--warmup", type=int, default=1, help="crowds first, not counted")
    parser.add_argument(
        "--pairs", type=int, default=1, help="echo and mendbot rows per setting, alternating"
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="run each bot in this process, beside the sandbox and the people (the old way)",
    )
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="both bots of a pair serve at once, their crowds taking turns (not with --together)",
    )
    parser.add_argument("--runtimes", nargs="+", choices=RUNTIMES, default=RUNTIMES)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=MODES)
    parser.add_argument("--serve", nargs=6, help=argparse.SUPPRESS)  # see `apart`
    args = parser.parse_args()
    if args.interleave and args.together:
        parser.error("--interleave runs each bot in a process of its own: not with --together")
    logging.basicConfig(level=logging.ERROR)
    if args.serve:
        asyncio.run(serve(*args.serve))
    else:
        asyncio.run(
            main(
                args.users,
                args.checkins,
                args.rounds,
                args.warmup,
                args.together,
                args.pairs,
                args.runtimes,
                args.modes,
                args.interleave,
            )
        )
