"""The trainer's daily digest of routine flags, at the trainer's own local time.

Routine alerts are stored, not sent one by one (alert.py); once a day, within DIGEST_WINDOW of a
trainer's digest time, their new ones go out together. A day with nothing new sends nothing. The
outbox key (trainer, local date) makes a second tick that day harmless.

One trainer whose digest fails (a zone or digest time no code can read, a text that won't
format) doesn't stop the others' (flows/engine/ticks.py): it is logged by id and recorded in
tick_failure under "digest", left out for 10 minutes (doubling, up to a day: still within the
window if the cause passes) and cleared when their digest next goes through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flows.checkin.labels import rule_label
from flows.checkin.reminder import ReminderRules
from flows.engine import dates
from flows.engine.localtime import local
from flows.engine.schedule import at_local, local_date, zone_of
from flows.engine.texts import t, tn
from flows.engine.ticks import Outcome, RowErrors, Tick, isolated
from storage.failures import waiting
from storage.models import Person
from storage.reminders import existing_keys, staff_members, undigested_routine
from storage.repo import Store, StoreFactory

DIGEST_WINDOW = timedelta(hours=2)  # a bot down longer than this sends that day's digest tomorrow
DIGEST_LINES = 30
DIGEST_TICK = Tick("digest", "staff member", timedelta(minutes=10), timedelta(days=1))


async def plan_digests_tick(
    stores: StoreFactory, now: datetime, rules: ReminderRules, default_time: str
) -> Outcome:
    """plan_digests for every trainer at once, one at a time only if that fails."""
    async with stores() as store:
        skip = await waiting(store, DIGEST_TICK.name, now)
        ids = [p.id for p in await staff_members(store) if p.id is not None and p.id not in skip]

    async def work(store: Store, batch: Sequence[int], _: RowErrors) -> int:
        return await plan_digests(store, now, rules, default_time, only=batch)

    return await isolated(stores, DIGEST_TICK, now, ids, work)


async def plan_digests(
    store: Store,
    now: datetime,
    rules: ReminderRules,
    default_time: str,
    only: Sequence[int] | None = None,
) -> int:
    """Queue today's digest for every trainer (and admin; `only`: of these ids) whose digest
    time has come."""
    queued = 0
    for person in await staff_members(store, only):
        zone = zone_of(person, rules.default_timezone)
        today = local_date(now, zone)
        start = at_local(today, person.digest_time or default_time, zone)
        if not start <= now < start + DIGEST_WINDOW:
            continue
        key = f"digest:{person.id}:{today.isoformat()}"
        if await existing_keys(store, [key]):
            continue
        queued += await _digest(store, person, now, zone, key)
    await store.session.flush()
    return queued


async def _digest(store: Store, person: Person, now: datetime, zone: str, key: str) -> int:
    found = await undigested_routine(store, person.id or 0)
    if not found:
        return 0
    locale = person.locale
    lines = [tn("digest_header", "digest_header_plural", len(found), locale, count=len(found)), ""]
    for alert, client in found[:DIGEST_LINES]:
        day = dates.day(local(alert.updated_at, zone), locale)
        lines.append(
            t(
                "digest_line",
                locale,
                client=client.name,
                label=rule_label(alert.rule, locale),
                date=day,
            )
        )
    if len(found) > DIGEST_LINES:
        lines.append(t("alerts_more", locale, count=len(found) - DIGEST_LINES))
    lines += ["", t("digest_footer", locale)]
    await store.enqueue(
        chat_id=person.chat_id,
        person_id=person.id,
        text="\n".join(lines),
        kind="digest",
        now=now,
        dedupe_key=key,
        about=[client.id for _, client in found[:DIGEST_LINES]],
    )
    for alert, _ in found:
        alert.digested_at = now
    return 1
