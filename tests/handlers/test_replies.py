"""Performing replies: the toast beside the chat's calls, those in order, no edit that changes
nothing."""

from __future__ import annotations

import asyncio

import pytest

from flows.engine.core import Button, Edit, Event, EventKind, Reply, Send, Toast, key_of, keyboard
from handlers.replies import perform, unchanged

BUTTONS = keyboard([Button("Yes", data="y"), Button("No", data="n")])
PRESS = Event(
    1,
    10,
    10,
    EventKind.BUTTON,
    payload="y",
    callback_id="cb",
    message_id=5,
    message_text="Did you sleep?",
    message_keyboard=key_of(BUTTONS),
)


def never_refused(reply: Reply, exc: Exception) -> bool:
    return False


async def test_the_toast_goes_while_the_chats_calls_are_made() -> None:
    toast_started = asyncio.Event()
    calls: list[str] = []

    async def send_one(event: Event, reply: Reply) -> None:
        calls.append(type(reply).__name__)
        if isinstance(reply, Toast):
            toast_started.set()
            await asyncio.sleep(0.05)  # a slow answerCallbackQuery
        else:
            async with asyncio.timeout(1):  # one after the other would wait here for ever
                await toast_started.wait()

    replies: list[Reply] = [Toast(), Edit(5, "Did you sleep?\n\n» Yes"), Send("How was your pain?")]
    await perform(PRESS, replies, send_one, never_refused)
    assert sorted(calls) == ["Edit", "Send", "Toast"]


async def test_the_chats_calls_keep_their_order() -> None:
    calls: list[Reply] = []

    async def send_one(event: Event, reply: Reply) -> None:
        await asyncio.sleep(0.01 if isinstance(reply, Edit) else 0)
        calls.append(reply)

    replies: list[Reply] = [Edit(5, "changed"), Send("one"), Send("two")]
    await perform(PRESS, [Toast(), *replies], send_one, never_refused)
    assert [r for r in calls if not isinstance(r, Toast)] == replies


async def test_an_edit_to_what_the_message_shows_is_not_made() -> None:
    calls: list[Reply] = []

    async def send_one(event: Event, reply: Reply) -> None:
        calls.append(reply)

    same = Edit(5, "Did you sleep?", BUTTONS)
    other_text = Edit(5, "Did you sleep? » Yes", BUTTONS)
    other_buttons = Edit(5, "Did you sleep?")
    other_message = Edit(6, "Did you sleep?", BUTTONS)
    await perform(PRESS, [same, other_text, other_buttons, other_message], send_one, never_refused)
    assert calls == [other_text, other_buttons, other_message]


def test_only_an_edit_of_the_pressed_message_can_be_unchanged() -> None:
    typed = Event(2, 10, 10, EventKind.TEXT, text="Did you sleep?")
    assert not unchanged(typed, Edit(5, ""))
    assert not unchanged(PRESS, Send("Did you sleep?", BUTTONS))
    assert unchanged(PRESS, Edit(5, "Did you sleep?", BUTTONS))


async def test_a_refused_call_does_not_stop_the_others() -> None:
    calls: list[str] = []

    async def send_one(event: Event, reply: Reply) -> None:
        if isinstance(reply, Toast):
            raise ValueError("query is too old")
        calls.append(type(reply).__name__)

    await perform(PRESS, [Toast(), Edit(5, "x"), Send("y")], send_one, lambda r, e: True)
    assert calls == ["Edit", "Send"]


async def test_an_error_nobody_expects_reaches_the_caller() -> None:
    async def send_one(event: Event, reply: Reply) -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await perform(PRESS, [Send("y")], send_one, never_refused)
