"""The outbox sender delivers a queued file (a trainer's cancel sends the visitor the calendar
file that removes the event) with sendDocument, uploaded as multipart, its text the caption."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
from sqlmodel import select

from bot.clock import FakeClock
from bot.outbox import OutboxSender
from bot.proactive import sender_rules
from bot.settings import load_settings
from bot.telegram_api import BotApi
from storage.db import SessionFactory
from storage.models import Outbox, OutboxStatus, Role
from storage.repo import Attachment, Store
from tests.flows.harness import add_person

ICS = b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n"


def _recording_api(calls: list[httpx.Request]) -> BotApi:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"ok": True, "result": {"message_id": len(calls)}})

    api = BotApi("http://telegram.invalid", "TOKEN")
    api._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return api


def _form(request: httpx.Request) -> dict[str, Any]:
    """The multipart fields of a request: text fields as text, the file as (name, bytes)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    found: dict[str, Any] = {}
    for part in request.content.split(b"--" + boundary)[1:-1]:
        head, _, body = part[2:-2].partition(b"\r\n\r\n")  # between CRLF and CRLF
        disposition = head.decode().split("\r\n")[0]
        name = disposition.split('name="')[1].split('"')[0]
        if 'filename="' in disposition:
            found[name] = (disposition.split('filename="')[1].split('"')[0], body)
        else:
            found[name] = body.decode()
    return found


async def test_a_queued_file_goes_out_as_a_document_with_its_caption_and_buttons(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    vera = await add_person(sessions, clock, 5001, "Vera", Role.PROSPECT)
    async with sessions() as session:
        await Store(session).enqueue(
            chat_id=vera.chat_id,
            person_id=vera.id,
            text="This removes the consult from your calendar.",
            kind="bk_ics_cancel",
            now=clock.now(),
            buttons=[[{"text": "Book a new time", "data": "bknew:9"}]],
            attachment=Attachment("document", "consult-cancelled.ics", ICS),
        )
        await session.commit()
    calls: list[httpx.Request] = []
    api = _recording_api(calls)
    rules = replace(sender_rules(load_settings(_env_file=None)), per_chat_seconds=0.0)
    try:
        assert await OutboxSender(sessions, api, clock.now, rules).deliver_due() == 1
    finally:
        await api.aclose()
    [request] = calls
    assert request.url.path == "/botTOKEN/sendDocument"
    form = _form(request)
    assert form["chat_id"] == str(vera.chat_id)
    assert form["caption"] == "This removes the consult from your calendar."
    assert form["document"] == ("consult-cancelled.ics", ICS)
    markup = json.loads(form["reply_markup"])
    assert markup == {
        "inline_keyboard": [[{"text": "Book a new time", "callback_data": "bknew:9"}]]
    }
    async with sessions() as session:
        row = (await session.exec(select(Outbox))).one()
    assert row.status == OutboxStatus.SENT and row.telegram_message_id == 1
