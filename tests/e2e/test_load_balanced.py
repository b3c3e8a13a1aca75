"""Three bot processes behind nginx on one PostgreSQL, one of them killed -9 mid-burst.

The sandbox delivers webhooks as Telegram does (up to 40 requests at once, one chat's updates
one at a time and in order, retries on anything but 2xx) to nginx, which passes them to the
three processes in turn, so one chat's updates land on different processes. 100 clients each
type a whole daily check-in (10 updates: 1,000 in all) at once; 10 of them answer so that an
urgent alert goes to their trainer; 30 other clients' reminders fall due meanwhile. Once a
quarter of the burst is answered and no reminder or alert is on its way (the known limits below
would make the count of those depend on the moment), one process is killed (SIGKILL) and
started again.

Then every chat's answers equal, in order, those of a reference client who typed the same
check-in one message at a time (before the burst), so nothing is answered out of order, twice
or not at all; a reply that was on its way at the kill may show twice, right after itself:
one per chat the killed process was handling, so at most UPDATE_CONCURRENCY (README "Known
limits"). Each reminder and each alert arrives once, each check-in
is saved and each update id handled. Needs PostgreSQL (MENDBOT_TEST_POSTGRES_URL) and nginx;
skipped, saying which is missing, without them. Without the chat turns (handlers/intake.py)
answers came out of order ("Please tap one of the buttons below" to an answer handled before
the question it answers).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.sandbox.server import SandboxServer
from flows.engine.texts import t
from storage.db import make_engine, session_factory
from storage.models import Alert, Checkin, Outbox, OutboxStatus, ProcessedUpdate
from tests.conftest import postgres_admin_url

from .balancer import BotPool, Nginx, nginx_binary
from .burst import DUE, TOKEN, until
from .conftest import ALL_SETUPS_ENV, WEBHOOK, BotSetup
from .crowd import PLAIN, REFERENCE, Crowd, answers

# Webhook mode only, on one runtime: what it tests (handlers/intake.py, handlers/webhook.py) is
# the same on both, and two runs side by side (xdist starts slow tests first) would each start
# four processes on the same cores. A longer run (MENDBOT_E2E_ALL_SETUPS=1) takes both.
SETUPS = WEBHOOK if os.environ.get(ALL_SETUPS_ENV) == "1" else WEBHOOK[:1]
pytestmark = [pytest.mark.slow, pytest.mark.transport, pytest.mark.setups(*SETUPS)]

PROCESSES = 3
# 100 chats of 10 updates, 10 of them raising an alert; 30 reminders due meanwhile
CROWD = Crowd(chats=100, alerting=10, reminded=30)
CONCURRENCY = 4  # chats each process handles at once: the most replies a kill can catch going out


def answered(sandbox: SandboxServer, chats: set[int]) -> int:
    """Messages the bot sent to `chats` so far (cheaper than reading every chat's history,
    which the waits below do often, in the sandbox's own event loop)."""
    return sum(
        1
        for call in sandbox.calls
        if call.method == "sendMessage" and call.status == 200 and _chat(call.params) in chats
    )


def _chat(params: dict[str, Any]) -> int | None:
    try:
        return int(params.get("chat_id", ""))
    except ValueError:
        return None


async def type_one_at_a_time(sandbox: SandboxServer, chat_id: int, script: Sequence[str]) -> None:
    """The reference: each message sent once the answer to the one before has arrived."""
    for text in script:
        wanted = len(answers(sandbox, chat_id)) + 1
        sandbox.user_sends(chat_id, text)
        await until(partial(_has, sandbox, chat_id, wanted), 30)
        await asyncio.sleep(0.1)  # anything more it answers shows before the next message


def _has(sandbox: SandboxServer, chat_id: int, wanted: int) -> bool:
    return len(answers(sandbox, chat_id)) >= wanted


def resent(got: list[str], expected: list[str]) -> int | None:
    """0 if `got` is `expected`; the number of messages repeated if it is `expected` with one
    run of messages sent twice in a row (a reply on its way at the kill); None otherwise."""
    if got == expected:
        return 0
    start = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), None)
    start = len(expected) if start is None else start
    for length in range(1, 4):
        copy = got[start : start + length]
        twice = start >= length and copy == got[start - length : start]
        if twice and got[:start] + got[start + length :] == expected:
            return length
    return None


async def outbox_idle(db_url: str) -> bool:
    """Nothing due in the outbox: no reminder or alert can be on its way to the sandbox."""
    waiting = await count(db_url, select(Outbox.id).where(col(Outbox.status) != OutboxStatus.SENT))
    return not waiting


async def count(db_url: str, query: Any) -> Counter[Any]:
    engine = make_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return Counter((await session.exec(query)).all())
    finally:
        await engine.dispose()


needs_postgres_and_nginx = pytest.mark.skipif(
    postgres_admin_url() is None or nginx_binary() is None,
    reason="waits for PostgreSQL (MENDBOT_TEST_POSTGRES_URL, which `make test-pg` and .ci/run "
    "set) and nginx (.ci/run installs it with apt-get)",
)


