"""The shared webhook endpoint: secret check, quick 200, serial processing, drain on stop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from handlers.webhook import SECRET_HEADER, WebhookConfig, WebhookEndpoint
from handlers.worker import RawUpdate

SECRET = "s3cret_-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Recorder:
    """Processes updates slowly enough that answering must not wait for it."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.gate = asyncio.Event()

    async def process(self, update: RawUpdate) -> None:
        await self.gate.wait()
        self.seen.append(update["update_id"])


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[WebhookEndpoint, Recorder]]:
    port = free_port()
    config = WebhookConfig(f"http://127.0.0.1:{port}/hook", SECRET, "127.0.0.1", port)
    recorder = Recorder()
    server = WebhookEndpoint(config, recorder.process)
    await server.start()
    yield server, recorder
    recorder.gate.set()
    await server.stop()


async def post(server: WebhookEndpoint, body: Any, secret: str | None = SECRET) -> int:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with httpx.AsyncClient() as client:
        response = await client.post(server.config.url, json=body, headers=headers)
    return response.status_code


async def test_missing_or_wrong_secret_is_refused_and_nothing_queued(
    endpoint: tuple[WebhookEndpoint, Recorder],
) -> None:
    server, recorder = endpoint
    assert await post(server, {"update_id": 1}, secret=None) == 401
    assert await post(server, {"update_id": 2}, secret="nope") == 403
    assert await post(server, {"update_id": 3}, secret=SECRET.upper()) == 403
    recorder.gate.set()
    await server.stop()
    assert recorder.seen == []


async def test_answers_before_processing_and_keeps_order(
    endpoint: tuple[WebhookEndpoint, Recorder],
) -> None:
    server, recorder = endpoint
    for update_id in (5, 6, 7):
        assert await post(server, {"update_id": update_id}) == 200
    assert recorder.seen == []  # answered while processing is still held back
    recorder.gate.set()
    await server.stop()  # stop lets accepted updates finish
    assert recorder.seen == [5, 6, 7]


async def test_not_an_update_is_a_bad_request(endpoint: tuple[WebhookEndpoint, Recorder]) -> None:
    server, _ = endpoint
    assert await post(server, [1, 2]) == 400
    assert await post(server, {"update_id": "7"}) == 400
    async with httpx.AsyncClient() as client:
        response = await client.post(
            server.config.url, content=b"{not json", headers={SECRET_HEADER: SECRET}
        )
    assert response.status_code == 400


def test_the_secret_stays_out_of_reprs() -> None:
    assert SECRET not in repr(WebhookConfig("https://bot.example/hook", SECRET))
