"""The conversation core: what a flow receives (an Event) and what it hands back (replies).

Runtimes (handlers/) turn Telegram updates into Events and replies into Bot API calls; everything in
between is framework-free so one conversation runs unchanged on python-telegram-bot and aiogram.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from flows.checkin.triage import Thresholds
from flows.engine.sanitize import BIDI_CONTROLS, without_bidi_controls
from storage.messages import caption_parts, parts

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit on callback_data


class EventKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    CONTACT = "contact"
    OTHER = "other"  # stickers, photos, voice...: answered with a hint, never dropped


@dataclass(frozen=True)
class Event:
    """One normalized update."""

    update_id: int
    user_id: int
    chat_id: int
    kind: EventKind
    first_name: str = ""
    text: str = ""
    command: str = ""  # without the slash, lower case
    args: str = ""
    payload: str = ""  # callback_data of a pressed button
    callback_id: str | None = None
    message_id: int | None = None  # the message a pressed button sits on
    message_text: str = ""  # that message's text, so an answer can be recorded on it
    button_text: str = ""  # the pressed button's label
    message_keyboard: str = ""  # that message's inline buttons now (keyboard_key)
    phone: str | None = None
    contact_user_id: int | None = None  # whose contact card it is (None: not said)
    language_code: str = ""  # the sender's Telegram language ("es-MX"); "" when not sent

    def __post_init__(self) -> None:
        """Refuse values of the wrong type (an update Telegram's schema would not produce: the
        runtime logs it as undecodable and skips it), and drop NUL characters from what people
        typed: PostgreSQL text cannot hold them."""
        for name in _ID_FIELDS:
            value = getattr(self, name)
            if value is None and name in _ID_FIELDS[:3]:
                raise ValueError(f"Event.{name} is missing")
            if value is not None and (type(value) is not int or abs(value) >= 2**63):
                raise ValueError(f"Event.{name} is not a 64-bit integer")
        if not isinstance(self.kind, EventKind):
            raise ValueError("Event.kind is not an EventKind")
        for name in _TYPED_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"Event.{name} is not text")
            if value and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", ""))
            if value and not BIDI_CONTROLS.isdisjoint(value):  # they could reorder what staff see
                object.__setattr__(self, name, without_bidi_controls(getattr(self, name)))


_ID_FIELDS = ("update_id", "user_id", "chat_id", "message_id", "contact_user_id")
_TYPED_FIELDS = (
    "first_name",
    "text",
    "command",
    "args",
    "payload",
    "message_text",
    "button_text",
    "message_keyboard",
    "phone",
    "callback_id",
    "language_code",
)


@dataclass(frozen=True)
class Button:
    """An inline button: callback data or a link."""

    text: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either data or a url")
        if self.data is not None and len(self.data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {self.data!r}")


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: list[Button] | tuple[Button, ...]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


ButtonRows = Iterable[Iterable[tuple[str, str | None, str | None]]]


def keyboard_key(rows: ButtonRows) -> str:
    """Inline buttons as (text, data, url) rows, written the same way whoever reads them: a
    runtime from the pressed message, or a reply's Keyboard (`key_of`). Two keys are equal
    exactly when the buttons are; no buttons is ""."""
    flat = [[[text, data or "", url or ""] for text, data, url in row] for row in rows]
    flat = [row for row in flat if row]
    return json.dumps(flat, ensure_ascii=False, separators=(",", ":")) if flat else ""


def key_of(buttons: Keyboard) -> str:
    return keyboard_key(((b.text, b.data, b.url) for b in row) for row in buttons)


@dataclass(frozen=True)
class ContactRequest:
    """A one-time keyboard under the typing field: "share my phone number" plus plain options.

    Its option buttons just send their label as text; the contact arrives as a CONTACT event.
    """

    label: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Send:
    """A message; `contact` shows a ContactRequest keyboard instead of inline buttons, and
    `remove_keyboard` takes such a keyboard away again."""

    text: str
    buttons: Keyboard = ()
    contact: ContactRequest | None = None
    remove_keyboard: bool = False

    def __post_init__(self) -> None:
        if sum((bool(self.buttons), self.contact is not None, self.remove_keyboard)) > 1:
            raise ValueError("a message has one keyboard: inline, contact request or removal")


@dataclass(frozen=True)
class Edit:
    """Change a message the bot sent (typically: record the answer and drop its buttons)."""

    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Toast:
    """The answer to a button press; empty text just stops the button's spinner."""

    text: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Photo:
    """An image (a chart) with a short caption and, optionally, inline buttons under it."""

    content: bytes
    filename: str
    caption: str = ""
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Document:
    """A file (a calendar entry, /mydata's JSON, a report PDF) with a short caption."""

    content: bytes
    filename: str
    caption: str = ""
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Menu:
    """This chat's command menu (Telegram's "/" list), e.g. a trainer's commands after joining."""

    commands: tuple[tuple[str, str], ...]


