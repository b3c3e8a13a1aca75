"""Files the bot sends (sendPhoto, sendDocument), kept in memory and served back.

An upload becomes a stored file with Telegram-like ids and a file_path; sending its file_id
again reuses it. The bot downloads files by file_path (getFile, then /file/bot<token>/...), the
page by file_id (/api/files/...). Photos must really be images: the sandbox reads their size.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.errors import bad_request
from bot.sandbox.params import Upload


@dataclass
class File:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    data: bytes
    mime_type: str
    file_name: str
    file_path: str
    width: int = 0
    height: int = 0

    def message_field(self) -> dict[str, Any]:
        """What a message carries: a PhotoSize for a photo, a Document for a document."""
        ids = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.kind == "photo":
            return {**ids, "width": self.width, "height": self.height, "file_size": len(self.data)}
        return {
            **ids,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }


class Files:
    """Stored files by file_id and by file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, File] = {}
        self.by_path: dict[str, File] = {}

    def resolve(self, source: Upload | str | None, kind: str) -> File:
        """An uploaded file becomes a new stored file; a file_id string reuses one."""
        if source is None:
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(source, Upload):
            return self._store(source, kind)
        if re.match(r"https?://", source, re.IGNORECASE):
            raise bad_request("failed to get HTTP URL content")  # no network here
        existing = self.by_id.get(source)
        if existing is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if existing.kind != kind:
            raise bad_request(f"can't use file of type {existing.kind.title()} as {kind.title()}")
        return existing

    def _store(self, upload: Upload, kind: str) -> File:
        if not upload.data:
            raise bad_request("file must be non-empty")
        width = height = 0
        mime_type = upload.content_type
        if kind == "photo":
            info = image_info(upload.data)
            if info is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime_type, width, height = info
        elif not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        number = len(self.by_id) + 1
        folder = "photos" if kind == "photo" else "documents"
        file_path = f"{folder}/file_{number}{_safe_extension(upload.filename, mime_type)}"
        prefix = "AgAC" if kind == "photo" else "BQAC"
        stored = File(
            file_id=f"{prefix}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(8)}",
            kind=kind,
            data=upload.data,
            mime_type=mime_type,
            file_name=Path(upload.filename).name or "file",
            file_path=file_path,
            width=width,
            height=height,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[file_path] = stored
        return stored


def file_response(stored: File, *, inline: bool) -> web.Response:
    """The file's bytes: inline (photos on the page) or as an attachment."""
    disposition = "inline" if inline else "attachment"
    name = quote(stored.file_name)
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) of a JPEG, PNG or GIF, or None if it is not one of those."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "image/gif", width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
                i += 2 if marker != 0xFF else 1
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "image/jpeg", width, height
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _safe_extension(file_name: str, mime_type: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        return suffix
    return mimetypes.guess_extension(mime_type) or ""
