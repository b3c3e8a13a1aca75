"""Daily check-in reminders, the evening nudge and R10, planned from the schedule table.

A client is a ReminderSchedule row (next reminder due, in UTC, from their local date and time),
not a scheduler job: the planner tick claims due rows in batches and writes outbox rows in the
same transaction as the schedule's next due time, keyed (client, kind, local date), so running it
twice, or after a crash, queues nothing twice. Buttons are global actions ("rem:now") checked
against the presser, so they keep working after a restart.

One bad client never stops the planner (flows/engine/ticks.py): the `*_tick` functions run each
batch as one transaction and, only if it raises, its clients one by one. A client that fails is
logged by id and recorded in tick_failure under "schedule" (no schedule row could be made),
"reminder" (planning their due reminder) or "nudge"; the planner's queries leave them out until
their retry time (reminders from 15 minutes, doubling to a day; nudges from an hour), and a
success clears the record. A due schedule keeps its next_due_at meanwhile, so the reminder comes
late rather than never if the cause was passing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, get_args

from flows.checkin import daily as checkin
from flows.checkin.day import SKIP_TEXTS
from flows.checkin.triage import Thresholds, missed_checkin_days, rule_severity
from flows.engine import dates
from flows.engine.buttons import Actions, ReminderPress, Route, SkipReason, button
from flows.engine.conversation import Command, Context
from flows.engine.core import keyboard
from flows.engine.localtime import local
from flows.engine.schedule import (
    at_local,
    in_span,
    local_date,
    next_at,
    quiet_span,
    quiet_until,
    zone_of,
)
from flows.engine.texts import t
from flows.engine.ticks import Outcome, RowErrors, Tick, isolated
from storage import reminders_bulk as bulk
from storage.alerts import open_alert
from storage.checkins import checkin_on
from storage.models import (
    NORMAL_PRIORITY,
    Alert,
    Clearance,
    ClientProfile,
    Person,
    ReminderSchedule,
    Role,
)
from storage.pauses import add_pause, pause_on
from storage.reminders import (
    Recent,
    checkin_dates,
    client_zones,
    clients_with_profiles,
    due_client_ids,
    due_schedules,
    existing_keys,
    latest_alerts,
    nudge_candidate_ids,
    paused_between,
    queue_many,
    schedule_of,
    scheduled_in_zone,
    unscheduled_client_ids,
    unscheduled_clients,
)
from storage.repo import Store, StoreFactory

log = logging.getLogger(__name__)

SNOOZE = timedelta(hours=1)
HISTORY_WINDOW_DAYS = 62  # a pause lasts at most 60 days: enough to see the last check-in
NUDGE_KEY = "nudge:"
SCHEDULE_TICK = Tick("schedule", "client", timedelta(minutes=15), timedelta(days=1))
REMINDER_TICK = Tick("reminder", "client", timedelta(minutes=15), timedelta(days=1))
NUDGE_TICK = Tick("nudge", "client", timedelta(hours=1), timedelta(days=1))
SKIP_REASONS: tuple[SkipReason, ...] = get_args(SkipReason)  # "travel", "sick", "rest"
# packed once: the planner puts them on every reminder of a burst
_NOW, _SNOOZE, _SKIP = (ReminderPress(choice).pack() for choice in ("now", "snooze", "skip"))


@dataclass(frozen=True)
class ReminderRules:
    """What the planner needs from the settings (bot.proactive.reminder_rules), which hold
    the defaults."""

    default_timezone: str
    nudge_time: str
    quiet_hours: tuple[str, str]
    thresholds: Thresholds
    batch: int = 500  # clients planned per transaction


def can_check_in(person: Person, profile: ClientProfile) -> bool:
    return (
        person.role == Role.CLIENT
        and person.unreachable_at is None
        and profile.onboarded_at is not None
        and profile.clearance == Clearance.CLEARED
    )


# --- the planner (scheduler ticks) --------------------------------------------------------------


async def add_schedules_tick(stores: StoreFactory, now: datetime, rules: ReminderRules) -> Outcome:
    """add_schedules for a batch, a client at a time only if the batch fails."""
    async with stores() as store:
        ids = await unscheduled_client_ids(store, rules.batch, SCHEDULE_TICK.name, now)

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await add_schedules(store, now, rules, only=batch)

    return await isolated(stores, SCHEDULE_TICK, now, ids, work)


def _regular_due(
    person: Person, profile: ClientProfile, now: datetime, rules: ReminderRules
) -> datetime:
    """The next time the client's own check-in time comes round on their wall clock. Only
    clients with one are scheduled (storage.reminders); "08:00" merely keeps the type whole."""
    return next_at(profile.checkin_time or "08:00", zone_of(person, rules.default_timezone), now)


async def add_schedules(
    store: Store, now: datetime, rules: ReminderRules, only: Sequence[int] | None = None
) -> int:
    """Give newly onboarded clients (`only`: of these) their schedule row; the next tick plans
    from it."""
    added = 0
    for person, profile in await unscheduled_clients(store, rules.batch, only):
        due = _regular_due(person, profile, now, rules)
        store.session.add(
            ReminderSchedule(client_id=person.id or 0, next_due_at=due, updated_at=now)
        )
        added += 1
    await store.session.flush()
    return added


@dataclass
class _Facts:
    """What one batch needs to decide, loaded in a few queries for the whole batch."""

    pauses: dict[int, list[tuple[date, date]]]
    done: dict[int, set[date]]

    def paused(self, client_id: int, day: date) -> bool:
        return any(first <= day <= last for first, last in self.pauses.get(client_id, ()))

    def missed_before(self, person: Person, profile: ClientProfile, today: date, zone: str) -> int:
        """Unpaused days without a check-in since the last one; the joining day counts as one a
        client could have checked in on."""
        cid = person.id or 0
        earlier = [day for day in self.done.get(cid, ()) if day < today]
        joined = local_date(profile.onboarded_at or person.created_at, zone) - timedelta(days=1)
        last = max(earlier, default=joined)
        last = max(last, today - timedelta(days=HISTORY_WINDOW_DAYS))
        paused = {
            last + timedelta(days=n)
            for n in range(1, (today - last).days)
            if self.paused(cid, last + timedelta(days=n))
        }
        return missed_checkin_days(last, today, paused)


async def _facts(store: Store, client_ids: Sequence[int], today: date) -> _Facts:
    first = today - timedelta(days=HISTORY_WINDOW_DAYS + 1)
    last = today + timedelta(days=1)  # zones ahead of the one `today` came from
    return _Facts(
        await paused_between(store, client_ids, first, last),
        await checkin_dates(store, client_ids, first, last),
    )


async def plan_due_in_bulk_tick(
    stores: StoreFactory, now: datetime, rules: ReminderRules
) -> Outcome:
    """The common case of due reminders in set-based SQL, a zone per transaction (storage/
    reminders_bulk.py): what it leaves (snoozed, maybe R10, a zone that fails) stays due for
    plan_due_tick, which decides client by client. Returns the zones done and reminders queued."""
    async with stores() as store:
        pairs = await bulk.due_zones(store, now)
    return await _zone_by_zone(stores, pairs, plan_zone_in_bulk, now, rules)


async def plan_zone_in_bulk(
    store: Store,
    stored_zone: str | None,
    locales: Sequence[str],
    now: datetime,
    rules: ReminderRules,
) -> int:
    """One zone: a reminder per locale in one statement, then each check-in time's schedules
    moved on to its next local occurrence (from the local date and time, never "+24 h")."""
    zone = stored_zone or rules.default_timezone
    today = local_date(now, zone)
    need = rules.thresholds.r10_missed_days
    day = bulk.ZoneDay(
        stored_zone=stored_zone,
        today=today,
        day_start=at_local(today, "00:00", zone),
        recent_since=today - timedelta(days=need),
        joined_since=at_local(today - timedelta(days=need - 1), "00:00", zone),
        tick=REMINDER_TICK.name,
    )
    queued = 0
    for locale in locales:
        text = _around_name(partial(t, "reminder", locale))
        queued += await bulk.queue_reminders(
            store, day, now, locale, text, reminder_buttons(locale)
        )
    for hhmm in await bulk.bulk_checkin_times(store, day, now):
        await bulk.move_on(store, day, now, hhmm, next_at(hhmm, zone, now))
    return queued


def _around_name(render: Callable[..., str]) -> tuple[str, str]:
    """A text's parts before and after the client's name, so SQL can put the name in."""
    marker = "\x00name\x00"
    before, _, after = render(name=marker).partition(marker)
    return before, after


async def plan_due_tick(stores: StoreFactory, now: datetime, rules: ReminderRules) -> Outcome:
    """plan_due for the next batch, a client at a time only if the batch fails; the caller
    calls again while a full batch came back (and nothing failed unrecorded)."""
    async with stores() as store:
        ids = await due_client_ids(store, now, rules.batch, REMINDER_TICK.name)

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return (await plan_due(store, now, rules, only=batch))[1]

    return await isolated(stores, REMINDER_TICK, now, ids, work)


async def plan_due(
    store: Store, now: datetime, rules: ReminderRules, only: Sequence[int] | None = None
) -> tuple[int, int]:
    """One batch of due schedules (`only`: of these clients): queue reminders, raise R10, move
    each schedule on.

    Returns (schedules handled, reminders queued); the caller commits and calls again while a
    full batch came back.
    """
    due = await due_schedules(store, now, rules.batch, only)
    if not due:
        return 0, 0
    ids = [schedule.client_id for schedule, _, _ in due]
    facts = await _facts(store, ids, now.date())
    rows = [
        _reminder(schedule, person, profile, now, rules, facts) for schedule, person, profile in due
    ]
    fresh = [row for row in rows if row is not None]
    taken = await existing_keys(store, (row["dedupe_key"] for row in fresh))
    fresh = [row for row in fresh if row["dedupe_key"] not in taken]
    await queue_many(store, fresh)
    await _raise_r10(store, due, now, rules, facts)
    for schedule, person, profile in due:
        _move_on(schedule, person, profile, now, rules)
    await store.session.flush()
    return len(due), len(fresh)


def _reminder(
    schedule: ReminderSchedule,
    person: Person,
    profile: ClientProfile,
    now: datetime,
    rules: ReminderRules,
    facts: _Facts,
) -> dict[str, Any] | None:
    """The outbox row's values for a due schedule, or None when nothing should be sent."""
    zone = zone_of(person, rules.default_timezone)
    today = local_date(now, zone)
    snoozed = schedule.snoozed_until is not None and schedule.snoozed_until <= now
    if not snoozed and local_date(schedule.next_due_at, zone) != today:
        return None  # the bot was down past that day: yesterday's reminder is no use today
    cid = person.id or 0
    if (
        not can_check_in(person, profile)
        or facts.paused(cid, today)
        or today in facts.done.get(cid, ())
    ):
        return None
    key = f"rem:{cid}:{today.isoformat()}"
    if snoozed and schedule.snoozed_until is not None:
        key += f":snooze:{schedule.snoozed_until.strftime('%H%M')}"
    return {
        "chat_id": person.chat_id,
        "person_id": cid,
        "kind": "reminder",
        "priority": NORMAL_PRIORITY,
        "text": t("reminder", person.locale, name=person.name),
        "buttons": reminder_buttons(person.locale),
        "dedupe_key": key,
        "not_before": now,
        "created_at": now,
    }