Reply = Send | Edit | Toast | Photo | Document | Menu


def fitted(replies: Iterable[Reply]) -> list[Reply]:
    """The replies as Telegram takes them: a text or caption over its limit goes on in more
    messages after it (storage/messages.py), the keyboard under the last; a reply that fits is
    kept as it is (the same object)."""
    return [part for reply in replies for part in _fitted(reply)]


def _fitted(reply: Reply) -> list[Reply]:
    if isinstance(reply, Send):
        first, *rest = parts(reply.text)
        if not rest:
            return [reply]
        return [Send(first), *(Send(p) for p in rest[:-1]), replace(reply, text=rest[-1])]
    if isinstance(reply, Edit):
        first, *rest = parts(reply.text)
        if not rest:
            return [reply]
        edit = Edit(reply.message_id, first)
        return [edit, *(Send(p) for p in rest[:-1]), Send(rest[-1], reply.buttons)]
    if isinstance(reply, Photo | Document):
        caption, rest = caption_parts(reply.caption)
        if not rest:
            return [reply]
        file = replace(reply, caption=caption, buttons=())
        return [file, *(Send(p) for p in rest[:-1]), Send(rest[-1], reply.buttons)]
    return [reply]


@dataclass(frozen=True)
class Drawing:
    """A photo or document drawn once the update's transaction is over (a chart, a report:
    tens to hundreds of milliseconds of CPU). Drawn inside it, every other chat would wait: on
    SQLite that transaction holds the database's one writer. `draw` must only compute: what it
    needs was read before (flows/router.py draws it after the commit)."""

    draw: Callable[[], Awaitable[bytes]]
    filename: str
    caption: str = ""
    buttons: Keyboard = ()
    document: bool = False  # a photo otherwise

    def drawn(self, content: bytes) -> Photo | Document:
        made = Document if self.document else Photo
        return made(content, self.filename, self.caption, self.buttons)


@dataclass
class Replies:
    """Collects what the bot answers to one update, in order."""

    items: list[Reply] = field(default_factory=list)
    # each Drawing with the reply that stands in for it until drawn (and for good if it can't be)
    drawings: list[tuple[Send, Drawing]] = field(default_factory=list)

    def say(self, text: str, buttons: Keyboard = ()) -> None:
        self.items.append(Send(text, buttons))

    def edit(self, message_id: int, text: str, buttons: Keyboard = ()) -> None:
        self.items.append(Edit(message_id, text, buttons))

    def toast(self, text: str = "", alert: bool = False) -> None:
        self.items.append(Toast(text, alert))

    def add(self, reply: Reply) -> None:
        self.items.append(reply)

    def draw(self, drawing: Drawing, unavailable: str) -> None:
        """`drawing` in this place once drawn; stored until then (a crash in between resends
        it) and sent if it cannot be drawn: its caption with `unavailable`, and its buttons."""
        stand_in = Send(f"{drawing.caption}\n\n{unavailable}".strip(), drawing.buttons)
        self.items.append(stand_in)
        self.drawings.append((stand_in, drawing))


@dataclass(frozen=True)
class BotInfo:
    """What flows may know about the bot and the centre, without a framework. No defaults
    here: the settings hold them (bot.proactive.bot_info builds this from them)."""

    username: str
    emergency_number: str
    default_timezone: str
    invite_ttl_days: int
    thresholds: Thresholds
    quiet_hours: tuple[str, str]  # local; a person may set their own
    digest_time: str  # local time of a trainer's daily digest unless they chose one
