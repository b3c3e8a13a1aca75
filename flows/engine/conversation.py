"""Running a flow: one step at a time, state in the database, buttons bound to the state.

A question's buttons carry "~<version>:<value>". The version changes whenever the conversation
moves on, so a button from an earlier question (or a forged one) is answered "this button has
expired" and can never act on the current question. Free text where a button is expected gets a
hint and the same question again, with the same version, so its buttons stay usable.

A button's value is as untrusted as typed text: the engine records the values the current
question offered (`Conversation.offered`, every `ctx.choice`) and a pressed value that isn't one
of them is "expired" too, so a flow's answer only ever sees a choice it made itself. Global
buttons (acknowledge, reply...) are typed actions in flows/engine/buttons.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from flows.engine.core import BotInfo, Button, Edit, Event, Replies
from flows.engine.parse import ID_MAX, exact_int
from flows.engine.schedule import local_date, zone_of
from flows.engine.texts import t
from storage.models import Conversation, Person
from storage.repo import Store

STATE_PREFIX = "~"


class Retry(Exception):
    """The answer doesn't fit the question: say `hint`, then ask again."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


STAY = "\x00stay"
"""A step's answer that keeps the same question on screen (e.g. a checklist edited in place)."""


@dataclass(frozen=True)
class Answer:
    """What the person gave: a button's value (`choice`) or typed text.

    For a press, `message_id`, `message_text` and `label` identify the question it answered, so the
    answer can be written onto that message once it is accepted.
    """

    text: str = ""
    choice: str | None = None
    message_id: int | None = None
    message_text: str = ""
    label: str = ""
    phone: str | None = None  # a shared contact (EventKind.CONTACT)


@dataclass
class Context:
    """Everything a flow may use while handling one update."""

    event: Event
    now: datetime
    bot: BotInfo
    store: Store
    convo: Conversation
    person: Person | None
    replies: Replies = field(default_factory=Replies)

    @property
    def data(self) -> dict[str, Any]:
        return self.convo.data

    def set_data(self, **values: Any) -> None:
        """JSON columns only notice reassignment, so update by copy."""
        self.convo.data = {**self.convo.data, **values}

    def choice(self, text: str, value: str) -> Button:
        """A button answering the current question of this conversation; its value is recorded
        as offered, so a press of it (and of no value the question didn't offer) is accepted."""
        made = Button(text, data=f"{STATE_PREFIX}{self.convo.version}:{value}")
        if value not in self.convo.offered:
            self.convo.offered = [*self.convo.offered, value]  # JSON: reassign, don't mutate
        return made

    def say(self, text: str, buttons: Any = ()) -> None:
        self.replies.say(text, buttons)

    def redraw(self, text: str, buttons: Any = ()) -> None:
        """Replace the pressed message (paging, a wider window); a new one if there is none."""
        if self.event.message_id is None:
            self.say(text, buttons)
        else:
            self.replies.edit(self.event.message_id, text, buttons)

    def zone(self, person: Person | None) -> str:
        """A person's time zone, or the centre's default until they chose one."""
        return zone_of(person, self.bot.default_timezone)

    def today(self, person: Person | None) -> date:
        """The date on the person's wall clock now (check-ins and streaks are by local date)."""
        return local_date(self.now, self.zone(person))

    @property
    def locale(self) -> str:
        return self.person.locale if self.person else "en"

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.locale, **values)


class Flow:
    """A state machine: `ask` renders a step's question, `answer` returns the next step or None."""

    name: ClassVar[str]
    first_step: ClassVar[str]

    async def ask(self, ctx: Context, step: str) -> None:
        raise NotImplementedError

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        raise NotImplementedError

    async def finish(self, ctx: Context) -> None:
        """Called once the last step is answered, while `ctx.data` still holds the flow's data."""


FLOWS: dict[str, Flow] = {}


