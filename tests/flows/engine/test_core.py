"""Replies as Telegram takes them: a text or caption over its limit goes on in more messages."""

from __future__ import annotations

from flows.engine.core import (
    Button,
    ContactRequest,
    Edit,
    Photo,
    Reply,
    Send,
    Toast,
    fitted,
    keyboard,
)
from storage.messages import CAPTION_LIMIT, TEXT_LIMIT, units

LONG = "\n".join(f"🟢 Client {n} · 100% · 0 open" for n in range(200))
BUTTONS = keyboard([Button("More", data="more")])


def test_replies_that_fit_are_the_same_objects() -> None:
    replies: list[Reply] = [
        Toast(),
        Send("Hi", BUTTONS),
        Edit(3, "Done"),
        Photo(b"p", "a.png", "W"),
    ]
    assert all(a is b for a, b in zip(fitted(replies), replies, strict=True))


def test_a_long_message_goes_on_in_more_with_its_keyboard_under_the_last() -> None:
    contact = ContactRequest("Share my number", ("Skip",))
    for reply in (Send(LONG, BUTTONS), Send(LONG, contact=contact)):
        found = fitted([reply])
        assert len(found) > 1 and all(isinstance(r, Send) for r in found)
        assert "\n".join(r.text for r in found if isinstance(r, Send)) == LONG
        assert all(units(r.text) <= TEXT_LIMIT for r in found if isinstance(r, Send))
        *first, last = found
        assert isinstance(last, Send) and (last.buttons, last.contact) == (
            reply.buttons,
            reply.contact,
        )
        assert not any(isinstance(r, Send) and (r.buttons or r.contact) for r in first)


def test_a_long_edit_changes_the_message_and_the_rest_follows() -> None:
    edit, *rest = fitted([Edit(7, LONG, BUTTONS)])
    assert isinstance(edit, Edit) and edit.message_id == 7 and not edit.buttons
    assert all(isinstance(r, Send) for r in rest)
    assert "\n".join([edit.text, *(r.text for r in rest if isinstance(r, Send))]) == LONG
    assert isinstance(rest[-1], Send) and rest[-1].buttons == BUTTONS


def test_a_long_caption_keeps_what_fits_and_the_rest_follows() -> None:
    photo, *rest = fitted([Photo(b"png", "a.png", LONG, BUTTONS)])
    assert isinstance(photo, Photo) and units(photo.caption) <= CAPTION_LIMIT
    assert not photo.buttons and photo.content == b"png"
    assert "\n".join([photo.caption, *(r.text for r in rest if isinstance(r, Send))]) == LONG
    assert isinstance(rest[-1], Send) and rest[-1].buttons == BUTTONS