def reminder_buttons(locale: str, snooze: bool = True) -> list[list[dict[str, str]]]:
    second = [{"text": t("rem_skip", locale), "data": _SKIP}]
    if snooze:
        second.insert(0, {"text": t("rem_snooze", locale), "data": _SNOOZE})
    return [[{"text": t("rem_now", locale), "data": _NOW}], second]


def _move_on(
    schedule: ReminderSchedule,
    person: Person,
    profile: ClientProfile,
    now: datetime,
    rules: ReminderRules,
) -> None:
    """The next due time from the local date and time (never "+24 h"); a later snooze stays."""
    if schedule.snoozed_until is not None and schedule.snoozed_until <= now:
        schedule.snoozed_until = None
    regular = _regular_due(person, profile, now, rules)
    pending = schedule.snoozed_until
    schedule.next_due_at = min(regular, pending) if pending is not None else regular
    schedule.updated_at = now


async def _raise_r10(
    store: Store,
    due: Sequence[tuple[ReminderSchedule, Person, ClientProfile]],
    now: datetime,
    rules: ReminderRules,
    facts: _Facts,
) -> None:
    """R10, a routine flag: the threshold of unpaused days in a row without a check-in.

    Raised once per run of missed days (not again until the client checks in); the trainer sees
    it in /alerts and the daily digest.
    """
    need = rules.thresholds.r10_missed_days
    candidates: list[tuple[Person, ClientProfile, int, date]] = []
    for schedule, person, profile in due:
        zone = zone_of(person, rules.default_timezone)
        today = local_date(now, zone)
        if schedule.snoozed_until is not None and schedule.snoozed_until <= now:
            continue  # a snooze is not a new day
        if not can_check_in(person, profile) or facts.paused(person.id or 0, today):
            continue
        missed = facts.missed_before(person, profile, today, zone)
        if missed >= need:
            candidates.append((person, profile, missed, today - timedelta(days=missed)))
    if not candidates:
        return
    latest = await latest_alerts(store, [p.id or 0 for p, _, _, _ in candidates], "R10")
    for person, profile, missed, run_start in candidates:
        cid = person.id or 0
        raised = latest.get(cid)
        if (
            raised is not None
            and local_date(raised, zone_of(person, rules.default_timezone)) >= run_start
        ):
            continue  # already flagged for this run
        await _r10_alert(store, cid, profile.trainer_id, missed, now)


