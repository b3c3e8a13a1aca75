"""The shared webhook endpoint: secret check, 200 only once stored, 400 for what isn't an update."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from handlers import RawUpdate
from handlers.webhook import SECRET_HEADER, WebhookConfig, WebhookEndpoint

SECRET = "s3cret_-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Intake:
    """Stands in for the intake: stores slowly (until `gate`), or fails, or is busy."""

    def __init__(self) -> None:
        self.stored: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False
        self.busy = False

    async def accept(self, raws: Sequence[RawUpdate]) -> None:
        await self.gate.wait()
        if self.fail:
            raise OSError("database unreachable")
        self.stored += [raw["update_id"] for raw in raws]


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[WebhookEndpoint, Intake]]:
    port = free_port()
    config = WebhookConfig(f"http://127.0.0.1:{port}/hook", SECRET, "127.0.0.1", port)
    intake = Intake()
    server = WebhookEndpoint(config, intake.accept, lambda: intake.busy)
    await server.start()
    yield server, intake
    intake.gate.set()
    await server.stop()


async def post(server: WebhookEndpoint, body: Any, secret: str | None = SECRET) -> int:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with httpx.AsyncClient() as client:
        response = await client.post(server.config.url, json=body, headers=headers)
    return response.status_code


async def test_missing_or_wrong_secret_is_refused_and_nothing_stored(
    endpoint: tuple[WebhookEndpoint, Intake],
) -> None:
    server, intake = endpoint
    assert await post(server, {"update_id": 1}, secret=None) == 401
    assert await post(server, {"update_id": 2}, secret="nope") == 403
    assert await post(server, {"update_id": 3}, secret=SECRET.upper()) == 403
    assert intake.stored == []


async def test_answers_200_only_once_the_update_is_stored(
    endpoint: tuple[WebhookEndpoint, Intake],
) -> None:
    """A crash after the 200 must lose nothing: Telegram never sends that update again."""
    server, intake = endpoint
    intake.gate.clear()
    request = asyncio.create_task(post(server, {"update_id": 5}))
    await asyncio.sleep(0.2)
    assert not request.done()  # no answer while it is not stored
    intake.gate.set()
    assert await request == 200
    assert intake.stored == [5]


async def test_an_update_that_cannot_be_stored_is_refused_so_telegram_retries(
    endpoint: tuple[WebhookEndpoint, Intake],
) -> None:
    server, intake = endpoint
    intake.fail = True
    assert await post(server, {"update_id": 6}) == 500
    intake.fail, intake.busy = False, True
    assert await post(server, {"update_id": 7}) == 503
    intake.busy = False
    assert await post(server, {"update_id": 7}) == 200
    assert intake.stored == [7]


async def test_what_is_not_an_update_is_a_bad_request(
    endpoint: tuple[WebhookEndpoint, Intake],
) -> None:
    server, intake = endpoint
    assert await post(server, [1, 2]) == 400
    assert await post(server, {"update_id": "7"}) == 400
    assert await post(server, {"update_id": True}) == 400  # a bool is not an id
    assert await post(server, {"message": {}}) == 400
    for body in (b"{not json", b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe{"):
        async with httpx.AsyncClient() as client:
            response = await client.post(
                server.config.url, content=body, headers={SECRET_HEADER: SECRET}
            )
        assert response.status_code == 400
    assert intake.stored == []


def test_the_secret_stays_out_of_reprs() -> None:
    assert SECRET not in repr(WebhookConfig("https://bot.example/hook", SECRET))
