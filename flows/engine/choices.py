"""Matching an answer against a question's options, by button or by typing the label."""

from __future__ import annotations

from collections.abc import Sequence

from flows.engine.conversation import Answer, Context, Retry
from flows.engine.core import Keyboard, keyboard

Option = tuple[str, str]  # (value, label)


def buttons(ctx: Context, options: Sequence[Option], per_row: int = 2) -> Keyboard:
    """Options as state-bound buttons, `per_row` to a row."""
    made = [ctx.choice(label, value) for value, label in options]
    return keyboard(*(made[i : i + per_row] for i in range(0, len(made), per_row)))


def pick(ctx: Context, answer: Answer, options: Sequence[Option], hint: str = "") -> str:
    """The chosen value; typed text matching a label or value counts too ("yes", "Not yet")."""
    values = {value for value, _ in options}
    if answer.choice is not None and answer.choice in values:
        return answer.choice
    typed = answer.text.strip().lower()
    for value, label in options:
        if typed and typed in (value.lower(), label.lower()):
            return value
    raise Retry(hint or ctx.t("use_buttons"))
