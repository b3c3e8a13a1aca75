"""Running a flow: one step at a time, state in the database, buttons bound to the state.

A question's buttons carry "~<version>:<value>". The version changes whenever the conversation
moves on, so a button from an earlier question (or a forged one) is answered "this button has
expired" and can never act on the current question. Free text where a button is expected gets a
hint and the same question again, with the same version, so its buttons stay usable.

A button's value is as untrusted as typed text: the engine records the values the current
question offered (`Conversation.offered`, every `ctx.choice`) and a pressed value that isn't one
of them is "expired" too, so a flow's answer only ever sees a choice it made itself. Global
buttons (acknowledge, reply...) are typed actions in flows/engine/buttons.py.

Flows are declared in flows/engine/flow.py (steps, data, results); this module runs them: it
loads the flow's data from the conversation row, hands the step the answer, applies the result
(the next question, the end, another flow), records a pressed button on its question and saves
the data back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from flows.engine.core import BotInfo, Button, Drawing, Edit, Event, Replies
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, Stay, Stop, Switch
from flows.engine.languages import from_telegram, supported
from flows.engine.parse import ID_MAX, exact_int
from flows.engine.schedule import local_date, zone_of
from flows.engine.texts import t, tn
from storage.models import Conversation, Person
from storage.repo import Store

log = logging.getLogger(__name__)

STATE_PREFIX = "~"


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
    _growing: list[str] | None = field(default=None, repr=False)  # convo.offered, this update's

    def choice(self, text: str, value: str) -> Button:
        """A button answering the current question of this conversation; its value is recorded
        as offered, so a press of it (and of no value the question didn't offer) is accepted."""
        made = Button(text, data=f"{STATE_PREFIX}{self.convo.version}:{value}")
        offered = self.convo.offered
        if value not in offered:
            if offered is not self._growing:  # JSON: a new list is assigned, once an update
                offered = self._growing = [*offered]
                self.convo.offered = offered
            offered.append(value)
        return made

    def say(self, text: str, buttons: Any = ()) -> None:
        self.replies.say(text, buttons)

    def draw(self, drawing: Drawing) -> None:
        """A chart or report, drawn after this update's transaction (Replies.draw)."""
        self.replies.draw(drawing, self.t("drawing_unavailable"))

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
        """The language of this chat: its person's; before there is one, what they chose with
        /language, else what their Telegram is set to (flows.engine.languages)."""
        if self.person is not None:
            return supported(self.person.locale)
        return (
            supported(self.convo.locale)
            if self.convo.locale
            else from_telegram(self.event.language_code)
        )

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.locale, **values)

    def tn(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return tn(singular, plural, n, self.locale, **values)


AnyFlow = Flow[Any, Any]
FLOWS: dict[str, AnyFlow] = {}
F = TypeVar("F", bound=AnyFlow)
S = TypeVar("S", bound=StrEnum)
D = TypeVar("D", bound=FlowData)
MAX_HOPS = 8  # asks that may pass the turn on (a result instead of a question) in a row


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


def register(flow: F) -> F:
    if FLOWS.get(flow.name, flow) is not flow:
        raise ValueError(f"two flows named {flow.name!r}")
    FLOWS[flow.name] = flow
    return flow


async def start(
    ctx: Context, flow: Flow[S, D], step: S | None = None, data: D | None = None
) -> None:
    """Enter a flow (replacing any other) at `step`, its first by default, and ask. A flow's
    data is its model (its defaults when not given)."""
    await _enter(ctx, flow, step, data)


async def _enter(ctx: Context, flow: AnyFlow, step: Any, data: Any, hops: int = 0) -> None:
    data = data if data is not None else flow.data()
    ctx.convo.data = flow.dump(data)
    ctx.convo.flow = flow.name
    await _move(ctx, flow, step or flow.first_step, data, hops)


async def resume(ctx: Context) -> bool:
    """Ask the current question again; False if no flow is under way."""
    running = _running(ctx)
    if running is None:
        return False
    await _ask(ctx, *running)
    return True


def running_data(ctx: Context, flow: Flow[S, D]) -> D | None:
    """`flow`'s data if it is the flow under way (a command deciding whether to resume it)."""
    if ctx.convo.flow != flow.name:
        return None
    try:
        return flow.load(ctx.convo.data)
    except ValidationError:
        return None


def stop(ctx: Context) -> None:
    """End the flow under way (/cancel, /deleteme): its data goes, its buttons expire."""
    ctx.convo.flow = None
    ctx.convo.step = None
    ctx.convo.data = {}
    _next_version(ctx)  # expire every button of the flow


async def give(ctx: Context, answer: Answer) -> None:
    """Hand an answer to the current step and apply what it comes to (flows.engine.flow)."""
    running = _running(ctx)
    if running is None or not _offered(ctx, answer):
        return
    flow, step, data = running
    before = len(ctx.replies.items)
    try:
        result = await flow.run_answer(ctx, step, data, answer)
    except Retry as retry:
        ctx.say(retry.hint)
        await _ask(ctx, flow, step, data)  # which saves the data
        return
    if isinstance(result, Stay):
        _save(ctx, flow, data)  # the others save it (asking the next step) or replace it
    else:
        _record_press(ctx, answer, before)
    await _apply(ctx, flow, data, result)


def _running(ctx: Context) -> tuple[AnyFlow, Any, Any] | None:
    """The flow under way, its step and its data; None if there is none. A row this version
    can't run (its flow or step is gone, its data doesn't fit) is ended, with a short apology."""
    convo = ctx.convo
    if convo.flow is None:
        return None
    flow = FLOWS.get(convo.flow)
    step = flow.step_of(convo.step) if flow is not None and convo.step else None
    try:
        if flow is not None and step is not None:
            return flow, step, flow.load(convo.data)
    except ValidationError:
        pass
    _outdated(ctx)
    return None


def _outdated(ctx: Context) -> None:
    log.warning("conversation in %s at %s can't resume; ended", ctx.convo.flow, ctx.convo.step)
    stop(ctx)
    ctx.say(ctx.t("flow_outdated"))


def _offered(ctx: Context, answer: Answer) -> bool:
    """Rule 2a, here for every flow: a pressed value counts only if the question offered it."""
    if answer.choice is None:
        return True
    if answer.choice not in ctx.convo.offered:
        ctx.replies.toast(ctx.t("button_expired"))
        return False
    ctx.replies.toast()
    return True


def _record_press(ctx: Context, answer: Answer, before: int) -> None:
    """Write the pressed button's label onto its question, unless the answer rewrote it."""
    if answer.message_id is None:
        return
    edited = any(
        isinstance(r, Edit) and r.message_id == answer.message_id
        for r in ctx.replies.items[before:]
    )
    if not edited:
        ctx.replies.items.insert(
            before, Edit(answer.message_id, f"{answer.message_text}\n\n» {answer.label}")
        )


async def _apply(ctx: Context, flow: AnyFlow, data: Any, result: Result, hops: int = 0) -> None:
    if hops > MAX_HOPS:
        raise RuntimeError(f"flow {flow.name}: {hops} steps in a row asked nothing")
    if isinstance(result, Next):
        await _move(ctx, flow, result.step, data, hops)
    elif isinstance(result, Switch):
        await _enter(ctx, result.flow, result.step, result.data, hops)
    elif isinstance(result, Done | Stop):
        stop(ctx)
        if isinstance(result, Stop) and result.text:
            ctx.say(result.text)


async def _move(ctx: Context, flow: AnyFlow, step: Any, data: Any, hops: int = 0) -> None:
    ctx.convo.step = str(step)
    _next_version(ctx)
    await _ask(ctx, flow, step, data, hops)


async def _ask(ctx: Context, flow: AnyFlow, step: Any, data: Any, hops: int = 0) -> None:
    """Ask `step`; an ask that can't ask (nothing to offer...) returns a result, applied here."""
    result = await flow.run_ask(ctx, step, data)
    _save(ctx, flow, data)
    if result is not None:
        await _apply(ctx, flow, data, result, hops + 1)


def _save(ctx: Context, flow: AnyFlow, data: Any) -> None:
    """The flow's data back into its row (JSON columns only notice reassignment)."""
    ctx.convo.data = flow.dump(data)


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