async def _r10_alert(
    store: Store, client_id: int, trainer_id: int, missed: int, now: datetime
) -> None:
    alert = await open_alert(store, client_id, "R10")
    if alert is None:
        store.session.add(
            Alert(
                client_id=client_id,
                trainer_id=trainer_id,
                rule="R10",
                severity=rule_severity("R10"),
                answers={"missed_days": missed},
                created_at=now,
                updated_at=now,
            )
        )
        return
    alert.answers = {"missed_days": missed}
    alert.times_raised += 1
    alert.created_at = alert.updated_at = now
    alert.digested_at = None  # back into the next digest


async def plan_nudges_in_bulk_tick(
    stores: StoreFactory, now: datetime, rules: ReminderRules
) -> Outcome:
    """The common case of the evening nudge in set-based SQL, a zone per transaction (storage/
    reminders_bulk.py); plan_nudges_tick then decides the rest client by client (custom quiet
    hours, a longer missed run, a zone that fails). Returns the zones done and nudges queued."""
    async with stores() as store:
        pairs = await bulk.zone_locales(store)
    return await _zone_by_zone(stores, pairs, nudge_zone_in_bulk, now, rules)


ZonePlan = Callable[[Store, str | None, Sequence[str], datetime, ReminderRules], Awaitable[int]]


