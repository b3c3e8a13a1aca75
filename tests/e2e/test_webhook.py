"""Webhook specifics on both runtimes: the webhook is set and removed, the secret header is
checked, and Telegram retrying an update gets it processed once."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bot.app import MendBot
from bot.demo import CLIENT
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer

from .conftest import TOKEN, WEBHOOK, StartBot

pytestmark = pytest.mark.setups(*WEBHOOK)

HELP = "Here's what I can do"


def help_update(update_id: int) -> dict[str, Any]:
    """What Telegram would POST when the demo client sends /help."""
    person = {"id": CLIENT.user_id, "first_name": CLIENT.name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 90_000 + update_id % 1000,
            "date": int(time.time()),
            "chat": {**person, "type": "private"},
            "from": {**person, "is_bot": False},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def post(bot: MendBot, update: dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with httpx.AsyncClient() as client:
        response = await client.post(bot.settings.webhook_url, json=update, headers=headers)
    return response.status_code


def secret_of(bot: MendBot) -> str:
    assert bot.settings.webhook_secret is not None
    return bot.settings.webhook_secret.get_secret_value()


async def webhook_info(sandbox: SandboxServer) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{sandbox.base_url}/bot{TOKEN}/getWebhookInfo")
    result: dict[str, Any] = response.json()["result"]
    return result


async def help_count(user: ChatUser) -> int:
    return sum(HELP in (m["text"] or "") for m in await user.messages() if m["from_bot"])


async def test_the_webhook_is_set_at_start_and_deleted_at_stop(
    sandbox: SandboxServer, start_bot: StartBot
) -> None:
    bot = await start_bot()
    assert (await webhook_info(sandbox))["url"] == bot.settings.webhook_url
    await bot.stop()
    assert (await webhook_info(sandbox))["url"] == ""


async def test_a_missing_or_wrong_secret_is_refused_and_nothing_processed(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    bot = await start_bot()
    jordan = people["client"]
    assert await post(bot, help_update(10**9), None) == 401
    assert await post(bot, help_update(10**9 + 1), secret_of(bot) + "x") == 403
    assert await post(bot, help_update(10**9 + 2), "") == 403

    await jordan.send("/help")  # handled after anything accepted before it
    await jordan.wait_for(contains=HELP)
    assert await help_count(jordan) == 1


async def test_telegram_retrying_an_update_gets_it_processed_once(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    bot = await start_bot()
    jordan = people["client"]
    update = help_update(10**9 + 7)
    assert await post(bot, update, secret_of(bot)) == 200
    assert await post(bot, update, secret_of(bot)) == 200
    await jordan.wait_for(contains=HELP)

    await jordan.send("/help")
    await jordan.wait_for(contains=HELP)
    assert await help_count(jordan) == 2  # the retried update once, then the new one
