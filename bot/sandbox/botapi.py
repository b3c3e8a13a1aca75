"""The Bot API methods the bot (and the sandbox's own tests) call, answered as Telegram does.

Routes: `/bot<token>/<method>` (GET or POST, method names case-insensitive, parameters as
params.py reads them) and `/file/bot<token>/<file_path>` (downloads). Methods: getMe,
getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, deleteMessage, sendPhoto, sendDocument, getFile,
setMyCommands; any other method answers 404. They keep Telegram's object shapes, error texts
and delivery rules (offset confirmation, long polling, one poller at a time, "message is not
modified", blocked users, users who never started the bot) so that bugs show here rather than
in production. Text is plain (see text.py); photos by URL answer 400 (no network here).

Every call, answered or faulted, is recorded in `calls` as an ApiCall.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.chats import Chat, Chats, Stored
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.faults import POLL_FAULT_STATUS, FaultRate, Faults, bad_poll_answer, fault_error
from bot.sandbox.files import Files, file_response
from bot.sandbox.markup import edit_markup, message_markup
from bot.sandbox.params import Params, read_params
from bot.sandbox.text import bot_text
from bot.sandbox.webhook import MAX_CONNECTIONS, MAX_CONNECTIONS_LIMIT, Webhook

log = logging.getLogger(__name__)

MAX_POLL_TIMEOUT = 60.0
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
# A webhook answer may call any method but these.
NOT_FROM_WEBHOOK = frozenset({"setWebhook", "deleteWebhook", "getUpdates"})


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as the sandbox saw it (uploads replaced by a short description).

    `fault` names the injected fault that shaped the answer ("429", "500", "502", "timeout",
    "late", or for getUpdates "html502", "garbage", "not_ok", "disconnect"); None otherwise.
    """

    method: str
    params: dict[str, Any]
    status: int
    fault: str | None = None


