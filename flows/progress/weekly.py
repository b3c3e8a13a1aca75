"""The weekly summary: each client's week as a chart with a few lines, and each trainer's roster.

A client gets theirs at their own local day and time (/settings; Sunday 18:00 unless they chose
another): the week's chart (flows/progress/chartdata.py) captioned with the week's adherence, the
streak and one line of encouragement that never judges (TRIAGE.md section 4: 80% is a goal, not
a verdict). A trainer gets one roster at Sunday 18:00 their time: each client's last light, 7-day
adherence and open alerts, most in need first. A client paused that day gets none.

Through the outbox, so quiet hours hold it (the sender) and a restart loses nothing; the outbox
key (person, ISO week) makes it once per week per person, however often the tick runs. Within
WINDOW of the time only: a bot down longer sends that week's next week. The tick runs every
minute: it decides per weekly setting (zone, day, time) which are due, and the database hands over
only those settings' clients whose summary of the week is not queued (storage/weekly.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial

from flows.checkin.daily import current_streak
from flows.engine.numbers import percent
from flows.engine.schedule import WEEKLY_DAY, WEEKLY_TIME, at_local, local_date, zone_of
from flows.engine.texts import t, tn
from flows.engine.ticks import Going, Outcome, RowErrors, Tick, always, isolated, paged
from flows.progress.chartdata import chart_png
from flows.progress.trends import adherence
from flows.progress.week import light_mark
from storage.alerts import open_alert_counts
from storage.checkins import checkins_between, day_rows, latest_checkin_dates
from storage.failures import waiting
from storage.models import ClientProfile, Person, Role
from storage.pauses import pause_on
from storage.reminders import clients_with_profiles, existing_keys, staff_members
from storage.repo import Attachment, Store, StoreFactory
from storage.weekly import WeeklyTime, roster_clients, weekly_due_ids, weekly_times

DEFAULT_DAY, DEFAULT_TIME = WEEKLY_DAY, WEEKLY_TIME
WINDOW = timedelta(hours=6)
WEEKLY_TICK = Tick("weekly", "person", timedelta(minutes=10), timedelta(hours=6))
SEVERITIES = ("emergency", "urgent", "routine")
KEY_PREFIX = "weekly:"  # the outbox key: weekly:<person id>:<ISO week>
SETTINGS_AT_ONCE = 100  # an OR of that many per query stays far below SQLite's depth limit
DRAWN_AT_ONCE = 20  # clients a page: their charts (~70 KB each) held, then written at once
DAYS = 7


def due_week(now: datetime, zone: str, weekday: int, hhmm: str) -> str | None:
    """The ISO week ("2026-W48") if `now` is within WINDOW after the person's weekly time."""
    today = local_date(now, zone)
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    for candidate in (day, day - timedelta(days=7)):
        start = at_local(candidate, hhmm, zone)
        if start <= now < start + WINDOW:
            year, week, _ = candidate.isocalendar()
            return f"{year}-W{week:02d}"
    return None


async def plan_weekly_tick(
    stores: StoreFactory, now: datetime, default_zone: str, going: Going = always
) -> Outcome:
    """plan_weekly for the clients whose summary may be due and is not queued (asked of the
    database per weekly setting: the tick runs every minute), a page at a time, then for the
    trainers (one by one only where a page fails)."""
    async with stores() as store:
        skip = await waiting(store, WEEKLY_TICK.name, now)
        staff = [p.id for p in await staff_members(store) if p.role == Role.TRAINER]
        trainers = [i for i in staff if i is not None and i not in skip]
        due = due_settings(await weekly_times(store, WEEKLY_TICK.name, now), now, default_zone)

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await plan_weekly(store, now, default_zone, batch)

    clients = Outcome()
    for first in range(0, len(due), SETTINGS_AT_ONCE):
        chunk = due[first : first + SETTINGS_AT_ONCE]
        page = partial(weekly_due_ids, due=chunk, key_prefix=KEY_PREFIX)
        clients += await paged(stores, WEEKLY_TICK, now, page, work, going, DRAWN_AT_ONCE)
    return clients + await isolated(stores, WEEKLY_TICK, now, trainers if going() else [], work)


def due_settings(
    settings: Sequence[WeeklyTime], now: datetime, default_zone: str
) -> list[WeeklyTime]:
    """The settings whose summary is due now, each with its week; a setting whose zone or time
    cannot be read is kept without one, for its clients' own rows to fail and be recorded."""
    due = []
    for setting in settings:
        day = DEFAULT_DAY if setting.day is None else setting.day
        try:
            week = due_week(now, setting.zone or default_zone, day, setting.time or DEFAULT_TIME)
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            due.append(setting)
            continue
        if week is not None:
            due.append(replace(setting, week=week))
    return due


async def plan_weekly(store: Store, now: datetime, zone: str, ids: Sequence[int]) -> int:
    """Queue this week's summary for each of these people whose time has come. Every chart is
    drawn before anything is written: on SQLite a transaction's first write holds the file's
    one write lock until its commit, and every chat's next answer would wait for the drawing
    (about 0.1 s a chart: 11 s for a hundred clients on a Sunday at 18:00)."""
    summaries = []
    for client, profile in await clients_with_profiles(store, ids):
        summary = await _client_summary(store, client, profile, now, zone)
        if summary is not None:
            summaries.append(summary)
    queued = 0
    for summary in summaries:
        queued += await summary.queue(store, now)
    for trainer in await staff_members(store, ids):
        if trainer.role == Role.TRAINER:
            queued += await _roster(store, trainer, now, zone)
    return queued


