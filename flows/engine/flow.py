"""Declaring a flow: its steps, one ask and one answer each, and what an answer comes to.

A flow is one table, read top to bottom like the conversation:

    class Step(StrEnum):
        NAME = "name"

    class Data(FlowData):
        name: str | None = None

    INVITE = register(Flow("invite", Data, {Step.NAME: StepSpec(ask_name, answer_name)}))

The first step of the table is where the flow starts. Step values and the flow's name are what
conversation rows store, and `Data` (a pydantic model) is stored as JSON beside them, so once
shipped none of them is renamed and every field has a default: a conversation stopped before an
upgrade must resume after it. A row that no longer fits (a step this version lacks, data that
doesn't validate) is ended by the engine with a short apology.

An ask puts its question and returns None; when the step can't be asked now (nothing left to
offer, access gone) it returns a result instead. An answer always returns one:

    Next(step)                ask `step` (the same step again too: its old buttons expire)
    Stay()                    keep the question as it is on screen (a checklist edited in place)
    Done()                    the flow is over; whatever it had to do, the answer did
    Stop(text)                the flow ends early, saying why
    Switch(flow, step, data)  another flow (or this one afresh) takes over
    raise Retry(hint)         the answer doesn't fit: the hint, then the same question and buttons

The engine (flows.engine.conversation) applies them: no flow sets the conversation's flow, step
or data itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from flows.engine.conversation import Answer, Context


class Retry(Exception):
    """The answer doesn't fit the question: say `hint`, then ask again (same buttons). Raised
    rather than returned so that parsing helpers deep in an answer can refuse it."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


class FlowData(BaseModel):
    """Base of a flow's data: keys other versions stored are ignored, and assignments are
    validated, so what is saved always loads again."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)


S = TypeVar("S", bound=StrEnum)
D = TypeVar("D", bound=FlowData)


@dataclass(frozen=True)
class Next:
    """Move on to `step` and ask it."""

    step: StrEnum


@dataclass(frozen=True)
class Stay:
    """Keep the current question (and its buttons) as it is."""


@dataclass(frozen=True)
class Done:
    """The flow has finished."""


@dataclass(frozen=True)
class Stop:
    """The flow ends before its last step; `text` says why."""

    text: str = ""


@dataclass(frozen=True)
class Switch(Generic[S, D]):
    """Start `flow` at `step` (its first by default) with `data` (its defaults by default)."""

    flow: Flow[S, D]
    step: S | None = None
    data: D | None = None


Result = Next | Stay | Done | Stop | Switch[Any, Any]


@dataclass(frozen=True)
class StepSpec(Generic[D]):
    """One step: `ask` puts its question, `answer` takes what came back."""

    ask: Callable[[Context, D], Awaitable[Result | None]]
    answer: Callable[[Context, D, Answer], Awaitable[Result]]


@dataclass(frozen=True)
class Flow(Generic[S, D]):
    """A named table of steps over one kind of data; see the module docstring."""

    name: str
    data: type[D]
    steps: Mapping[S, StepSpec[D]]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"flow {self.name!r} has no steps")

    @property
    def first_step(self) -> S:
        return next(iter(self.steps))

    def step_of(self, stored: str) -> S | None:
        """The step a conversation row names, or None if this version has no such step."""
        try:
            step = type(self.first_step)(stored)
        except ValueError:
            return None
        return step if step in self.steps else None

    def load(self, raw: Mapping[str, Any]) -> D:
        """The flow's data from a conversation row; pydantic.ValidationError if it doesn't fit."""
        return self.data.model_validate(raw)

    def dump(self, data: D) -> dict[str, Any]:
        return data.model_dump(mode="json")

    async def run_ask(self, ctx: Context, step: S, data: D) -> Result | None:
        return await self.steps[step].ask(ctx, data)

    async def run_answer(self, ctx: Context, step: S, data: D, answer: Answer) -> Result:
        return await self.steps[step].answer(ctx, data, answer)
