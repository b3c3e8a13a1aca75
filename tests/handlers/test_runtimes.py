"""Both runtimes against a slow or failing Telegram: a reply waits for a free connection, one
Telegram did not take is made again, and an edit whose answer timed out is made again without
showing twice."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import make_runtime
from bot.sandbox.server import SandboxServer
from flows.engine.core import Edit, Event, EventKind, Send
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


@pytest.mark.parametrize("name", ["ptb", "aiogram"])
async def test_an_edit_whose_answer_timed_out_is_made_again_and_shows_once(name: str) -> None:
    """Telegram performed the edit but its answer came after the read timeout ("it may have
    arrived"): it used to be given up, leaving the question as if unanswered if it had not
    arrived. Made again it is "not modified" when it had, and the next question still goes."""
    async with SandboxServer(TOKEN) as sandbox:
        chat = sandbox.add_visitor("Visitor")
        sandbox.user_sends(chat, "hi")
        runtime = make_runtime(name, TOKEN, sandbox.base_url)
        await runtime.initialize()
        hold = 6.0  # past python-telegram-bot's default read timeout (5 s)
        if name == "aiogram":
            runtime.bot.session.timeout = 1  # type: ignore[attr-defined]  # 60 s by default
            hold = 2.0
        try:
            hello = Event(1, chat, chat, EventKind.TEXT, text="hi")
            await runtime.send(hello, [Send("Did you sleep?")])
            asked = sandbox.history(chat)[-1]["message_id"]
            sandbox.inject_fault_rate(1.0, ["late"], methods=["editMessageText"], hold_seconds=hold)

            async def once() -> None:  # the first edit is late, the next ones are not
                for _ in range(int(hold * 100)):  # it comes at once; held for `hold` at most
                    if any(c.fault == "late" for c in sandbox.calls):
                        break
                    await asyncio.sleep(0.01)
                sandbox.inject_fault_rate(0.0)

            disarm = asyncio.ensure_future(once())
            answer = Event(2, chat, chat, EventKind.TEXT, text="yes")
            await runtime.send(answer, [Edit(asked, "Did you sleep? » yes"), Send("Next")])
            await disarm
        finally:
            await runtime.close()
        edits = [(c.status, c.fault) for c in sandbox.calls if c.method == "editMessageText"]
        texts = [m.get("text", "") for m in sandbox.history(chat)]
    assert edits == [(200, "late"), (400, None)]  # the second: "message is not modified"
    assert texts == ["hi", "Did you sleep? » yes", "Next"]


@pytest.mark.parametrize("name", ["ptb", "aiogram"])
async def test_a_call_telegram_refused_is_not_made_again(name: str) -> None:
    """A 400 (here: the message to edit is gone) is an answer, not a hiccup. On
    python-telegram-bot, whose BadRequest is a NetworkError, it was made again for half a
    minute, holding the chat's next updates that long."""
    async with SandboxServer(TOKEN) as sandbox:
        chat = sandbox.add_visitor("Visitor")
        sandbox.user_sends(chat, "hi")
        runtime = make_runtime(name, TOKEN, sandbox.base_url)
        await runtime.initialize()
        try:
            answer = Event(1, chat, chat, EventKind.TEXT, text="yes")
            await runtime.send(answer, [Edit(999_999, "gone"), Send("Next")])
        finally:
            await runtime.close()
        edits = [c.status for c in sandbox.calls if c.method == "editMessageText"]
        texts = [m.get("text", "") for m in sandbox.history(chat)]
    assert edits == [400]
    assert texts == ["hi", "Next"]
