"""The sandbox: a local stand-in for Telegram's Bot API, plus a web chat page on the same server.

Telegram is unreachable here, so the real bot talks HTTP to this server exactly as it would to
api.telegram.org (`<base_url>/bot<token>/<method>`, files at `<base_url>/file/bot<token>/<path>`),
people chat with it from a browser page, and end-to-end tests act as people through the same page
API. It keeps Telegram's object shapes, error texts and delivery rules (offset confirmation, long
polling, webhooks with retries, "message is not modified", blocked users) so that bugs show here
rather than in production. Everything lives in memory for the life of one server.

Bot API (`/bot<token>/<method>`, GET or POST, method names case-insensitive; parameters from the
query string, a JSON body, a urlencoded form or multipart, where objects may be JSON strings):
    getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage, editMessageText,
    editMessageCaption, editMessageReplyMarkup, answerCallbackQuery, deleteMessage,
    sendChatAction, sendPhoto, sendDocument, getFile, setMyCommands, getMyCommands,
    deleteMyCommands, setMyDescription, setMyShortDescription, setMyName, setChatMenuButton,
    close, logOut. Text with parse_mode HTML, MarkdownV2 or Markdown becomes plain text plus
    entities, and markup errors answer 400 like Telegram does. Photos sent by URL cannot be
    fetched here (no network) and answer 400. Any other method answers 404.

Page API (JSON):
    GET  /                              the chat page (page.html); `?user=ID` preselects a person,
                                        `?start=CODE` offers to join as a new visitor with a code
    GET  /api/personas                  {personas: [...], visitors: [...], bot: {username, name}}
    POST /api/visitors {first_name}     a new user (ids from 5_000_001) -> {user_id, first_name}
    POST /api/send {user_id, text}      a message from that user -> {update_id, message_id}
    POST /api/press {user_id, message_id, data}
                                        a callback query -> {update_id, callback_query_id};
                                        409 {error} when the button is not on that message now
    POST /api/contact {user_id, phone_number}
                                        the user shares their own contact -> {update_id, message_id}
    GET  /api/chat/{user_id}?after=SEQ&wait=SECONDS
                                        long poll (wait <= 30 s) -> {seq, events, reset, commands,
                                        user}; events are message states, toasts and chat actions
    GET  /api/files/{file_id}           the file's bytes (images inline, documents as attachments)

Test controls (JSON):
    POST /api/faults {status, count, retry_after}
                                        the next `count` calls of sendMessage, sendPhoto,
                                        sendDocument and editMessage* answer `status` (429 with
                                        retry_after, 500 or 502) without doing anything
    POST /api/faults {rate, kinds, seed, methods, retry_after, hold_seconds}
                                        random faults, as `inject_fault_rate` (rate 0: off)
    POST /api/faults {poll, count}      the next `count` getUpdates answer badly, as
                                        `inject_poll_faults`
    POST /api/block {user_id, blocked}  the user blocks (or unblocks) the bot: sends then answer 403
                                        and the bot gets a my_chat_member update
    POST /api/replay {update_id}        deliver that already-sent update once more with its
                                        original update_id, as Telegram may after a crash

In-process tests can use the same controls as methods (`inject_faults`, `set_blocked`, `replay`,
`user_sends`, `press_button`, ...) and read `calls`, `updates` and `history(chat_id)`.

Faults for reliability tests (in-process methods; every faulted call is in `calls` with its
`fault` set to the kind, so tests can count what happened):
    inject_fault_rate(rate, kinds=("429", "500", "timeout"), *, seed=None, methods=None,
                      retry_after=1, hold_seconds=5.0)
        each Bot API call of `methods` (default: the send/edit family above) fails with
        probability `rate` (0 turns it off), its kind drawn from `kinds` by a random.Random(seed):
        "429"     429 with parameters.retry_after = `retry_after`; nothing is done
        "500"     500 (or "502": 502); nothing is done
        "timeout" nothing is done; the connection is held `hold_seconds` (past the client's read
                  timeout), then answered 504; recorded with status 504
        "late"    the method IS performed (the message appears) but its answer is held
                  `hold_seconds`: "it may have arrived"; recorded with the method's own status
        Holding never blocks other requests, and stop() ends held requests at once. Counted
        faults (`inject_faults`) go first; methods sent as a webhook reply are never faulted.
    inject_poll_faults(kind, count=1)
        the next `count` getUpdates calls answer badly and immediately, confirming and taking
        nothing, so a later good call returns the same updates: "html502" (a proxy's HTML 502
        page, text/html), "garbage" (200 with a body cut off mid-JSON), "not_ok" (200
        {"ok": true, "result": "nope"}), "disconnect" (the connection closes without an answer;
        recorded with status 0). count 0 turns it off.
    inject_update(fields) -> update
        queues {"update_id": next, **fields} verbatim, however malformed (e.g. a message whose
        "text" is a number, or one without "chat"), for getUpdates and the webhook alike. It is
        filtered by allowed_updates only when all its keys are modelled update types that the
        bot left out; "message" and "callback_query" always get through.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hmac
import json
import logging
import mimetypes
import random
import re
import secrets
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

PAGE_PATH = Path(__file__).with_name("page.html")
FIRST_VISITOR_ID = 5_000_001
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_UPLOAD_BYTES = 60 * 1024 * 1024
MAX_PAGE_WAIT = 30.0
MAX_POLL_TIMEOUT = 60.0
WEBHOOK_BACKOFF_START = 0.05
WEBHOOK_BACKOFF_MAX = 2.0
DEFAULT_HOLD_SECONDS = 5.0

# Calls that create or change messages: the ones fault injection hits.
FAULTABLE = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Random fault kinds (`inject_fault_rate`) and bad getUpdates answers (`inject_poll_faults`).
FAULT_KINDS = frozenset({"429", "500", "502", "timeout", "late"})
DEFAULT_FAULT_KINDS = ("429", "500", "timeout")
POLL_FAULT_STATUS = {"html502": 502, "garbage": 200, "not_ok": 200, "disconnect": 0}
PROXY_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
GARBAGE_BODY = b'{"ok":true,"result":[{"update_id":'
# Raw updates of these types skip the allowed_updates filter (see `inject_update`).
RAW_ALWAYS_DELIVERED = frozenset({"message", "callback_query"})
# Parameters that carry objects; in form and multipart bodies they arrive as JSON strings.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
    }
)
UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
    }
)
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
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
BUTTON_GONE = "That button is no longer on this message."


# --------------------------------------------------------------------------- errors and records


class ApiError(Exception):
    """A Bot API error answer, shaped like Telegram's."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def _fault_error(status: int, retry_after: int) -> ApiError:
    """An injected 429, 500 or 502, worded as Telegram (or its front proxy) words them."""
    if status == 429:
        return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    return ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")


