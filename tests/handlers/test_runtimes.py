"""Both runtimes under load: a reply waits for a free connection to Telegram, it is never
dropped because all of them are busy."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import make_runtime
from bot.sandbox.server import SandboxServer
from flows.engine.core import Event, EventKind, Send
from handlers import ptb

TOKEN = "123456:runtime-test-token"
HOLD = 1.5  # longer than python-telegram-bot's default wait for a pooled connection (1 s)


@pytest.mark.parametrize("name", ["ptb", "aiogram"])
async def test_more_replies_at_once_than_connections_all_arrive(name: str) -> None:
    """Telegram answering slowly while more chats are answered than there are connections:
    the replies beyond the pool queue for a connection. With python-telegram-bot's default
    pool timeout they failed after a second ("Request was *not* sent") and were logged and
    lost, which the 50-people bench met as a check-in that never got its next question."""
    async with SandboxServer(TOKEN) as sandbox:
        chats = [sandbox.add_visitor(f"Visitor{n}") for n in range(ptb.CONNECTIONS + 4)]
        for chat in chats:
            sandbox.user_sends(chat, "hi")  # they wrote first: the bot may answer
        runtime = make_runtime(name, TOKEN, sandbox.base_url)
        await runtime.initialize()
        sandbox.inject_fault_rate(1.0, ["late"], methods=["sendMessage"], hold_seconds=HOLD)
        try:
            await asyncio.gather(
                *(
                    runtime.send(
                        Event(n, chat, chat, EventKind.TEXT, text="hi"), [Send(f"Hello {n}")]
                    )
                    for n, chat in enumerate(chats, start=1)
                )
            )
        finally:
            await runtime.close()
        sent = [c for c in sandbox.calls if c.method == "sendMessage"]
        texts = {m.get("text", "") for chat in chats for m in sandbox.history(chat)}
    assert [c.status for c in sent] == [200] * len(chats)
    assert {f"Hello {n}" for n in range(1, len(chats) + 1)} <= texts


@pytest.mark.parametrize("name", ["ptb", "aiogram"])
@pytest.mark.parametrize("status", [429, 500])
async def test_a_reply_telegram_did_not_take_is_sent_again(name: str, status: int) -> None:
    """A 429 (flood control: retry after a second) or a 500 answered the next question: it
    was logged and dropped, and the person waited for a question that never came."""
    async with SandboxServer(TOKEN) as sandbox:
        chat = sandbox.add_visitor("Visitor")
        sandbox.user_sends(chat, "hi")
        runtime = make_runtime(name, TOKEN, sandbox.base_url)
        await runtime.initialize()
        sandbox.inject_faults(status, 1, retry_after=1)
        try:
            await runtime.send(Event(1, chat, chat, EventKind.TEXT, text="hi"), [Send("Hello")])
        finally:
            await runtime.close()
        sent = [c.status for c in sandbox.calls if c.method == "sendMessage"]
        texts = [m.get("text", "") for m in sandbox.history(chat)]
    assert sent == [status, 200]
    assert texts.count("Hello") == 1
