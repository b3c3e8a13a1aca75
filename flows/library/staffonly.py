"""Steps only staff may take: the centre's library and templates are theirs to change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from flows.engine.conversation import Answer, Context
from flows.engine.flow import FlowData, Result, StepSpec, Stop
from storage.models import STAFF

D = TypeVar("D", bound=FlowData)


def staff_step(
    ask: Callable[[Context, D], Awaitable[Result | None]],
    answer: Callable[[Context, D, Answer], Awaitable[Result]],
) -> StepSpec[D]:
    """Only staff: checked again on every update (an account can be removed mid-flow)."""

    async def ask_step(ctx: Context, data: D) -> Result | None:
        return await ask(ctx, data) if _is_staff(ctx) else Stop(ctx.t("not_for_role"))

    async def answer_step(ctx: Context, data: D, given: Answer) -> Result:
        return await answer(ctx, data, given) if _is_staff(ctx) else Stop(ctx.t("not_for_role"))

    return StepSpec(ask_step, answer_step)


def _is_staff(ctx: Context) -> bool:
    return ctx.person is not None and ctx.person.role in STAFF