class BotApi:
    """The Bot API side of the sandbox: one handler per method, over the shared state."""

    def __init__(self, token: str, chats: Chats, files: Files, faults: Faults) -> None:
        self.token = token
        self.bot_user = chats.bot_user
        self.chats = chats
        self.updates = chats.updates
        self.files = files
        self.faults = faults
        self.webhook = Webhook(self.updates, self._webhook_reply)
        self.calls: list[ApiCall] = []
        self._poll_generation = 0

    # ----------------------------------------------------------------- HTTP

    async def handle(self, request: web.Request) -> web.Response:
        """`/bot<token>/<method>`."""
        if not self._token_ok(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        method = request.match_info["method"]
        entry = METHODS.get(method.lower())
        try:
            params = await read_params(request)
        except ApiError as error:
            self.calls.append(ApiCall(entry[0] if entry else method, {}, error.code))
            return web.json_response(error.payload(), status=error.code)
        if entry is None:
            self.calls.append(ApiCall(method, params.record(), 404))
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        name, handler = entry
        if name == "getUpdates":
            kind = self.faults.take_poll_fault()
            if kind is not None:  # nothing confirmed or taken: the next good call gets them
                self.calls.append(ApiCall(name, params.record(), POLL_FAULT_STATUS[kind], kind))
                return bad_poll_answer(kind, request)
        drawn = self.faults.draw(name)
        if drawn is not None:
            return await self._random_fault(name, handler, params, *drawn)
        status, body = await self._execute(name, handler, params)
        return web.json_response(body, status=status)

    async def handle_file(self, request: web.Request) -> web.Response:
        """`/file/bot<token>/<file_path>`: a download after getFile."""
        if not self._token_ok(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self.files.by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return file_response(stored, inline=False)

    def _token_ok(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token.encode())

    async def _execute(
        self, name: str, handler: Handler, params: Params, *, fault: str | None = None
    ) -> tuple[int, dict]:
        """Run one method (or a counted fault) and record the call."""
        try:
            counted = self.faults.take_counted(name)
            if counted is not None:
                fault = str(counted.code)
                raise counted
            result = await handler(self, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.code, error.payload()
        except Exception:
            log.exception("sandbox failed on %s", name)
            status = 500
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        self.calls.append(ApiCall(name, params.record(), status, fault))
        return status, body

    async def _random_fault(
        self, name: str, handler: Handler, params: Params, kind: str, plan: FaultRate
    ) -> web.Response:
        """Answer with a random fault; "late" performs the method, the others do not."""
        if kind == "late":
            status, body = await self._execute(name, handler, params, fault=kind)
            await self.faults.hold(plan.hold_seconds)
            return web.json_response(body, status=status)
        if kind == "timeout":
            error = ApiError(504, "Gateway Timeout")
            self.calls.append(ApiCall(name, params.record(), error.code, kind))
            await self.faults.hold(plan.hold_seconds)
        else:
            error = fault_error(int(kind), plan.retry_after)
            self.calls.append(ApiCall(name, params.record(), error.code, kind))
        return web.json_response(error.payload(), status=error.code)

    async def _webhook_reply(self, method: str, values: dict[str, Any]) -> None:
        """A webhook answer that is a method call: performed as if the bot had called it."""
        entry = METHODS.get(method.lower())
        if entry and entry[0] not in NOT_FROM_WEBHOOK:
            with contextlib.suppress(ApiError):  # undecodable parameters: nothing happens
                await self._execute(entry[0], entry[1], Params.build(values, {}))

    # ----------------------------------------------------------------- getMe, updates, webhooks

    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook.url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_POLL_TIMEOUT)
        self.updates.set_allowed(params.obj("allowed_updates"))
        self.updates.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.updates.signal.fire()  # an older waiting poll now ends with a conflict
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self.webhook.url:
                raise ApiError(409, CONFLICT_WEBHOOK)
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLLER)
            batch = self.updates.take(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or self.updates.closing or remaining <= 0:
                return batch
            await self.updates.signal.wait(remaining)

    async def set_webhook(self, params: Params) -> bool:
        url = (params.text("url") or "").strip()
        if not url:
            return await self.delete_webhook(params)
        if not re.match(r"https?://", url, re.IGNORECASE):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        self.updates.set_allowed(params.obj("allowed_updates"))
        await self.webhook.stop()
        if params.boolean("drop_pending_updates"):
            self.updates.pending.clear()
        connections = params.integer("max_connections") or MAX_CONNECTIONS
        self.webhook.start(url, secret, min(max(connections, 1), MAX_CONNECTIONS_LIMIT))
        self.updates.signal.fire()  # a waiting getUpdates now answers 409
        return True

    async def delete_webhook(self, params: Params) -> bool:
        await self.webhook.stop()
        self.webhook.url = self.webhook.secret = ""
        if params.boolean("drop_pending_updates"):
            self.updates.pending.clear()
        return True

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": self.updates.unsent_count(),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = "127.0.0.1"
        if self.webhook.error:
            info["last_error_date"], info["last_error_message"] = self.webhook.error
        return info

    # ----------------------------------------------------------------- messages

    def _target_chat(self, params: Params, *, sending: bool = True) -> Chat:
        raw = params.obj("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.chats.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if sending and not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _text_fields(params: Params) -> dict[str, Any]:
        raw, entities = params.text("text") or "", params.obj("entities")
        text, entities = bot_text(raw, params.text("parse_mode"), entities)
        if not text:
            raise bad_request("message text is empty")
        return {"text": text, "entities": entities}

    @staticmethod
    def _caption_fields(params: Params) -> dict[str, Any]:
        raw, entities = params.text("caption") or "", params.obj("caption_entities")
        caption, entities = bot_text(raw, params.text("parse_mode"), entities, caption=True)
        return {"caption": caption, "caption_entities": entities}

    def _send(self, chat: Chat, params: Params, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a bot message built from `fields` plus its markup, minus empty values."""
        markup = message_markup(params.obj("reply_markup"))
        if markup.get("reply_markup"):
            fields = {**fields, "reply_markup": markup["reply_markup"]}
        fields = {k: v for k, v in fields.items() if v not in (None, "", [])}
        stored = self.chats.add_message(
            chat,
            from_bot=True,
            fields=fields,
            keyboard=markup.get("keyboard"),
            remove_keyboard=bool(markup.get("remove_keyboard")),
        )
        return copy.deepcopy(stored.data)

    async def send_message(self, params: Params) -> dict[str, Any]:
        chat = self._target_chat(params)
        return self._send(chat, params, self._text_fields(params))

    def _editable(self, params: Params) -> tuple[Chat, Stored]:
        chat = self._target_chat(params, sending=False)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(self, chat: Chat, stored: Stored, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply an edit unless nothing changes (Telegram's "message is not modified")."""
        data = stored.data
        if all(data.get(key) == (value or None) for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            if value:
                data[key] = value
            else:
                data.pop(key, None)
        data["edit_date"] = int(time.time())
        self.chats.emit_message(chat, data["message_id"])
        return copy.deepcopy(data)

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat, stored = self._editable(params)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        changes = {
            **self._text_fields(params),
            "reply_markup": edit_markup(params.obj("reply_markup")),
        }
        return self._apply_edit(chat, stored, changes)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat, stored = self._editable(params)
        markup = edit_markup(params.obj("reply_markup"))
        return self._apply_edit(chat, stored, {"reply_markup": markup})

    async def delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params, sending=False)
        message_id = params.integer("message_id")
        stored = chat.messages.get(message_id) if message_id is not None else None
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        self.chats.emit_message(chat, stored.data["message_id"])
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        callback = self.chats.callbacks.get(params.text("callback_query_id") or "")
        if callback is None or callback.answered:
            raise bad_request(QUERY_INVALID)
        callback.answered = True
        text = params.text("text")
        if text:
            toast = {
                "type": "toast",
                "text": text[:200],
                "show_alert": params.boolean("show_alert"),
            }
            self.chats.emit(self.chats.chats[callback.chat_id], toast)
        return True

    # ----------------------------------------------------------------- files

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "photo")

    async def send_document(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "document")

    def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._target_chat(params)
        stored = self.files.resolve(params.upload(kind), kind)
        media = stored.message_field()
        fields = {kind: [media] if kind == "photo" else media, **self._caption_fields(params)}
        return self._send(chat, params, fields)

    async def get_file(self, params: Params) -> dict[str, Any]:
        stored = self.files.by_id.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------- commands

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.obj("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        clean = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse commands JSON object")
            command = str(item.get("command") or "").lower().removeprefix("/")
            description = str(item.get("description") or "").strip()
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_INVALID")
            clean.append({"command": command, "description": description})
        scope = params.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        key = json.dumps(scope, sort_keys=True), params.text("language_code") or ""
        if clean:
            self.chats.commands[key] = clean
        else:
            self.chats.commands.pop(key, None)
        self.chats.signal.fire()
        return True


Handler = Callable[[BotApi, Params], Awaitable[Any]]
_TABLE: list[tuple[str, Handler]] = [
    ("getMe", BotApi.get_me),
    ("getUpdates", BotApi.get_updates),
    ("setWebhook", BotApi.set_webhook),
    ("deleteWebhook", BotApi.delete_webhook),
    ("getWebhookInfo", BotApi.get_webhook_info),
    ("sendMessage", BotApi.send_message),
    ("editMessageText", BotApi.edit_message_text),
    ("editMessageReplyMarkup", BotApi.edit_message_reply_markup),
    ("answerCallbackQuery", BotApi.answer_callback_query),
    ("deleteMessage", BotApi.delete_message),
    ("sendPhoto", BotApi.send_photo),
    ("sendDocument", BotApi.send_document),
    ("getFile", BotApi.get_file),
    ("setMyCommands", BotApi.set_my_commands),
]
# Lower-case name -> (Telegram's name, handler): method names are case-insensitive.
METHODS = {name.lower(): (name, handler) for name, handler in _TABLE}
METHOD_NAMES = tuple(name for name, _ in _TABLE)