async def _zone_by_zone(
    stores: StoreFactory,
    pairs: Iterable[tuple[str | None, str]],
    plan: ZonePlan,
    now: datetime,
    rules: ReminderRules,
) -> Outcome:
    """`plan` each zone (with the locales its clients read) in a transaction of its own; a zone
    that fails is left to the client-by-client tick, the other zones go on."""
    locales: dict[str | None, set[str]] = {}
    for stored_zone, locale in pairs:
        locales.setdefault(stored_zone, set()).add(locale)
    zones = queued = 0
    for stored_zone, wanted in locales.items():
        try:
            async with stores() as store:
                queued += await plan(store, stored_zone, sorted(wanted), now, rules)
                await store.commit()
            zones += 1
        except Exception as exc:  # the batch path takes these clients one by one
            log.warning("zone left to the client-by-client tick (%s)", type(exc).__name__)
    return Outcome(zones, queued)


async def nudge_zone_in_bulk(
    store: Store,
    stored_zone: str | None,
    locales: Sequence[str],
    now: datetime,
    rules: ReminderRules,
) -> int:
    """One zone, if it is nudge time there and the default quiet hours are not on: a nudge per
    locale in one statement, for clients on the first days of a missed run."""
    zone = stored_zone or rules.default_timezone
    today = _nudge_day(now, zone, rules)
    if today is None or quiet_until(now, zone, *rules.quiet_hours) is not None:
        return 0
    need = rules.thresholds.r10_missed_days
    day = bulk.ZoneDay(
        stored_zone=stored_zone,
        today=today,
        day_start=at_local(today, "00:00", zone),
        recent_since=today - timedelta(days=need - 1),  # missed at most need - 2 days
        joined_since=at_local(today - timedelta(days=need - 2), "00:00", zone),
        tick=NUDGE_TICK.name,
    )
    queued = 0
    for locale in locales:
        text = _around_name(partial(t, "nudge", locale))
        buttons = reminder_buttons(locale, snooze=False)
        queued += await bulk.queue_nudges(store, day, now, rules.nudge_time, locale, text, buttons)
    return queued


