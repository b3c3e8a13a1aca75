"""Every button payload mendbot sends, as typed data that packs and checks itself.

One small class per action (aiogram's CallbackData is the model, without pydantic or a framework):
typed fields, a unique prefix, `pack()` into Telegram's 64-byte callback_data and `unpack()` back.
Unpacking is exact: a payload is accepted only if it is precisely what `pack()` would write (right
prefix, every part present and nothing after, ASCII digits without leading zeros, ids within
1..ID_MAX, literal values as written). Anything else, a forged id, "²", 25 digits, a wrong letter,
a part missing or extra, unpacks to None, and the router answers "this button has expired" in one
place: handlers only ever see valid values. Outbox rows store the same packed strings.

Wire: "<prefix>:<tag><field><sep><field>..." ("bkout:12:a"; with tag "C" and no separator,
"ack:C55E"). Field types: `int` (an id, 1..ID_MAX), `Annotated[int, Range(lo, hi)]`, `Literal[...]`
of str or int, `tuple[int, ...]` (ids joined by ","), `Annotated[str, Pattern(regex)]`, and
`T | None = None` for trailing optional parts. Conversation-state buttons ("~<version>:<value>")
belong to the engine (flows/engine/conversation.py), not to this codec.
"""

from __future__ import annotations

import re
import types
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, fields
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Generic,
    Literal,
    TypeVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from flows.engine.core import CALLBACK_DATA_LIMIT, Button
from flows.engine.parse import ID_MAX, exact_int

if TYPE_CHECKING:
    from flows.engine.conversation import Context

_NUMBER = "0|[1-9][0-9]{0,11}"  # what exact_int can accept; the range is checked after


@dataclass(frozen=True)
class Range:
    """`Annotated[int, Range(lo, hi)]`: a number that isn't an id (a page, a window)."""

    lo: int
    hi: int


@dataclass(frozen=True)
class Pattern:
    """`Annotated[str, Pattern(regex)]`: a short token, matched in full (ASCII)."""

    regex: str


class _Part:
    """How one field is written and read back."""

    regex: str

    def read(self, text: str) -> Any:
        """The value `text` stands for, or None if it is not one."""
        raise NotImplementedError

    def valid(self, value: object) -> bool:
        raise NotImplementedError

    def write(self, value: Any) -> str:
        return str(value)


class _Int(_Part):
    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi, self.regex = lo, hi, _NUMBER

    def read(self, text: str) -> int | None:
        return exact_int(text, self.lo, self.hi)

    def valid(self, value: object) -> bool:
        return type(value) is int and self.lo <= value <= self.hi


class _Ids(_Part):
    regex = f"(?:{_NUMBER})(?:,(?:{_NUMBER}))*"

    def read(self, text: str) -> tuple[int, ...] | None:
        ids = [exact_int(part, 1, ID_MAX) for part in text.split(",")]
        return tuple(i for i in ids if i is not None) if None not in ids else None

    def valid(self, value: object) -> bool:
        return (
            type(value) is tuple
            and bool(value)
            and all(type(i) is int and 1 <= i <= ID_MAX for i in value)
        )

    def write(self, value: tuple[int, ...]) -> str:
        return ",".join(str(i) for i in value)


class _Choice(_Part):
    def __init__(self, values: tuple[str | int, ...]) -> None:
        self.by_text = {str(v): v for v in values}
        longest_first = sorted(self.by_text, key=len, reverse=True)
        self.regex = "|".join(re.escape(text) for text in longest_first)

    def read(self, text: str) -> str | int | None:
        return self.by_text.get(text)

    def valid(self, value: object) -> bool:
        found = self.by_text.get(str(value))
        return found is not None and type(found) is type(value) and found == value


class _Text(_Part):
    def __init__(self, regex: str) -> None:
        self.compiled = re.compile(regex, re.ASCII)
        self.regex = f"(?:{regex})"

    def read(self, text: str) -> str | None:
        return text if self.compiled.fullmatch(text) else None

    def valid(self, value: object) -> bool:
        return isinstance(value, str) and self.compiled.fullmatch(value) is not None