@dataclass(frozen=True)
class Summary:
    """A client's weekly summary, drawn and not yet queued."""

    client: Person
    week: str
    caption: str
    png: bytes

    async def queue(self, store: Store, now: datetime) -> bool:
        """False if it was queued before (the outbox key says so)."""
        row = await store.enqueue(
            chat_id=self.client.chat_id,
            person_id=self.client.id,
            text=self.caption,
            kind="weekly_summary",
            now=now,
            dedupe_key=f"{KEY_PREFIX}{self.client.id}:{self.week}",
            attachment=Attachment("photo", f"week-{self.week}.png", self.png),
        )
        return row is not None


async def _client_summary(
    store: Store, client: Person, profile: ClientProfile, now: datetime, default_zone: str
) -> Summary | None:
    zone = zone_of(client, default_zone)
    weekday = DEFAULT_DAY if profile.weekly_day is None else profile.weekly_day
    week = due_week(now, zone, weekday, profile.weekly_time or DEFAULT_TIME)
    if week is None:  # the tick asked only for clients whose summary is not queued yet
        return None
    today = local_date(now, zone)
    if await pause_on(store, client.id or 0, today) is not None:
        return None
    png = await chart_png(store, client, zone, today, DAYS, client.locale)
    return Summary(client, week, await _caption(store, client, today), png)


async def _caption(store: Store, client: Person, today: date) -> str:
    locale, client_id = client.locale, client.id or 0
    rows = await checkins_between(store, client_id, today - timedelta(days=DAYS - 1), today)
    ratio = adherence(e for row in rows for e in row.exercises or [])
    streak = await current_streak(store, client_id, today)
    count = len(rows)
    lines = [
        tn("weekly_header", "weekly_header_plural", count, locale, name=client.name, count=count)
    ]
    if ratio is not None:
        lines.append(t("weekly_adherence", locale, adherence=percent(ratio, locale)))
    lines.append(tn("weekly_streak", "weekly_streak_plural", streak, locale, days=streak))
    if not rows:
        lines.append(t("weekly_cheer_none", locale))
    elif ratio is not None and ratio >= 0.8:
        lines.append(t("weekly_cheer_goal", locale))
    else:
        lines.append(t("weekly_cheer_keep", locale))
    return "\n".join(lines)


async def _roster(store: Store, trainer: Person, now: datetime, default_zone: str) -> int:
    """The trainer's clients, most in need first: open alerts by severity, then adherence."""
    zone = zone_of(trainer, default_zone)
    week = due_week(now, zone, DEFAULT_DAY, DEFAULT_TIME)
    key = f"{KEY_PREFIX}{trainer.id}:{week}"
    if week is None or await existing_keys(store, [key]):
        return 0  # asked before loading the clients: the tick runs every minute
    clients = await roster_clients(store, trainer.id or 0)
    if not clients:
        return 0
    counts = await open_alert_counts(store, trainer.id)
    latest = await latest_checkin_dates(store, trainer.id)
    todays = {c.id: _today_of(c.timezone or default_zone, now, zone) for c in clients}
    first = min(todays.values()) - timedelta(days=DAYS - 1)
    week_of = await day_rows(store, list(todays), first, max(todays.values()))
    entries = []
    for client in clients:
        client_id = client.id
        today = todays[client_id]
        since = today - timedelta(days=DAYS - 1)
        rows = [r for r in week_of.get(client_id, ()) if since <= r.local_date <= today]
        ratio = adherence(e for row in rows for e in row.exercises or [])
        alerts = counts.get(client_id, {})
        last = next((r for r in rows if r.local_date == latest.get(client_id)), None)
        rank = (
            next((n for n, s in enumerate(SEVERITIES) if alerts.get(s)), len(SEVERITIES)),
            -1.0 if ratio is None else ratio,
        )
        light = light_mark(last) or "–"  # a flagged day is red here as on every screen
        line = t(
            "weekly_roster_line",
            trainer.locale,
            light=light,
            client=client.name,
            adherence=percent(ratio, trainer.locale),
            alerts=sum(alerts.values()),
        )
        entries.append((rank, client.name.casefold(), line))
    lines = [t("weekly_roster_header", trainer.locale, count=len(entries))]
    lines += [line for _, _, line in sorted(entries)]
    await store.enqueue(
        chat_id=trainer.chat_id,
        person_id=trainer.id,
        text="\n".join(lines),
        kind="weekly_roster",
        now=now,
        dedupe_key=key,
        about=[c.id for c in clients],
    )
    return 1


def _today_of(client_zone: str, now: datetime, trainer_zone: str) -> date:
    """The client's local date; the trainer's where the client's zone cannot be read (their
    own summary fails and is recorded: the roster still goes)."""
    try:
        return local_date(now, client_zone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return local_date(now, trainer_zone)
