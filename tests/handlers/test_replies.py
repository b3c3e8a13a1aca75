"""Performing replies: the toast beside the chat's calls, those in order, no edit that changes
nothing."""

from __future__ import annotations

import asyncio

import pytest

from flows.engine.core import Button, Edit, Event, EventKind, Reply, Send, Toast, key_of, keyboard
from handlers.replies import PATIENCE, perform, unchanged

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


def never_again(exc: Exception, attempt: int, repeatable: bool) -> float | None:
    return None


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
    await perform(PRESS, replies, send_one, never_refused, never_again)
    assert sorted(calls) == ["Edit", "Send", "Toast"]


async def test_the_chats_calls_keep_their_order() -> None:
    calls: list[Reply] = []

    async def send_one(event: Event, reply: Reply) -> None:
        await asyncio.sleep(0.01 if isinstance(reply, Edit) else 0)
        calls.append(reply)

    replies: list[Reply] = [Edit(5, "changed"), Send("one"), Send("two")]
    await perform(PRESS, [Toast(), *replies], send_one, never_refused, never_again)
    assert [r for r in calls if not isinstance(r, Toast)] == replies


async def test_an_edit_to_what_the_message_shows_is_not_made() -> None:
    calls: list[Reply] = []

    async def send_one(event: Event, reply: Reply) -> None:
        calls.append(reply)

    same = Edit(5, "Did you sleep?", BUTTONS)
    other_text = Edit(5, "Did you sleep? » Yes", BUTTONS)
    other_buttons = Edit(5, "Did you sleep?")
    other_message = Edit(6, "Did you sleep?", BUTTONS)
    everything = [same, other_text, other_buttons, other_message]
    await perform(PRESS, everything, send_one, never_refused, never_again)
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

    await perform(
        PRESS, [Toast(), Edit(5, "x"), Send("y")], send_one, lambda r, e: True, never_again
    )
    assert calls == ["Edit", "Send"]


async def test_an_error_nobody_expects_reaches_the_caller() -> None:
    async def send_one(event: Event, reply: Reply) -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await perform(PRESS, [Send("y")], send_one, never_refused, never_again)


class NotTaken(Exception):
    """Telegram did not take the call (a 429 or a 5xx)."""


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits asked of asyncio.sleep, which returns at once."""
    asked: list[float] = []

    async def no_wait(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    return asked


async def test_a_call_telegram_did_not_take_is_made_again_and_the_order_holds(
    waits: list[float],
) -> None:
    """Dropped, a reply left the person without their next question."""
    calls: list[str] = []
    failures = {"one": 2}

    async def send_one(event: Event, reply: Reply) -> None:
        assert isinstance(reply, Send)
        if failures.get(reply.text, 0):
            failures[reply.text] -= 1
            raise NotTaken
        calls.append(reply.text)

    def again(exc: Exception, attempt: int, repeatable: bool) -> float | None:
        return 1.5 * attempt if isinstance(exc, NotTaken) else None

    await perform(PRESS, [Send("one"), Send("two")], send_one, never_refused, again)
    assert calls == ["one", "two"] and waits == [1.5, 3.0]


async def test_a_reply_waits_no_longer_than_its_patience_then_is_given_up(
    waits: list[float],
) -> None:
    given_up: list[Exception] = []

    async def send_one(event: Event, reply: Reply) -> None:
        raise NotTaken

    def refused(reply: Reply, exc: Exception) -> bool:
        given_up.append(exc)
        return True

    await perform(PRESS, [Send("one")], send_one, refused, lambda exc, attempt, repeatable: 10.0)
    assert waits == [10.0] * int(PATIENCE // 10) and len(given_up) == 1


class MayHaveArrived(Exception):
    """The call timed out: Telegram may have performed it."""


async def test_after_a_timeout_only_an_edit_is_made_again(waits: list[float]) -> None:
    """A second edit to the same text is "not modified" (nothing shows twice), so a timed-out
    one is made again; a timed-out message is not: it would show twice."""
    calls: list[str] = []
    timed_out: set[str] = set()

    async def send_one(event: Event, reply: Reply) -> None:
        name = type(reply).__name__
        calls.append(name)
        if name not in timed_out:
            timed_out.add(name)
            raise MayHaveArrived

    def again(exc: Exception, attempt: int, repeatable: bool) -> float | None:
        return 0.5 if repeatable else None

    def refused(reply: Reply, exc: Exception) -> bool:
        return isinstance(exc, MayHaveArrived)

    await perform(PRESS, [Edit(5, "Did you sleep? » yes"), Send("next")], send_one, refused, again)
    assert calls == ["Edit", "Edit", "Send"] and waits == [0.5]
