"""The sandbox over real HTTP: Bot API behaviour, the page API, test controls and the driver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import sys
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import Persona, SandboxServer

TOKEN = "123456:sandbox-secret"
ADMIN, TRAINER, CLIENT = 1001, 1002, 1003
PERSONAS = [
    Persona(ADMIN, "Ada", "Demo admin"),
    Persona(TRAINER, "Tom", "Demo trainer"),
    Persona(CLIENT, "Cleo", "Demo client"),
]
KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(TOKEN, personas=PERSONAS)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await http.post(f"/bot{TOKEN}/{method}", json=params)


async def ok(http: httpx.AsyncClient, method: str, **params: Any) -> Any:
    response = await call(http, method, **params)
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


async def events(http: httpx.AsyncClient, user_id: int, after: int = 0) -> list[dict[str, Any]]:
    response = await http.get(f"/api/chat/{user_id}", params={"after": after})
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()["events"]
    return result


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# ----------------------------------------------------------------------------- Bot API basics


async def test_get_me_describes_the_bot_from_the_token(http: httpx.AsyncClient) -> None:
    me = await ok(http, "getMe")
    assert me["id"] == 123456 and me["is_bot"] is True
    assert me["username"] == "mendbot_sandbox_bot"
    lower = await http.get(f"/bot{TOKEN}/getme")  # method names are case-insensitive
    assert lower.json()["result"]["id"] == 123456


async def test_wrong_token_is_401_and_unknown_method_is_404(http: httpx.AsyncClient) -> None:
    wrong = await http.post("/bot123456:nope/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await call(http, "sendTelepathy", chat_id=ADMIN)
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_shows_on_the_page(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sent = await ok(
        http, "sendMessage", chat_id=TRAINER, text=" Hello Tom: /help \n", reply_markup=KEYBOARD
    )
    assert sent["message_id"] == 1
    assert sent["chat"] == {"id": TRAINER, "first_name": "Tom", "type": "private"}
    assert sent["text"] == "Hello Tom: /help"
    assert sent["entities"] == [{"type": "bot_command", "offset": 11, "length": 5}]
    [event] = await events(http, TRAINER)
    message = event["message"]
    assert message["from_bot"] and message["text"] == "Hello Tom: /help"
    assert message["buttons"] == [[{"text": "Yes", "callback_data": "yes"}]]
    assert server.calls[-1].method == "sendMessage"
    assert server.calls[-1].params["reply_markup"] == KEYBOARD


async def test_form_encoded_objects_arrive_as_json_strings(http: httpx.AsyncClient) -> None:
    form = {"chat_id": str(ADMIN), "text": "Pick", "reply_markup": json.dumps(KEYBOARD)}
    response = await http.post(f"/bot{TOKEN}/sendMessage", data=form)
    assert response.json()["result"]["reply_markup"] == KEYBOARD


async def test_send_message_errors_match_telegram(http: httpx.AsyncClient) -> None:
    empty = await call(http, "sendMessage", chat_id=ADMIN, text="  ")
    assert (empty.status_code, empty.json()["description"]) == (
        400,
        "Bad Request: message text is empty",
    )
    nowhere = await call(http, "sendMessage", chat_id=42, text="hi")
    assert nowhere.json()["description"] == "Bad Request: chat not found"
    markdown = await call(http, "sendMessage", chat_id=ADMIN, text="*Hi*", parse_mode="MarkdownV2")
    assert markdown.status_code == 400  # plain text only: the bot never formats
    assert "unsupported parse_mode MarkdownV2" in markdown.json()["description"]
    visitor = (await http.post("/api/visitors", json={"first_name": "Nia"})).json()["user_id"]
    unstarted = await call(http, "sendMessage", chat_id=visitor, text="Hello?")
    assert unstarted.status_code == 403
    assert (
        unstarted.json()["description"] == "Forbidden: bot can't initiate conversation with a user"
    )


async def test_delete_and_contact_show_on_the_page(http: httpx.AsyncClient) -> None:
    sent = await ok(http, "sendMessage", chat_id=CLIENT, text="Temporary")
    assert await ok(http, "deleteMessage", chat_id=CLIENT, message_id=sent["message_id"])
    shared = await http.post("/api/contact", json={"user_id": CLIENT, "phone_number": "12"})
    assert shared.status_code == 400  # too short to be a phone number
    shared = await http.post(
        "/api/contact", json={"user_id": CLIENT, "phone_number": "+44 7700 900123"}
    )
    [deleted, contact] = [e["message"] for e in await events(http, CLIENT)]
    assert deleted["deleted"] and deleted["text"] == "Temporary"
    assert contact["contact"] == {
        "phone_number": "+447700900123",
        "first_name": "Cleo",
        "user_id": CLIENT,
    }
    [update] = await ok(http, "getUpdates")
    assert update["update_id"] == shared.json()["update_id"]
    assert update["message"]["contact"]["user_id"] == CLIENT


# ----------------------------------------------------------------------------- updates


async def test_page_send_becomes_an_update(http: httpx.AsyncClient) -> None:
    sent = await http.post("/api/send", json={"user_id": CLIENT, "text": "/start abc123"})
    assert sent.status_code == 200
    [update] = await ok(http, "getUpdates")
    assert update["update_id"] == sent.json()["update_id"]
    message = update["message"]
    assert message["message_id"] == sent.json()["message_id"] == 1
    assert message["text"] == "/start abc123"
    assert message["from"]["id"] == message["chat"]["id"] == CLIENT
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert isinstance(message["date"], int)


async def test_offset_confirms_and_drops_and_limit_caps(http: httpx.AsyncClient) -> None:
    ids = []
    for text in ("one", "two", "three"):
        sent = await http.post("/api/send", json={"user_id": CLIENT, "text": text})
        ids.append(sent.json()["update_id"])
    first_two = await ok(http, "getUpdates", limit=2)
    assert [u["update_id"] for u in first_two] == ids[:2]
    rest = await ok(http, "getUpdates", offset=ids[1] + 1)
    assert [u["message"]["text"] for u in rest] == ["three"]
    again = await ok(http, "getUpdates", offset=ids[0])  # below the confirmed offset: gone
    assert [u["update_id"] for u in again] == [ids[2]]


async def test_long_poll_returns_when_an_update_arrives(http: httpx.AsyncClient) -> None:
    poll = asyncio.create_task(ok(http, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await http.post("/api/send", json={"user_id": CLIENT, "text": "wake up"})
    updates = await asyncio.wait_for(poll, 3)
    assert [u["message"]["text"] for u in updates] == ["wake up"]


async def test_replay_redelivers_with_the_original_update_id(http: httpx.AsyncClient) -> None:
    sent = await http.post("/api/send", json={"user_id": CLIENT, "text": "once"})
    update_id = sent.json()["update_id"]
    [update] = await ok(http, "getUpdates")
    assert await ok(http, "getUpdates", offset=update_id + 1) == []
    replay = await http.post("/api/replay", json={"update_id": update_id})
    assert replay.status_code == 200
    [again] = await ok(http, "getUpdates", offset=update_id + 1)
    assert again == update
    assert await ok(http, "getUpdates", offset=update_id + 1) == []


# ----------------------------------------------------------------------------- edits and buttons


async def test_edit_changes_in_place_and_rejects_no_change(http: httpx.AsyncClient) -> None:
    sent = await ok(http, "sendMessage", chat_id=ADMIN, text="Draft", reply_markup=KEYBOARD)
    mid = sent["message_id"]
    edited = await ok(http, "editMessageText", chat_id=ADMIN, message_id=mid, text="Final")
    assert edited["message_id"] == mid and edited["text"] == "Final"
    assert "reply_markup" not in edited and "edit_date" in edited  # no markup: keyboard gone
    [event] = await events(http, ADMIN)
    assert event["message"]["text"] == "Final" and event["message"]["edited"]
    same = await call(http, "editMessageText", chat_id=ADMIN, message_id=mid, text="Final")
    assert same.status_code == 400
    assert same.json()["description"].startswith("Bad Request: message is not modified")
    missing = await call(http, "editMessageText", chat_id=ADMIN, message_id=99, text="x")
    assert missing.json()["description"] == "Bad Request: message to edit not found"


async def test_pressing_a_button_that_is_not_there_is_409(http: httpx.AsyncClient) -> None:
    sent = await ok(http, "sendMessage", chat_id=CLIENT, text="Q", reply_markup=KEYBOARD)
    mid = sent["message_id"]
    wrong = await http.post("/api/press", json={"user_id": CLIENT, "message_id": mid, "data": "no"})
    assert wrong.status_code == 409
    assert wrong.json() == {"error": "That button is no longer on this message."}
    await ok(http, "editMessageReplyMarkup", chat_id=CLIENT, message_id=mid)
    gone = await http.post("/api/press", json={"user_id": CLIENT, "message_id": mid, "data": "yes"})
    assert gone.status_code == 409
    assert await ok(http, "getUpdates") == []


async def test_press_makes_a_callback_query_and_answer_shows_a_toast(
    http: httpx.AsyncClient,
) -> None:
    sent = await ok(http, "sendMessage", chat_id=CLIENT, text="Ready?", reply_markup=KEYBOARD)
    press = {"user_id": CLIENT, "message_id": sent["message_id"], "data": "yes"}
    pressed = (await http.post("/api/press", json=press)).json()
    [update] = await ok(http, "getUpdates")
    query = update["callback_query"]
    assert (
        update["update_id"] == pressed["update_id"] and query["id"] == pressed["callback_query_id"]
    )
    assert query["data"] == "yes" and query["from"]["id"] == CLIENT
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["reply_markup"] == KEYBOARD and query["chat_instance"]
    assert await ok(http, "answerCallbackQuery", callback_query_id=query["id"], text="Saved")
    twice = await call(http, "answerCallbackQuery", callback_query_id=query["id"])
    assert twice.status_code == 400 and "query is too old" in twice.json()["description"]
    toasts = [e for e in await events(http, CLIENT) if e["type"] == "toast"]
    assert [(t["text"], t["show_alert"]) for t in toasts] == [("Saved", False)]


async def test_a_stopped_sandbox_forgets_what_it_recorded_when_told() -> None:
    """aiohttp keeps stopped servers alive in its handler cache: a long benchmark frees their
    chats, updates and calls this way."""
    sandbox = SandboxServer(TOKEN, personas=PERSONAS)
    async with sandbox, httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as http:
        sent = await ok(http, "sendMessage", chat_id=CLIENT, text="Ready?", reply_markup=KEYBOARD)
        press = {"user_id": CLIENT, "message_id": sent["message_id"], "data": "yes"}
        assert (await http.post("/api/press", json=press)).status_code == 200
    assert sandbox.calls and sandbox.chats.chats and sandbox.chats.callbacks
    assert sandbox.updates.by_id
    sandbox.forget_records()
    assert not sandbox.calls and not sandbox.chats.chats and not sandbox.chats.callbacks
    assert not sandbox.updates.by_id


# ----------------------------------------------------------------------------- controls


async def test_blocked_user_gives_403(http: httpx.AsyncClient) -> None:
    blocked = await http.post("/api/block", json={"user_id": CLIENT, "blocked": True})
    assert blocked.status_code == 200
    response = await call(http, "sendMessage", chat_id=CLIENT, text="Still there?")
    assert response.status_code == 403
    assert response.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    [update] = await ok(http, "getUpdates")
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"


async def test_injected_429_then_success(server: SandboxServer, http: httpx.AsyncClient) -> None:
    await http.post("/api/faults", json={"status": 429, "count": 1, "retry_after": 3})
    assert (await ok(http, "getMe"))["is_bot"]  # not in the send/edit family
    limited = await call(http, "sendMessage", chat_id=ADMIN, text="hi")
    assert limited.status_code == 429
    assert limited.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert (await ok(http, "sendMessage", chat_id=ADMIN, text="hi"))["message_id"] == 1
    server.inject_faults(500, 1)
    failed = await call(http, "sendMessage", chat_id=ADMIN, text="hi")
    assert failed.json()["error_code"] == 500
    assert [c.status for c in server.calls if c.method == "sendMessage"] == [429, 200, 500]


# ----------------------------------------------------------------------------- files


async def test_multipart_document_download_and_get_file(http: httpx.AsyncClient) -> None:
    files = {"document": ("plan.txt", b"week 1: rest", "text/plain")}
    response = await http.post(
        f"/bot{TOKEN}/sendDocument", data={"chat_id": str(ADMIN), "caption": "Plan"}, files=files
    )
    message = response.json()["result"]
    document = message["document"]
    assert message["caption"] == "Plan"
    assert (document["file_name"], document["mime_type"], document["file_size"]) == (
        "plan.txt",
        "text/plain",
        12,
    )
    page_file = await http.get(f"/api/files/{document['file_id']}")
    assert page_file.content == b"week 1: rest"
    assert page_file.headers["content-disposition"].startswith("attachment")
    info = await ok(http, "getFile", file_id=document["file_id"])
    bot_file = await http.get(f"/file/bot{TOKEN}/{info['file_path']}")
    assert bot_file.content == b"week 1: rest"


async def test_photo_upload_reads_the_size_and_reuses_file_ids(http: httpx.AsyncClient) -> None:
    files = {"photo": ("dot.png", tiny_png(), "image/png")}
    response = await http.post(f"/bot{TOKEN}/sendPhoto", data={"chat_id": str(ADMIN)}, files=files)
    [size] = response.json()["result"]["photo"]
    assert (size["width"], size["height"]) == (3, 2)
    again = await ok(http, "sendPhoto", chat_id=ADMIN, photo=size["file_id"])
    assert again["photo"][0]["file_id"] == size["file_id"]
    image = await http.get(f"/api/files/{size['file_id']}")
    assert image.headers["content-type"] == "image/png" and image.content == tiny_png()


# ----------------------------------------------------------------------------- webhooks


@contextlib.asynccontextmanager
async def receiver(fail_first: int) -> AsyncIterator[tuple[str, list[tuple[str, dict]]]]:
    """A tiny webhook endpoint that fails its first `fail_first` deliveries with 500."""
    received: list[tuple[str, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), await request.json())
        )
        return web.Response(status=500 if len(received) <= fail_first else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


async def test_webhook_delivers_with_secret_and_retries(http: httpx.AsyncClient) -> None:
    async with receiver(fail_first=1) as (url, received):
        assert await ok(http, "setWebhook", url=url, secret_token="s3cret")
        conflict = await call(http, "getUpdates")
        assert conflict.status_code == 409
        assert conflict.json()["description"].startswith("Conflict: can't use getUpdates method")
        first = (await http.post("/api/send", json={"user_id": ADMIN, "text": "a"})).json()
        second = (await http.post("/api/send", json={"user_id": ADMIN, "text": "b"})).json()
        for _ in range(200):
            if len(received) >= 3:
                break
            await asyncio.sleep(0.01)
        ids = [update["update_id"] for _, update in received]
        assert ids == [first["update_id"], first["update_id"], second["update_id"]]
        assert {secret for secret, _ in received} == {"s3cret"}
        info = await ok(http, "getWebhookInfo")
        assert info["url"] == url and info["pending_update_count"] == 0
        assert await ok(http, "deleteWebhook")
        assert await ok(http, "getUpdates") == []


@contextlib.asynccontextmanager
async def slow_receiver(seconds: float, fail: set[int]) -> AsyncIterator[tuple[str, dict]]:
    """A webhook endpoint taking `seconds` per update, failing the first try of each id in
    `fail`; records the order of deliveries and the most requests it had in flight at once,
    overall and per chat."""
    log: dict[str, Any] = {"order": [], "most": 0, "most_per_chat": 0}
    flying: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        flying.append(chat)
        log["most"] = max(log["most"], len(flying))
        log["most_per_chat"] = max(log["most_per_chat"], flying.count(chat))
        await asyncio.sleep(seconds)
        flying.remove(chat)
        log["order"].append((chat, update["message"]["text"]))
        if update["update_id"] in fail:
            fail.discard(update["update_id"])
            return web.Response(status=502)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", log
    finally:
        await runner.cleanup()


async def test_webhook_sends_chats_side_by_side_and_each_chat_in_order(
    http: httpx.AsyncClient,
) -> None:
    """As Telegram: up to max_connections requests at once, one chat's updates one at a time
    and in order, and a chat whose update failed waits for its retry while others go on."""
    sent = []
    for n in range(3):
        for user in (ADMIN, TRAINER, CLIENT):
            reply = await http.post("/api/send", json={"user_id": user, "text": str(n)})
            sent.append(reply.json()["update_id"])
    async with slow_receiver(0.05, fail={sent[0]}) as (url, log):
        assert await ok(http, "setWebhook", url=url, max_connections=2)
        assert (await ok(http, "getWebhookInfo"))["max_connections"] == 2
        for _ in range(300):
            if len(log["order"]) >= 10:
                break
            await asyncio.sleep(0.01)
        assert await ok(http, "deleteWebhook")
    assert (log["most"], log["most_per_chat"]) == (2, 1)
    for user in (ADMIN, TRAINER, CLIENT):
        texts = [text for chat, text in log["order"] if chat == user]
        assert texts == (["0", "0", "1", "2"] if user == ADMIN else ["0", "1", "2"])
    # the others did not wait for the admin's retry
    assert log["order"].index((TRAINER, "2")) < log["order"].index((ADMIN, "2"))


# ----------------------------------------------------------------------------- the driver


async def fake_bot(base_url: str) -> None:
    """Answers /start with a question and a press with a toast plus an edit, like a tiny bot."""
    async with httpx.AsyncClient(base_url=f"{base_url}/bot{TOKEN}", timeout=10) as bot:
        offset = 0
        while True:
            response = await bot.post("/getUpdates", json={"offset": offset, "timeout": 5})
            for update in response.json()["result"]:
                offset = update["update_id"] + 1
                if "message" in update:
                    chat_id = update["message"]["chat"]["id"]
                    text = "Welcome! Shall we start?"
                    await bot.post(
                        "/sendMessage",
                        json={"chat_id": chat_id, "text": text, "reply_markup": KEYBOARD},
                    )
                elif "callback_query" in update:
                    query = update["callback_query"]
                    await bot.post(
                        "/answerCallbackQuery",
                        json={"callback_query_id": query["id"], "text": "Saved"},
                    )
                    await bot.post(
                        "/editMessageText",
                        json={
                            "chat_id": query["message"]["chat"]["id"],
                            "message_id": query["message"]["message_id"],
                            "text": "You chose yes.",
                        },
                    )


async def test_driver_talks_to_a_bot(server: SandboxServer) -> None:
    bot = asyncio.create_task(fake_bot(server.base_url))
    user = await ChatUser.visitor(server.base_url, "Vera")
    try:
        assert user.user_id == 5_000_001
        await user.send("/start")
        question = await user.wait_for(contains="Welcome")
        assert question["buttons"][0][0]["text"] == "Yes"
        with pytest.raises(AssertionError, match="'Yes'"):
            await user.press("Maybe")
        await user.press("Yes")
        answer = await user.wait_for(lambda m: m["edited"], contains="You chose yes")
        assert answer["message_id"] == question["message_id"] and answer["buttons"] == []
        assert await user.toasts() == ["Saved"]
        assert [m["text"] for m in await user.messages()] == ["/start", "You chose yes."]
        stale = await user.press_data(question["message_id"], "yes")
        assert stale.status_code == 409
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        await user.aclose()


async def test_python_telegram_bot_works_against_the_sandbox(server: SandboxServer) -> None:
    """The real client library: JSON, form and multipart requests all land correctly."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    bot = Bot(TOKEN, base_url=f"{server.base_url}/bot", base_file_url=f"{server.base_url}/file/bot")
    async with bot:
        assert bot.username == "mendbot_sandbox_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        message = await bot.send_message(ADMIN, "Hi", reply_markup=markup)
        assert message.text == "Hi" and message.reply_markup == markup
        document = await bot.send_document(ADMIN, b"%PDF-1.4 tiny", filename="plan.pdf")
        assert document.document is not None and document.document.mime_type == "application/pdf"
        file = await bot.get_file(document.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 tiny"
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            await http.post("/api/send", json={"user_id": ADMIN, "text": "/help"})
        [update] = await bot.get_updates(timeout=1)
        assert update.message is not None and update.message.text == "/help"


# ----------------------------------------------------------------------------- reliability faults


def faults(server: SandboxServer) -> list[tuple[str, int, str | None]]:
    return [(c.method, c.status, c.fault) for c in server.calls if c.fault is not None]


@pytest.mark.parametrize(
    ("kind", "status", "description"),
    [
        ("429", 429, "Too Many Requests: retry after 2"),
        ("500", 500, "Internal Server Error"),
        ("502", 502, "Bad Gateway"),
    ],
)
async def test_random_error_faults_answer_like_telegram_and_do_nothing(
    server: SandboxServer, http: httpx.AsyncClient, kind: str, status: int, description: str
) -> None:
    server.inject_fault_rate(1.0, [kind], retry_after=2)
    failed = await call(http, "sendMessage", chat_id=ADMIN, text="hi")
    assert failed.status_code == status
    expected: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if status == 429:
        expected["parameters"] = {"retry_after": 2}
    assert failed.json() == expected
    assert (await ok(http, "getMe"))["is_bot"]  # not in the send/edit family
    assert server.history(ADMIN) == []
    assert faults(server) == [("sendMessage", status, kind)]


async def test_timeout_fault_holds_the_call_and_sends_nothing(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    server.inject_fault_rate(1.0, ["timeout"], hold_seconds=0.3)
    impatient = httpx.AsyncClient(base_url=server.base_url, timeout=httpx.Timeout(5, read=0.1))
    async with impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": ADMIN, "text": "a"})
    held = asyncio.create_task(call(http, "sendMessage", chat_id=ADMIN, text="b"))
    started = asyncio.get_running_loop().time()
    await asyncio.sleep(0.05)
    assert (await ok(http, "getMe"))["is_bot"]  # a held call does not block others
    assert not held.done()
    answer = await held
    assert asyncio.get_running_loop().time() - started >= 0.3
    assert answer.status_code == 504 and answer.json()["error_code"] == 504
    await asyncio.sleep(0.3)  # the first hold ends after its client left: no error
    assert server.history(ADMIN) == []
    assert faults(server) == [("sendMessage", 504, "timeout")] * 2


async def test_late_fault_performs_the_call_but_answers_late(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    server.inject_fault_rate(1.0, ["late"], hold_seconds=0.2)
    started = asyncio.get_running_loop().time()
    sent = await ok(http, "sendMessage", chat_id=ADMIN, text="maybe arrived")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert [m["text"] for m in server.history(ADMIN)] == ["maybe arrived"]
    assert sent["message_id"] == 1
    assert faults(server) == [("sendMessage", 200, "late")]


async def test_fault_rate_is_roughly_right_reproducible_and_zero_stops_it(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    async def statuses(count: int) -> list[int]:
        return [
            (await call(http, "sendMessage", chat_id=CLIENT, text=f"m{i}")).status_code
            for i in range(count)
        ]

    server.inject_fault_rate(0.2, ["429", "500", "502"], seed=7)
    first = await statuses(200)
    failed = [status for status in first if status != 200]
    assert 25 <= len(failed) <= 55
    assert set(failed) == {429, 500, 502}
    assert len(server.history(CLIENT)) == 200 - len(failed)
    assert len(faults(server)) == len(failed)
    server.inject_fault_rate(0.2, ["429", "500", "502"], seed=7)
    assert await statuses(200) == first
    server.inject_fault_rate(0)
    assert await statuses(30) == [200] * 30


async def test_fault_rate_can_target_other_methods_and_checks_its_arguments(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    server.inject_fault_rate(1.0, ["500"], methods=["getme"])
    assert (await call(http, "getMe")).status_code == 500
    assert (await ok(http, "sendMessage", chat_id=ADMIN, text="fine"))["text"] == "fine"
    for bad in (
        {"rate": 1.5},
        {"rate": 0.5, "kinds": ["418"]},
        {"rate": 0.5, "kinds": []},
        {"rate": 0.5, "methods": ["sendTelepathy"]},
        {"rate": 0.5, "hold_seconds": -1},
    ):
        with pytest.raises(ValueError):
            server.inject_fault_rate(**bad)


async def test_counted_faults_go_before_random_ones(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    server.inject_fault_rate(1.0, ["late"], hold_seconds=0.1)
    server.inject_faults(429, 1, retry_after=4)
    limited = await call(http, "sendMessage", chat_id=ADMIN, text="a")
    assert limited.json()["parameters"] == {"retry_after": 4}
    await ok(http, "sendMessage", chat_id=ADMIN, text="b")
    assert faults(server) == [("sendMessage", 429, "429"), ("sendMessage", 200, "late")]


async def test_stop_does_not_wait_for_held_answers() -> None:
    sandbox = SandboxServer(TOKEN, personas=PERSONAS)
    await sandbox.start()
    sandbox.inject_fault_rate(1.0, ["timeout"], hold_seconds=30)
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as http:
        held = asyncio.create_task(call(http, "sendMessage", chat_id=ADMIN, text="stuck"))
        for _ in range(100):
            if sandbox.calls:
                break
            await asyncio.sleep(0.01)
        started = asyncio.get_running_loop().time()
        await sandbox.stop()
        assert asyncio.get_running_loop().time() - started < 1.0
        with contextlib.suppress(httpx.HTTPError):
            await held


async def bad_poll(http: httpx.AsyncClient, kind: str, offset: int) -> None:
    """One getUpdates that must come back unusable in the way `kind` describes."""
    if kind == "disconnect":
        with pytest.raises(httpx.RemoteProtocolError):
            await call(http, "getUpdates", offset=offset)
        return
    response = await call(http, "getUpdates", offset=offset)
    if kind == "html502":
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>502 Bad Gateway</h1>" in response.text
    elif kind == "garbage":
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()
    else:
        assert response.status_code == 200
        assert response.json() == {"ok": True, "result": "nope"}


@pytest.mark.parametrize("kind", ["html502", "garbage", "not_ok", "disconnect"])
async def test_poll_fault_answers_badly_once_and_keeps_the_update(
    server: SandboxServer, http: httpx.AsyncClient, kind: str
) -> None:
    sent = (await http.post("/api/send", json={"user_id": CLIENT, "text": "hello"})).json()
    server.inject_poll_faults(kind)
    # The bad call carries an offset past the update: it must not have been confirmed.
    await bad_poll(http, kind, offset=sent["update_id"] + 1)
    [update] = await ok(http, "getUpdates")
    assert update["update_id"] == sent["update_id"]
    assert [(c.method, c.fault) for c in server.calls] == [
        ("getUpdates", kind),
        ("getUpdates", None),
    ]


async def test_poll_faults_over_the_page_api(http: httpx.AsyncClient) -> None:
    armed = await http.post("/api/faults", json={"poll": "not_ok", "count": 2})
    assert armed.status_code == 200
    for _ in range(2):
        await bad_poll(http, "not_ok", offset=0)
    assert await ok(http, "getUpdates") == []
    unknown = await http.post("/api/faults", json={"poll": "teapot"})
    assert unknown.status_code == 400


async def test_fault_rate_over_the_page_api(http: httpx.AsyncClient) -> None:
    armed = await http.post("/api/faults", json={"rate": 1, "kinds": ["502"], "seed": 3})
    assert armed.status_code == 200
    assert (await call(http, "sendMessage", chat_id=ADMIN, text="x")).status_code == 502
    assert (await http.post("/api/faults", json={"rate": 0})).status_code == 200
    assert (await call(http, "sendMessage", chat_id=ADMIN, text="x")).status_code == 200
    for bad in ({"rate": "lots"}, {"rate": 0.5, "kinds": ["nope"]}, {"rate": 0.5, "seed": "x"}):
        assert (await http.post("/api/faults", json=bad)).status_code == 400


UNDECODABLE: list[dict[str, Any]] = [
    {"message": {"message_id": 1, "date": 0, "text": 12345}},
    {"message": {"message_id": 2, "date": 0, "text": "no chat"}},
]


async def test_injected_update_arrives_verbatim_by_get_updates(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sent = (await http.post("/api/send", json={"user_id": CLIENT, "text": "normal"})).json()
    injected = [server.inject_update(fields) for fields in UNDECODABLE]
    assert [u["update_id"] for u in injected] == [sent["update_id"] + 1, sent["update_id"] + 2]
    updates = await ok(http, "getUpdates", offset=sent["update_id"] + 1)
    assert updates == [
        {"update_id": u["update_id"], **f} for u, f in zip(injected, UNDECODABLE, strict=True)
    ]
    with pytest.raises(ValueError):
        server.inject_update({"update_id": 1, "message": {}})


async def test_injected_update_follows_allowed_updates_except_message_and_callback(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    assert await ok(http, "getUpdates", allowed_updates=["my_chat_member"]) == []
    kept = [
        server.inject_update(UNDECODABLE[0]),
        server.inject_update({"callback_query": {"id": "1"}}),
        server.inject_update({"my_chat_member": {}}),
        server.inject_update({"some_future_type": {}}),
    ]
    server.inject_update({"edited_message": {"message_id": 1}})  # left out by allowed_updates
    server.inject_update({"chat_member": {}})
    updates = await ok(http, "getUpdates")
    assert updates == kept


async def test_injected_update_arrives_verbatim_by_webhook(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    async with receiver(fail_first=0) as (url, received):
        assert await ok(http, "setWebhook", url=url)
        injected = server.inject_update(UNDECODABLE[1])
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.01)
        assert [update for _, update in received] == [injected]
        assert injected == {"update_id": injected["update_id"], **UNDECODABLE[1]}


async def test_a_new_visitor_brings_their_telegram_language_and_sees_its_menu(
    http: httpx.AsyncClient,
) -> None:
    """from.language_code is what the page picked; setMyCommands per language_code is what a
    chat in that language shows (a chat-scoped menu wins over it, as in Telegram)."""
    body = {"first_name": "Lucía", "language_code": "es-MX"}
    visitor = (await http.post("/api/visitors", json=body)).json()["user_id"]
    people = (await http.get("/api/personas")).json()
    assert [v["language_code"] for v in people["visitors"]] == ["es-MX"]
    await http.post("/api/send", json={"user_id": visitor, "text": "hola"})
    [update] = await ok(http, "getUpdates")
    assert update["message"]["from"]["language_code"] == "es-MX"

    english = [{"command": "help", "description": "What I can do"}]
    spanish = [{"command": "help", "description": "Lo que puedo hacer"}]
    await ok(http, "setMyCommands", commands=english)
    await ok(http, "setMyCommands", commands=spanish, language_code="es")
    chat = (await http.get(f"/api/chat/{visitor}")).json()
    assert chat["commands"] == spanish and chat["user"]["language_code"] == "es-MX"
    assert (await http.get(f"/api/chat/{CLIENT}")).json()["commands"] == english

    bad = await http.post("/api/visitors", json={"first_name": "X", "language_code": "<b>"})
    assert bad.status_code == 400


async def test_the_page_has_an_icon_at_both_paths(http: httpx.AsyncClient) -> None:
    page = (await http.get("/")).text
    assert '<link rel="icon" href="/favicon.svg"' in page
    for path in ("/favicon.svg", "/favicon.ico"):  # browsers ask for /favicon.ico regardless
        response = await http.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.text.startswith("<svg")


async def test_people_known_before_are_listed_and_their_ids_never_given_out() -> None:
    known = [Persona(5_000_001, "Riley", "Client", "es"), Persona(5_000_004, "Vic", "Visitor")]
    server = SandboxServer(TOKEN, personas=PERSONAS, people=known, visitor_ids_above=5_000_006)
    async with server, httpx.AsyncClient(base_url=server.base_url) as http:
        listed = (await http.get("/api/personas")).json()
        assert [(v["user_id"], v["label"]) for v in listed["visitors"]] == [
            (5_000_001, "Client"),
            (5_000_004, "Visitor"),
        ]
        # the language stored for them stands in for their Telegram app's
        assert [v["language_code"] for v in listed["visitors"]] == ["es", "en"]
        new = (await http.post("/api/visitors", json={"first_name": "Nina"})).json()
        assert new["user_id"] == 5_000_007


async def test_reset_is_offered_only_with_a_demo_to_reset(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/personas")).json()["can_reset"] is False
    refused = await http.post("/api/reset", json={})
    assert refused.status_code == 404


async def test_reset_runs_the_apps_reset_and_clears_the_demo_chats() -> None:
    resets: list[bool] = []

    async def on_reset() -> None:
        resets.append(True)

    server = SandboxServer(TOKEN, personas=PERSONAS, on_reset=on_reset)
    async with server, httpx.AsyncClient(base_url=server.base_url) as http:
        await ok(http, "sendMessage", chat_id=CLIENT, text="before the reset")
        assert (await http.post("/api/reset", json={})).json() == {"reset": True}
        assert resets == [True]
        assert server.history(CLIENT) == []
        body = (await http.get(f"/api/chat/{CLIENT}", params={"after": 5})).json()
        assert body["reset"] is True  # the page starts the chat afresh


class _ImportSearches:
    """Counts searches for a module that is not imported yet (a meta path finder)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.names.append(name)


async def test_a_bot_api_call_searches_for_no_module(http: httpx.AsyncClient) -> None:
    """httpcore imports sniffio a few times in every request: without it installed, each of
    them searched sys.path again (1.4 ms of CPU an update on python-telegram-bot)."""
    await ok(http, "getMe")  # whatever a first request imports once
    searches = _ImportSearches()
    sys.meta_path.insert(0, searches)
    try:
        for _ in range(3):
            await ok(http, "getMe")
    finally:
        sys.meta_path.remove(searches)
    assert searches.names == []
