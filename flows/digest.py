"""The trainer's daily digest of routine flags, at the trainer's own local time.

Routine alerts are stored, not sent one by one (alert.py); once a day, within DIGEST_WINDOW of a
trainer's digest time, their new ones go out together. A day with nothing new sends nothing. The
outbox key (trainer, local date) makes a second tick that day harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.localtime import local
from flows.reminder import ReminderRules
from flows.schedule import at_local, local_date, zone_of
from flows.texts import t
from flows.triage import rule_label
from storage.models import Person
from storage.reminders import existing_keys, staff_members, undigested_routine
from storage.repo import Store

DIGEST_WINDOW = timedelta(hours=2)  # a bot down longer than this sends that day's digest tomorrow
DIGEST_LINES = 30


async def plan_digests(store: Store, now: datetime, rules: ReminderRules, default_time: str) -> int:
    """Queue today's digest for every trainer (and admin) whose digest time has come."""
    queued = 0
    for person in await staff_members(store):
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
    lines = [t("digest_header", locale, count=len(found)), ""]
    for alert, client in found[:DIGEST_LINES]:
        day = local(alert.updated_at, zone).strftime("%-d %b")
        lines.append(
            t("digest_line", locale, client=client.name, label=rule_label(alert.rule), date=day)
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
    )
    for alert, _ in found:
        alert.digested_at = now
    return 1
