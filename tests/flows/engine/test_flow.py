"""The conversation engine on its own, with a tiny flow declared here (no real flow, no database):
each result kind, retries, the button rules, switching flows, typed data in the row, rows
stored by an earlier version, and rows this version can't run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import cast

import pytest
from pydantic import Field

from flows.engine.conversation import (
    Answer,
    Context,
    give,
    press,
    register,
    resume,
    running_data,
    start,
)
from flows.engine.core import Edit, Event, EventKind, Keyboard, Send, Toast, keyboard
from flows.engine.flow import (
    Done,
    Flow,
    FlowData,
    Next,
    Result,
    Retry,
    Stay,
    StepSpec,
    Stop,
    Switch,
)
from storage.models import Conversation
from storage.repo import Store
from tests.flows.harness import BOT

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
EXPIRED = "This button has expired. Please use the latest message."
OUTDATED = "Sorry, I was updated and can't pick up where we left off. Please start that again."


class Step(StrEnum):
    COLOUR = "colour"
    SIZE = "size"
    EMPTY = "empty"  # its ask has nothing to offer: the flow stops
    AHEAD = "ahead"  # its ask passes the turn on to SIZE
    LOOP = "loop"  # its ask passes the turn to itself, forever


class Shade(FlowData):
    name: str = ""


class Data(FlowData):
    colour: str | None = None
    ticks: int = 0
    sizes: list[int] = Field(default_factory=list)
    shade: Shade | None = None


class OtherStep(StrEnum):
    ONLY = "only"


class OtherData(FlowData):
    note: str = ""


COLOURS = ("red", "blue", "tick", "stop", "other", "done", "empty", "ahead", "loop")


def _colour_buttons(ctx: Context) -> Keyboard:
    return keyboard([ctx.choice(value.title(), value) for value in COLOURS])


async def ask_colour(ctx: Context, data: Data) -> None:
    ctx.say(f"Colour? ({data.ticks} ticks)", _colour_buttons(ctx))


async def answer_colour(ctx: Context, data: Data, answer: Answer) -> Result:
    choice = answer.choice or answer.text
    if choice in ("red", "blue"):
        data.colour, data.shade = choice, Shade(name=f"dark {choice}")
        return Next(Step.SIZE)
    if choice == "tick":
        data.ticks += 1
        ctx.redraw(f"Colour? ({data.ticks} ticks)", _colour_buttons(ctx))
        return Stay()
    results: dict[str, Result] = {
        "stop": Stop("Stopped early."),
        "other": Switch(OTHER, OtherStep.ONLY, OtherData(note="handed over")),
        "done": Done(),
        "empty": Next(Step.EMPTY),
        "ahead": Next(Step.AHEAD),
        "loop": Next(Step.LOOP),
    }
    if choice not in results:
        data.ticks += 1  # kept: a retry doesn't undo what the answer noted
        raise Retry("Pick a colour.")
    return results[choice]


async def ask_size(ctx: Context, data: Data) -> None:
    ctx.say(f"Size for {data.colour}?")


async def answer_size(ctx: Context, data: Data, answer: Answer) -> Result:
    if not answer.text.isdigit():
        raise Retry("A number, please.")
    data.sizes = [*data.sizes, int(answer.text)]
    return Next(Step.SIZE) if len(data.sizes) < 2 else Done()


async def ask_empty(ctx: Context, data: Data) -> Result:
    return Stop("Nothing to offer.")


async def ask_ahead(ctx: Context, data: Data) -> Result:
    return Next(Step.SIZE)


async def ask_loop(ctx: Context, data: Data) -> Result:
    return Next(Step.LOOP)


async def never(ctx: Context, data: Data, answer: Answer) -> Result:
    raise AssertionError("a step whose ask never asks gets no answer")


async def ask_only(ctx: Context, data: OtherData) -> None:
    ctx.say(f"Other flow: {data.note}")


async def answer_only(ctx: Context, data: OtherData, answer: Answer) -> Result:
    return Done()


TINY = register(
    Flow(
        "engine_test",
        Data,
        {
            Step.COLOUR: StepSpec(ask_colour, answer_colour),
            Step.SIZE: StepSpec(ask_size, answer_size),
            Step.EMPTY: StepSpec(ask_empty, never),
            Step.AHEAD: StepSpec(ask_ahead, never),
            Step.LOOP: StepSpec(ask_loop, never),
        },
    )
)
OTHER = register(
    Flow("engine_test_other", OtherData, {OtherStep.ONLY: StepSpec(ask_only, answer_only)})
)


class Chat:
    """One chat's conversation row, and each update handled on it with a fresh Context."""

    def __init__(self, convo: Conversation | None = None) -> None:
        self.convo = convo or Conversation(chat_id=1, user_id=1, updated_at=NOW)
        self.ctx = self._context(Event(update_id=1, user_id=1, chat_id=1, kind=EventKind.TEXT))

    def _context(self, event: Event) -> Context:
        self.ctx = Context(event, NOW, BOT, cast(Store, None), self.convo, None)
        return self.ctx

    async def start(self) -> Context:
        ctx = self._context(Event(update_id=1, user_id=1, chat_id=1, kind=EventKind.COMMAND))
        await start(ctx, TINY)
        return ctx

    async def text(self, text: str) -> Context:
        ctx = self._context(Event(update_id=2, user_id=1, chat_id=1, kind=EventKind.TEXT))
        await give(ctx, Answer(text=text))
        return ctx

    async def press(self, value: str, version: int | None = None) -> Context:
        """The question's button `value` (of the current version unless told)."""
        shown = self.convo.version if version is None else version
        event = Event(
            update_id=3,
            user_id=1,
            chat_id=1,
            kind=EventKind.BUTTON,
            payload=f"~{shown}:{value}",
            message_id=50,
            message_text="Colour?",
            button_text=value.title(),
        )
        ctx = self._context(event)
        await press(ctx)
        return ctx

    def said(self) -> list[str]:
        return [r.text for r in self.ctx.replies.items if isinstance(r, Send)]

    def state(self) -> tuple[str | None, str | None]:
        return self.convo.flow, self.convo.step


