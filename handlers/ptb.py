"""The python-telegram-bot runtime: updates in as Events, flow replies out as Bot API calls.

It is deliberately thin: one catch-all handler, no ConversationHandler (state lives in our
database). Updates are handled one at a time, in order, which keeps each chat consistent.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import (
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
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from flows.core import (
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
from handlers import Handle
from handlers.webhook import WebhookConfig, WebhookEndpoint
from handlers.worker import RawUpdate

log = logging.getLogger(__name__)
POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait
ALLOWED_UPDATES = ["message", "callback_query"]


class PtbRuntime:
    """python-telegram-bot 22 on any Bot API-compatible server; long polling, or a webhook."""

    def __init__(self, token: str, api_base_url: str, webhook: WebhookConfig | None = None) -> None:
        self.app = (
            Application.builder()
            .token(token)
            .base_url(f"{api_base_url}/bot")
            .base_file_url(f"{api_base_url}/file/bot")
            .get_updates_read_timeout(POLL_TIMEOUT + 5)
            .build()
        )
        self._handle: Handle | None = None
        self.webhook = webhook
        self._endpoint: WebhookEndpoint | None = None

    async def initialize(self) -> str:
        """Connect (getMe) and return the bot's username, which invite links need."""
        await self.app.initialize()
        return self.app.bot.username

    async def start(self, handle: Handle, default_menu: Menu) -> None:
        self._handle = handle
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in default_menu.commands])
        await self.app.start()
        if self.webhook is not None:
            await self._start_webhook(self.webhook)
            return
        if self.app.updater is None:
            raise RuntimeError("python-telegram-bot was built without an updater")
        await self.app.updater.start_polling(
            timeout=POLL_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def _start_webhook(self, config: WebhookConfig) -> None:
        """Our shared endpoint feeds Application.process_update through one serial worker."""
        self._endpoint = WebhookEndpoint(config, self._process)
        await self._endpoint.start()
        await self.app.bot.set_webhook(
            config.url,
            secret_token=config.secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def _process(self, raw: RawUpdate) -> None:
        update = Update.de_json(raw, self.app.bot)
        await self.app.process_update(update)

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self._endpoint is not None:
            if self._endpoint.config.delete_on_stop:
                try:
                    await self.app.bot.delete_webhook(drop_pending_updates=False)
                except TelegramError as exc:
                    log.warning("deleteWebhook failed: %s", type(exc).__name__)
            await self._endpoint.stop()
            self._endpoint = None
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _on_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update) or self._handle is None:
            return
        event = to_event(update)
        if event is None:
            log.debug("update %d ignored (not a private message or button)", update.update_id)
            return
        replies = await self._handle(event)
        await self._send(event, replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("python-telegram-bot error: %s", type(context.error).__name__)

    async def _send(self, event: Event, replies: list[Reply]) -> None:
        for reply in replies:
            try:
                await self._send_one(event, reply)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("reply %s refused: %s", type(reply).__name__, exc.message)
            except TelegramError as exc:
                log.warning("reply %s failed: %s", type(reply).__name__, type(exc).__name__)

    async def _send_one(self, event: Event, reply: Reply) -> None:
        bot, chat_id = self.app.bot, event.chat_id
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
            await bot.send_photo(chat_id, photo, caption=reply.caption or None)
        elif isinstance(reply, Document):
            document = InputFile(reply.content, filename=reply.filename)
            await bot.send_document(chat_id, document, caption=reply.caption or None)
        elif isinstance(reply, Menu):
            commands = [BotCommand(c, d) for c, d in reply.commands]
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))


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


def to_event(update: Update) -> Event | None:
    """Private messages and button presses become Events; anything else is not for us."""
    if update.callback_query is not None:
        return _button_event(update.update_id, update.callback_query)
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    return _message_event(update.update_id, message)


def _message_event(update_id: int, message: Message) -> Event:
    user = message.from_user
    assert user is not None
    base = Event(update_id, user.id, message.chat.id, EventKind.OTHER, first_name=user.first_name)
    text = message.text or ""
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        return replace(base, kind=EventKind.COMMAND, text=text, command=command, args=args.strip())
    if message.text is not None:
        return replace(base, kind=EventKind.TEXT, text=text)
    if message.contact is not None:
        return replace(base, kind=EventKind.CONTACT, phone=message.contact.phone_number)
    return base


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
        payload=str(query.data or ""),
        callback_id=query.id,
        message_id=message.message_id,
        message_text=message.text or message.caption or "",
        button_text=label,
    )
