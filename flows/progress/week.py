"""/progress: a client's last 7, 14, 28 or 56 days at a glance, read-only.

One line a day since joining (pain now, the traffic light, exercises done of prescribed, or the
day skipped, paused or without a check-in; over 28 or 56 days the chart alone shows the days and
the text gives the window's adherence), then the 7-day adherence, the streak and, from two
check-ins on, the pain trend. Then the chart (flows/progress/chartdata.py), whose buttons pick
another window. The numbers use the check-in summary's definitions
(flows/progress/trends.py); `current_streak` and `week_checkins` serve the trainer's /clients
too. The trend is said plainly: no diagnosis, no reassurance (TRIAGE.md section 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flows.checkin.daily import current_streak
from flows.checkin.day import OPTION_TEXTS, SKIP_TEXTS
from flows.checkin.reminder import SKIP_REASONS
from flows.checkin.triage import FLAGGED, day_light
from flows.engine import dates
from flows.engine.buttons import Actions, ProgressWindow, Route, SkipReason, Window, button
from flows.engine.conversation import Command, Context
from flows.engine.core import Keyboard, keyboard
from flows.engine.localtime import local
from flows.engine.numbers import decimal, percent
from flows.engine.texts import N_
from flows.progress.chartdata import chart_drawing
from flows.progress.trends import Direction, adherence, pain_trend, set_counts
from storage.checkins import DayRow, checkins_between, has_checkins
from storage.models import Checkin, Pause, Person, Role
from storage.pauses import SKIP_PREFIX, pauses_between

WINDOWS: tuple[Window, ...] = (7, 14, 28, 56)
DAY_LINES_UP_TO = 14  # days; a longer window's days are on the chart only
TREND_TEXTS: dict[Direction, str] = {
    "down": N_("progress_trend_down"),
    "flat": N_("progress_trend_flat"),
    "up": N_("progress_trend_up"),
}
WEEK = 7
LIGHTS = {"green": "🟢", "amber": "🟡", "red": "🔴"}


# --- the numbers (shared with flows/staff/clients.py) ------------------------------------------


def week_checkins(rows: Iterable[Checkin], today: date) -> list[Checkin]:
    """The check-ins of the 7 days ending today (the window of "7-day adherence")."""
    first = today - timedelta(days=WEEK - 1)
    return [row for row in rows if first <= row.local_date <= today]


def exercises_of(rows: Iterable[Checkin]) -> list[dict[str, Any]]:
    return [exercise for row in rows for exercise in row.exercises or []]


def light_mark(row: Checkin | DayRow | None) -> str:
    """The day's light as a dot, its flags counted (triage.day_light): the same everywhere."""
    if row is None:
        return ""
    return LIGHTS.get(day_light(row.light, row.severity) or "", "")


# --- /progress ----------------------------------------------------------------------------------


async def progress_text(ctx: Context, person: Person, days: int) -> tuple[str, Keyboard]:
    """The view and its button (the other window); without any check-in, a pointer to /checkin."""
    client_id = person.id or 0
    today = ctx.today(person)
    first = today - timedelta(days=days - 1)
    rows = await checkins_between(ctx.store, client_id, first, today)  # first: a week ago or more
    if not rows and not await has_checkins(ctx.store, client_id):
        return ctx.t("progress_none", name=person.name), ()
    by_day = {row.local_date: row for row in rows}
    pauses = await pauses_between(ctx.store, client_id, first, today)
    joined = await _joined_on(ctx, person)
    lines = [ctx.t("progress_header", days=days, name=person.name)]
    for offset in range(days if days <= DAY_LINES_UP_TO else 0):
        day = first + timedelta(days=offset)
        if day in by_day or joined is None or day >= joined:  # not the days before joining
            lines.append(_day_line(ctx, day, today, by_day.get(day), _pause_on(pauses, day)))
    if days > DAY_LINES_UP_TO:
        lines += _window_lines(ctx, rows, days)
    lines.append("")
    lines += _week_lines(ctx, week_checkins(rows, today))
    count = await current_streak(ctx.store, client_id, today)
    if count == 0:
        lines.append(ctx.t("progress_streak_none"))
    else:
        lines.append(ctx.tn("ci_streak", "ci_streak_plural", count, days=count))
    shown = [row for row in rows if row.local_date >= first]
    lines += _trend_lines(ctx, [row.pain_now for row in shown if row.pain_now is not None])
    return "\n".join(lines), window_buttons(ctx, days)


def window_buttons(ctx: Context, days: int) -> Keyboard:
    """The other windows, under the chart."""
    others = [n for n in WINDOWS if n != days]
    return keyboard([button(ctx.t("chart_window", days=n), ProgressWindow(n)) for n in others])


def _window_lines(ctx: Context, rows: list[Checkin], days: int) -> list[str]:
    """A long window's adherence (its days are on the chart)."""
    exercises = exercises_of(rows)
    ratio = adherence(exercises)
    lines = [ctx.t("progress_chart_days")]
    if ratio is not None:
        done, total = set_counts(exercises)
        lines.append(
            ctx.t(
                "progress_window_sets",
                days=days,
                done=done,
                total=total,
                percent=percent(ratio, ctx.locale),
            )
        )
    return lines


