"""Telling a client what changed in their program, so a new exercise or dose is no surprise at
the next check-in. Through the outbox, in the client's language and quiet hours; a client still
joining hears nothing (their program is shown to them when they start)."""

from __future__ import annotations

from flows.engine.conversation import Context
from flows.engine.notify import notify_person
from flows.engine.texts import t
from flows.library.labels import phase_label
from flows.library.myprogram import dose
from storage.models import ClientProfile, Exercise, Person


def describe(locale: str, exercise: Exercise) -> str:
    """ "Quad sets, 3 x 10"."""
    return t("lib_exercise_dose", locale, name=exercise.name, dose=dose(locale, exercise))


def _by(ctx: Context, client: Person, profile: ClientProfile) -> str | None:
    """Who made the change, when the client is to be told (onboarded, and not themselves)."""
    if profile.onboarded_at is None or ctx.person is None or ctx.person.id == client.id:
        return None
    return ctx.person.name


async def added(ctx: Context, client: Person, profile: ClientProfile, exercise: Exercise) -> None:
    if (by := _by(ctx, client, profile)) is not None:
        what = describe(client.locale, exercise)
        await notify_person(ctx, client, "lib_changed_added", by=by, exercise=what)


async def updated(ctx: Context, client: Person, profile: ClientProfile, exercise: Exercise) -> None:
    if (by := _by(ctx, client, profile)) is not None:
        what = describe(client.locale, exercise)
        await notify_person(ctx, client, "lib_changed_updated", by=by, exercise=what)


async def removed(ctx: Context, client: Person, profile: ClientProfile, name: str) -> None:
    if (by := _by(ctx, client, profile)) is not None:
        await notify_person(ctx, client, "lib_changed_removed", by=by, name=name)


async def phase(ctx: Context, client: Person, profile: ClientProfile, phase: str) -> None:
    if (by := _by(ctx, client, profile)) is not None:
        label = phase_label(phase, client.locale)
        await notify_person(ctx, client, "lib_changed_phase", by=by, phase=label)
