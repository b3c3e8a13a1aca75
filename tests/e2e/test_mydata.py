"""A client's own data end to end: Jordan checks in, downloads /mydata, deletes it all with
/deleteme, and Sam, his trainer, is told he left."""

from __future__ import annotations

import json

import httpx

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .conftest import StartBot
from .test_checkin import checkin


async def test_jordan_exports_then_deletes_his_data(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await checkin(jordan, note="knee a bit stiff after the stairs")

    await jordan.send("/mydata")
    sent = await jordan.wait_for(lambda m: m["document"] is not None)
    assert sent["document"]["file_name"].startswith("mendbot-data-")
    assert "Everything mendbot stores about you" in sent["caption"]
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        content = (await http.get(sent["document"]["url"])).content
    data = json.loads(content.decode("utf-8"))
    assert data["person"]["name"] == "Jordan"
    assert data["client_profile"]["condition"] == "knee surgery (ACL reconstruction)"
    [day] = data["checkins"]
    assert day["pain_now"] == 2 and day["note"] == "knee a bit stiff after the stairs"
    assert data["program"]["exercises"][0]["name"] == "Quad sets"

    await jordan.send("/deleteme")
    asked = await jordan.wait_for(contains="can't be undone")
    assert [b["text"] for row in asked["buttons"] for b in row] == [
        "Delete everything",
        "Keep my data",
    ]
    await jordan.press("Delete everything", asked["message_id"])
    await jordan.wait_for(contains="Goodbye")
    await sam.wait_for(contains="Jordan has deleted their data and left mendbot.")

    await jordan.send("/start")
    await jordan.wait_for(contains="welcome to mendbot")
    await jordan.send("/checkin")
    await jordan.wait_for(contains="isn't available")
