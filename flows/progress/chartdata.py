"""The days a progress chart shows, gathered from storage, and the chart sent as a photo.

One gathering for every picture of a client's days: /progress, the trainer's client card and
History, the weekly summary and the physio report. A day is a check-in (pain, exercise pain,
adherence, whether a red flag was ticked), a paused or skipped day ("Skip today" on a reminder),
a day without a check-in, or a day before the client joined. Words come in the reader's locale
(a trainer reading about a client reads their own language); drawing is flows/progress/chart.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from babel.dates import format_skeleton

from flows.checkin.triage import FLAGGED
from flows.engine import dates
from flows.engine.core import Drawing, Keyboard
from flows.engine.localtime import local
from flows.engine.texts import t
from flows.progress.chart import Chart, ChartDay, ChartLabels, DayStatus, render_async
from flows.progress.trends import adherence
from storage.checkins import checkins_between
from storage.models import Checkin, Pause, Person
from storage.pauses import pauses_between
from storage.repo import Store

SKIP_PREFIX = "skip:"  # a one-day pause from a reminder's "Skip today" (flows/checkin/reminder.py)
SHORT_LABELS_UP_TO = 14  # days; longer windows label days "2 Nov" rather than "Mon 2"


def flagged(row: Checkin) -> bool:
    """A day with a red flag ticked, or an urgent or emergency rule raised."""
    return bool(row.red_flags) or row.severity in FLAGGED


async def joined_on(store: Store, client: Person, zone: str) -> date | None:
    """The local date the client finished onboarding (None: not yet)."""
    profile = await store.profile(client.id or 0)
    if profile is None or profile.onboarded_at is None:
        return None
    return local(profile.onboarded_at, zone).date()


def _status(day: date, row: Checkin | None, pause: Pause | None, joined: date | None) -> DayStatus:
    if row is not None:
        return "checkin"
    if pause is not None:
        return "skipped" if (pause.reason or "").startswith(SKIP_PREFIX) else "paused"
    if joined is not None and day < joined:
        return "before"
    return "missing"


def _day(day: date, row: Checkin | None, status: DayStatus) -> ChartDay:
    if row is None:
        return ChartDay(day, status)
    return ChartDay(
        day,
        status,
        pain=row.pain_now,
        exercise_pain=row.exercise_pain,
        adherence=adherence(row.exercises or []),
        flagged=flagged(row),
    )


async def chart_days(
    store: Store, client: Person, zone: str, today: date, days: int
) -> tuple[ChartDay, ...]:
    """The `days` days ending on the client's local `today`, oldest first."""
    client_id = client.id or 0
    first = today - timedelta(days=days - 1)
    rows = {row.local_date: row for row in await checkins_between(store, client_id, first, today)}
    pauses = await pauses_between(store, client_id, first, today)
    joined = await joined_on(store, client, zone)
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        pause = next((p for p in pauses if p.first_day <= day <= p.last_day), None)
        row = rows.get(day)
        found.append(_day(day, row, _status(day, row, pause, joined)))
    return tuple(found)


def day_label(day: date, locale: str, days: int) -> str:
    """ "Mon 2" in a window of up to two weeks, "2 Nov" in a longer one."""
    if days > SHORT_LABELS_UP_TO:
        return dates.day(day, locale)
    return format_skeleton("Ed", day, locale=dates.babel_locale(locale))


def labels(name: str, days: int, locale: str, shown: tuple[ChartDay, ...]) -> ChartLabels:
    return ChartLabels(
        title=t("chart_title", locale, name=name, days=days),
        pain=t("chart_pain", locale),
        exercise_pain=t("chart_exercise_pain", locale),
        adherence=t("chart_adherence", locale),
        paused=t("chart_paused", locale),
        skipped=t("chart_skipped", locale),
        flag=t("chart_flag", locale),
        no_data=t("chart_no_data", locale),
        day_labels=tuple(day_label(d.day, locale, days) for d in shown),
    )


async def client_chart(
    store: Store, client: Person, zone: str, today: date, days: int, locale: str
) -> Chart:
    """A client's chart over `days` days, worded for a reader in `locale`."""
    shown = await chart_days(store, client, zone, today, days)
    return Chart(shown, labels(client.name, days, locale, shown))


async def chart_png(
    store: Store, client: Person, zone: str, today: date, days: int, locale: str
) -> bytes:
    """The chart drawn, off the event loop."""
    return await render_async(await client_chart(store, client, zone, today, days, locale))


async def chart_drawing(
    store: Store,
    client: Person,
    zone: str,
    today: date,
    days: int,
    locale: str,
    buttons: Keyboard = (),
) -> Drawing:
    """The chart as a photo reply, captioned with what it shows: read now, drawn after the
    update's transaction (Context.draw)."""
    chart = await client_chart(store, client, zone, today, days, locale)
    caption = t("chart_caption", locale, name=client.name, days=days)
    return Drawing(partial(render_async, chart), f"progress-{days}d.png", caption, buttons)
