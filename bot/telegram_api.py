"""A small Bot API client over httpx for proactive messages, with outcomes the outbox can act on.

The runtimes answer updates through their frameworks; the outbox sender talks to the Bot API
itself, so rate limits, retries and "did it reach Telegram?" are decided once for both runtimes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: wait as told
    TRANSIENT = "transient"  # 5xx or the request never left: retry with backoff
    UNCERTAIN = "uncertain"  # may have reached Telegram: never send again
    FINAL = "final"  # 4xx: retrying won't help
    BLOCKED = "blocked"  # 403: the person blocked the bot


@dataclass(frozen=True)
class ApiResult:
    outcome: Outcome
    result: Any = None
    description: str = ""
    retry_after: float = 0.0

    @property
    def message_id(self) -> int | None:
        return self.result.get("message_id") if isinstance(self.result, dict) else None


class BotApi:
    """POST <base>/bot<token>/<method> with JSON; never raises for Telegram or network errors."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self._client = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self, method: str, params: dict[str, Any], files: dict[str, Any] | None = None
    ) -> ApiResult:
        """One Bot API call: JSON, or a multipart form when `files` are uploaded."""
        try:
            if files:
                form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
                response = await self._client.post(self._url + method, data=form, files=files)
            else:
                response = await self._client.post(self._url + method, json=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError) as e:
            return ApiResult(Outcome.TRANSIENT, description=type(e).__name__)
        except httpx.HTTPError as e:  # read timeout, dropped connection: it may have arrived
            return ApiResult(Outcome.UNCERTAIN, description=type(e).__name__)
        return _classify(response)

    async def send_message(
        self, chat_id: int, text: str, buttons: list[list[dict[str, str]]]
    ) -> ApiResult:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons:
            params["reply_markup"] = {"inline_keyboard": inline_keyboard(buttons)}
        return await self.call("sendMessage", params)

    async def send_file(
        self,
        chat_id: int,
        kind: str,
        name: str,
        content: bytes,
        caption: str,
        buttons: list[list[dict[str, str]]],
    ) -> ApiResult:
        """sendPhoto ("photo") or sendDocument ("document"), uploaded, `caption` under it."""
        params: dict[str, Any] = {"chat_id": str(chat_id)}
        if caption:
            params["caption"] = caption
        if buttons:
            params["reply_markup"] = {"inline_keyboard": inline_keyboard(buttons)}
        method = "sendPhoto" if kind == "photo" else "sendDocument"
        return await self.call(method, params, files={kind: (name, content)})


def inline_keyboard(buttons: list[list[dict[str, str]]]) -> list[list[dict[str, str]]]:
    """Outbox rows store {"text", "data" | "url"}; Telegram wants callback_data or url."""
    return [
        [
            {"text": b["text"], "url": b["url"]}
            if "url" in b
            else {"text": b["text"], "callback_data": b["data"]}
            for b in row
        ]
        for row in buttons
    ]


def _classify(response: httpx.Response) -> ApiResult:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    description = str(body.get("description", response.reason_phrase))[:200]
    status = response.status_code
    if status == 200 and body.get("ok"):
        return ApiResult(Outcome.SENT, result=body.get("result"))
    if status == 429:
        retry_after = float((body.get("parameters") or {}).get("retry_after", 1))
        return ApiResult(Outcome.RETRY_AFTER, description=description, retry_after=retry_after)
    if status >= 500:
        return ApiResult(Outcome.TRANSIENT, description=description)
    if status == 403:
        return ApiResult(Outcome.BLOCKED, description=description)
    return ApiResult(Outcome.FINAL, description=description)
