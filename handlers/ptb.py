"""The python-telegram-bot runtime: raw updates in as Events, flow replies out as Bot API calls.

It is deliberately thin: python-telegram-bot decodes updates and makes the calls; receiving,
storing and ordering updates is handlers/intake.py's, the same for both runtimes (no Application,
no ConversationHandler: state lives in our database).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from flows.engine.core import (
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
    keyboard_key,
)
from handlers import RawUpdate, command_event
from handlers.replies import backoff, perform

log = logging.getLogger(__name__)
# RetryAfter warns, as it is made and read, that its retry_after becomes a timedelta in a later
# major version: `_again` reads either
warnings.filterwarnings("ignore", r".*`retry_after`", PTBDeprecationWarning)
CONNECTIONS = 8


class PtbRuntime:
    """python-telegram-bot 22 on any Bot API-compatible server."""

    def __init__(self, token: str, api_base_url: str) -> None:
        self.bot = Bot(
            token,
            base_url=f"{api_base_url}/bot",
            base_file_url=f"{api_base_url}/file/bot",
            # A call beyond the pool waits for a free connection: the library's default gives
            # up after a second ("Request was *not* sent"), and a reply would be lost under load.
            request=HTTPXRequest(connection_pool_size=CONNECTIONS, pool_timeout=None),
        )
        self.username = ""

    async def initialize(self) -> str:
        """Connect (getMe) and return the bot's username, which invite links need."""
        await self.bot.initialize()
        self.username = self.bot.username
        return self.username

    def decode(self, raw: RawUpdate) -> Event | None:
        """The update as an Event; None if it isn't for us; raises if it can't be read."""
        return to_event(Update.de_json(raw, self.bot), self.username)

    async def set_menu(self, menu: Menu, chat_id: int | None = None, language: str = "") -> None:
        """The command menu: one chat's (a person's role, state and language), or everyone's
        default for people whose Telegram is in `language` ("" for all)."""
        commands = [BotCommand(c, d) for c, d in menu.commands]
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        await self.bot.set_my_commands(commands, scope=scope, language_code=language or None)

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None:
        await self.bot.set_webhook(
            url, secret_token=secret, allowed_updates=allowed_updates, drop_pending_updates=False
        )

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def close(self) -> None:
        await self.bot.shutdown()

    async def send(self, event: Event, replies: Sequence[Reply]) -> None:
        await perform(event, replies, self._send_one, _refused, _again)

    async def _send_one(self, event: Event, reply: Reply) -> None:
        bot, chat_id = self.bot, event.chat_id
        if isinstance(reply, Send):
            await bot.send_message(chat_id, reply.text, reply_markup=send_markup(reply))
        elif isinstance(reply, Edit):
            await bot.edit_message_text(
                reply.text,
                chat_id=chat_id,
                message_id=reply.message_id,
                reply_markup=markup(reply.buttons),
            )
        elif isinstance(reply, Toast):
            if event.callback_id is not None:
                await bot.answer_callback_query(
                    event.callback_id, text=reply.text or None, show_alert=reply.alert
                )
        elif isinstance(reply, Photo):
            photo = InputFile(reply.content, filename=reply.filename)
            await bot.send_photo(
                chat_id, photo, caption=reply.caption or None, reply_markup=markup(reply.buttons)
            )
        elif isinstance(reply, Document):
            document = InputFile(reply.content, filename=reply.filename)
            await bot.send_document(
                chat_id, document, caption=reply.caption or None, reply_markup=markup(reply.buttons)
            )
        elif isinstance(reply, Menu):
            await self.set_menu(reply, chat_id)


def _refused(reply: Reply, exc: Exception) -> bool:
    """A call Telegram (or the library) refused is logged and the rest go on."""
    if isinstance(exc, BadRequest):
        if "not modified" not in exc.message.lower():
            log.warning("reply %s refused: %s", type(reply).__name__, exc.message)
        return True
    if isinstance(exc, TelegramError | ValueError):
        log.warning("reply %s failed: %s", type(reply).__name__, type(exc).__name__)
        return True
    return False


def _again(exc: Exception, attempt: int, repeatable: bool) -> float | None:
    """A 429's wait; a backoff after a 5xx or a connection that failed (python-telegram-bot
    says NetworkError for both), and after a timeout if the call may be made twice; None after
    a refusal."""
    if isinstance(exc, RetryAfter):
        after = exc.retry_after  # an int until python-telegram-bot 23: either is read here
        return after.total_seconds() if isinstance(after, timedelta) else float(after)
    if isinstance(exc, BadRequest):  # a refusal, though python-telegram-bot's is a NetworkError
        return None
    if isinstance(exc, NetworkError) and (repeatable or not isinstance(exc, TimedOut)):
        return backoff(attempt)
    return None


def send_markup(
    reply: Send,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Inline buttons, a share-contact keyboard, or the removal of one."""
    if reply.contact is not None:
        rows = [[KeyboardButton(reply.contact.label, request_contact=True)]]
        rows += [[KeyboardButton(option)] for option in reply.contact.options]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return markup(reply.buttons)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
            for row in buttons
        ]
    )


def to_event(update: Update, username: str = "") -> Event | None:
    """Private messages and button presses become Events; anything else is not for us."""
    if update.callback_query is not None:
        return _button_event(update.update_id, update.callback_query)
    message = update.message
    if message is not None and message.chat is None:  # python-telegram-bot doesn't check
        raise ValueError("a message without a chat")
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    return _message_event(update.update_id, message, username)


def _message_event(update_id: int, message: Message, username: str) -> Event | None:
    user = message.from_user
    assert user is not None
    base = Event(
        update_id,
        user.id,
        message.chat.id,
        EventKind.OTHER,
        first_name=user.first_name,
        language_code=user.language_code or "",
    )
    text = message.text
    if isinstance(text, str) and text.startswith("/"):
        return command_event(base, text, username)
    if text is not None:
        return replace(base, kind=EventKind.TEXT, text=text)
    if message.contact is not None:
        contact = message.contact
        return replace(
            base,
            kind=EventKind.CONTACT,
            phone=contact.phone_number,
            contact_user_id=contact.user_id,
        )
    return base


def _keyboard_of(message: Message) -> str:
    """The message's inline buttons as core.keyboard_key writes them."""
    if message.reply_markup is None:
        return ""
    return keyboard_key(
        ((b.text, _data(b.callback_data), b.url) for b in row)
        for row in message.reply_markup.inline_keyboard
    )


def _data(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _button_event(update_id: int, query: CallbackQuery) -> Event | None:
    message = query.message
    if message is None or not isinstance(message, Message) or message.chat.type != "private":
        return None
    label = ""
    if message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            for button in row:
                if button.callback_data == query.data:
                    label = button.text
    return Event(
        update_id=update_id,
        user_id=query.from_user.id,
        chat_id=message.chat.id,
        kind=EventKind.BUTTON,
        first_name=query.from_user.first_name or "",
        language_code=query.from_user.language_code or "",
        payload=query.data or "",
        callback_id=query.id,
        message_id=message.message_id,
        message_text=message.text or message.caption or "",
        button_text=label,
        message_keyboard=_keyboard_of(message),
    )