async def test_start_asks_the_first_step_with_fresh_data_and_offers_its_buttons() -> None:
    chat = Chat()
    await chat.start()
    assert chat.state() == ("engine_test", "colour")
    assert chat.said() == ["Colour? (0 ticks)"]
    assert chat.convo.offered == list(COLOURS)
    assert chat.convo.data == {"colour": None, "ticks": 0, "sizes": [], "shade": None}
    assert chat.convo.version == 1


async def test_next_records_the_press_moves_on_and_saves_the_data() -> None:
    chat = Chat()
    await chat.start()
    ctx = await chat.press("red")
    assert ctx.replies.items[:2] == [Toast(), Edit(50, "Colour?\n\n» Red")]
    assert chat.said() == ["Size for red?"]
    assert chat.state() == ("engine_test", "size")
    assert (chat.convo.version, chat.convo.offered) == (2, [])
    assert chat.convo.data["colour"] == "red"
    assert chat.convo.data["shade"] == {"name": "dark red"}


async def test_next_to_the_same_step_asks_it_again_as_a_new_question() -> None:
    chat = Chat()
    await chat.start()
    await chat.press("blue")
    await chat.text("3")
    assert chat.said() == ["Size for blue?"]
    assert (chat.state(), chat.convo.version) == (("engine_test", "size"), 3)
    await chat.text("4")
    assert chat.state() == (None, None)


async def test_stay_keeps_the_question_its_version_and_its_buttons() -> None:
    chat = Chat()
    await chat.start()
    ctx = await chat.press("tick")
    assert chat.said() == []  # redrawn in place, not recorded as an answer
    assert [r for r in ctx.replies.items if isinstance(r, Edit)] == [
        Edit(50, "Colour? (1 ticks)", _colour_buttons(ctx))
    ]
    assert (chat.state(), chat.convo.version) == (("engine_test", "colour"), 1)
    assert chat.convo.data["ticks"] == 1
    await chat.press("red", version=1)  # the same buttons still answer
    assert chat.state() == ("engine_test", "size")


async def test_done_ends_the_flow_and_expires_its_buttons() -> None:
    chat = Chat()
    await chat.start()
    ctx = await chat.press("done")
    assert Edit(50, "Colour?\n\n» Done") in ctx.replies.items
    assert (chat.state(), chat.convo.data, chat.convo.offered) == ((None, None), {}, [])
    assert chat.convo.version == 2
    again = await chat.press("red", version=1)
    assert again.replies.items == [Toast(EXPIRED)]


async def test_stop_ends_the_flow_saying_why() -> None:
    chat = Chat()
    await chat.start()
    await chat.press("stop")
    assert chat.said() == ["Stopped early."]
    assert (chat.state(), chat.convo.data) == ((None, None), {})