async def plan_nudges_tick(stores: StoreFactory, now: datetime, rules: ReminderRules) -> Outcome:
    """The evening nudge: one per client and day, after NUDGE_TIME, only without a check-in,
    a batch at a time (a client at a time only if a batch fails).

    Only on the first days of a missed run (R10 takes over after that), never in quiet hours
    (a nudge moved to the next morning would be about the wrong day), never to paused clients.
    """
    async with stores() as store:
        zones = await client_zones(store, (NUDGE_TICK.name, now))

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await _queue_nudges(store, await clients_with_profiles(store, batch), now, rules)

    total = Outcome()
    for stored_zone in zones:
        async with stores() as store:
            ids = await _nudge_ids(store, stored_zone, now, rules)
        for start in range(0, len(ids), rules.batch):
            total += await isolated(stores, NUDGE_TICK, now, ids[start : start + rules.batch], work)
    return total


async def _nudge_ids(
    store: Store, stored_zone: str | None, now: datetime, rules: ReminderRules
) -> list[int]:
    """The clients of one stored zone to nudge now; all of them when the zone can't be read,
    so each fails (and is recorded) on its own."""
    try:
        today = _nudge_day(now, stored_zone or rules.default_timezone, rules)
    except Exception:  # a zone zoneinfo doesn't know, stored before values were checked
        return await scheduled_in_zone(store, stored_zone, NUDGE_TICK.name, now)
    if today is None:
        return []
    return await nudge_candidate_ids(
        store,
        stored_zone,
        today,
        rules.nudge_time,
        NUDGE_KEY,
        limit=100_000,
        skip=(NUDGE_TICK.name, now),
        recent=_recent(today, stored_zone or rules.default_timezone, rules),
    )


def _recent(today: date, zone: str, rules: ReminderRules) -> Recent | None:
    """Who may be on the first days of a missed run (`_Facts.missed_before` below the R10
    threshold): the same bounds as the set-based nudge's, and any pause in the window."""
    need = rules.thresholds.r10_missed_days
    if need - 1 >= HISTORY_WINDOW_DAYS:  # the window itself keeps everyone under it
        return None
    return Recent(
        checkin_since=today - timedelta(days=need - 1),
        joined_since=at_local(today - timedelta(days=need - 2), "00:00", zone),
        paused_since=today - timedelta(days=HISTORY_WINDOW_DAYS + 1),
    )


def _nudge_day(now: datetime, zone: str, rules: ReminderRules) -> date | None:
    """The local date in `zone` if it is nudge time there (NUDGE_TIME to midnight), else None."""
    if not in_span(now, zone, rules.nudge_time, "23:59"):
        return None
    return local_date(now, zone)


