"""The chat page (page.html) and the JSON API it, the driver and end-to-end tests use.

    GET  /                              the chat page; `?user=ID` preselects a person,
                                        `?start=CODE` offers to join as a new visitor with a code
    GET  /favicon.svg, /favicon.ico     the page's icon (SVG)
    GET  /api/personas                  {personas: [...], visitors: [...], bot: {username, name},
                                        can_reset}; visitors include the people the bot knew
                                        before this sandbox started
    POST /api/visitors {first_name, language_code?}
                                        a new user (ids from 5_000_001, above any id the bot
                                        stored), their Telegram in that language (default en)
                                        -> {user_id, first_name}
    POST /api/reset                     the demo centre as at the first start (the app's, via
                                        on_reset; 404 without one) -> {reset: true}
    POST /api/send {user_id, text}      a message from that user -> {update_id, message_id}
    POST /api/press {user_id, message_id, data}
                                        a callback query -> {update_id, callback_query_id};
                                        409 {error} when the button is not on that message now
    POST /api/contact {user_id, phone_number}
                                        the user shares their own contact -> {update_id, message_id}
    GET  /api/chat/{user_id}?after=SEQ&wait=SECONDS
                                        long poll (wait <= 30 s) -> {seq, events, reset, commands,
                                        user}; events are message states and toasts
    GET  /api/files/{file_id}           the file's bytes (images inline, documents as attachments)

Test controls, as SandboxServer's methods of the same names do them in process:
    POST /api/faults {status, count, retry_after}             inject_faults
    POST /api/faults {rate, kinds, seed, methods, retry_after, hold_seconds}
                                                              inject_fault_rate (rate 0: off)
    POST /api/faults {poll, count}                            inject_poll_faults
    POST /api/block {user_id, blocked}                        set_blocked
    POST /api/replay {update_id}                              deliver that update once more,
                                                              with its update_id, as after a crash

Errors answer {"error": message} with a 4xx status.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.chats import Chat, Stored
from bot.sandbox.errors import SandboxError
from bot.sandbox.faults import DEFAULT_FAULT_KINDS, DEFAULT_HOLD_SECONDS
from bot.sandbox.files import file_response

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

PAGE_PATH = Path(__file__).with_name("page.html")
ICON_PATH = Path(__file__).with_name("favicon.svg")
MAX_PAGE_WAIT = 30.0
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'"
)


class PageApi:
    """The page's routes, acting through the server's public methods and reading its chats."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.chats = server.chats
        self._page = PAGE_PATH.read_bytes()
        self._icon = ICON_PATH.read_bytes()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page_html)
        for path in ("/favicon.svg", "/favicon.ico"):  # browsers ask for /favicon.ico anyway
            app.router.add_get(path, self._favicon)
        app.router.add_get("/api/personas", self._personas)
        app.router.add_post("/api/visitors", self._visitors)
        app.router.add_post("/api/reset", self._reset)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/press", self._press)
        app.router.add_post("/api/contact", self._contact)
        app.router.add_get("/api/chat/{user_id}", self._chat)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_post("/api/faults", self._faults)
        app.router.add_post("/api/block", self._block)
        app.router.add_post("/api/replay", self._replay)

    # ----------------------------------------------------------------- the page and people

    async def _page_html(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": CSP}
        return web.Response(
            body=self._page, content_type="text/html", charset="utf-8", headers=headers
        )

    async def _favicon(self, request: web.Request) -> web.Response:
        """The page's icon (an SVG, which browsers take at either path), so no 404 in the log."""
        headers = {"Cache-Control": "public, max-age=86400"}
        return web.Response(body=self._icon, content_type="image/svg+xml", headers=headers)

    async def _personas(self, request: web.Request) -> web.Response:
        def person(user_id: int) -> dict[str, Any]:
            user = self.chats.users[user_id]
            return {
                "user_id": user_id,
                "first_name": user.info["first_name"],
                "label": user.label,
                "language_code": user.info.get("language_code", ""),
            }

        server = self.server
        return web.json_response(
            {
                "personas": [person(p.user_id) for p in server.personas],
                "visitors": [person(user_id) for user_id in self.chats.visitor_ids],
                "bot": {"username": server.bot_username, "name": server.bot_name},
                "can_reset": server.on_reset is not None,
            }
        )

    async def _reset(self, request: web.Request) -> web.Response:
        """The demo centre as at the first start: the app restores its people, then their chats
        here start afresh (their old messages belong to accounts that are gone)."""
        if self.server.on_reset is None:
            raise SandboxError(404, "This sandbox has no demo to reset.")
        await self.server.on_reset()
        for persona in self.server.personas:
            self.chats.clear_chat(persona.user_id)
        return web.json_response({"reset": True})

    async def _visitors(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = self.chats.add_visitor(
            str(body.get("first_name") or ""), str(body.get("language_code") or "en")
        )
        return web.json_response(
            {"user_id": user_id, "first_name": self.chats.users[user_id].info["first_name"]}
        )

    # ----------------------------------------------------------------- what a person does

    async def _send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise SandboxError(400, "text must be a string.")
        update = self.chats.user_sends(_int_field(body, "user_id"), text)
        message_id = update["message"]["message_id"]
        return web.json_response({"update_id": update["update_id"], "message_id": message_id})

    async def _press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        data = body.get("data")
        if not isinstance(data, str):
            raise SandboxError(400, "data must be a string.")
        update = self.chats.press_button(
            _int_field(body, "user_id"), _int_field(body, "message_id"), data
        )
        query_id = update["callback_query"]["id"]
        return web.json_response({"update_id": update["update_id"], "callback_query_id": query_id})

    async def _contact(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        update = self.chats.share_contact(
            _int_field(body, "user_id"), str(body.get("phone_number") or "")
        )
        message_id = update["message"]["message_id"]
        return web.json_response({"update_id": update["update_id"], "message_id": message_id})

    # ----------------------------------------------------------------- what a person sees

    async def _chat(self, request: web.Request) -> web.Response:
        """Long poll for a chat: answers once something newer than `after` exists (or at wait)."""
        chat = self.chats.chat_of(_int_text(request.match_info["user_id"], "user_id"))
        after = _int_text(request.query.get("after", "0"), "after")
        wait = min(max(_float_text(request.query.get("wait", "0"), "wait"), 0.0), MAX_PAGE_WAIT)
        reset = after > chat.seq or after < 0
        if reset:
            after = 0
        deadline = asyncio.get_running_loop().time() + wait
        while chat.seq <= after and not self.chats.closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self.chats.signal.wait(remaining)
        user_id = chat.user.info["id"]
        return web.json_response(
            {
                "seq": chat.seq,
                "events": _events_since(chat, after),
                "reset": reset,
                "commands": self.chats.commands_for(user_id),
                "user": {
                    "user_id": user_id,
                    "first_name": chat.user.info["first_name"],
                    "label": chat.user.label,
                    "blocked": chat.user.blocked,
                    "language_code": chat.user.info.get("language_code", ""),
                },
            }
        )

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.server.files.by_id.get(request.match_info["file_id"])
        if stored is None:
            raise SandboxError(404, "No such file.")
        return file_response(stored, inline=stored.kind == "photo")

    # ----------------------------------------------------------------- test controls

    async def _faults(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if "rate" in body:
            return self._fault_rate(body)
        if "poll" in body:
            return self._poll_faults(body)
        status = _int_field(body, "status")
        count = _int_field(body, "count")
        retry_after = int(body.get("retry_after") or 1)
        try:
            self.server.faults.inject_faults(status, count, retry_after)
        except ValueError as exc:
            raise SandboxError(400, str(exc)) from exc
        return web.json_response({"status": status, "count": count, "retry_after": retry_after})

    def _fault_rate(self, body: dict[str, Any]) -> web.Response:
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
            self.server.faults.inject_fault_rate(
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

    def _poll_faults(self, body: dict[str, Any]) -> web.Response:
        """POST /api/faults {poll, count}."""
        kind = body.get("poll")
        count = _int_field(body, "count") if "count" in body else 1
        if not isinstance(kind, str):
            raise SandboxError(400, "poll must be a string.")
        try:
            self.server.faults.inject_poll_faults(kind, count)
        except ValueError as exc:
            raise SandboxError(400, str(exc)) from exc
        return web.json_response({"poll": kind, "count": count})

    async def _block(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _int_field(body, "user_id")
        blocked = body.get("blocked", True)
        if not isinstance(blocked, bool):
            raise SandboxError(400, "blocked must be true or false.")
        self.chats.set_blocked(user_id, blocked)
        return web.json_response({"user_id": user_id, "blocked": blocked})

    async def _replay(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        update = self.server.updates.replay(_int_field(body, "update_id"))
        return web.json_response({"update_id": update["update_id"]})


@web.middleware
async def page_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn SandboxError into {"error": ...} answers for the page API."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except SandboxError as error:
        return web.json_response({"error": error.message}, status=error.status)


def _events_since(chat: Chat, after: int) -> list[dict[str, Any]]:
    """Each changed message once, in its current state, plus toasts, by seq."""
    events: list[dict[str, Any]] = []
    seen: set[int] = set()
    for seq, entry in reversed(chat.log):
        if seq <= after:
            break
        if entry["type"] != "message":
            events.append({"seq": seq, **entry})
        elif entry["message_id"] not in seen:
            seen.add(entry["message_id"])
            view = _view(chat.messages[entry["message_id"]])
            events.append({"seq": seq, "type": "message", "message": view})
    events.reverse()
    return events


def _view(stored: Stored) -> dict[str, Any]:
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


def _button_view(button: dict[str, Any]) -> dict[str, Any]:
    view = {"text": button["text"]}
    for key in ("callback_data", "url"):
        if key in button:
            view[key] = button[key]
    return view


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
