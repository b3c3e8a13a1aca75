"""The two kinds of error answer: the Bot API's, shaped like Telegram's, and the page API's.

The bot's error handling is part of what the sandbox tests, so Bot API errors carry Telegram's
codes, wording and `parameters`; page API errors are the sandbox's own, read by people and tests.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer, shaped like Telegram's."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


class SandboxError(Exception):
    """A page API error: answered as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
