"""Both runtimes turn the same Telegram update into the same Event (or both ignore it)."""

from __future__ import annotations

from typing import Any

import pytest

from flows.engine.core import Button, ContactRequest, Event, EventKind, Send, keyboard
from handlers import aiogram3, ptb

TOKEN = "123:parity"
USER = {"id": 7, "is_bot": False, "first_name": "Vera"}
PRIVATE = {"id": 7, "type": "private", "first_name": "Vera"}
GROUP = {"id": -100, "type": "group", "title": "Physio"}


def message(chat: dict[str, Any] = PRIVATE, **fields: Any) -> dict[str, Any]:
    return {"message_id": 5, "date": 1, "chat": chat, "from": USER, **fields}


BUTTONS = {"inline_keyboard": [[{"text": "Yes", "callback_data": "~1:yes"}]]}
UPDATES = {
    "text": {"message": message(text="knee op")},
    "command": {"message": message(text="/Start@mendbot_bot  abc ")},
    "contact": {"message": message(contact={"phone_number": "+441234", "first_name": "Vera"})},
    "own contact": {
        "message": message(contact={"phone_number": "+4412", "first_name": "V", "user_id": 7})
    },
    "someone else's contact": {
        "message": message(contact={"phone_number": "+4499", "first_name": "X", "user_id": 8})
    },
    "command for another bot": {"message": message(text="/checkin@other_bot")},
    "command for us by name": {"message": message(text="/checkin@MendBot_Bot")},
    "sticker-like": {"message": message(location={"latitude": 1.0, "longitude": 2.0})},
    "group": {"message": message(GROUP, text="hi")},
    "button": {
        "callback_query": {
            "id": "q1",
            "from": USER,
            "chat_instance": "c",
            "data": "~1:yes",
            "message": message(text="Is that okay?", reply_markup=BUTTONS),
        }
    },
    "button-on-old-message": {
        "callback_query": {
            "id": "q2",
            "from": USER,
            "chat_instance": "c",
            "data": "x",
            "message": {"message_id": 5, "date": 0, "chat": PRIVATE},
        }
    },
}


def runtimes() -> tuple[ptb.PtbRuntime, aiogram3.AiogramRuntime]:
    both = ptb.PtbRuntime(TOKEN, "http://127.0.0.1:9"), aiogram3.AiogramRuntime(TOKEN, "http://x")
    for runtime in both:
        runtime.username = "mendbot_bot"  # what initialize() learns from getMe
    return both


def ptb_event(raw: dict[str, Any]) -> Event | None:
    return runtimes()[0].decode(raw)


def aiogram_event(raw: dict[str, Any]) -> Event | None:
    return runtimes()[1].decode(raw)


@pytest.mark.parametrize("name", UPDATES)
def test_same_event_on_both_runtimes(name: str) -> None:
    raw = {"update_id": 42, **UPDATES[name]}
    assert aiogram_event(raw) == ptb_event(raw)


def test_a_few_events_in_detail() -> None:
    command = aiogram_event({"update_id": 1, **UPDATES["command"]})
    assert command is not None
    assert (command.kind, command.command, command.args) == (EventKind.COMMAND, "start", "abc")
    button = aiogram_event({"update_id": 2, **UPDATES["button"]})
    assert button is not None
    assert (button.kind, button.payload, button.button_text) == (EventKind.BUTTON, "~1:yes", "Yes")
    assert aiogram_event({"update_id": 3, **UPDATES["group"]}) is None
    assert aiogram_event({"update_id": 4, **UPDATES["command for another bot"]}) is None
    ours = aiogram_event({"update_id": 5, **UPDATES["command for us by name"]})
    assert ours is not None and ours.command == "checkin"
    contact = aiogram_event({"update_id": 6, **UPDATES["someone else's contact"]})
    assert contact is not None and (contact.phone, contact.contact_user_id) == ("+4499", 8)


UNDECODABLE = {
    "text is a number": {"message": message(text=12345)},
    "no chat": {"message": {"message_id": 5, "date": 1, "from": USER, "text": "hi"}},
    "no chat, no sender": {"message": {"message_id": 5, "date": 1, "text": "hi"}},
    "user id is text": {"message": message(text="hi", **{"from": {**USER, "id": "seven"}})},
    "button data is a list": {
        "callback_query": {
            "id": "q",
            "from": USER,
            "chat_instance": "c",
            "data": ["x"],
            "message": message(text="?"),
        }
    },
}


@pytest.mark.parametrize("name", UNDECODABLE)
def test_an_undecodable_update_raises_on_both_runtimes(name: str) -> None:
    """The intake logs it by id and skips it; what matters is that neither runtime makes an
    Event of it that a flow would then trip over."""
    raw = {"update_id": 43, **UNDECODABLE[name]}
    for decode in (ptb_event, aiogram_event):
        with pytest.raises(Exception):  # noqa: B017 (each library raises its own kind)
            decode(raw)


SENDS = {
    "plain": Send("hi"),
    "inline": Send(
        "ok?", keyboard([Button("Yes", data="~1:yes"), Button("Video", url="https://e.x")])
    ),
    "contact": Send("phone?", contact=ContactRequest("Share my number", ("Skip",))),
    "remove": Send("thanks", remove_keyboard=True),
}


@pytest.mark.parametrize("name", SENDS)
def test_same_reply_markup_on_both_runtimes(name: str) -> None:
    ptb_markup = ptb.send_markup(SENDS[name])
    aio_markup = aiogram3.send_markup(SENDS[name])
    ptb_json = None if ptb_markup is None else ptb_markup.to_dict()
    aio_json = None if aio_markup is None else aio_markup.model_dump(mode="json", exclude_none=True)
    assert aio_json == ptb_json
