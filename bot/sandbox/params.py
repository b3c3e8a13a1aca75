"""Bot API parameters, decoded the way Telegram decodes them, whatever the transport.

A method's parameters may come in the query string, a JSON body, a urlencoded form or a
multipart body (with uploads); in forms, object parameters arrive as JSON strings. `Params`
gives every method one view of them, with Telegram's lenient type coercion and its error texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.errors import ApiError, bad_request

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
# Parameters that carry objects; in form and multipart bodies they arrive as JSON strings.
JSON_PARAMS = frozenset({"reply_markup", "commands", "scope", "allowed_updates"})


@dataclass
class Upload:
    """A file sent in a multipart body."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """Bot API parameters from any transport, with Telegram's lenient type coercion."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    @classmethod
    def build(cls, values: dict[str, Any], files: dict[str, Upload]) -> Params:
        decoded = dict(values)
        for name in JSON_PARAMS & decoded.keys():
            value = decoded[name]
            if isinstance(value, str):
                try:
                    decoded[name] = json.loads(value) if value.strip() else None
                except ValueError as exc:
                    raise bad_request(f"can't parse {name} JSON object") from exc
        return cls(decoded, files)

    def record(self) -> dict[str, Any]:
        """The parameters for `calls`: uploads described, never their bytes."""
        out = dict(self.values)
        for name, upload in self.files.items():
            out[name] = f"<upload {upload.filename!r}, {len(upload.data)} bytes>"
        return out

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise bad_request(f"invalid {name} specified") from exc
            if not number.is_integer():
                raise bad_request(f"invalid {name} specified") from None
            return int(number)

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def obj(self, name: str) -> Any:
        return self.values.get(name)

    def upload(self, name: str) -> Upload | str | None:
        """An uploaded file (also via attach://name), or a string: a file_id or URL."""
        if name in self.files:
            return self.files[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value or None


async def read_params(request: web.Request) -> Params:
    """The parameters of one Bot API request: query string plus JSON, form or multipart body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        try:
            if content_type == "application/json":
                body = json.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise bad_request("the JSON body must be an object")
                values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        files[key] = Upload(value.filename or key, value.content_type, data)
                    else:
                        values[key] = value
        except web.HTTPRequestEntityTooLarge as exc:
            raise ApiError(413, "Request Entity Too Large") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("can't parse request body") from exc
    return Params.build(values, files)