async def _queue_nudges(
    store: Store,
    chunk: Sequence[tuple[Person, ClientProfile]],
    now: datetime,
    rules: ReminderRules,
) -> int:
    """One batch of clients of one zone: a nudge for each who should get one today."""
    if not chunk:
        return 0
    today = local_date(now, zone_of(chunk[0][0], rules.default_timezone))
    facts = await _facts(store, [p.id or 0 for p, _ in chunk], today)
    rows: list[dict[str, Any]] = []
    for person, profile in chunk:
        cid, zone = person.id or 0, zone_of(person, rules.default_timezone)
        if _nudge_day(now, zone, rules) != today:
            continue
        if not can_check_in(person, profile) or facts.paused(cid, today):
            continue
        if quiet_until(now, zone, *quiet_span(person, rules.quiet_hours)) is not None:
            continue
        if (
            facts.missed_before(person, profile, today, zone)
            >= rules.thresholds.r10_missed_days - 1
        ):
            continue
        rows.append(
            {
                "chat_id": person.chat_id,
                "person_id": cid,
                "kind": "nudge",
                "priority": NORMAL_PRIORITY,
                "text": t("nudge", person.locale, name=person.name),
                "buttons": reminder_buttons(person.locale, snooze=False),
                "dedupe_key": f"{NUDGE_KEY}{cid}:{today.isoformat()}",
                "not_before": now,
                "created_at": now,
            }
        )
    taken = await existing_keys(store, (row["dedupe_key"] for row in rows))
    rows = [row for row in rows if row["dedupe_key"] not in taken]
    await queue_many(store, rows)
    return len(rows)


# --- the buttons on reminders and nudges ----------------------------------------------------------


async def reminder_action(ctx: Context, data: ReminderPress) -> None:
    """ "rem:now" | "rem:snooze" | "rem:skip" | "rem:skip:<reason>", for the client only."""
    person = ctx.person
    if person is None or person.role != Role.CLIENT or person.id is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    if data.choice == "now":
        ctx.replies.toast()
        await checkin.begin(ctx)
    elif data.choice == "snooze":
        await _snooze(ctx, person)
    elif data.choice == "flags":
        ctx.replies.toast()
        await checkin.begin(ctx, worried=True)
    elif data.reason is None:
        ctx.replies.toast()
        options = [
            button(ctx.t(SKIP_TEXTS[reason]), ReminderPress("skip", reason))
            for reason in SKIP_REASONS
        ]
        ctx.say(ctx.t("rem_skip_ask"), keyboard(options))
    else:
        await _skip(ctx, person, data.reason)


async def _done_today(ctx: Context, person: Person) -> bool:
    found = await checkin_on(ctx.store, person.id or 0, ctx.today(person))
    return found is not None and found.status != "in_progress"


async def _snooze(ctx: Context, person: Person) -> None:
    schedule = await schedule_of(ctx.store, person.id or 0)
    if schedule is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    if await _done_today(ctx, person):
        ctx.replies.toast(ctx.t("rem_already_done"))
        return
    until = ctx.now + SNOOZE
    schedule.snoozed_until = until
    schedule.next_due_at = min(schedule.next_due_at, until)
    schedule.updated_at = ctx.now
    zone = ctx.zone(person)
    clock = dates.clock(local(until, zone), ctx.locale)
    ctx.replies.toast(ctx.t("rem_snoozed", time=clock))
    _record_press(ctx, ctx.t("rem_snoozed", time=clock))


async def _skip(ctx: Context, person: Person, reason: SkipReason) -> None:
    today = ctx.today(person)
    if await pause_on(ctx.store, person.id or 0, today) is not None:
        ctx.replies.toast(ctx.t("rem_skip_already"))
        return
    await add_pause(ctx.store, person.id or 0, today, 1, ctx.now, reason=f"skip:{reason}")
    ctx.replies.toast()
    _record_press(ctx, ctx.t(SKIP_TEXTS[reason]))
    if reason == "sick":  # feeling unwell may be a red flag: offer the screen
        flags = keyboard([button(ctx.t("rem_sick_flags"), ReminderPress("flags"))])
        ctx.say(ctx.t("rem_skipped_sick"), flags)
        return
    ctx.say(ctx.t("rem_skipped"))


def _record_press(ctx: Context, label: str) -> None:
    """Write the choice onto the message pressed and drop its buttons."""
    if ctx.event.message_id is not None:
        ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n» {label}")


COMMANDS: tuple[Command, ...] = ()
ACTIONS: Actions = (Route(ReminderPress, reminder_action),)
