"""People and their private chats with the bot, as the page shows them.

What a person does (type, press a button, share their contact, block the bot) becomes a message
here and an update in the queue; what the bot does to a chat (send, edit, delete, a toast, its
command menu) is stored here too. Each chat keeps a numbered log of changes (`seq`) that the
page long-polls, and a signal wakes the page when the log grows.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import SandboxError
from bot.sandbox.signals import Signal
from bot.sandbox.text import MAX_TEXT, plain_text, utf16_len
from bot.sandbox.updates import UpdateQueue

FIRST_VISITOR_ID = 5_000_001
BUTTON_GONE = "That button is no longer on this message."


@dataclass
class User:
    info: dict[str, Any]
    label: str
    started: bool
    blocked: bool = False


@dataclass
class Stored:
    """One message: its Telegram object plus what only the page needs."""

    data: dict[str, Any]
    from_bot: bool
    keyboard: dict[str, Any] | None = None
    remove_keyboard: bool = False
    deleted: bool = False


@dataclass
class Chat:
    user: User
    messages: dict[int, Stored] = field(default_factory=dict)
    log: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    next_message_id: int = 1
    seq: int = 0


@dataclass
class Callback:
    chat_id: int
    answered: bool = False


def chat_object(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.user.info["id"],
        "first_name": chat.user.info["first_name"],
        "type": "private",
    }


LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")
"""What Telegram puts in language_code: a short IETF language tag."""


class Chats:
    """Every user and their chat (chat id = user id), pressed buttons and command menus."""

    def __init__(self, bot_user: dict[str, Any], updates: UpdateQueue) -> None:
        self.bot_user = bot_user
        self.updates = updates
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.visitor_ids: list[int] = []
        self._next_visitor_id = FIRST_VISITOR_ID
        self.callbacks: dict[str, Callback] = {}
        # setMyCommands, by (scope as sorted JSON, language_code)
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.signal = Signal()
        self.closing = False

    def close(self) -> None:
        """Wake every page long poll; they answer now."""
        self.closing = True
        self.signal.fire()

    # ----------------------------------------------------------------- users and messages

    def add_user(
        self, user_id: int, first_name: str, label: str, *, started: bool, language: str = "en"
    ) -> User:
        if user_id in self.users:
            raise ValueError(f"user {user_id} already exists")
        info = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language}
        user = User(info=info, label=label, started=started)
        self.users[user_id] = user
        self.chats[user_id] = Chat(user=user)
        return user

    def chat_of(self, user_id: int) -> Chat:
        chat = self.chats.get(user_id)
        if chat is None:
            raise SandboxError(404, f"No user with id {user_id}.")
        return chat

    def add_message(
        self, chat: Chat, *, from_bot: bool, fields: dict[str, Any], **extra: Any
    ) -> Stored:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data = {
            "message_id": message_id,
            "from": dict(self.bot_user if from_bot else chat.user.info),
            "chat": chat_object(chat),
            "date": int(time.time()),
            **fields,
        }
        stored = Stored(data=data, from_bot=from_bot, **extra)
        chat.messages[message_id] = stored
        self.emit_message(chat, message_id)
        return stored

    def emit_message(self, chat: Chat, message_id: int) -> None:
        self.emit(chat, {"type": "message", "message_id": message_id})

    def emit(self, chat: Chat, entry: dict[str, Any]) -> None:
        chat.seq += 1
        chat.log.append((chat.seq, entry))
        self.signal.fire()

    def history(self, chat_id: int) -> list[dict[str, Any]]:
        """Current Telegram Message objects of a chat (deleted ones left out), oldest first."""
        chat = self.chat_of(chat_id)
        return [copy.deepcopy(m.data) for m in chat.messages.values() if not m.deleted]

    # ----------------------------------------------------------------- what people do

    def add_known(self, user_id: int, first_name: str, label: str, language: str = "en") -> None:
        """Someone who talked to the bot before this sandbox started: listed with the visitors
        (`language`: their stored one stands in for their Telegram app's)."""
        self.add_user(user_id, first_name, label, started=True, language=language)
        self.visitor_ids.append(user_id)

    def number_visitors_above(self, user_id: int) -> None:
        """New visitors get ids above `user_id` (the highest the bot has stored anything for)."""
        self._next_visitor_id = max(self._next_visitor_id, user_id + 1)

    def clear_chat(self, user_id: int) -> None:
        """Forget a chat's messages (the demo reset): the page's next poll starts it afresh."""
        user = self.chat_of(user_id).user
        self.chats[user_id] = Chat(user=user)
        self.signal.fire()

    def add_visitor(self, first_name: str, language: str = "en") -> int:
        """A brand-new Telegram user who has not talked to the bot yet, their Telegram app set to
        `language` (an IETF tag such as "es" or "pt-BR", sent as from.language_code)."""
        if not LANGUAGE_TAG.fullmatch(language):
            raise SandboxError(400, "language_code must be a language tag such as en or es-MX.")
        name = " ".join(first_name.split())[:64] or "Visitor"
        while self._next_visitor_id in self.users:
            self._next_visitor_id += 1
        user_id = self._next_visitor_id
        self._next_visitor_id += 1
        self.add_user(user_id, name, "New visitor", started=False, language=language)
        self.visitor_ids.append(user_id)
        return user_id

    def user_sends(self, user_id: int, text: str) -> dict[str, Any]:
        """The user types `text`; returns the message update the bot will receive."""
        chat = self.chat_of(user_id)
        if not text.strip():
            raise SandboxError(400, "Type a message first.")
        if utf16_len(text) > MAX_TEXT:
            raise SandboxError(400, f"Messages are limited to {MAX_TEXT} characters.")
        text, entities = plain_text(text)
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._user_message(chat, fields)

    def share_contact(self, user_id: int, phone_number: str) -> dict[str, Any]:
        """The user shares their own phone number, as a request_contact button does."""
        chat = self.chat_of(user_id)
        phone = re.sub(r"[\s()-]", "", phone_number)
        if not re.fullmatch(r"\+?\d{5,15}", phone):
            raise SandboxError(400, "That does not look like a phone number.")
        contact = {
            "phone_number": phone,
            "first_name": chat.user.info["first_name"],
            "user_id": chat.user.info["id"],
        }
        return self._user_message(chat, {"contact": contact})

    def _user_message(self, chat: Chat, fields: dict[str, Any]) -> dict[str, Any]:
        if chat.user.blocked:  # writing to a blocked bot restarts it, as in Telegram
            self.set_blocked(chat.user.info["id"], False)
        chat.user.started = True
        stored = self.add_message(chat, from_bot=False, fields=fields)
        return self.updates.add("message", stored.data)

    def press_button(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Press an inline button; only possible while the message really carries it."""
        chat = self.chat_of(user_id)
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise SandboxError(409, BUTTON_GONE)
        rows = (stored.data.get("reply_markup") or {}).get("inline_keyboard", [])
        if not any(button.get("callback_data") == data for row in rows for button in row):
            raise SandboxError(409, BUTTON_GONE)
        query_id = str(secrets.randbits(62))
        self.callbacks[query_id] = Callback(chat_id=user_id)
        query = {
            "id": query_id,
            "from": dict(chat.user.info),
            "message": stored.data,
            "chat_instance": str(abs(hash((self.bot_user["id"], user_id)))),
            "data": data,
        }
        return self.updates.add("callback_query", query)

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Block or unblock the bot for a user; the bot hears of it like on Telegram."""
        chat = self.chat_of(user_id)
        if chat.user.blocked == blocked:
            return
        chat.user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member_update = {
            "chat": chat_object(chat),
            "from": dict(chat.user.info),
            "date": int(time.time()),
            "old_chat_member": self._member(old),
            "new_chat_member": self._member(new),
        }
        self.updates.add("my_chat_member", member_update)

    def _member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": dict(self.bot_user)}
        if status == "kicked":
            member["until_date"] = 0
        return member

    # ----------------------------------------------------------------- command menus

    def commands_for(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu a private chat shows, resolved by scope like Telegram does."""
        scopes = [
            {"chat_id": chat_id, "type": "chat"},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        language = self.chats[chat_id].user.info.get("language_code", "")
        # a menu set for "es" is what an "es-MX" user sees (setMyCommands takes ISO 639-1 codes)
        languages = dict.fromkeys((language, language.split("-")[0], ""))
        for scope in scopes:
            key = json.dumps(scope, sort_keys=True)
            for lang in languages:
                if self.commands.get((key, lang)):
                    return copy.deepcopy(self.commands[(key, lang)])
        return []
