"""Act as a person in the sandbox chat, over the page API only (as the browser page does).

End-to-end tests and benchmarks use `ChatUser` to type, press buttons and wait for the bot's
replies without touching server internals, so they exercise exactly what a person can do.

    user = await ChatUser.visitor(server.base_url, "Vera")
    await user.send("/start")
    await user.wait_for(contains="Welcome")
    await user.press("Yes")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

Message = dict[str, Any]
LONG_POLL_SECONDS = 25.0


class ChatUser:
    """One person chatting with the bot; remembers the last event it has seen (`seq`)."""

    def __init__(self, base_url: str, user_id: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.user_id = user_id
        self.seq = 0
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=LONG_POLL_SECONDS + 10)

    @classmethod
    async def visitor(cls, base_url: str, first_name: str, language: str = "en") -> ChatUser:
        """A brand-new Telegram user (the page's "New visitor"), their Telegram in `language`."""
        user = cls(base_url, 0)
        try:
            body = await user._post(
                "/api/visitors", {"first_name": first_name, "language_code": language}
            )
        except BaseException:
            await user.aclose()
            raise
        user.user_id = int(body["user_id"])
        return user

    async def __aenter__(self) -> ChatUser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ acting

    async def send(self, text: str) -> int:
        """Type and send `text`; returns the update_id the bot will receive."""
        body = await self._post("/api/send", {"user_id": self.user_id, "text": text})
        return int(body["update_id"])

    async def share_contact(self, phone_number: str) -> int:
        """Share one's own phone number (a request_contact button); returns the update_id."""
        payload = {"user_id": self.user_id, "phone_number": phone_number}
        body = await self._post("/api/contact", payload)
        return int(body["update_id"])

    async def press(self, button_text: str, message_id: int | None = None) -> dict[str, Any]:
        """Press the inline button whose text contains `button_text`.

        Looks in the given message, or in the newest bot message that has such a button.
        Returns {update_id, callback_query_id}.
        """
        available: list[str] = []
        for message in reversed(await self.messages()):
            if not message["from_bot"] or message["deleted"]:
                continue
            if message_id is not None and message["message_id"] != message_id:
                continue
            for button in (b for row in message["buttons"] for b in row):
                available.append(f"{button['text']!r} (message {message['message_id']})")
                if button_text in button["text"] and "callback_data" in button:
                    response = await self.press_data(message["message_id"], button["callback_data"])
                    if response.status_code != 200:
                        raise AssertionError(f"pressing {button['text']!r}: {response.text}")
                    result: dict[str, Any] = response.json()
                    return result
        raise AssertionError(
            f"no button containing {button_text!r} to press; available: {available or 'none'}"
        )

    async def press_data(self, message_id: int, data: str) -> httpx.Response:
        """Press a button by its callback_data; the raw response (409 if it is not there)."""
        payload = {"user_id": self.user_id, "message_id": message_id, "data": data}
        return await self._http.post("/api/press", json=payload)

    # ------------------------------------------------------------------ observing

    async def wait_for(
        self,
        predicate: Callable[[Message], bool] | None = None,
        *,
        contains: str | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - a deadline over several long polls
    ) -> Message:
        """The next bot message (new or edited) after what this user has seen that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        skipped: list[str] = []
        while (remaining := deadline - loop.time()) > 0:
            body = await self._chat(self.seq, wait=min(remaining, LONG_POLL_SECONDS))
            for event in body["events"]:
                self.seq = event["seq"]
                message = event.get("message")
                if not message or not message["from_bot"] or message["deleted"]:
                    continue
                if _matches(message, contains, predicate):
                    return message
                skipped.append(_summary(message))
            self.seq = max(self.seq, body["seq"])
        wanted = f" containing {contains!r}" if contains else ""
        raise AssertionError(
            f"no bot message{wanted} within {timeout}s; bot messages seen: {skipped[-5:]}"
        )

    async def wait_for_toast(
        self,
        contains: str,
        timeout: float = 10,  # noqa: ASYNC109 - a deadline over several long polls
    ) -> str:
        """A toast containing `contains`, shown at any time; doesn't move wait_for's place."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        after = 0
        while (remaining := deadline - loop.time()) > 0:
            body = await self._chat(after, wait=min(remaining, LONG_POLL_SECONDS))
            for event in body["events"]:
                if event["type"] == "toast" and contains in event["text"]:
                    return str(event["text"])
            after = body["seq"]
        raise AssertionError(f"no toast containing {contains!r} within {timeout}s")

    async def catch_up(self) -> None:
        """Treat everything in the chat so far as seen."""
        self.seq = (await self._chat(0))["seq"]

    async def messages(self) -> list[Message]:
        """Every message of the chat in its current state (deleted ones flagged), by id."""
        events = (await self._chat(0))["events"]
        found = [e["message"] for e in events if e["type"] == "message"]
        return sorted(found, key=lambda m: m["message_id"])

    async def commands(self) -> list[str]:
        """The command names this chat's menu shows now (the chat's own, else the default)."""
        return [c["command"] for c in (await self._chat(0))["commands"]]

    async def toasts(self) -> list[str]:
        """Texts of every answerCallbackQuery notification shown in this chat, oldest first."""
        events = (await self._chat(0))["events"]
        return [e["text"] for e in events if e["type"] == "toast"]

    # ------------------------------------------------------------------ plumbing

    async def _chat(self, after: int, wait: float = 0) -> dict[str, Any]:
        params: dict[str, str | int | float] = {"after": after, "wait": round(wait, 3)}
        response = await self._http.get(f"/api/chat/{self.user_id}", params=params)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await self._http.post(path, json=payload)
        if response.status_code != 200:
            raise AssertionError(f"POST {path} -> {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        return body


def _matches(
    message: Message, contains: str | None, predicate: Callable[[Message], bool] | None
) -> bool:
    text = message.get("text") or message.get("caption") or ""
    if contains is not None and contains not in text:
        return False
    return predicate is None or predicate(message)


def _summary(message: Message) -> str:
    text = message.get("text") or message.get("caption") or ""
    return text if len(text) <= 80 else text[:77] + "..."