@needs_postgres_and_nginx
async def test_three_processes_behind_nginx_answer_each_chat_once_in_order(
    setup: BotSetup, db_url: str, tmp_path: Path
) -> None:
    await CROWD.seed(db_url)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "BOT_RUNTIME": setup.runtime,
        "SEND_RATE_PER_SECOND": "100",
        "OUTBOX_INTERVAL_SECONDS": "0.2",
        "PLAN_INTERVAL_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "UPDATE_CONCURRENCY": str(CONCURRENCY),
    }
    async with SandboxServer(TOKEN, port=0, personas=CROWD.personas()) as sandbox:
        pool = BotPool(sandbox, db_url, tmp_path, PROCESSES, env, DUE + timedelta(seconds=1))
        async with Nginx(tmp_path / "nginx", pool.ports) as nginx:
            pool.url = nginx.url
            try:
                await run(sandbox, pool, db_url)
            except AssertionError as failure:
                raise AssertionError(f"{failure}\n{pool.logs()}") from None
            finally:
                await pool.stop()
        await check(sandbox, db_url)


async def waiting_for(what: str, condition: Callable[[], bool], seconds: float) -> None:
    if not await settled(condition, seconds):
        raise AssertionError(f"timed out waiting for {what}")


async def settled(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` came true within `seconds` (checked five times a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def run(sandbox: SandboxServer, pool: BotPool, db_url: str) -> None:
    """Start the pool, let the reference clients type, send the burst, kill and restart one
    process, and wait for every answer, reminder and alert."""
    for n in range(PROCESSES):
        pool.start(n)
    for n in range(PROCESSES):
        await pool.ready(n)
    await asyncio.gather(
        *(type_one_at_a_time(sandbox, chat_id, script) for script, chat_id in REFERENCE.items())
    )
    per_script = {script: len(answers(sandbox, chat)) for script, chat in REFERENCE.items()}
    expected = sum(per_script[CROWD.script_of(n)] for n in range(CROWD.chats))
    chats = CROWD.chat_ids()
    await CROWD.remind_now(db_url)
    for step in range(len(PLAIN)):  # all at once: the chats' first messages, then second...
        for n, chat_id in enumerate(chats):
            sandbox.user_sends(chat_id, CROWD.script_of(n)[step])
    done = partial(answered, sandbox, set(chats))
    # generous bounds: they only end a failing run; a busy machine can be very slow
    await waiting_for("a quarter of the answers", lambda: done() >= expected // 4, 180)
    reminded = partial(answered, sandbox, set(CROWD.reminded_ids()))
    await waiting_for("the reminders", lambda: reminded() >= CROWD.reminded, 60)
    for _ in range(500):  # reminders and alerts: none may be mid-send at the kill
        if await outbox_idle(db_url):
            break
        await asyncio.sleep(0.02)
    at_kill = done()
    await pool.kill(1)
    pool.start(1)
    await pool.ready(1)
    # what is missing then is told by `check`, chat by chat
    await settled(lambda: done() >= expected, 240)
    trainers = len(CROWD.alerted_trainers())
    alerted = partial(answered, sandbox, set(CROWD.alerted_trainers()))
    await settled(lambda: alerted() >= trainers, 30)
    await asyncio.sleep(1.0)  # anything doubled shows by now
    assert at_kill < expected * 3 // 4, "the kill came near the end: little was tested"


def reminders(sandbox: SandboxServer) -> Counter[int]:
    text = t("reminder", "en", name="R")
    chats = CROWD.reminded_ids()
    return Counter(chat for chat in chats for a in answers(sandbox, chat) if a.startswith(text))


def alerts(sandbox: SandboxServer) -> Counter[int]:
    """Bot messages to each alerting client's own trainer (nothing else goes to them)."""
    return Counter(chat for chat in CROWD.alerted_trainers() for _ in answers(sandbox, chat))


def differ(chat_id: int, got: list[str], wanted: list[str]) -> str:
    at = next((i for i, (a, b) in enumerate(zip(got, wanted, strict=False)) if a != b), None)
    at = min(len(got), len(wanted)) if at is None else at
    return (
        f"chat {chat_id}: {len(got)} answers, {len(wanted)} wanted; from answer {at} on:\n"
        f"got {[a[:50] for a in got[at : at + 4]]}\nwanted {[a[:50] for a in wanted[at : at + 4]]}"
    )


async def check(sandbox: SandboxServer, db_url: str) -> None:
    reference = {script: answers(sandbox, chat) for script, chat in REFERENCE.items()}
    assert len(reference[PLAIN]) >= len(PLAIN), reference
    assert t("ci_bad_score", "en") not in reference[PLAIN]  # the reference itself went right
    repeats = {}
    for n, chat_id in enumerate(CROWD.chat_ids()):
        got, wanted = answers(sandbox, chat_id), reference[CROWD.script_of(n)]
        repeat = resent(got, wanted)
        assert repeat is not None, differ(chat_id, got, wanted)
        if repeat:
            repeats[chat_id] = repeat
    assert len(repeats) <= CONCURRENCY, f"more than the replies on their way came twice: {repeats}"
    assert sorted(reminders(sandbox).values()) == [1] * CROWD.reminded
    trainers = len(CROWD.alerted_trainers())
    assert sorted(alerts(sandbox).values()) == [1] * trainers
    done = await count(db_url, select(Checkin.status))
    assert done == Counter({"done": CROWD.chats + len(REFERENCE)})
    raised = await count(db_url, select(Alert.client_id))
    assert sorted(raised.values()) == [1] * trainers
    handled = await count(db_url, select(ProcessedUpdate.update_id))
    assert len(handled) == CROWD.chats * len(PLAIN) + sum(map(len, REFERENCE))