@dataclass(frozen=True)
class _Field:
    name: str
    part: _Part
    optional: bool


def _part_of(owner: str, name: str, hint: Any) -> _Field:
    """The codec for one annotated field; anything unsupported fails when the class is made."""
    optional = False
    if get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint):
        rest = [a for a in get_args(hint) if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"{owner}.{name}: one type or None only")
        hint, optional = rest[0], True
    origin, args = get_origin(hint), get_args(hint)
    part: _Part
    if hint is int:
        part = _Int(1, ID_MAX)
    elif origin is Annotated and args[0] is int and isinstance(args[1], Range):
        part = _Int(args[1].lo, args[1].hi)
    elif origin is Annotated and args[0] is str and isinstance(args[1], Pattern):
        part = _Text(args[1].regex)
    elif origin is Literal and all(type(v) in (str, int) and str(v).isascii() for v in args):
        part = _Choice(args)
    elif origin is tuple and args == (int, ...):
        part = _Ids()
    else:
        raise TypeError(f"{owner}.{name}: {hint!r} can't go in a button")
    return _Field(name, part, optional)


_REGISTRY: dict[str, dict[str, type[ButtonData]]] = {}  # prefix -> tag -> class
D = TypeVar("D", bound="ButtonData")


@dataclass_transform(frozen_default=True)
class ButtonData:
    """Base of every button action: subclass with `prefix=` (and optionally `tag=`, `sep=`).

    Subclasses become frozen dataclasses; a value that doesn't fit a field raises ValueError
    when the instance is made, so an invalid payload can't even be built.
    """

    prefix: ClassVar[str]
    tag: ClassVar[str]
    sep: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...]]
    _regex: ClassVar[re.Pattern[str]]

    def __init_subclass__(
        cls, *, prefix: str, tag: str = "", sep: str = ":", **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", prefix) or not re.fullmatch(r"[A-Za-z]*", tag):
            raise TypeError(f"{cls.__name__}: prefix {prefix!r} or tag {tag!r} not allowed")
        if not sep.isascii() or sep.isalnum():
            raise TypeError(f"{cls.__name__}: separator {sep!r} not allowed")
        dataclass(frozen=True)(cls)
        cls.prefix, cls.tag, cls.sep = prefix, tag, sep
        cls._fields = _fields_of(cls)
        cls._regex = _regex_of(cls)
        taken = _REGISTRY.setdefault(prefix, {})
        if tag in taken:
            raise TypeError(f"{cls.__name__}: {prefix}:{tag} is {taken[tag].__name__}'s already")
        taken[tag] = cls

    def __post_init__(self) -> None:
        after_missing = False
        for f in self._fields:
            value = getattr(self, f.name)
            if value is None and f.optional:
                after_missing = True
            elif after_missing or not f.part.valid(value):
                raise ValueError(f"{type(self).__name__}.{f.name}: value not allowed")
        self.check()

    def check(self) -> None:
        """Rules across fields (raise ValueError); a class overrides it when it has some."""

    def pack(self) -> str:
        """The callback_data; ValueError if it is over Telegram's 64 bytes."""
        if not self.fits():
            raise ValueError(f"{type(self).__name__}: over {CALLBACK_DATA_LIMIT} bytes")
        return self._written()

    def fits(self) -> bool:
        """Whether it packs within the limit (e.g. a long list of ids may not)."""
        return len(self._written().encode()) <= CALLBACK_DATA_LIMIT

    def _written(self) -> str:
        parts = [f.part.write(v) for f in self._fields if (v := getattr(self, f.name)) is not None]
        head = f"{self.prefix}:{self.tag}" if parts or self.tag else self.prefix
        return head + self.sep.join(parts)

    @classmethod
    def unpack(cls: type[D], data: str) -> D | None:
        """This class's instance if `data` is exactly what one packs to; None otherwise."""
        if not isinstance(data, str) or len(data) > CALLBACK_DATA_LIMIT or not data.isascii():
            return None
        match = cls._regex.fullmatch(data)
        if match is None:
            return None
        values: dict[str, Any] = {}
        for n, f in enumerate(cls._fields):
            text = match.group(f"f{n}")
            value = None if text is None else f.part.read(text)
            if value is None and not (text is None and f.optional):
                return None
            values[f.name] = value
        try:
            return cls(**values)
        except ValueError:  # a rule across fields (check) refused it
            return None


def _fields_of(cls: type[ButtonData]) -> tuple[_Field, ...]:
    hints = get_type_hints(cls, include_extras=True)
    found = tuple(_part_of(cls.__name__, f.name, hints[f.name]) for f in fields(cls))  # type: ignore[arg-type]
    optional = [f.optional for f in found]
    if optional[:1] == [True] or optional != sorted(optional):
        raise TypeError(f"{cls.__name__}: only fields after the first, at the end, may be None")
    return found


def _regex_of(cls: type[ButtonData]) -> re.Pattern[str]:
    """The exact language of `pack()`: optional parts nest, so a later one needs the earlier."""
    regex = re.escape(cls.prefix) + (":" + re.escape(cls.tag) if cls._fields or cls.tag else "")
    for n, f in enumerate(cls._fields):
        group = f"(?P<f{n}>{f.part.regex})"
        sep = re.escape(cls.sep) if n else ""
        regex += f"(?:{sep}{group}" if f.optional else sep + group
    regex += ")?" * sum(f.optional for f in cls._fields)
    return re.compile(regex, re.ASCII)


def unpack(data: str) -> ButtonData | None:
    """Whichever action `data` is, exactly; None for anything else (the caller: "expired")."""
    if not isinstance(data, str):
        return None
    prefix, _, rest = data.partition(":")
    candidates = _REGISTRY.get(prefix, {})
    for tag in sorted(candidates, key=len, reverse=True):  # "ack:L12" before "ack:12,13"
        if rest.startswith(tag):
            found = candidates[tag].unpack(data)
            if found is not None:
                return found
    return None


def registered() -> list[type[ButtonData]]:
    """Every action class, for tests and the router's completeness check."""
    return [cls for by_tag in _REGISTRY.values() for cls in by_tag.values()]


def button(text: str, data: ButtonData) -> Button:
    """An inline button pressing `data`."""
    return Button(text, data=data.pack())


def outbox_button(text: str, data: ButtonData) -> dict[str, str]:
    """The same, as an outbox row stores it ({"text", "data"}): packed, so the limit holds."""
    return {"text": text, "data": data.pack()}


# --- routing: each flows module declares `ACTIONS = (Route(SomeData, handler), ...)` ------------


@dataclass(frozen=True)
class Route(Generic[D]):
    """The handler of one action; it gets the unpacked, typed instance."""

    data: type[D]
    handler: Callable[[Context, D], Awaitable[None]]


Actions = tuple[Route[Any], ...]
Handler = Callable[["Context", Any], Awaitable[None]]


def action_table(routes: Iterable[Route[Any]]) -> dict[type[ButtonData], Handler]:
    """One handler per action class; a second one for the same class is a mistake."""
    table: dict[type[ButtonData], Handler] = {}
    for route in routes:
        if route.data in table:
            raise TypeError(f"two handlers for {route.data.__name__}")
        table[route.data] = route.handler
    return table


# --- the actions --------------------------------------------------------------------------------

Severity = Literal["E", "U", "R"]  # emergency, urgent, routine
SkipReason = Literal["travel", "sick", "rest"]
Page = Annotated[int, Range(0, 9999)]
Weeks = Literal[2, 4, 8, 12]  # of a physio report
Window = Literal[7, 14, 28, 56]  # days of /progress and of a client's chart


class AckAlerts(ButtonData, prefix="ack"):
    """Acknowledge these alerts (the alert message): "ack:12,13"."""

    ids: tuple[int, ...]


class AckListed(ButtonData, prefix="ack", tag="L"):
    """Acknowledge one alert from the /alerts list, which is redrawn: "ack:L12"."""

    alert_id: int


class AckCheckin(ButtonData, prefix="ack", tag="C", sep=""):
    """A check-in's alerts at one severity, when their ids don't fit: "ack:C55E"."""

    checkin_id: int
    severity: Severity


class AckVisitor(ButtonData, prefix="ack", tag="V", sep=""):
    """A visitor's intake alerts at one severity, when their ids don't fit: "ack:V7U"."""

    visitor_id: int
    severity: Severity


class History(ButtonData, prefix="hist"):
    """A client's 14-day history: "hist:7"."""

    client_id: int


class MessageClient(ButtonData, prefix="msg"):
    """Staff's next message goes to this client or visitor: "msg:7"."""

    client_id: int


class ReplyTo(ButtonData, prefix="reply"):
    """The client's or visitor's next message goes back to this staff member: "reply:2"."""

    staff_id: int


class ConfirmClearance(ButtonData, prefix="clear"):
    """The trainer confirms a client's medical clearance: "clear:7"."""

    client_id: int


class ReminderPress(ButtonData, prefix="rem"):
    """The daily reminder: "rem:now", "rem:snooze", "rem:skip", then "rem:skip:travel";
    "rem:flags" (offered after "Sick") opens today's check-in at the red-flag screen."""

    choice: Literal["now", "snooze", "skip", "flags"]
    reason: SkipReason | None = None

    def check(self) -> None:
        if self.reason is not None and self.choice != "skip":
            raise ValueError("ReminderPress: only skip has a reason")


class ClientsPage(ButtonData, prefix="clients"):
    """/clients, one page of it: "clients:0"."""

    page: Page


class ClientCard(ButtonData, prefix="client"):
    """A client's card from /clients: "client:7"."""

    client_id: int


class ClientProgram(ButtonData, prefix="cprog"):
    """/program straight on this client, from their card: "cprog:7"."""

    client_id: int


class ProgressWindow(ButtonData, prefix="progress"):
    """/progress over 7, 14, 28 or 56 days: "progress:28"."""

    days: Window


class ClientChart(ButtonData, prefix="cchart"):
    """Staff: a client's chart over 7, 14, 28 or 56 days: "cchart:7:28"."""

    client_id: int
    days: Window


class ProgressionAnswer(ButtonData, prefix="sugg"):
    """A progression suggestion's Open program ("sugg:5:open") or Not yet ("sugg:5:later")."""

    suggestion_id: int
    answer: Literal["open", "later"]


class ReportClient(ButtonData, prefix="report"):
    """A physio report about this client: then pick the weeks: "report:7"."""

    client_id: int


class ReportWeeks(ButtonData, prefix="report", tag="W"):
    """The report over 2, 4, 8 or 12 weeks: "report:W7:4"."""

    client_id: int
    weeks: Weeks


class BookingMove(ButtonData, prefix="bkmove"):
    """The visitor reschedules their consult: "bkmove:9"."""

    booking_id: int


class BookingCancel(ButtonData, prefix="bkcancel"):
    """The visitor's Cancel ("bkcancel:9") and the answers to "sure?" ("bkcancel:9:yes")."""

    booking_id: int
    answer: Literal["yes", "keep"] | None = None


class BookingNew(ButtonData, prefix="bknew"):
    """Book again after a cancelled or missed consult: "bknew:9"."""

    booking_id: int


class StaffCancel(ButtonData, prefix="bktcancel"):
    """The trainer cancels a consult (a reason is asked): "bktcancel:9"."""

    booking_id: int


class Outcome(ButtonData, prefix="bkout"):
    """After a consult: attended ("bkout:9:a") or no-show ("bkout:9:n")."""

    booking_id: int
    mark: Literal["a", "n"]


class DeleteMe(ButtonData, prefix="delme"):
    """/deleteme's answer, bound to this person ("<id>.<created, epoch s>"): "delme:yes:7.1700"."""

    answer: Literal["yes", "keep"]
    token: Annotated[str, Pattern(r"[1-9][0-9]{0,9}\.(?:0|[1-9][0-9]{0,11})")]