class SandboxError(Exception):
    """A page API error: answered as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Persona:
    """A ready-made person on the page, such as the demo admin, trainer or client."""

    user_id: int
    first_name: str
    label: str


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


@dataclass
class _FaultRate:
    """Random faults: each call of `methods` fails with probability `rate`."""

    rate: float
    kinds: tuple[str, ...]
    methods: frozenset[str]
    rng: random.Random
    retry_after: int
    hold_seconds: float


@dataclass
class _Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    data: bytes
    mime_type: str
    file_name: str
    file_path: str
    width: int = 0
    height: int = 0


@dataclass
class _User:
    info: dict[str, Any]
    label: str
    started: bool
    blocked: bool = False


@dataclass
class _Stored:
    data: dict[str, Any]
    from_bot: bool
    keyboard: dict[str, Any] | None = None
    remove_keyboard: bool = False
    deleted: bool = False


@dataclass
class _Chat:
    user: _User
    messages: dict[int, _Stored] = field(default_factory=dict)
    log: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    next_message_id: int = 1
    seq: int = 0


@dataclass
class _Callback:
    chat_id: int
    answered: bool = False


class _Signal:
    """Wakes every waiter when something changed; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None) -> None:
        """Return when fired or after `seconds` (None: only when fired)."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()


# --------------------------------------------------------------------------- parameters


class _Params:
    """Bot API parameters from any transport, with Telegram's lenient type coercion."""

    def __init__(self, values: dict[str, Any], files: dict[str, _Upload]) -> None:
        self.values = values
        self.files = files

    @classmethod
    def build(cls, values: dict[str, Any], files: dict[str, _Upload]) -> _Params:
        decoded = dict(values)
        for name in JSON_PARAMS & decoded.keys():
            value = decoded[name]
            if isinstance(value, str):
                try:
                    decoded[name] = json.loads(value) if value.strip() else None
                except ValueError as exc:
                    raise bad_request(f"can't parse {name} JSON object") from exc
        return cls(decoded, files)

    def record(self) -> dict[str, Any]:
        """The parameters for `calls`: uploads described, never their bytes."""
        out = dict(self.values)
        for name, upload in self.files.items():
            out[name] = f"<upload {upload.filename!r}, {len(upload.data)} bytes>"
        return out

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise bad_request(f"invalid {name} specified") from exc
            if not number.is_integer():
                raise bad_request(f"invalid {name} specified") from None
            return int(number)

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def obj(self, name: str) -> Any:
        return self.values.get(name)

    def upload(self, name: str) -> _Upload | str | None:
        """An uploaded file (also via attach://name), or a string: a file_id or URL."""
        if name in self.files:
            return self.files[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value or None


# --------------------------------------------------------------------------- text formatting


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class _HtmlEntities(HTMLParser):
    """Telegram's HTML parse mode: the supported tags become entities, others are errors."""

    TAGS: ClassVar[dict[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "code": "code",
        "pre": "pre",
        "a": "text_link",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, dict[str, Any] | None]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = self.TAGS.get(tag)
        attributes = dict(attrs)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise _parse_error(f'Unsupported start tag "{tag}"')
        entity: dict[str, Any] | None = {"type": kind}
        if tag == "a":
            href = attributes.get("href") or ""
            entity = {"type": "text_link", "url": href} if href else None
        elif tag == "blockquote" and "expandable" in attributes:
            entity = {"type": "expandable_blockquote"}
        elif tag == "tg-emoji":
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id") or ""}
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            css_class = attributes.get("class") or ""
            outer = self.stack[-1][2]
            if css_class.startswith("language-") and outer is not None:
                outer["language"] = css_class.removeprefix("language-")
                entity = None
        self.stack.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            expected = f'"</{self.stack[-1][0]}>"' if self.stack else "no end tag"
            raise _parse_error(f'Unmatched end tag "</{tag}>", expected {expected}')
        _, start, entity = self.stack.pop()
        if entity is not None and self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += _utf16_len(data)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.close()
        if self.stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        return "".join(self.parts), self.entities


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _HtmlEntities()
    parser.feed(text)
    return parser.result()


MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
MD_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
MD_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


class _Markdown:
    """Telegram's MarkdownV2 (strict: reserved characters must be escaped) and legacy Markdown."""

    def __init__(self, text: str, v2: bool) -> None:
        self.src = text
        self.v2 = v2
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, int, int]] = []  # (marker, utf16 start, source index)
        self.quote_start: int | None = None

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode())

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += _utf16_len(text)

    def add(self, entity: dict[str, Any], start: int) -> None:
        if self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        src, i = self.src, 0
        while i < len(src):
            i = self.step(i)
        if self.quote_start is not None:
            self.add({"type": "blockquote"}, self.quote_start)
        if self.open:
            marker, _, index = self.open[-1]
            if self.v2:
                name = MD_NAMES[marker]
                raise _parse_error(
                    f"Can't find end of {name} entity at byte offset {self.byte_offset(index)}"
                )
            raise _parse_error(
                f"Can't find end of the entity starting at byte offset {self.byte_offset(index)}"
            )
        return "".join(self.parts), self.entities

    def step(self, i: int) -> int:
        src, ch = self.src, self.src[i]
        if ch == "\\" and i + 1 < len(src) and (self.v2 or src[i + 1] in "_*`["):
            self.emit(src[i + 1])
            return i + 2
        if ch == "`":
            return self.code(i)
        if ch == "[":
            self.open.append(("[", self.length, i))
            return i + 1
        if ch == "]" and any(m == "[" for m, _, _ in self.open):
            return self.link(i)
        marker = self.marker_at(i)
        if marker:
            self.toggle(marker, i)
            return i + len(marker)
        if self.v2 and ch == ">" and (i == 0 or src[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.length
            return i + 1
        if self.v2 and ch in MD2_RESERVED:
            raise _parse_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == "\n" and self.quote_start is not None and not src.startswith(">", i + 1):
            self.add({"type": "blockquote"}, self.quote_start)
            self.quote_start = None
        self.emit(ch)
        return i + 1

    def marker_at(self, i: int) -> str | None:
        src = self.src
        if self.v2:
            for marker in ("__", "||", "*", "_", "~"):
                if src.startswith(marker, i):
                    return marker
            return None
        return src[i] if src[i] in "*_" else None

    def toggle(self, marker: str, index: int) -> None:
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == marker:
                _, start, _ = self.open.pop(position)
                self.add({"type": MD_TYPES[marker]}, start)
                return
        self.open.append((marker, self.length, index))

    def code(self, i: int) -> int:
        src = self.src
        fence = "```" if src.startswith("```", i) else "`"
        j, buf = i + len(fence), []
        while j < len(src) and not src.startswith(fence, j):
            if self.v2 and src[j] == "\\" and j + 1 < len(src):
                buf.append(src[j + 1])
                j += 2
            else:
                buf.append(src[j])
                j += 1
        if j >= len(src):
            name = "Pre" if len(fence) == 3 else "Code"
            detail = (
                f"Can't find end of {name} entity at byte offset {self.byte_offset(i)}"
                if self.v2
                else f"Can't find end of the entity starting at byte offset {self.byte_offset(i)}"
            )
            raise _parse_error(detail)
        content = "".join(buf)
        entity: dict[str, Any] = {"type": "code"}
        if len(fence) == 3:
            entity = {"type": "pre"}
            first, newline, rest = content.partition("\n")
            if newline and first and not any(c.isspace() for c in first):
                entity["language"] = first
                content = rest
            elif newline and not first:
                content = rest
        start = self.length
        self.emit(content)
        self.add(entity, start)
        return j + len(fence)

    def link(self, i: int) -> int:
        src = self.src
        position = max(p for p, (m, _, _) in enumerate(self.open) if m == "[")
        _, start, index = self.open.pop(position)
        if not src.startswith("(", i + 1):
            if self.v2:
                raise _parse_error(
                    f"Can't find end of TextUrl entity at byte offset {self.byte_offset(index)}"
                )
            self.emit("]")
            return i + 1
        j, url = i + 2, []
        while j < len(src) and src[j] != ")":
            if src[j] == "\\" and j + 1 < len(src):
                url.append(src[j + 1])
                j += 2
            else:
                url.append(src[j])
                j += 1
        if j >= len(src):
            raise _parse_error(f"Can't find end of a URL at byte offset {self.byte_offset(i)}")
        self.add({"type": "text_link", "url": "".join(url).strip()}, start)
        return j + 1


URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def _auto_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Telegram marks links and /commands itself; add them where nothing else is."""
    found: list[dict[str, Any]] = []
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities]
    for pattern, kind in ((URL_RE, "url"), (COMMAND_RE, "bot_command")):
        for match in pattern.finditer(text):
            value = match.group().rstrip(".,;:!?)") if kind == "url" else match.group()
            start = _utf16_len(text[: match.start()])
            end = start + _utf16_len(value)
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return entities + found


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace from texts and captions; entities follow."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = _utf16_len(text[: len(text) - len(text.lstrip())])
    limit = _utf16_len(stripped)
    out = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            out.append({**entity, "offset": start, "length": end - start})
    return stripped, out


def format_text(
    raw: str, parse_mode: str | None, explicit: Any
) -> tuple[str, list[dict[str, Any]]]:
    """Turn what the bot sent into Telegram's stored text and entities."""
    mode = (parse_mode or "").strip().lower()
    if explicit:
        if not isinstance(explicit, list) or not all(isinstance(e, dict) for e in explicit):
            raise bad_request("can't parse entities JSON object")
        text, entities = raw, [dict(e) for e in explicit]
    elif mode == "html":
        text, entities = _parse_html(raw)
    elif mode in ("markdownv2", "markdown"):
        text, entities = _Markdown(raw, v2=mode == "markdownv2").parse()
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:
        text, entities = raw, []
    text, entities = _strip(text, entities)
    entities = _auto_entities(text, entities)
    return text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------- markup and files


def _markup_error() -> ApiError:
    return bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(markup: dict[str, Any]) -> dict[str, Any] | None:
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


def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
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
            buttons.append({"text": str(button["text"]), **_keyboard_extras(button)})
        if buttons:
            clean.append(buttons)
    return {
        "rows": clean,
        "one_time": bool(markup.get("one_time_keyboard")),
        "placeholder": markup.get("input_field_placeholder"),
    }


def _keyboard_extras(button: dict[str, Any]) -> dict[str, Any]:
    return {"request_contact": True} if button.get("request_contact") else {}


def _image_info(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) of a JPEG, PNG or GIF, or None if it is not one of those."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "image/gif", width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
                i += 2 if marker != 0xFF else 1
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "image/jpeg", width, height
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _safe_extension(file_name: str, mime_type: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        return suffix
    return mimetypes.guess_extension(mime_type) or ""


# --------------------------------------------------------------------------- the server


Handler = Callable[[_Params], Awaitable[Any]]


class SandboxServer:
    """A Bot API-compatible server with a chat page; see the module docstring."""

    def __init__(
        self,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        personas: Sequence[Persona] = (),
        bot_username: str = "mendbot_sandbox_bot",
        bot_name: str = "mendbot",
        last_update_id: int = 0,
    ) -> None:
        """`last_update_id`: where numbering continues, as Telegram's does for one bot (a bot that
        remembers the ids it processed must not see a fresh sandbox reuse them)."""
        head, sep, secret = token.partition(":")
        if not (head.isdigit() and sep and secret):
            raise ValueError("the bot token must look like '<digits>:<secret>'")
        self.token = token
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.bot_id = int(head)
        self.personas = list(personas)
        self.calls: list[ApiCall] = []
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._page = PAGE_PATH.read_bytes()
        self._users: dict[int, _User] = {}
        self._chats: dict[int, _Chat] = {}
        self._visitor_ids: list[int] = []
        self._next_visitor_id = FIRST_VISITOR_ID
        self._updates: dict[int, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._redeliver: list[dict[str, Any]] = []
        self._last_update_id = last_update_id
        self._allowed_updates = set(DEFAULT_ALLOWED_UPDATES)
        self._poll_generation = 0
        self._callbacks: dict[str, _Callback] = {}
        self._files: dict[str, _File] = {}
        self._file_paths: dict[str, _File] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._bot_settings: dict[str, Any] = {}
        self._fault: tuple[int, int, int] = (0, 0, 1)  # (status, remaining, retry_after)
        self._fault_rate: _FaultRate | None = None
        self._poll_faults: tuple[str, int] = ("", 0)  # (kind, remaining)
        self._webhook_url = ""
        self._webhook_secret = ""
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._updates_signal = _Signal()
        self._page_signal = _Signal()
        self._stop_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods = self._method_table()
        for persona in personas:
            self._add_user(persona.user_id, persona.first_name, persona.label, started=True)

    def __repr__(self) -> str:  # never shows the token
        return f"SandboxServer(base_url={self.base_url!r}, bot=@{self.bot_username})"

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def page_url(self) -> str:
        return self.base_url + "/"

    async def start(self) -> None:
        """Bind and serve; with port 0 the system picks a free port and `self.port` shows it."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[_page_errors])
        self._add_routes(app)
        self._closing = False
        # access_log=None: request paths contain the bot token, which must never be logged.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner
        log.info("sandbox serving on %s", self.base_url)

    async def stop(self) -> None:
        """Wake every long poll, stop webhook delivery and close the listening socket."""
        self._closing = True
        self._updates_signal.fire()
        self._page_signal.fire()
        self._stop_signal.fire()  # held (faulted) answers go out now
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_bot_file)
        app.router.add_get("/", self._handle_page)
        app.router.add_get("/api/personas", self._handle_personas)
        app.router.add_post("/api/visitors", self._handle_visitors)
        app.router.add_post("/api/send", self._handle_send)
        app.router.add_post("/api/press", self._handle_press)
        app.router.add_post("/api/contact", self._handle_contact)
        app.router.add_get("/api/chat/{user_id}", self._handle_chat)
        app.router.add_get("/api/files/{file_id}", self._handle_file)
        app.router.add_post("/api/faults", self._handle_faults)
        app.router.add_post("/api/block", self._handle_block)
        app.router.add_post("/api/replay", self._handle_replay)

    # ----------------------------------------------------------------- users, chats, updates

    def _add_user(self, user_id: int, first_name: str, label: str, *, started: bool) -> _User:
        if user_id in self._users:
            raise ValueError(f"user {user_id} already exists")
        info = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        user = _User(info=info, label=label, started=started)
        self._users[user_id] = user
        self._chats[user_id] = _Chat(user=user)
        return user

    def _chat_of(self, user_id: int) -> _Chat:
        chat = self._chats.get(user_id)
        if chat is None:
            raise SandboxError(404, f"No user with id {user_id}.")
        return chat

    @staticmethod
    def _chat_object(chat: _Chat) -> dict[str, Any]:
        return {
            "id": chat.user.info["id"],
            "first_name": chat.user.info["first_name"],
            "type": "private",
        }

    def _new_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Give an update the next id and queue it, unless the bot filtered its type out."""
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, kind: copy.deepcopy(payload)}
        self._queue(update, deliver=kind in self._allowed_updates)
        return update

    def _queue(self, update: dict[str, Any], *, deliver: bool) -> None:
        self._updates[update["update_id"]] = update
        if deliver:
            self._pending.append(update)
            self._updates_signal.fire()

    def _add_message(
        self, chat: _Chat, *, from_bot: bool, fields: dict[str, Any], **extra: Any
    ) -> _Stored:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data = {
            "message_id": message_id,
            "from": dict(self.bot_user if from_bot else chat.user.info),
            "chat": self._chat_object(chat),
            "date": int(time.time()),
            **fields,
        }
        stored = _Stored(data=data, from_bot=from_bot, **extra)
        chat.messages[message_id] = stored
        self._emit_message(chat, message_id)
        return stored

    def _emit_message(self, chat: _Chat, message_id: int) -> None:
        self._emit(chat, {"type": "message", "message_id": message_id})

    def _emit(self, chat: _Chat, entry: dict[str, Any]) -> None:
        chat.seq += 1
        chat.log.append((chat.seq, entry))
        self._page_signal.fire()

    # ----------------------------------------------------------------- what people do (page API)

    def add_visitor(self, first_name: str) -> int:
        """A brand-new Telegram user who has not talked to the bot yet."""
        name = " ".join(first_name.split())[:64] or "Visitor"
        while self._next_visitor_id in self._users:
            self._next_visitor_id += 1
        user_id = self._next_visitor_id
        self._next_visitor_id += 1
        self._add_user(user_id, name, "New visitor", started=False)
        self._visitor_ids.append(user_id)
        return user_id

    def user_sends(self, user_id: int, text: str) -> dict[str, Any]:
        """The user types `text`; returns the message update the bot will receive."""
        chat = self._chat_of(user_id)
        if not text.strip():
            raise SandboxError(400, "Type a message first.")
        if _utf16_len(text) > MAX_TEXT:
            raise SandboxError(400, f"Messages are limited to {MAX_TEXT} characters.")
        text, entities = _strip(text, [])
        fields: dict[str, Any] = {"text": text}
        entities = _auto_entities(text, entities)
        if entities:
            fields["entities"] = sorted(entities, key=lambda e: e["offset"])
        return self._user_message(chat, fields)

    def share_contact(self, user_id: int, phone_number: str) -> dict[str, Any]:
        """The user shares their own phone number, as a request_contact button does."""
        chat = self._chat_of(user_id)
        phone = re.sub(r"[\s()-]", "", phone_number)
        if not re.fullmatch(r"\+?\d{5,15}", phone):
            raise SandboxError(400, "That does not look like a phone number.")
        contact = {
            "phone_number": phone,
            "first_name": chat.user.info["first_name"],
            "user_id": chat.user.info["id"],
        }
        return self._user_message(chat, {"contact": contact})

    def _user_message(self, chat: _Chat, fields: dict[str, Any]) -> dict[str, Any]:
        if chat.user.blocked:  # writing to a blocked bot restarts it, as in Telegram
            self.set_blocked(chat.user.info["id"], False)
        chat.user.started = True
        stored = self._add_message(chat, from_bot=False, fields=fields)
        return self._new_update("message", stored.data)

    def press_button(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Press an inline button; only possible while the message really carries it."""
        chat = self._chat_of(user_id)
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise SandboxError(409, BUTTON_GONE)
        rows = (stored.data.get("reply_markup") or {}).get("inline_keyboard", [])
        if not any(button.get("callback_data") == data for row in rows for button in row):
            raise SandboxError(409, BUTTON_GONE)
        query_id = str(secrets.randbits(62))
        self._callbacks[query_id] = _Callback(chat_id=user_id)
        query = {
            "id": query_id,
            "from": dict(chat.user.info),
            "message": stored.data,
            "chat_instance": str(abs(hash((self.bot_id, user_id)))),
            "data": data,
        }
        return self._new_update("callback_query", query)

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Block or unblock the bot for a user; the bot hears of it like on Telegram."""
        chat = self._chat_of(user_id)
        if chat.user.blocked == blocked:
            return
        chat.user.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member_update = {
            "chat": self._chat_object(chat),
            "from": dict(chat.user.info),
            "date": int(time.time()),
            "old_chat_member": self._member(old),
            "new_chat_member": self._member(new),
        }
        self._new_update("my_chat_member", member_update)

    def _member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": dict(self.bot_user)}
        if status == "kicked":
            member["until_date"] = 0
        return member

    def replay(self, update_id: int) -> dict[str, Any]:
        """Deliver an already-delivered update again, as Telegram may after a crash."""
        update = self._updates.get(update_id)
        if update is None:
            raise SandboxError(404, f"No update with id {update_id}.")
        self._redeliver.append(update)
        self._updates_signal.fire()
        return update

    def inject_faults(self, status: int, count: int, retry_after: int = 1) -> None:
        """Make the next `count` message send/edit calls fail with 429, 500 or 502."""
        if status not in (429, 500, 502):
            raise ValueError("status must be 429, 500 or 502")
        if count < 0 or retry_after < 0:
            raise ValueError("count and retry_after must not be negative")
        self._fault = (status, count, retry_after)

    def inject_fault_rate(
        self,
        rate: float,
        kinds: Iterable[str] = DEFAULT_FAULT_KINDS,
        *,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
    ) -> None:
        """Fail a random share of calls, as a flaky network and a busy Telegram do.

        Each call of `methods` (default: the send/edit family) fails with probability `rate`,
        of a kind drawn from `kinds` (see the module docstring); `seed` makes the draws
        reproducible. Rate 0 turns random faults off.
        """
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        chosen = (kinds,) if isinstance(kinds, str) else tuple(str(kind) for kind in kinds)
        if not chosen or not set(chosen) <= FAULT_KINDS:
            raise ValueError(f"kinds must be some of {', '.join(sorted(FAULT_KINDS))}")
        if retry_after < 0 or not hold_seconds >= 0:
            raise ValueError("retry_after and hold_seconds must not be negative")
        names = FAULTABLE if methods is None else self._method_names(methods)
        if rate == 0:
            self._fault_rate = None
            return
        rng = random.Random(seed)
        self._fault_rate = _FaultRate(rate, chosen, names, rng, retry_after, hold_seconds)

    def _method_names(self, methods: Iterable[str]) -> frozenset[str]:
        """Canonical names of the given Bot API methods (any case); unknown ones are an error."""
        names = set()
        for method in (methods,) if isinstance(methods, str) else methods:
            entry = self._methods.get(str(method).lower())
            if entry is None:
                raise ValueError(f"unknown Bot API method {method!r}")
            names.add(entry[0])
        return frozenset(names)

    def inject_poll_faults(self, kind: str, count: int = 1) -> None:
        """Make the next `count` getUpdates calls answer badly (see the module docstring).

        Nothing is confirmed or taken, so the pending updates wait for the next good call:
        the test is whether the bot's polling loop survives the bad answer.
        """
        if kind not in POLL_FAULT_STATUS:
            raise ValueError(f"kind must be one of {', '.join(sorted(POLL_FAULT_STATUS))}")
        if count < 0:
            raise ValueError("count must not be negative")
        self._poll_faults = (kind, count)

    def inject_update(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Queue `fields` verbatim as an update (plus the next update_id); returns a copy.

        For tests that a bot survives updates it cannot decode, such as a message whose text is
        a number or which has no chat. Delivered by getUpdates and the webhook like any other.
        """
        if not isinstance(fields, dict):
            raise TypeError("fields must be a dict")
        if "update_id" in fields:
            raise ValueError("leave update_id out: the sandbox numbers updates itself")
        json.dumps(fields)  # TypeError/ValueError now rather than on every later getUpdates
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **copy.deepcopy(fields)}
        self._queue(update, deliver=self._raw_deliverable(set(fields)))
        return copy.deepcopy(update)

    def _raw_deliverable(self, keys: set[str]) -> bool:
        """allowed_updates filters a raw update only when all its keys are modelled types the
        bot left out; message and callback_query, the shapes a bot must survive, always pass."""
        if keys & RAW_ALWAYS_DELIVERED or not keys <= UPDATE_TYPES:
            return True
        return not keys or bool(keys & self._allowed_updates)

    # ----------------------------------------------------------------- reading state (tests)

    @property
    def updates(self) -> list[dict[str, Any]]:
        """Every update ever created, in order (including ones already confirmed)."""
        return list(self._updates.values())

    def history(self, chat_id: int) -> list[dict[str, Any]]:
        """Current Telegram Message objects of a chat (deleted ones left out), oldest first."""
        chat = self._chat_of(chat_id)
        return [copy.deepcopy(m.data) for m in chat.messages.values() if not m.deleted]

    def is_blocked(self, user_id: int) -> bool:
        return self._chat_of(user_id).user.blocked

    # ----------------------------------------------------------------- Bot API plumbing

    def _method_table(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._true,
            "logOut": self._true,
        }
        for name in ("setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton"):
            handlers[name] = self._store_setting(name)
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if not self._token_ok(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        method = request.match_info["method"]
        entry = self._methods.get(method.lower())
        try:
            params = await self._read_params(request)
        except ApiError as error:
            self.calls.append(ApiCall(entry[0] if entry else method, {}, error.code))
            return web.json_response(error.payload(), status=error.code)
        if entry is None:
            self.calls.append(ApiCall(method, params.record(), 404))
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        name, handler = entry
        if name == "getUpdates" and self._poll_faults[1] > 0:
            return self._poll_fault(request, params)
        drawn = self._draw_fault(name)
        if drawn is not None:
            return await self._random_fault(name, handler, params, *drawn)
        status, body = await self._execute(name, handler, params)
        return web.json_response(body, status=status)

    def _token_ok(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token.encode())

    async def _execute(
        self, name: str, handler: Handler, params: _Params, *, fault: str | None = None
    ) -> tuple[int, dict]:
        """Run one method (or an injected fault) and record the call."""
        try:
            counted = self._counted_fault(name)
            if counted is not None:
                fault = str(counted.code)
                raise counted
            result = await handler(params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.code, error.payload()
        except Exception:
            log.exception("sandbox failed on %s", name)
            status = 500
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        self.calls.append(ApiCall(name, params.record(), status, fault))
        return status, body

    def _counted_fault(self, name: str) -> ApiError | None:
        status, remaining, retry_after = self._fault
        if name not in FAULTABLE or remaining <= 0:
            return None
        self._fault = (status, remaining - 1, retry_after)
        return _fault_error(status, retry_after)

    def _draw_fault(self, name: str) -> tuple[str, _FaultRate] | None:
        """The random fault kind for this call, if it gets one (counted faults go first)."""
        plan = self._fault_rate
        if plan is None or name not in plan.methods:
            return None
        if name in FAULTABLE and self._fault[1] > 0:
            return None
        if plan.rng.random() >= plan.rate:
            return None
        return plan.rng.choice(plan.kinds), plan

    async def _random_fault(
        self, name: str, handler: Handler, params: _Params, kind: str, plan: _FaultRate
    ) -> web.Response:
        """Answer with a random fault; "late" performs the method, the others do not."""
        if kind == "late":
            status, body = await self._execute(name, handler, params, fault=kind)
            await self._hold(plan.hold_seconds)
            return web.json_response(body, status=status)
        if kind == "timeout":
            error = ApiError(504, "Gateway Timeout")
            self.calls.append(ApiCall(name, params.record(), error.code, kind))
            await self._hold(plan.hold_seconds)
        else:
            error = _fault_error(int(kind), plan.retry_after)
            self.calls.append(ApiCall(name, params.record(), error.code, kind))
        return web.json_response(error.payload(), status=error.code)

    async def _hold(self, seconds: float) -> None:
        """Sit on an answer without blocking other requests; stop() cuts the wait short."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            await self._stop_signal.wait(remaining)

    def _poll_fault(self, request: web.Request, params: _Params) -> web.Response:
        """Answer one getUpdates badly, as a proxy or a broken network might; nothing is
        confirmed or taken, so the same updates come with the next good call."""
        kind, remaining = self._poll_faults
        self._poll_faults = (kind, remaining - 1)
        self.calls.append(ApiCall("getUpdates", params.record(), POLL_FAULT_STATUS[kind], kind))
        if kind == "html502":
            return web.Response(status=502, text=PROXY_502_PAGE, content_type="text/html")
        if kind == "garbage":
            return web.Response(body=GARBAGE_BODY, content_type="application/json")
        if kind == "not_ok":
            return web.json_response({"ok": True, "result": "nope"})
        if request.transport is not None:  # "disconnect": no answer at all
            request.transport.close()
        return web.Response()

    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            try:
                if content_type == "application/json":
                    body = json.loads(await request.read() or b"{}")
                    if not isinstance(body, dict):
                        raise bad_request("the JSON body must be an object")
                    values.update(body)
                elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                    form = await request.post()
                    for key, value in form.items():
                        if isinstance(value, web.FileField):
                            data = value.file.read()
                            files[key] = _Upload(value.filename or key, value.content_type, data)
                        else:
                            values[key] = value
            except web.HTTPRequestEntityTooLarge as exc:
                raise ApiError(413, "Request Entity Too Large") from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise bad_request("can't parse request body") from exc
        return _Params.build(values, files)

    async def _true(self, params: _Params) -> bool:
        return True

    def _store_setting(self, name: str) -> Handler:
        async def store(params: _Params) -> bool:
            self._bot_settings[name] = params.record()
            return True

        return store

    # ----------------------------------------------------------------- getMe, updates, webhooks

    async def _get_me(self, params: _Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_allowed_updates(self, allowed: Any) -> None:
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = (
            set(DEFAULT_ALLOWED_UPDATES) if not allowed else set(map(str, allowed)) & UPDATE_TYPES
        )

    async def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_POLL_TIMEOUT)
        self._set_allowed_updates(params.obj("allowed_updates"))
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older waiting poll now ends with a conflict
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self._webhook_url:
                raise ApiError(409, CONFLICT_WEBHOOK)
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLLER)
            batch = self._take_batch(limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or self._closing or remaining <= 0:
                return batch
            await self._updates_signal.wait(remaining)

    def _confirm(self, offset: int) -> None:
        """Telegram forgets every update below the offset (a negative one keeps the last -N)."""
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def _take_batch(self, limit: int) -> list[dict[str, Any]]:
        replays, self._redeliver = self._redeliver[:limit], self._redeliver[limit:]
        batch = replays + self._pending[: limit - len(replays)]
        return sorted(batch, key=lambda u: u["update_id"])

    async def _set_webhook(self, params: _Params) -> bool:
        url = (params.text("url") or "").strip()
        if not url:
            return await self._delete_webhook(params)
        if not re.match(r"https?://", url, re.IGNORECASE):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(params.obj("allowed_updates"))
        await self._stop_webhook()
        if params.boolean("drop_pending_updates"):
            self._pending.clear()
        self._webhook_url, self._webhook_secret = url, secret
        self._webhook_error = None
        self._webhook_task = asyncio.create_task(self._webhook_loop(url, secret))
        self._updates_signal.fire()  # a waiting getUpdates now answers 409
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        await self._stop_webhook()
        self._webhook_url = self._webhook_secret = ""
        if params.boolean("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _stop_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending) + len(self._redeliver),
        }
        if self._webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _webhook_loop(self, url: str, secret: str) -> None:
        """POST updates to the webhook one at a time, in order, retrying with backoff."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        backoff = WEBHOOK_BACKOFF_START
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                queue = self._redeliver or self._pending
                if not queue:
                    await self._updates_signal.wait(None)
                    continue
                update = queue[0]
                if await self._post_update(session, url, headers, update):
                    if queue and queue[0] is update:
                        queue.pop(0)
                    backoff = WEBHOOK_BACKOFF_START
                else:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, WEBHOOK_BACKOFF_MAX)

    async def _post_update(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        update: dict[str, Any],
    ) -> bool:
        try:
            async with session.post(url, json=update, headers=headers) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    self._webhook_error = (
                        int(time.time()),
                        f"Wrong response from the webhook: {response.status} {response.reason}",
                    )
                    return False
                ctype = response.content_type
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._webhook_error = (int(time.time()), f"Connection failed: {type(exc).__name__}")
            return False
        if ctype == "application/json" and body:
            await self._webhook_reply(body)
        return True

    async def _webhook_reply(self, body: bytes) -> None:
        """A webhook answer may itself be a method call, which Telegram then performs."""
        with contextlib.suppress(ValueError):
            reply = json.loads(body)
            if isinstance(reply, dict) and isinstance(reply.get("method"), str):
                entry = self._methods.get(reply["method"].lower())
                if entry and entry[0] not in ("setWebhook", "deleteWebhook", "getUpdates"):
                    values = {k: v for k, v in reply.items() if k != "method"}
                    with contextlib.suppress(ApiError):
                        await self._execute(entry[0], entry[1], _Params.build(values, {}))

    # ----------------------------------------------------------------- messages

    def _target_chat(self, params: _Params, *, sending: bool = True) -> _Chat:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if sending and not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _formatted(
        self, params: _Params, name: str, entities_name: str, limit: int
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = params.text(name) or ""
        text, entities = format_text(raw, params.text("parse_mode"), params.obj(entities_name))
        if _utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if name == "text" else "message caption is too long"
            )
        return text, entities

    def _text_fields(self, params: _Params) -> dict[str, Any]:
        text, entities = self._formatted(params, "text", "entities", MAX_TEXT)
        if not text:
            raise bad_request("message text is empty")
        return {"text": text, "entities": entities}

    def _caption_fields(self, params: _Params) -> dict[str, Any]:
        caption, entities = self._formatted(params, "caption", "caption_entities", MAX_CAPTION)
        return {"caption": caption, "caption_entities": entities}

    def _markup(self, params: _Params) -> dict[str, Any]:
        """Split reply_markup into what the message shows and what the chat's keyboard does."""
        markup = params.obj("reply_markup")
        if markup is None:
            return {}
        if not isinstance(markup, dict):
            raise _markup_error()
        if "inline_keyboard" in markup:
            return {"reply_markup": _inline_keyboard(markup)}
        if "keyboard" in markup:
            return {"keyboard": _reply_keyboard(markup)}
        if markup.get("remove_keyboard"):
            return {"remove_keyboard": True}
        if markup.get("force_reply"):
            return {}
        raise _markup_error()

    def _reply_to(self, chat: _Chat, params: _Params) -> dict[str, Any]:
        reply = params.obj("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.boolean("allow_sending_without_reply")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return {}
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow_missing:
                return {}
            raise bad_request("message to be replied not found")
        original = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        return {"reply_to_message": copy.deepcopy(original)}

    def _send(self, chat: _Chat, params: _Params, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a bot message built from `fields` plus markup and reply, minus empty values."""
        markup = self._markup(params)
        fields = {**fields, **self._reply_to(chat, params)}
        if markup.get("reply_markup"):
            fields["reply_markup"] = markup["reply_markup"]
        fields = {k: v for k, v in fields.items() if v not in (None, "", [])}
        stored = self._add_message(
            chat,
            from_bot=True,
            fields=fields,
            keyboard=markup.get("keyboard"),
            remove_keyboard=bool(markup.get("remove_keyboard")),
        )
        return copy.deepcopy(stored.data)

    async def _send_message(self, params: _Params) -> dict[str, Any]:
        chat = self._target_chat(params)
        return self._send(chat, params, self._text_fields(params))

    def _editable(self, params: _Params) -> tuple[_Chat, _Stored]:
        if params.text("inline_message_id"):
            raise bad_request("message to edit not found")
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

    def _inline_only(self, params: _Params) -> dict[str, Any] | None:
        markup = params.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return _inline_keyboard(markup)

    def _apply_edit(self, chat: _Chat, stored: _Stored, changes: dict[str, Any]) -> dict[str, Any]:
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
        self._emit_message(chat, data["message_id"])
        return copy.deepcopy(data)

    async def _edit_message_text(self, params: _Params) -> dict[str, Any]:
        chat, stored = self._editable(params)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        changes = {**self._text_fields(params), "reply_markup": self._inline_only(params)}
        return self._apply_edit(chat, stored, changes)

    async def _edit_message_caption(self, params: _Params) -> dict[str, Any]:
        chat, stored = self._editable(params)
        if "text" in stored.data:
            raise bad_request("there is no caption in the message to edit")
        changes = {**self._caption_fields(params), "reply_markup": self._inline_only(params)}
        return self._apply_edit(chat, stored, changes)

    async def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any]:
        chat, stored = self._editable(params)
        return self._apply_edit(chat, stored, {"reply_markup": self._inline_only(params)})

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._target_chat(params, sending=False)
        message_id = params.integer("message_id")
        stored = chat.messages.get(message_id) if message_id is not None else None
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        self._emit_message(chat, stored.data["message_id"])
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        callback = self._callbacks.get(params.text("callback_query_id") or "")
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
            self._emit(self._chats[callback.chat_id], toast)
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        chat = self._target_chat(params)
        action = params.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._emit(chat, {"type": "action", "action": action})
        return True

    # ----------------------------------------------------------------- files

    async def _send_photo(self, params: _Params) -> dict[str, Any]:
        chat = self._target_chat(params)
        stored = self._file_from(params, "photo")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": len(stored.data),
        }
        return self._send(chat, params, {"photo": [size], **self._caption_fields(params)})

    async def _send_document(self, params: _Params) -> dict[str, Any]:
        chat = self._target_chat(params)
        stored = self._file_from(params, "document")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
        return self._send(chat, params, {"document": document, **self._caption_fields(params)})

    def _file_from(self, params: _Params, kind: str) -> _File:
        """An uploaded file becomes a new stored file; a file_id string reuses one."""
        source = params.upload(kind)
        if source is None:
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(source, _Upload):
            return self._store_upload(source, kind)
        if re.match(r"https?://", source, re.IGNORECASE):
            raise bad_request("failed to get HTTP URL content")
        existing = self._files.get(source)
        if existing is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if existing.kind != kind:
            raise bad_request(f"can't use file of type {existing.kind.title()} as {kind.title()}")
        return existing

    def _store_upload(self, upload: _Upload, kind: str) -> _File:
        if not upload.data:
            raise bad_request("file must be non-empty")
        width = height = 0
        mime_type = upload.content_type
        if kind == "photo":
            info = _image_info(upload.data)
            if info is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime_type, width, height = info
        elif not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        number = len(self._files) + 1
        folder = "photos" if kind == "photo" else "documents"
        file_path = f"{folder}/file_{number}{_safe_extension(upload.filename, mime_type)}"
        prefix = "AgAC" if kind == "photo" else "BQAC"
        stored = _File(
            file_id=f"{prefix}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(8)}",
            kind=kind,
            data=upload.data,
            mime_type=mime_type,
            file_name=Path(upload.filename).name or "file",
            file_path=file_path,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._file_paths[file_path] = stored
        return stored

    async def _get_file(self, params: _Params) -> dict[str, Any]:
        stored = self._files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _handle_bot_file(self, request: web.Request) -> web.Response:
        if not self._token_ok(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._file_paths.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return self._file_response(stored, inline=False)

    @staticmethod
    def _file_response(stored: _File, *, inline: bool) -> web.Response:
        disposition = "inline" if inline else "attachment"
        name = quote(stored.file_name)
        headers = {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        }
        return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)

    # ----------------------------------------------------------------- commands

    @staticmethod
    def _scope_key(params: _Params) -> tuple[str, str]:
        scope = params.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    async def _set_my_commands(self, params: _Params) -> bool:
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
        key = self._scope_key(params)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        self._page_signal.fire()
        return True

    async def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        return copy.deepcopy(self._commands.get(self._scope_key(params), []))

    async def _delete_my_commands(self, params: _Params) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def commands_for(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu a private chat shows, resolved by scope like Telegram does."""
        scopes = [
            {"chat_id": chat_id, "type": "chat"},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        language = self._chats[chat_id].user.info.get("language_code", "")
        for scope in scopes:
            key = json.dumps(scope, sort_keys=True)
            for lang in (language, ""):
                if self._commands.get((key, lang)):
                    return copy.deepcopy(self._commands[(key, lang)])
        return []

    # ----------------------------------------------------------------- page API handlers

    async def _handle_page(self, request: web.Request) -> web.Response:
        csp = (
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'"
        )
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": csp}
        return web.Response(
            body=self._page, content_type="text/html", charset="utf-8", headers=headers
        )

    async def _handle_personas(self, request: web.Request) -> web.Response:
        def person(user_id: int) -> dict[str, Any]:
            user = self._users[user_id]
            return {"user_id": user_id, "first_name": user.info["first_name"], "label": user.label}

        return web.json_response(
            {
                "personas": [person(p.user_id) for p in self.personas],
                "visitors": [person(user_id) for user_id in self._visitor_ids],
                "bot": {"username": self.bot_username, "name": self.bot_name},
            }
        )

    async def _handle_visitors(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = self.add_visitor(str(body.get("first_name") or ""))
        return web.json_response(
            {"user_id": user_id, "first_name": self._users[user_id].info["first_name"]}
        )

    async def _handle_send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise SandboxError(400, "text must be a string.")
        update = self.user_sends(_int_field(body, "user_id"), text)
        message_id = update["message"]["message_id"]
        return web.json_response({"update_id": update["update_id"], "message_id": message_id})

    async def _handle_press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        data = body.get("data")
        if not isinstance(data, str):
            raise SandboxError(400, "data must be a string.")
        update = self.press_button(
            _int_field(body, "user_id"), _int_field(body, "message_id"), data
        )
        query_id = update["callback_query"]["id"]
        return web.json_response({"update_id": update["update_id"], "callback_query_id": query_id})

    async def _handle_contact(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        update = self.share_contact(
            _int_field(body, "user_id"), str(body.get("phone_number") or "")
        )
        message_id = update["message"]["message_id"]
        return web.json_response({"update_id": update["update_id"], "message_id": message_id})

    async def _handle_chat(self, request: web.Request) -> web.Response:
        """Long poll for a chat: answers once something newer than `after` exists (or at wait)."""
        chat = self._chat_of(_int_text(request.match_info["user_id"], "user_id"))
        after = _int_text(request.query.get("after", "0"), "after")
        wait = min(max(_float_text(request.query.get("wait", "0"), "wait"), 0.0), MAX_PAGE_WAIT)
        reset = after > chat.seq or after < 0
        if reset:
            after = 0
        deadline = asyncio.get_running_loop().time() + wait
        while chat.seq <= after and not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._page_signal.wait(remaining)
        user_id = chat.user.info["id"]
        return web.json_response(
            {
                "seq": chat.seq,
                "events": self._events_since(chat, after),
                "reset": reset,
                "commands": self.commands_for(user_id),
                "user": {
                    "user_id": user_id,
                    "first_name": chat.user.info["first_name"],
                    "label": chat.user.label,
                    "blocked": chat.user.blocked,
                },
            }
        )

    def _events_since(self, chat: _Chat, after: int) -> list[dict[str, Any]]:
        """Each changed message once, in its current state, plus toasts and actions, by seq."""
        events: list[dict[str, Any]] = []
        seen: set[int] = set()
        for seq, entry in reversed(chat.log):
            if seq <= after:
                break
            if entry["type"] != "message":
                events.append({"seq": seq, **entry})
            elif entry["message_id"] not in seen:
                seen.add(entry["message_id"])
                view = self._view(chat.messages[entry["message_id"]])
                events.append({"seq": seq, "type": "message", "message": view})
        events.reverse()
        return events

    def _view(self, stored: _Stored) -> dict[str, Any]:
        """What the page needs to draw one message."""
        data = stored.data
        rows = (data.get("reply_markup") or {}).get("inline_keyboard", [])
        photo = document = None
        if data.get("photo"):
            size = data["photo"][-1]
            photo = {
                "url": f"/api/files/{size['file_id']}",
                "file_id": size["file_id"],
                "width": size["width"],
                "height": size["height"],
            }
        if data.get("document"):
            doc = data["document"]
            document = {
                "url": f"/api/files/{doc['file_id']}",
                "file_id": doc["file_id"],
                "file_name": doc["file_name"],
                "mime_type": doc["mime_type"],
                "file_size": doc["file_size"],
            }
        return {
            "message_id": data["message_id"],
            "from_bot": stored.from_bot,
            "date": data["date"],
            "text": data.get("text"),
            "entities": data.get("entities", []),
            "caption": data.get("caption"),
            "caption_entities": data.get("caption_entities", []),
            "buttons": [[_button_view(button) for button in row] for row in rows],
            "photo": photo,
            "document": document,
            "contact": data.get("contact"),
            "keyboard": stored.keyboard,
            "remove_keyboard": stored.remove_keyboard,
            "edited": "edit_date" in data,
            "deleted": stored.deleted,
        }

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            raise SandboxError(404, "No such file.")
        return self._file_response(stored, inline=stored.kind == "photo")

    async def _handle_faults(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if "rate" in body:
            return self._page_fault_rate(body)
        if "poll" in body:
            return self._page_poll_faults(body)
        status = _int_field(body, "status")
        count = _int_field(body, "count")
        retry_after = int(body.get("retry_after") or 1)
        try:
            self.inject_faults(status, count, retry_after)
        except ValueError as exc:
            raise SandboxError(400, str(exc)) from exc
        return web.json_response({"status": status, "count": count, "retry_after": retry_after})

    def _page_fault_rate(self, body: dict[str, Any]) -> web.Response:
        """POST /api/faults {rate, kinds, seed, methods, retry_after, hold_seconds}."""
        rate = _float_field(body, "rate")
        kinds = body.get("kinds", list(DEFAULT_FAULT_KINDS))
        methods = body.get("methods")
        seed = body.get("seed")
        if not _str_list(kinds) or not (methods is None or _str_list(methods)):
            raise SandboxError(400, "kinds and methods must be lists of strings.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise SandboxError(400, "seed must be a whole number.")
        retry_after = _int_field(body, "retry_after") if "retry_after" in body else 1
        hold = _float_field(body, "hold_seconds") if "hold_seconds" in body else None
        try:
            self.inject_fault_rate(
                rate,
                kinds,
                seed=seed,
                methods=methods,
                retry_after=retry_after,
                hold_seconds=DEFAULT_HOLD_SECONDS if hold is None else hold,
            )
        except ValueError as exc:
            raise SandboxError(400, str(exc)) from exc
        return web.json_response({"rate": rate, "kinds": kinds, "seed": seed})

    def _page_poll_faults(self, body: dict[str, Any]) -> web.Response:
        """POST /api/faults {poll, count}."""
        kind = body.get("poll")
        count = _int_field(body, "count") if "count" in body else 1
        if not isinstance(kind, str):
            raise SandboxError(400, "poll must be a string.")
        try:
            self.inject_poll_faults(kind, count)
        except ValueError as exc:
            raise SandboxError(400, str(exc)) from exc
        return web.json_response({"poll": kind, "count": count})

    async def _handle_block(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _int_field(body, "user_id")
        blocked = body.get("blocked", True)
        if not isinstance(blocked, bool):
            raise SandboxError(400, "blocked must be true or false.")
        self.set_blocked(user_id, blocked)
        return web.json_response({"user_id": user_id, "blocked": blocked})

    async def _handle_replay(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        update = self.replay(_int_field(body, "update_id"))
        return web.json_response({"update_id": update["update_id"]})


def _button_view(button: dict[str, Any]) -> dict[str, Any]:
    view = {"text": button["text"]}
    for key in ("callback_data", "url"):
        if key in button:
            view[key] = button[key]
    return view


@web.middleware
async def _page_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn SandboxError into {"error": ...} answers for the page API."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except SandboxError as error:
        return web.json_response({"error": error.message}, status=error.status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise SandboxError(400, "Send a JSON object.") from None
    if not isinstance(body, dict):
        raise SandboxError(400, "Send a JSON object.")
    return body


def _int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or value is None:
        raise SandboxError(400, f"{name} must be a whole number.")
    return _int_text(value, name)


def _int_text(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError(400, f"{name} must be a whole number.") from None


def _float_text(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise SandboxError(400, f"{name} must be a number.") from None


def _float_field(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SandboxError(400, f"{name} must be a number.")
    return float(value)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
