"""The button codec (flows/engine/buttons.py): exact round trips, and nothing else unpacks."""

from __future__ import annotations

from typing import Literal

import pytest

import flows.router as router_module
from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.engine.buttons import (
    AckAlerts,
    AckCheckin,
    AckListed,
    AckVisitor,
    BookingCancel,
    BookingMove,
    BookingNew,
    ButtonData,
    ClientCard,
    ClientChart,
    ClientProgram,
    ClientsPage,
    ConfirmClearance,
    DeleteMe,
    History,
    MessageClient,
    Outcome,
    ProgressionAnswer,
    ProgressWindow,
    ReminderPress,
    ReplyTo,
    ReportClient,
    ReportWeeks,
    Route,
    StaffCancel,
    action_table,
    outbox_button,
    registered,
    unpack,
)
from flows.engine.conversation import Context
from flows.engine.core import Toast
from flows.engine.parse import ID_MAX
from flows.router import Router
from storage.db import SessionFactory
from tests.flows.harness import User, make_router

EXPIRED = "This button has expired. Please use the latest message."

# Every action and its wire format. These are what messages already in people's chats carry:
# a change here makes old buttons "expired", so it must be on purpose.
WIRE: list[tuple[ButtonData, str]] = [
    (AckAlerts((12, 13)), "ack:12,13"),
    (AckAlerts((ID_MAX,)), f"ack:{ID_MAX}"),
    (AckListed(12), "ack:L12"),
    (AckCheckin(55, "E"), "ack:C55E"),
    (AckCheckin(55, "R"), "ack:C55R"),
    (AckVisitor(7, "U"), "ack:V7U"),
    (History(7), "hist:7"),
    (MessageClient(7), "msg:7"),
    (ReplyTo(2), "reply:2"),
    (ConfirmClearance(7), "clear:7"),
    (ReminderPress("now"), "rem:now"),
    (ReminderPress("snooze"), "rem:snooze"),
    (ReminderPress("skip"), "rem:skip"),
    (ReminderPress("skip", "travel"), "rem:skip:travel"),
    (ClientsPage(0), "clients:0"),
    (ClientsPage(12), "clients:12"),
    (ClientCard(7), "client:7"),
    (ClientProgram(7), "cprog:7"),
    (ProgressWindow(7), "progress:7"),
    (ProgressWindow(14), "progress:14"),
    (ProgressWindow(56), "progress:56"),
    (ClientChart(7, 28), "cchart:7:28"),
    (ProgressionAnswer(5, "open"), "sugg:5:open"),
    (ProgressionAnswer(5, "later"), "sugg:5:later"),
    (ReportClient(7), "report:7"),
    (ReportWeeks(7, 12), "report:W7:12"),
    (BookingMove(9), "bkmove:9"),
    (BookingCancel(9), "bkcancel:9"),
    (BookingCancel(9, "yes"), "bkcancel:9:yes"),
    (BookingCancel(9, "keep"), "bkcancel:9:keep"),
    (BookingNew(9), "bknew:9"),
    (StaffCancel(9), "bktcancel:9"),
    (Outcome(9, "a"), "bkout:9:a"),
    (Outcome(9, "n"), "bkout:9:n"),
    (DeleteMe("yes", "7.1764000000"), "delme:yes:7.1764000000"),
    (DeleteMe("keep", "7.0"), "delme:keep:7.0"),
]

MALFORMED = [
    # unknown, empty, or nothing after the prefix
    "",
    "nope:1",
    "ack",
    "ack:",
    "hist:",
    "reply",
    # ids: ASCII digits 1..2^31-1, written as pack() writes them
    "reply:²",
    "reply:٣",
    "client:１２",
    "msg:" + "9" * 25,
    f"msg:{ID_MAX + 1}",
    "msg:0",
    "msg:-1",
    "msg:+7",
    "msg:07",
    "msg: 7",
    "msg:7 ",
    "msg:7\n",
    "msg:x",
    "clients:-1",
    "clients:10000",
    "clients:x",
    # a part missing, empty or extra
    "hist:7:",
    "hist:7:8",
    "bkout:9",
    "bkout:9:",
    "bkout::a",
    "bkout:9:a:",
    "bkcancel:9:",
    "bkcancel:9:yes:no",
    "rem:skip:",
    "delme:yes",
    "delme:yes:7.",
    "delme:yes:7.1:",
    # literal values exactly as written
    "bkout:9:an",
    "bkout:9:A",
    "bkout:9:x",
    "bkcancel:9:YES",
    "rem:later",
    "rem:now:travel",  # only skip has a reason
    "rem:skip:bored",
    "progress:3",
    "progress:7:99",
    "progress:07",
    "delme:maybe:7.1",
    # the acknowledge forms
    "ack:12,",
    "ack:,12",
    "ack:1,,2",
    "ack:L",
    "ack:L0",
    "ack:Lx",
    "ack:L12,13",
    "ack:C55",
    "ack:C55X",
    "ack:C55e",
    "ack:CE",
    "ack:C55EE",
    "ack:V7",
    "ack:X12",
    # a conversation button is the engine's, not an action
    "~3:yes",
    # over 64 bytes
    "ack:" + ",".join(["1"] * 40),
]


