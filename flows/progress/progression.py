"""Progression suggestions to the trainer: never a change by itself (TRIAGE.md section 3).

When a client's last 7 check-ins in a row are green (`progression_green_days`) and they did at
least 80% of their sets over them (`progression_adherence_min`), their trainer gets one message:
"Lena: 7 green days, adherence 86%. Consider progressing their program", with a line for post-op
clients to agree any change with their surgeon or physio first (section 5 rule 5), and the buttons
Open program and Not yet. The program changes only if the trainer changes it.

Counting: going back from the client's latest check-in, a green day counts, an amber or red day
(or a day with a red flag ticked) ends the run, a paused or skipped day neither counts nor ends
it, a day without a check-in ends it, and today without one yet is skipped (the day isn't over).
Only days after the last suggestion count, so whatever the answer, the next one needs 7 more
green days ("Not yet" asks again after 7 more). A suggestion row (client, day) is unique and its
outbox key is too, so a tick run twice, or after a restart, suggests nothing twice.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import date, datetime, timedelta

from flows.checkin.triage import FLAGGED, Thresholds, day_light
from flows.engine.buttons import Actions, ProgressionAnswer, Route, outbox_button
from flows.engine.conversation import Command, Context, start
from flows.engine.numbers import percent
from flows.engine.schedule import local_date, zone_of
from flows.engine.texts import t
from flows.engine.ticks import Going, Outcome, RowErrors, Tick, always, paged
from flows.progress.chartdata import flagged
from flows.progress.trends import adherence
from flows.staff import program
from storage.checkins import checkins_between
from storage.models import Checkin, ClientProfile, Person
from storage.pauses import paused_days
from storage.progression import add_suggestion, candidate_ids, last_suggested, suggestion
from storage.reminders import clients_with_profiles
from storage.repo import Store, StoreFactory

PROGRESS_TICK = Tick("progress", "client", timedelta(minutes=10), timedelta(days=1))
LOOKBACK_DAYS = 60  # a run longer than this is counted from here: enough for any threshold


def is_green(row: Checkin) -> bool:
    """The one place a day counts as green here: the light its check-in's triage gave it
    as every screen shows it (flows/checkin/triage.py, day_light) and no red flag ticked."""
    return day_light(row.light, row.severity) == "green" and not flagged(row)


def green_run(
    rows: Mapping[date, Checkin], paused: Container[date], today: date, first: date, need: int
) -> list[Checkin]:
    """Up to `need` green check-ins in a row, newest first, back to `first` at the earliest."""
    run: list[Checkin] = []
    day = today if today in rows else today - timedelta(days=1)
    while day >= first and len(run) < need:
        row = rows.get(day)
        if row is not None:
            if not is_green(row):
                break
            run.append(row)
        elif day not in paused:
            break
        day -= timedelta(days=1)
    return run


def suggestion_due(
    rows: Sequence[Checkin],
    paused: Container[date],
    today: date,
    first: date,
    thresholds: Thresholds,
) -> tuple[date, float] | None:
    """(the newest green day, adherence over the run) when the thresholds hold; else None.
    Without sets prescribed on those days there is no adherence, so nothing to progress."""
    need = thresholds.progression_green_days
    run = green_run({row.local_date: row for row in rows}, paused, today, first, need)
    if len(run) < need:
        return None
    ratio = adherence(exercise for row in run for exercise in row.exercises or [])
    if ratio is None or ratio < thresholds.progression_adherence_min:
        return None
    return run[0].local_date, ratio


# --- the tick ------------------------------------------------------------------------------------


async def plan_suggestions_tick(
    stores: StoreFactory,
    now: datetime,
    default_zone: str,
    thresholds: Thresholds,
    going: Going = always,
) -> Outcome:
    """plan_suggestions for every client who may be due (enough green days since their last
    suggestion, asked of the database), a page at a time (one by one only where a page
    fails): every minute, so not a query per client for everyone."""

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await plan_suggestions(store, now, default_zone, thresholds, batch)

    async def page(store: Store, after: int, limit: int, tick: str, at: datetime) -> list[int]:
        need, lookback = thresholds.progression_green_days, LOOKBACK_DAYS
        return await candidate_ids(
            store, after, limit, tick, at, need=need, lookback_days=lookback, flagged=FLAGGED
        )

    return await paged(stores, PROGRESS_TICK, now, page, work, going)


async def plan_suggestions(
    store: Store, now: datetime, default_zone: str, thresholds: Thresholds, ids: Sequence[int]
) -> int:
    """Queue a suggestion for each of these clients whose thresholds hold; returns how many."""
    queued = 0
    for client, profile in await clients_with_profiles(store, ids):
        queued += await _suggest(store, client, profile, now, default_zone, thresholds)
    return queued


async def _suggest(
    store: Store,
    client: Person,
    profile: ClientProfile,
    now: datetime,
    default_zone: str,
    thresholds: Thresholds,
) -> int:
    client_id = client.id or 0
    today = local_date(now, zone_of(client, default_zone))
    first = today - timedelta(days=LOOKBACK_DAYS)
    last = await last_suggested(store, client_id)
    if last is not None:
        first = max(first, last + timedelta(days=1))
    rows = await checkins_between(store, client_id, first, today)
    paused = await paused_days(store, client_id, first, today)
    due = suggestion_due(rows, paused, today, first, thresholds)
    trainer = await store.person(profile.trainer_id)
    if due is None or trainer is None:
        return 0
    day, ratio = due
    need = thresholds.progression_green_days
    row = await add_suggestion(store, client_id, trainer.id or 0, day, need, ratio, now)
    await store.enqueue(
        chat_id=trainer.chat_id,
        person_id=trainer.id,
        text=_message(trainer.locale, client.name, need, ratio, bool(profile.post_op)),
        kind="progression",
        now=now,
        buttons=_buttons(trainer.locale, row.id or 0),
        dedupe_key=f"progression:{client_id}:{day.isoformat()}",
        about=[client_id],
    )
    return 1


def _message(locale: str, name: str, days: int, ratio: float, post_op: bool) -> str:
    lines = [
        t("progression_suggest", locale, client=name, days=days, adherence=percent(ratio, locale))
    ]
    if post_op:
        lines.append(t("progression_post_op", locale, client=name))
    lines.append(t("progression_never_automatic", locale))
    return "\n\n".join(lines)


def _buttons(locale: str, suggestion_id: int) -> list[list[dict[str, str]]]:
    open_program = ProgressionAnswer(suggestion_id, "open")
    later = ProgressionAnswer(suggestion_id, "later")
    return [
        [
            outbox_button(t("progression_open", locale), open_program),
            outbox_button(t("progression_later", locale), later),
        ]
    ]


# --- the trainer's answer ------------------------------------------------------------------------


async def answer(ctx: Context, data: ProgressionAnswer) -> None:
    """Open program (the /program flow on that client) or Not yet; either is recorded. Checked
    on every press: only a trainer who may see the client (theirs, or an admin)."""
    found = await suggestion(ctx.store, data.suggestion_id)
    profile = await ctx.store.profile(found.client_id) if found is not None else None
    if found is None or profile is None or not program.may_see(ctx.person, profile):
        ctx.replies.toast(ctx.t("button_expired"))
        return
    found.answer, found.answered_at = data.answer, ctx.now
    ctx.replies.toast()
    if data.answer == "later":
        note = ctx.t("progression_later_done", days=found.green_days)
        if ctx.event.message_id is None:
            ctx.say(note)
        else:  # the question answered: its buttons go
            ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n» {note}")
        return
    data_for = program.Data(client_id=found.client_id)
    await start(ctx, program.PROGRAM, program.Step.MENU, data_for)


COMMANDS: tuple[Command, ...] = ()
ACTIONS: Actions = (Route(ProgressionAnswer, answer),)