async def test_switch_starts_the_other_flow_with_its_own_data() -> None:
    chat = Chat()
    await chat.start()
    ctx = await chat.press("other")
    assert Edit(50, "Colour?\n\n» Other") in ctx.replies.items
    assert chat.said() == ["Other flow: handed over"]
    assert chat.state() == ("engine_test_other", "only")
    assert chat.convo.data == {"note": "handed over"}
    await chat.text("anything")
    assert chat.state() == (None, None)


async def test_retry_says_the_hint_and_asks_again_with_the_same_buttons() -> None:
    chat = Chat()
    await chat.start()
    offered, version = chat.convo.offered, chat.convo.version
    await chat.text("banana")
    assert chat.said() == ["Pick a colour.", "Colour? (1 ticks)"]
    assert (chat.convo.version, chat.convo.offered) == (version, offered)
    assert chat.convo.data["ticks"] == 1
    await chat.press("blue", version=version)  # the first question's button still works
    assert chat.state() == ("engine_test", "size")


async def test_a_stale_or_unoffered_button_changes_nothing() -> None:
    chat = Chat()
    await chat.start()
    await chat.press("red")
    before = (chat.state(), chat.convo.version, chat.convo.offered, dict(chat.convo.data))
    for value, version in (("blue", 1), ("purple", 2), ("red", 2), ("red", 3)):
        ctx = await chat.press(value, version=version)
        assert ctx.replies.items == [Toast(EXPIRED)], (value, version)
        assert (chat.state(), chat.convo.version, chat.convo.offered, chat.convo.data) == before


async def test_an_ask_with_nothing_to_ask_ends_or_passes_the_turn_on() -> None:
    chat = Chat()
    await chat.start()
    await chat.press("empty")
    assert chat.said() == ["Nothing to offer."]
    assert chat.state() == (None, None)
    await chat.start()
    await chat.press("ahead")
    assert chat.said() == ["Size for None?"]
    assert chat.state() == ("engine_test", "size")


async def test_asks_that_never_ask_are_a_bug_not_a_hang() -> None:
    chat = Chat()
    await chat.start()
    with pytest.raises(RuntimeError, match="asked nothing"):
        await chat.press("loop")


async def test_the_data_round_trips_through_the_row_as_json() -> None:
    chat = Chat()
    await chat.start()
    await chat.press("red")
    await chat.text("7")
    stored = json.loads(json.dumps(chat.convo.data))  # what the JSON column gives back
    assert TINY.load(stored) == Data(colour="red", sizes=[7], shade=Shade(name="dark red"))


async def test_a_row_stored_before_the_upgrade_resumes() -> None:
    """Today's step strings and data keys: missing fields take their defaults, keys this
    version no longer has are dropped."""
    row = Conversation(
        chat_id=1,
        user_id=1,
        flow="engine_test",
        step="size",
        data={"colour": "red", "sizes": [1], "i": 3},
        version=41,
        updated_at=NOW,
    )
    chat = Chat(row)
    ctx = chat.ctx
    assert await resume(ctx)
    assert chat.said() == ["Size for red?"]
    await chat.text("2")
    assert chat.state() == (None, None)  # the second size finished it: [1] came from the row


@pytest.mark.parametrize(
    ("flow", "step", "data"),
    [
        ("engine_test", "shape", {}),  # a step this version doesn't have
        ("engine_test", "size", {"ticks": "many"}),  # data that doesn't validate
        ("engine_test", None, {}),
        ("a_flow_long_gone", "colour", {}),
    ],
)
async def test_a_row_this_version_cant_run_is_ended_politely(
    flow: str, step: str | None, data: dict[str, object]
) -> None:
    def row() -> Conversation:
        return Conversation(chat_id=1, user_id=1, flow=flow, step=step, data=data, updated_at=NOW)

    chat = Chat(row())
    await chat.text("red")
    assert chat.said() == [OUTDATED]
    assert (chat.state(), chat.convo.data) == ((None, None), {})
    chat = Chat(row())
    assert not await resume(chat.ctx)
    assert chat.said() == [OUTDATED]
    assert chat.state() == (None, None)


async def test_running_data_reads_the_flow_under_way_only() -> None:
    chat = Chat()
    assert running_data(chat.ctx, TINY) is None
    await chat.start()
    await chat.press("blue")
    assert running_data(chat.ctx, TINY) == Data(colour="blue", shade=Shade(name="dark blue"))
    assert running_data(chat.ctx, OTHER) is None