@pytest.mark.parametrize(("data", "wire"), WIRE, ids=[wire for _, wire in WIRE])
def test_every_action_packs_to_its_wire_format_and_back(data: ButtonData, wire: str) -> None:
    assert data.pack() == wire
    assert unpack(wire) == data
    assert type(data).unpack(wire) == data
    assert len(wire.encode()) <= 64


def test_the_wire_table_covers_every_action() -> None:
    assert {type(data) for data, _ in WIRE} == set(registered())


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_and_forged_payloads_unpack_to_nothing(data: str) -> None:
    assert unpack(data) is None
    assert all(cls.unpack(data) is None for cls in registered())


def test_a_class_only_unpacks_its_own() -> None:
    assert History.unpack("msg:7") is None
    assert AckAlerts.unpack("ack:L12") is None
    assert AckListed.unpack("ack:L12") == AckListed(12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Outcome(9, "an"),  # type: ignore[arg-type]
        lambda: Outcome(0, "a"),
        lambda: ClientCard(ID_MAX + 1),
        lambda: ClientCard(True),
        lambda: ClientCard("7"),  # type: ignore[arg-type]
        lambda: AckAlerts(()),
        lambda: AckAlerts([1, 2]),  # type: ignore[arg-type]
        lambda: ProgressWindow("7"),  # type: ignore[arg-type]
        lambda: ProgressWindow(21),  # type: ignore[arg-type]
        lambda: ClientChart(7, 30),  # type: ignore[arg-type]
        lambda: ReminderPress("now", "travel"),
        lambda: DeleteMe("yes", "7.1:x"),
        lambda: ClientsPage(-1),
    ],
)
def test_an_invalid_action_cannot_be_built(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_over_64_bytes_is_refused_when_packed() -> None:
    many = AckAlerts(tuple(range(10**9, 10**9 + 7)))
    assert not many.fits()
    with pytest.raises(ValueError):
        many.pack()
    with pytest.raises(ValueError):
        outbox_button("Acknowledge", many)
    assert outbox_button("History", History(7)) == {"text": "History", "data": "hist:7"}


def test_a_prefix_taken_twice_fails_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="ack"):

        class Again(ButtonData, prefix="ack", tag="L"):
            alert_id: int

    with pytest.raises(TypeError, match="hist"):

        class HistoryToo(ButtonData, prefix="hist"):
            client_id: int

    assert History.unpack("hist:7") == History(7)  # the first one stays


def test_unsupported_fields_fail_when_the_class_is_made() -> None:
    with pytest.raises(TypeError):

        class Ratio(ButtonData, prefix="test-ratio"):
            value: float

    with pytest.raises(TypeError):

        class Gap(ButtonData, prefix="test-gap"):
            first: int | None = None
            second: Literal["a"] = "a"

    assert unpack("test-ratio:1") is None and unpack("test-gap:1") is None


async def _nothing(ctx: Context, data: ButtonData) -> None:
    """A stand-in handler."""


def test_two_handlers_for_one_action_fail() -> None:
    with pytest.raises(TypeError, match="History"):
        action_table(
            [Route(History, _nothing), Route(MessageClient, _nothing), Route(History, _nothing)]
        )


def test_every_action_has_its_one_handler() -> None:
    assert set(router_module.ACTIONS) == set(registered())


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


@pytest.mark.parametrize("user_id", [CLIENT.user_id, TRAINER.user_id, ADMIN.user_id, 4242])
async def test_the_router_answers_every_malformed_payload_expired(
    router: Router, user_id: int
) -> None:
    """Never the generic error, never an exception: one polite toast, nothing else."""
    user = User(router, user_id)
    for data in MALFORMED:
        if data.startswith("~"):
            continue  # the engine's (tests/flows/engine/test_conversation.py)
        assert await user.press_data(data) == [Toast(EXPIRED)], data
