"""The aiogram 3 runtime: the same thin adapter as handlers/ptb.py, on aiogram.

One Router with a message and a callback_query handler turns updates into Events; no FSM (state
lives in our database). Updates go through one SerialWorker, whether they come from our long-poll
loop or from the webhook, so they are handled one at a time in order, as on python-telegram-bot.
(aiogram's own start_polling handles updates as concurrent tasks by default and cancels a
half-handled update on stop; our loop only fetches, and stop lets accepted updates finish.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import GetUpdates
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
from handlers.worker import RawUpdate, SerialWorker

log = logging.getLogger(__name__)
POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait
RETRY_SECONDS = 1.0  # after a failed getUpdates
ALLOWED_UPDATES = ["message", "callback_query"]


class AiogramRuntime:
    """aiogram 3 on any Bot API-compatible server; long polling, or a webhook when configured."""

    def __init__(self, token: str, api_base_url: str, webhook: WebhookConfig | None = None) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base_url))
        self.bot = Bot(token, session=session)
        self.webhook = webhook
        self.dispatcher = Dispatcher()
        router = Router(name="mendbot")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_button)
        self.dispatcher.include_router(router)
        self._handle: Handle | None = None
        self._endpoint: WebhookEndpoint | None = None
        self._worker: SerialWorker[Update] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._offset = 0

    async def initialize(self) -> str:
        """Connect (getMe) and return the bot's username, which invite links need."""
        me = await self.bot.get_me()
        return me.username or ""

    async def start(self, handle: Handle, default_menu: Menu) -> None:
        self._handle = handle
        await self.bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in default_menu.commands]
        )
        if self.webhook is None:
            await self.bot.delete_webhook(drop_pending_updates=False)  # as PTB's polling does
            self._worker = SerialWorker(self._feed)
            self._worker.start()
            self._poller = asyncio.create_task(self._poll(self._worker), name="aiogram-polling")
            return
        self._endpoint = WebhookEndpoint(self.webhook, self._process)
        await self._endpoint.start()
        await self.bot.set_webhook(
            url=self.webhook.url,
            secret_token=self.webhook.secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._worker is not None:
            await self._worker.stop()
            self._worker = None
            await self._confirm_offset()
        if self._endpoint is not None:
            if self._endpoint.config.delete_on_stop:
                try:
                    await self.bot.delete_webhook(drop_pending_updates=False)
                except TelegramAPIError as exc:
                    log.warning("deleteWebhook failed: %s", type(exc).__name__)
            await self._endpoint.stop()
            self._endpoint = None
        await self.bot.session.close()

    # ------------------------------------------------------------------ receiving

    async def _poll(self, worker: SerialWorker[Update]) -> None:
        """Fetch updates and queue them; the offset confirms what was queued before."""
        while True:
            method = GetUpdates(
                offset=self._offset or None, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
            )
            try:
                updates = await self.bot(method, request_timeout=POLL_TIMEOUT + 5)
            except TelegramAPIError as exc:
                log.warning("getUpdates failed: %s; retrying", type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for update in updates:
                await worker.put(update)
                self._offset = update.update_id + 1

    async def _confirm_offset(self) -> None:
        """Tell the server what was handled, so the next start doesn't fetch it again."""
        if self._offset:
            with contextlib.suppress(TelegramAPIError, asyncio.TimeoutError):
                await self.bot(
                    GetUpdates(offset=self._offset, timeout=0, limit=1), request_timeout=2
                )

    async def _process(self, raw: RawUpdate) -> None:
        """A webhook's JSON: parsed here, off the request path."""
        await self._feed(Update.model_validate(raw, context={"bot": self.bot}))

    async def _feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self._dispatch(message_event(event_update.update_id, message))

    async def _on_button(self, query: CallbackQuery, event_update: Update) -> None:
        await self._dispatch(button_event(event_update.update_id, query))

    async def _dispatch(self, event: Event | None) -> None:
        if event is None or self._handle is None:
            return
        replies = await self._handle(event)
        await self._send(event, replies)

    # ------------------------------------------------------------------ replying

    async def _send(self, event: Event, replies: list[Reply]) -> None:
        for reply in replies:
            try:
                await self._send_one(event, reply)
            except TelegramBadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("reply %s refused: %s", type(reply).__name__, exc.message)
            except TelegramAPIError as exc:
                log.warning("reply %s failed: %s", type(reply).__name__, type(exc).__name__)

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
            await bot.send_photo(chat_id, photo, caption=reply.caption or None)
        elif isinstance(reply, Document):
            document = BufferedInputFile(reply.content, filename=reply.filename)
            await bot.send_document(chat_id, document, caption=reply.caption or None)
        elif isinstance(reply, Menu):
            commands = [BotCommand(command=c, description=d) for c, d in reply.commands]
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))


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


def message_event(update_id: int, message: Message) -> Event | None:
    """A private message becomes an Event; groups and channels are not for us."""
    user = message.from_user
    if user is None or message.chat.type != "private":
        return None
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


def button_event(update_id: int, query: CallbackQuery) -> Event | None:
    """A press on a button in a private chat. On a message too old to read (date 0) it still
    counts, without text or label, as python-telegram-bot delivers it: the flow answers it."""
    message = query.message
    if message is None or message.chat.type != "private":
        return None
    label, text = "", ""
    if isinstance(message, Message):
        text = message.text or message.caption or ""
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
        message_text=text,
        button_text=label,
    )
