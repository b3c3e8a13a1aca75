"""/program for a client: "my program", today's exercises with their cues and video buttons.

A trainer's notes and links used to show only on the trainer's screen; here the client reads the
same prescription the check-in will ask about, and how to do each exercise.
"""

from __future__ import annotations

from flows.engine.conversation import Context
from flows.engine.core import Button
from flows.engine.texts import t
from flows.library.labels import phase_label
from flows.library.video import named_video_button
from storage.models import Exercise
from storage.programs import exercises_of, program_for


def dose(locale: str, exercise: Exercise) -> str:
    """ "3 x 10" or "3 x 30 s"."""
    if exercise.seconds is not None:
        return t("lib_dose_seconds", locale, sets=exercise.sets, seconds=exercise.seconds)
    return t("lib_dose_reps", locale, sets=exercise.sets, reps=exercise.reps or 0)


def exercise_lines(ctx: Context, exercise: Exercise) -> list[str]:
    """ "1. Quad sets, 3 x 10" and, below it, how to do it."""
    amount = dose(ctx.locale, exercise)
    lines = [ctx.t("lib_my_exercise", n=exercise.position, name=exercise.name, dose=amount)]
    if exercise.notes:
        lines.append(ctx.t("lib_cues", cues=exercise.notes))
    return lines


async def show(ctx: Context) -> None:
    """The client's current program; nothing set yet gets a short word instead."""
    person = ctx.person
    program = await program_for(ctx.store, person.id or 0) if person else None
    exercises = await exercises_of(ctx.store, program.id) if program and program.id else []
    if program is None or not exercises:
        ctx.say(ctx.t("lib_my_program_empty"))
        return
    lines = [ctx.t("lib_my_program", phase=phase_label(program.phase, ctx.locale))]
    for exercise in exercises:
        lines += ["", *exercise_lines(ctx, exercise)]
    videos: list[Button] = []
    for exercise in exercises:
        button = named_video_button(
            exercise.link or "", ctx.locale, exercise.position, exercise.name
        )
        if button is not None:
            videos.append(button)
    ctx.say("\n".join(lines), tuple((button,) for button in videos))
