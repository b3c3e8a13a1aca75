"""The physio report end to end, on both runtimes: Sam asks for Jordan's, a PDF document arrives
and reads back with Jordan's check-in in it."""

from __future__ import annotations

import io

import httpx
import pytest
from pypdf import PdfReader

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .conftest import SETUPS, StartBot
from .test_checkin import checkin

pytestmark = pytest.mark.setups(SETUPS[1], SETUPS[2])  # ptb webhook, aiogram polling


async def test_sam_gets_jordans_report_as_a_pdf(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await checkin(jordan, note="stairs feel easier")

    await sam.send("/report")
    asked = await sam.wait_for(contains="A progress report for whom?")
    await sam.press("Jordan", message_id=asked["message_id"])
    weeks = await sam.wait_for(contains="How many weeks should Jordan's report cover?")
    await sam.press("4 weeks", message_id=weeks["message_id"])
    sent = await sam.wait_for(lambda m: m["document"] is not None, timeout=20)
    assert sent["caption"] == "Jordan: progress report, last 4 weeks."
    assert sent["document"]["mime_type"] == "application/pdf"
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        content = (await http.get(sent["document"]["url"])).content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Progress report: Jordan" in text
    assert "stairs feel easier" in text and "Check-ins: 1 of 28 days." in text
