"""Events and replies as JSON, so the inbox can keep an update and its answer across a crash.

The inbox stores each Event before Telegram is told it arrived, and the replies in the same
transaction as the update's effects; after a restart they are read back from here. File contents
(photos, documents) travel as base64.
"""

from __future__ import annotations

import base64
from dataclasses import fields
from typing import Any

from flows.engine.core import (
    Button,
    ContactRequest,
    Document,
    Edit,
    Event,
    EventKind,
    Keyboard,
    Menu,
    Photo,
    Reply,
    Send,
    Toast,
)

_EVENT_NAMES = tuple(f.name for f in fields(Event))
_EVENT_FIELDS = frozenset(_EVENT_NAMES)


def event_to_json(event: Event) -> dict[str, Any]:
    """Its set fields (field by field: dataclasses.asdict deep-copies every value, and this
    runs for every update)."""
    values = ((name, getattr(event, name)) for name in _EVENT_NAMES)
    return {k: v for k, v in values if v is not None and v != ""}


def event_from_json(data: dict[str, Any]) -> Event:
    """The stored Event; ValueError if the row holds something else."""
    values = {k: v for k, v in data.items() if k in _EVENT_FIELDS}
    values["kind"] = EventKind(values.get("kind", ""))
    return Event(**values)


def _keyboard_to_json(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [[_button_to_json(b) for b in row] for row in buttons]


def _button_to_json(button: Button) -> dict[str, str]:
    out = {"text": button.text}
    if button.data is not None:
        out["data"] = button.data
    if button.url is not None:
        out["url"] = button.url
    return out


def _keyboard_from_json(rows: list[list[dict[str, str]]]) -> Keyboard:
    return tuple(tuple(Button(**b) for b in row) for row in rows)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Send):
        out: dict[str, Any] = {"type": "send", "text": reply.text}
        if reply.buttons:
            out["buttons"] = _keyboard_to_json(reply.buttons)
        if reply.contact is not None:
            out["contact"] = {"label": reply.contact.label, "options": list(reply.contact.options)}
        if reply.remove_keyboard:
            out["remove_keyboard"] = True
        return out
    if isinstance(reply, Edit):
        return {
            "type": "edit",
            "message_id": reply.message_id,
            "text": reply.text,
            "buttons": _keyboard_to_json(reply.buttons),
        }
    if isinstance(reply, Toast):
        return {"type": "toast", "text": reply.text, "alert": reply.alert}
    if isinstance(reply, Photo | Document):
        out = {
            "type": "photo" if isinstance(reply, Photo) else "document",
            "content": base64.b64encode(reply.content).decode(),
            "filename": reply.filename,
            "caption": reply.caption,
        }
        if reply.buttons:
            out["buttons"] = _keyboard_to_json(reply.buttons)
        return out
    return {"type": "menu", "commands": [list(pair) for pair in reply.commands]}


def reply_from_json(data: dict[str, Any]) -> Reply:
    kind = data["type"]
    if kind == "send":
        contact = data.get("contact")
        return Send(
            data["text"],
            _keyboard_from_json(data.get("buttons", [])),
            ContactRequest(contact["label"], tuple(contact["options"])) if contact else None,
            bool(data.get("remove_keyboard")),
        )
    if kind == "edit":
        return Edit(data["message_id"], data["text"], _keyboard_from_json(data["buttons"]))
    if kind == "toast":
        return Toast(data["text"], data["alert"])
    if kind in ("photo", "document"):
        made = Photo if kind == "photo" else Document
        buttons = _keyboard_from_json(data.get("buttons", []))
        return made(base64.b64decode(data["content"]), data["filename"], data["caption"], buttons)
    if kind == "menu":
        return Menu(tuple((name, text) for name, text in data["commands"]))
    raise ValueError(f"unknown reply type {kind!r}")


def replies_to_json(replies: list[Reply]) -> list[dict[str, Any]]:
    return [reply_to_json(reply) for reply in replies]


def replies_from_json(data: list[dict[str, Any]]) -> list[Reply]:
    return [reply_from_json(item) for item in data]