@dataclass(frozen=True)
class Command:
    """A slash command, declared once: who sees it in /help and the menu (role -> the text key
    describing it to them), who else may use it, and what it runs (usually starting a flow)."""

    name: str
    run: Callable[[Context], Awaitable[None]]
    menu: Mapping[str, str] = field(default_factory=dict)
    also: frozenset[str] = frozenset()  # may use it, without a line in their menu
    more: bool = False  # listed after the main commands (help, privacy, your data)
    anytime: bool = False  # works in the middle of joining too

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.menu) | self.also


def register(flow: Flow) -> Flow:
    FLOWS[flow.name] = flow
    return flow


def active_flow(convo: Conversation) -> Flow | None:
    return FLOWS.get(convo.flow) if convo.flow else None


async def start(ctx: Context, flow: Flow, step: str | None = None, **data: Any) -> None:
    """Enter a flow (replacing any other) and ask its first question."""
    ctx.convo.flow = flow.name
    ctx.convo.data = dict(data)
    await _move(ctx, flow, step or flow.first_step)


async def resume(ctx: Context) -> bool:
    """Ask the current question again; False if no flow is under way."""
    flow = active_flow(ctx.convo)
    if flow is None or ctx.convo.step is None:
        return False
    await flow.ask(ctx, ctx.convo.step)
    return True


def stop(ctx: Context) -> None:
    ctx.convo.flow = None
    ctx.convo.step = None
    ctx.convo.data = {}
    _next_version(ctx)  # expire every button of the flow


async def give(ctx: Context, answer: Answer) -> None:
    """Hand an answer to the current step and move on, or ask again with a hint."""
    flow = active_flow(ctx.convo)
    step = ctx.convo.step
    if flow is None or step is None:
        return
    if answer.choice is not None:  # rule 2a, here for every flow: only what was offered
        if answer.choice not in ctx.convo.offered:
            ctx.replies.toast(ctx.t("button_expired"))
            return
        ctx.replies.toast()
    before = len(ctx.replies.items)
    try:
        next_step = await flow.answer(ctx, step, answer)
    except Retry as retry:
        ctx.say(retry.hint)
        await flow.ask(ctx, step)
        return
    if next_step == STAY:
        return
    edited = any(
        isinstance(r, Edit) and r.message_id == answer.message_id
        for r in ctx.replies.items[before:]
    )
    if answer.message_id is not None and not edited:  # record the press on its question
        ctx.replies.items.insert(
            before, Edit(answer.message_id, f"{answer.message_text}\n\n» {answer.label}")
        )
    if ctx.convo.flow != flow.name or ctx.convo.step != step:
        return  # the step itself moved the conversation (started or stopped a flow)
    if next_step is None:
        await flow.finish(ctx)  # before stop(), so it can still read the flow's data
        if ctx.convo.flow == flow.name:
            stop(ctx)
    else:
        await _move(ctx, flow, next_step)


async def _move(ctx: Context, flow: Flow, step: str) -> None:
    ctx.convo.step = step
    _next_version(ctx)
    await flow.ask(ctx, step)


def _next_version(ctx: Context) -> None:
    """A new question (or none): earlier buttons expire and nothing is offered yet."""
    ctx.convo.version += 1
    ctx.convo.offered = []
    ctx.convo.updated_at = ctx.now


def parse_state_payload(payload: str) -> tuple[int, str] | None:
    """ "~12:yes" -> (12, "yes"); anything malformed (a version that isn't exactly ASCII
    digits in range, no value) -> None."""
    if not payload.startswith(STATE_PREFIX):
        return None
    text, sep, value = payload[len(STATE_PREFIX) :].partition(":")
    version = exact_int(text, 0, ID_MAX)
    if not sep or version is None or not value:
        return None
    return version, value


async def press(ctx: Context) -> None:
    """A question's button ("~<version>:<value>"): handed to the current step only if it
    belongs to the current question and is a value that question offered."""
    event = ctx.event
    state = parse_state_payload(event.payload)
    convo = ctx.convo
    if state is None or convo.flow is None or state[0] != convo.version:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    answer = Answer(
        choice=state[1],
        message_id=event.message_id,
        message_text=event.message_text,
        label=event.button_text,
    )
    await give(ctx, answer)
