"""The aiogram 3 runtime: the same thin adapter as handlers/ptb.py, on aiogram.

aiogram's types decode updates and its Bot makes the calls; receiving, storing and ordering updates
is handlers/intake.py's, the same for both runtimes (no Dispatcher polling: aiogram's polling
parses a whole getUpdates answer at once and stopped for good on one it could not read; no FSM:
state lives in our database).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

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

# aiogram reads every answer with the generic model Response[<what the call returns>]. pydantic
# keeps such a model only while something holds it, and aiogram holds none: after each garbage
# collection every call built its model again (~2.5 ms of CPU a call, a third of mendbot's time
# under load on aiogram). Holding the ones our calls use keeps them built.
RESPONSE_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        methods.AnswerCallbackQuery,
        methods.DeleteWebhook,
        methods.EditMessageText,
        methods.GetMe,
        methods.SendDocument,
        methods.SendMessage,
        methods.SendPhoto,
        methods.SetMyCommands,
        methods.SetWebhook,
    )
)


class AiogramRuntime:
    """aiogram 3 on any Bot API-compatible server."""

    def __init__(self, token: str, api_base_url: str) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base_url))
        self.bot = Bot(token, session=session)
        self.username = ""

    async def initialize(self) -> str:
        """Connect (getMe) and return the bot's username, which invite links need."""
        me = await self.bot.get_me()
        self.username = me.username or ""
        return self.username

    def decode(self, raw: RawUpdate) -> Event | None:
        """The update as an Event; None if it isn't for us; raises if it can't be read."""
        update = Update.model_validate(raw, context={"bot": self.bot})
        if update.callback_query is not None:
            return button_event(update.update_id, update.callback_query)
        if update.message is not None:
            return message_event(update.update_id, update.message, self.username)
        return None

    async def set_menu(self, menu: Menu, chat_id: int | None = None, language: str = "") -> None:
        """The command menu: one chat's (a person's role, state and language), or everyone's
        default for people whose Telegram is in `language` ("" for all)."""
        commands = [BotCommand(command=c, description=d) for c, d in menu.commands]
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else None
        await self.bot.set_my_commands(commands, scope=scope, language_code=language or None)

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None:
        await self.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=allowed_updates,
            drop_pending_updates=False,
        )

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def close(self) -> None:
        await self.bot.session.close()

    # ------------------------------------------------------------------ replying

    async def send(self, event: Event, replies: Sequence[Reply]) -> None:
        await perform(event, replies, self._send_one, _refused, _again)

    async def _send_one(self, event: Event, reply: Reply) -> None:
        bot, chat_id = self.bot, event.chat_id
        if isinstance(reply, Send):
            await bot.send_message(chat_id, reply.text, reply_markup=send_markup(reply))
        elif isinstance(reply, Edit):
            await bot.edit_message_text(
                text=reply.text,
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
            photo = BufferedInputFile(reply.content, filename=reply.filename)
            await bot.send_photo(
                chat_id, photo, caption=reply.caption or None, reply_markup=markup(reply.buttons)
            )
        elif isinstance(reply, Document):
            document = BufferedInputFile(reply.content, filename=reply.filename)
            await bot.send_document(
                chat_id, document, caption=reply.caption or None, reply_markup=markup(reply.buttons)
            )
        elif isinstance(reply, Menu):
            await self.set_menu(reply, chat_id)


def _refused(reply: Reply, exc: Exception) -> bool:
    """A call Telegram (or the library) refused is logged and the rest go on."""
    if isinstance(exc, TelegramBadRequest):
        if "not modified" not in exc.message.lower():
            log.warning("reply %s refused: %s", type(reply).__name__, exc.message)
        return True
    if isinstance(exc, TelegramAPIError | ValueError):
        log.warning("reply %s failed: %s", type(reply).__name__, type(exc).__name__)
        return True
    return False


def _again(exc: Exception, attempt: int, repeatable: bool) -> float | None:
    """A 429's wait; a backoff after a 5xx, and after a network error (which includes a
    timeout: it may have arrived) if the call may be made twice; None after a refusal."""
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    if isinstance(exc, TelegramServerError) or (
        repeatable and isinstance(exc, TelegramNetworkError)
    ):
        return backoff(attempt)
    return None


def send_markup(
    reply: Send,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Inline buttons, a share-contact keyboard, or the removal of one (as handlers/ptb.py)."""
    if reply.contact is not None:
        rows = [[KeyboardButton(text=reply.contact.label, request_contact=True)]]
        rows += [[KeyboardButton(text=option)] for option in reply.contact.options]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove(remove_keyboard=True)
    return markup(reply.buttons)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data, url=b.url) for b in row]
            for row in buttons
        ]
    )


def message_event(update_id: int, message: Message, username: str = "") -> Event | None:
    """A private message becomes an Event; groups and channels are not for us."""
    user = message.from_user
    if user is None or message.chat.type != "private":
        return None
    base = Event(
        update_id,
        user.id,
        message.chat.id,
        EventKind.OTHER,
        first_name=user.first_name,
        language_code=user.language_code or "",
    )
    text = message.text
    if text is not None and text.startswith("/"):
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


def button_event(update_id: int, query: CallbackQuery) -> Event | None:
    """A press on a button in a private chat. On a message too old to read (date 0) it still
    counts, without text or label, as python-telegram-bot delivers it: the flow answers it."""
    message = query.message
    if message is None or message.chat.type != "private":
        return None
    label, text, buttons = "", "", ""
    if isinstance(message, Message):
        text = message.text or message.caption or ""
        if message.reply_markup is not None:
            buttons = keyboard_key(
                ((b.text, b.callback_data, b.url) for b in row)
                for row in message.reply_markup.inline_keyboard
            )
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
        message_text=text,
        button_text=label,
        message_keyboard=buttons,
    )
