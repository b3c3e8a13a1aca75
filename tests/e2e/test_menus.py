"""Each person's command menu follows their role and state, with the real runtime: the demo
people's at start, a visitor's once they booked, a client's and a trainer's once they joined."""

from __future__ import annotations

import asyncio

from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from flows.engine.menu import VISITOR, commands_for
from storage.models import Role

from .conftest import StartBot
from .test_onboarding import _invite


def _menu(role: str) -> list[str]:
    return [name for name, _ in commands_for(role)]


async def _menu_becomes(user: ChatUser, role: str, within: float = 10) -> None:
    """The chat's menu is `role`'s within `within` seconds (the Menu goes out after the replies)."""
    loop = asyncio.get_running_loop()
    deadline, wanted = loop.time() + within, _menu(role)
    while (shown := await user.commands()) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"menu {shown}, wanted {role}'s {wanted}")
        await asyncio.sleep(0.05)


async def test_the_demo_people_have_their_own_menus_before_they_write(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    for role in (Role.ADMIN, Role.TRAINER, Role.CLIENT):
        await _menu_becomes(people[role.value], role, within=2)
    assert "book" not in _menu(Role.CLIENT)  # not the visitor's menu any more


async def test_a_visitor_who_booked_gets_mybooking_and_mydata(
    sandbox: SandboxServer, start_bot: StartBot
) -> None:
    await start_bot()
    async with await ChatUser.visitor(sandbox.base_url, "Vera") as vera:
        await _menu_becomes(vera, VISITOR)
        await vera.send("/start consult")
        await vera.wait_for(contains="first name")
        await vera.press("Vera")
        await vera.wait_for(contains="what would you like help with")
        await vera.send("Run a 10k again")
        await vera.wait_for(contains="particular trainer")
        await vera.press("Any trainer")
        await vera.wait_for(contains="injury")
        await vera.send("no injury")
        await vera.wait_for(contains="safety check")
        await vera.press("None of these")
        await vera.wait_for(contains="cleared you")
        await vera.press("Not yet")
        await vera.wait_for(contains="time zone")
        await vera.press("India")
        await vera.wait_for(contains="Free times")
        await vera.press("14:30")
        await vera.wait_for(contains="yours for the next 10 minutes")
        await vera.send("skip")
        await vera.wait_for(contains="Shall I book it?")
        await vera.press("Yes, book it")
        await vera.wait_for(contains="You're booked!")
        await _menu_becomes(vera, Role.PROSPECT)
        assert {"mybooking", "mydata"} <= set(await vera.commands())


async def test_joining_and_leaving_change_the_menu(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    code = await _invite(people["admin"], "Riley")
    async with await ChatUser.visitor(sandbox.base_url, "Riley") as riley:
        await riley.send(f"/start {code}")
        await riley.wait_for(contains="time zone")
        await riley.press("New York")
        await riley.wait_for(contains="All set, Riley")
        await _menu_becomes(riley, Role.TRAINER)
        told = await people["admin"].wait_for(contains="Riley has joined")  # via the outbox
        assert told["text"] == "Riley has joined as a trainer and finished setting up."

    jordan = people["client"]
    await jordan.send("/deleteme")
    asked = await jordan.wait_for(contains="can't be undone")
    await jordan.press("Delete everything", asked["message_id"])
    await jordan.wait_for(contains="Goodbye")
    await _menu_becomes(jordan, VISITOR)