async def _joined_on(ctx: Context, person: Person) -> date | None:
    """The local date the client finished onboarding."""
    profile = await ctx.store.profile(person.id or 0)
    if profile is None or profile.onboarded_at is None:
        return None
    return local(profile.onboarded_at, ctx.zone(person)).date()


def _pause_on(pauses: list[Pause], day: date) -> Pause | None:
    return next((p for p in pauses if p.first_day <= day <= p.last_day), None)


def skip_reason(pause: Pause) -> SkipReason | None:
    """Why a one-day pause from a reminder's "Skip today" was taken (travel, sick, rest)."""
    reason = (pause.reason or "").removeprefix(SKIP_PREFIX)
    return next((r for r in SKIP_REASONS if r == reason and pause.reason != reason), None)


def _day_line(
    ctx: Context, day: date, today: date, row: Checkin | None, pause: Pause | None
) -> str:
    label = dates.weekday(day, ctx.locale)
    if day == today:
        label = ctx.t("progress_today", date=label)
    if row is not None:
        details = _checkin_details(ctx, row)
    elif pause is not None and (skipped := skip_reason(pause)) is not None:
        reason = ctx.t(SKIP_TEXTS[skipped]).lower()
        details = ctx.t("progress_day_skipped", reason=reason)
    elif pause is not None:
        details = ctx.t("progress_paused")
    else:
        details = ctx.t("progress_not_yet") if day == today else ctx.t("progress_missing")
    return ctx.t("progress_day", date=label, details=details)


def _checkin_details(ctx: Context, row: Checkin) -> str:
    """ "pain 2 🟢 · exercises 9/9 sets", or "… · exercises skipped (pain)"."""
    first = ctx.t("progress_pain", pain=row.pain_now) if row.pain_now is not None else ""
    first = " ".join(part for part in (first, light_mark(row)) if part)
    parts = [first] if first else []
    exercises = row.exercises or []
    answered = [e for e in exercises if e.get("sets_done") is not None]
    reasons = [str(e["skip_reason"]) for e in answered if e.get("skip_reason")]
    if answered and len(reasons) == len(answered) and len(answered) == len(exercises):
        labels = dict.fromkeys(ctx.t(OPTION_TEXTS["skip_reason"][r]).lower() for r in reasons)
        parts.append(ctx.t("progress_exercises_skipped", reasons=", ".join(labels)))
    elif answered:
        done, total = set_counts(exercises)
        parts.append(ctx.t("progress_sets", done=done, total=total))
    if row.status == "stopped":
        parts.append(ctx.t("progress_stopped"))
    return " · ".join(parts) or ctx.t("progress_stopped")


def _week_lines(ctx: Context, week: list[Checkin]) -> list[str]:
    exercises = exercises_of(week)
    ratio = adherence(exercises)
    if ratio is None:
        return []  # nothing prescribed on the week's check-ins
    done, total = set_counts(exercises)
    lines = [ctx.t("progress_week", done=done, total=total, percent=percent(ratio, ctx.locale))]
    goal = ctx.bot.thresholds.progression_adherence_min
    if ratio >= goal and not any(row.severity in FLAGGED for row in week):  # no praise on a flag
        lines.append(ctx.t("progress_week_goal", goal=percent(goal, ctx.locale)))
    return lines


def _trend_lines(ctx: Context, pains: list[int]) -> list[str]:
    trend = pain_trend(pains, ctx.bot.thresholds.r3_rise)
    if trend is None:
        return []
    lines = [
        ctx.tn(
            "progress_trend",
            "progress_trend_plural",
            trend.size,
            direction=ctx.t(TREND_TEXTS[trend.direction]),
            recent=decimal(trend.recent, ctx.locale),
            before=decimal(trend.before, ctx.locale),
            size=trend.size,
        )
    ]
    if trend.direction == "up":
        lines.append(ctx.t("progress_trend_up_note"))
    return lines


async def send_progress(ctx: Context, person: Person, days: int) -> None:
    """The text, then the chart with the other windows' buttons (no chart without check-ins)."""
    text, buttons = await progress_text(ctx, person, days)
    ctx.say(text)
    if buttons:
        zone, today = ctx.zone(person), ctx.today(person)
        ctx.draw(await chart_drawing(ctx.store, person, zone, today, days, ctx.locale, buttons))


async def show_progress(ctx: Context) -> None:
    """/progress, or /progress 14 (28, 56)."""
    person = ctx.person
    if person is None:
        return
    asked = ctx.event.args.strip()
    days = next((n for n in WINDOWS if str(n) == asked), WINDOWS[0])
    await send_progress(ctx, person, days)


async def switch_window(ctx: Context, data: ProgressWindow) -> None:
    """A window button under the chart: the presser's own days only, as a new text and chart
    (a photo's text can't be redrawn)."""
    person = ctx.person
    if person is None or person.role != Role.CLIENT:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    await send_progress(ctx, person, data.days)


COMMANDS = (Command("progress", show_progress, {Role.CLIENT: N_("cmd_progress")}),)
ACTIONS: Actions = (Route(ProgressWindow, switch_window),)
