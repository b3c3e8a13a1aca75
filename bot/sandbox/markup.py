"""Keyboards the bot attaches to messages, validated and normalised as Telegram does.

An inline keyboard becomes the message's reply_markup (and the only buttons a person can press);
a reply keyboard (the bot's share-contact one) or its removal changes the chat's composer on the
page. Anything else answers 400 with Telegram's wording.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import ApiError, bad_request

MAX_CALLBACK_DATA = 64
INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)


def _markup_error() -> ApiError:
    return bad_request("can't parse reply keyboard markup JSON object")


def message_markup(markup: Any) -> dict[str, Any]:
    """Split reply_markup into what the message shows (`reply_markup`) and what the chat's
    composer does (`keyboard`, `remove_keyboard`)."""
    if markup is None:
        return {}
    if not isinstance(markup, dict):
        raise _markup_error()
    if "inline_keyboard" in markup:
        return {"reply_markup": inline_keyboard(markup)}
    if "keyboard" in markup:
        return {"keyboard": reply_keyboard(markup)}
    if markup.get("remove_keyboard"):
        return {"remove_keyboard": True}
    raise _markup_error()


def edit_markup(markup: Any) -> dict[str, Any] | None:
    """The reply_markup of an edit: inline keyboards only; None removes the keyboard."""
    if markup is None:
        return None
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return inline_keyboard(markup)


def inline_keyboard(markup: dict[str, Any]) -> dict[str, Any] | None:
    """Validate and normalise an inline keyboard; an empty one means no keyboard at all."""
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _markup_error()
    clean: list[list[dict[str, Any]]] = []
    for row in rows:
        buttons = [_inline_button(button) for button in row]
        if buttons:
            clean.append(buttons)
    return {"inline_keyboard": clean} if clean else None


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in INLINE_BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data" and not (
        isinstance(value, str) and 1 <= len(value.encode()) <= MAX_CALLBACK_DATA
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if action == "url" and not (
        isinstance(value, str) and re.match(r"(https?|tg)://\S+$", value, re.IGNORECASE)
    ):
        raise bad_request(f"inline keyboard button URL '{value}' is invalid: Wrong HTTP URL")
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    return {"text": button["text"], action: value}


def reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    """A reply keyboard as the page draws it: rows of buttons, one_time and the placeholder."""
    rows = markup.get("keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _markup_error()
    clean = []
    for row in rows:
        buttons = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise _markup_error()
            extras = {"request_contact": True} if button.get("request_contact") else {}
            buttons.append({"text": str(button["text"]), **extras})
        if buttons:
            clean.append(buttons)
    return {
        "rows": clean,
        "one_time": bool(markup.get("one_time_keyboard")),
        "placeholder": markup.get("input_field_placeholder"),
    }
