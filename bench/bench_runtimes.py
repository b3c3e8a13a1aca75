"""mendbot on python-telegram-bot and on aiogram, long polling and webhook, side by side.

Each row runs the same script against a fresh sandbox: USERS clients check in at the same time, each
the whole daily check-in (13 updates: /checkin, pain, three exercises, ... "Skip"), for ROUNDS days.
Latency is from a person's action (send or button press) to the bot's answer showing in their chat;
throughput is all updates over the wall time of the run. The echo rows are the reference: a bare
bot on the same runtime adapter answering each of the same 13 steps typed as text, with no flows
and no database, so the gap to them is mendbot's own cost.

    .venv/bin/python bench/bench_runtimes.py [--users 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.app import SANDBOX_BOT_USERNAME, MendBot, make_runtime, webhook_config
from bot.clock import FakeClock
from bot.demo import DEMO_PEOPLE, TRAINER, seed_demo_program
from bot.sandbox.driver import ChatUser, Message
from bot.sandbox.server import Persona, SandboxServer
from bot.settings import Settings, load_settings
from flows.engine.core import Event, EventKind, Menu, Reply, Send, Toast
from storage.db import SessionFactory
from storage.models import Clearance, ClientProfile, Person, Role
from storage.repo import Store

TOKEN = "424242:bench-sandbox-token"
SECRET = "bench_webhook_secret"
Step = tuple[float, Message]
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

    def row(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50 = statistics.median(ms)
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        rate = len(ms) / self.seconds
        cells = (
            self.bot,
            self.runtime,
            self.mode,
            len(ms),
            f"{rate:.0f}",
            f"{p50:.1f}",
            f"{p99:.1f}",
        )
        return "| " + " | ".join(map(str, cells)) + " |"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def settings_for(runtime: str, mode: str, sandbox: SandboxServer, db: Path) -> Settings:
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
        telegram_api_base_url=sandbox.base_url,
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


async def act(user: ChatUser, how: str, text: str, expect: str, last: Message | None) -> Step:
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
    answer = await user.wait_for(contains=expect, timeout=30)
    return time.perf_counter() - started, answer


async def checkin_person(user: ChatUser, run: Run) -> None:
    last = None
    for how, text, expect in CHECKIN:
        seconds, last = await act(user, how, text, expect, last)
        run.latencies.append(seconds)


async def echo_person(user: ChatUser, run: Run) -> None:
    for _, text, _ in CHECKIN:
        seconds, _answer = await act(user, "send", text, f"echo {text}", None)
        run.latencies.append(seconds)


async def echo(event: Event) -> list[Reply]:
    """The reference bot: answers every message with its text, nothing else."""
    if event.kind == EventKind.BUTTON:
        return [Toast(), Send(f"echo {event.payload}")]
    return [Send(f"echo {event.text}")]


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


async def bench_mendbot(runtime: str, mode: str, users: int, rounds: int) -> Run:
    run = Run("mendbot", runtime, mode)
    personas = [Persona(p.user_id, p.name, p.label) for p in DEMO_PEOPLE]
    async with SandboxServer(
        TOKEN, personas=personas, bot_username=SANDBOX_BOT_USERNAME
    ) as sandbox:
        ids = [sandbox.add_visitor(f"Bench{n}") for n in range(users)]
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(START)
            settings = settings_for(runtime, mode, sandbox, Path(tmp) / "bench.sqlite3")
            bot = MendBot(settings, clock=clock, seed_demo=True)
            await bot.start()
            try:
                await seed_clients(bot.sessions, ids, clock.now())
                for _ in range(rounds):
                    await drive(sandbox, ids, checkin_person, run)
                    clock.advance(timedelta(days=1))
            finally:
                await bot.stop()
    return run


async def bench_echo(runtime: str, mode: str, users: int, rounds: int) -> Run:
    run = Run("echo", runtime, mode)
    async with SandboxServer(TOKEN, bot_username=SANDBOX_BOT_USERNAME) as sandbox:
        ids = [sandbox.add_visitor(f"Echo{n}") for n in range(users)]
        settings = settings_for(runtime, mode, sandbox, Path("unused.sqlite3"))
        bot = make_runtime(runtime, TOKEN, sandbox.base_url, webhook_config(settings))
        await bot.initialize()
        await bot.start(echo, Menu((("help", "Help"),)))
        try:
            for _ in range(rounds):
                await drive(sandbox, ids, echo_person, run)
        finally:
            await bot.stop()
    return run


async def main(users: int, rounds: int) -> None:
    print(f"{users} people at once, {rounds} check-ins each ({len(CHECKIN)} updates per check-in)")
    print("| bot | runtime | mode | updates | updates/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for runtime in ("ptb", "aiogram"):
        for mode in ("polling", "webhook"):
            for bench in (bench_echo, bench_mendbot):
                run = await bench(runtime, mode, users, rounds)
                print(run.row(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(args.users, args.rounds))
