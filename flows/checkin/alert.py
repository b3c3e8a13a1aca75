"""Trainer alerts (TRIAGE.md sections 2 and 5): stored first, then sent, until acknowledged.

Each fired rule is one Alert row per client; while it is open, the same rule updates it instead of
adding another. Emergency and urgent alerts go to the client's trainer at once through the outbox
(one message per check-in and severity); routine ones wait in /alerts for the daily digest.
Messages open with a neutral line (lock-screen previews), then the details: rule IDs, the raw
answers, the 7-day series, what the client was told and a suggested action, never a diagnosis.
Unacknowledged emergency and urgent alerts are escalated to every admin (`escalate_overdue`).
An escalation is never given up (flows/engine/ticks.py): an alert whose escalation fails, or reaches
only some admins (one admin's zone or language can't render it), is logged by id, recorded in
tick_failure under "escalate" and tried again a minute later (doubling, at most every 5
minutes) until every admin has it; the admins who got it keep theirs (one row per alert and
admin), and only then is escalated_at set.

Visitors whose consult intake ticks a red flag (flows/booking/visitor.py) get the same machinery
through `raise_visitor_alerts`: their Person (role prospect) is the alert's client, there is no
check-in, series or history, and the trainer is the one the alert was raised for
(no client profile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal, NamedTuple, get_args

from flows.checkin.day import (
    ALERT_LINES,
    ALERT_OPTION_TEXTS,
    SKIP_TEXTS,
    Answers,
    label,
    options,
)
from flows.checkin.labels import red_flag_item, rule_label, told_for
from flows.checkin.triage import Assessment, day_light, rule_severity
from flows.engine import dates
from flows.engine.buttons import (
    AckAlerts,
    AckCheckin,
    AckListed,
    AckVisitor,
    Actions,
    History,
    MessageClient,
    Route,
    Severity,
    button,
    outbox_button,
)
from flows.engine.conversation import Command, Context
from flows.engine.core import Button, Keyboard, keyboard
from flows.engine.localtime import local
from flows.engine.numbers import percent
from flows.engine.texts import N_, t
from flows.engine.ticks import Outcome, RowErrors, Tick, isolated
from flows.progress.staffchart import staff_chart
from flows.progress.trends import adherence
from storage.alerts import (
    alerted_trainer,
    alerts_by_ids,
    alerts_of_checkin,
    alerts_of_visitor,
    count_open_alerts,
    open_alert,
    open_alerts,
    overdue_alerts,
)
from storage.checkins import checkins_between, replaced_versions
from storage.failures import waiting
from storage.models import (
    ALERT_PRIORITY,
    STAFF,
    Alert,
    AlertStatus,
    Checkin,
    CheckinVersion,
    Person,
    Role,
)
from storage.pauses import paused_days, skipped_days
from storage.repo import Store, StoreFactory

log = logging.getLogger(__name__)

SentAtOnce = Literal["emergency", "urgent"]  # routine alerts wait for /alerts and the digest
SENT_AT_ONCE: tuple[SentAtOnce, ...] = get_args(SentAtOnce)
LIST_LIMIT = 20
HISTORY_DAYS = 14
SERIES_DAYS = 7
BLANK = "–"
# a visitor's intake answers shown beside their red flags: name -> its line's text key
INTAKE_LINES: dict[str, str] = {
    "goal": N_("alert_intake_goal"),
    "injury": N_("alert_intake_injury"),
}
SEVERITY_NAMES: dict[str, str] = {
    "emergency": N_("alert_severity_emergency"),
    "urgent": N_("alert_severity_urgent"),
    "routine": N_("alert_severity_routine"),
}


class AlertWords(NamedTuple):
    """The text keys of an alert's first and last lines: to the trainer, and to the admins
    when nobody acknowledged it in time."""

    first: str
    action: str
    escalated_first: str
    escalated_action: str


# by whether a consult visitor (not a client) raised it, and its severity
ALERT_WORDS: dict[tuple[bool, SentAtOnce], AlertWords] = {
    (False, "emergency"): AlertWords(
        N_("alert_first_emergency"),
        N_("alert_action_emergency"),
        N_("alert_escalated_first_emergency"),
        N_("alert_escalated_action_emergency"),
    ),
    (False, "urgent"): AlertWords(
        N_("alert_first_urgent"),
        N_("alert_action_urgent"),
        N_("alert_escalated_first_urgent"),
        N_("alert_escalated_action_urgent"),
    ),
    (True, "emergency"): AlertWords(
        N_("alert_first_visitor_emergency"),
        N_("alert_action_visitor_emergency"),
        N_("alert_escalated_first_visitor_emergency"),
        N_("alert_escalated_action_visitor_emergency"),
    ),
    (True, "urgent"): AlertWords(
        N_("alert_first_visitor_urgent"),
        N_("alert_action_visitor_urgent"),
        N_("alert_escalated_first_visitor_urgent"),
        N_("alert_escalated_action_visitor_urgent"),
    ),
}
ESCALATED_WHY: dict[bool, str] = {
    False: N_("alert_escalated_why"),
    True: N_("alert_escalated_why_visitor"),
}


def alert_words(visitor: bool, severity: str) -> AlertWords:
    """The words of an alert sent at once; a routine one has none (KeyError: a bug)."""
    for sent in SENT_AT_ONCE:
        if severity == sent:
            return ALERT_WORDS[visitor, sent]
    raise KeyError(severity)


# --- raising ------------------------------------------------------------------------------------


def checkin_answers(checkin: Checkin) -> dict[str, Any]:
    """The raw answers of a check-in (the fields of flows.checkin.day.Answers), as stored on
    its alerts, and the exercises as prescribed and done that day. Raw: an alert carries what
    was stored, also a value this version would not accept."""
    answers = {name: getattr(checkin, name) for name in Answers.model_fields}
    answers["red_flags"] = list(checkin.red_flags or [])
    answers["exercises"] = [dict(item) for item in checkin.exercises or []]
    return answers


async def raise_alerts(
    ctx: Context,
    client: Person,
    checkin: Checkin,
    assessment: Assessment,
    series: list[dict[str, Any]],
    client_told: str,
) -> list[Alert]:
    """Store an alert per fired rule (or update the open one), then queue the trainer's messages.

    Everything is flushed before anything is queued, all in the update's transaction.
    """
    if not assessment.rules or client.id is None:
        return []
    trainer = await _trainer_of(ctx.store, client.id)
    if trainer is None or trainer.id is None:
        log.error("client %s has flags but no trainer or admin to alert", client.id)
        return []
    answers = checkin_answers(checkin)
    return await _store_then_send(
        ctx, client, trainer, checkin, assessment, answers, series, client_told
    )


async def raise_visitor_alerts(
    ctx: Context,
    visitor: Person,
    trainer: Person,
    assessment: Assessment,
    answers: dict[str, Any],
    told: str,
) -> list[Alert]:
    """A consult visitor's red flags: the same alerts as a client's, without a check-in.

    `answers` holds the ticked codes under "red_flags" and the intake's own words ("goal",
    "injury"). Stored (or the open alert updated) before the trainer's message is queued.
    """
    if not assessment.rules or visitor.id is None or trainer.id is None:
        return []
    return await _store_then_send(ctx, visitor, trainer, None, assessment, answers, [], told)


async def _store_then_send(
    ctx: Context,
    person: Person,
    trainer: Person,
    checkin: Checkin | None,
    assessment: Assessment,
    answers: dict[str, Any],
    series: list[dict[str, Any]],
    told: str,
) -> list[Alert]:
    checkin_id = checkin.id if checkin else None
    alerts = await _store_alerts(
        ctx, person.id or 0, trainer.id or 0, checkin_id, assessment, answers, series, told
    )
    await ctx.store.session.flush()  # stored before anything is sent
    await _send_groups(ctx, trainer, person, checkin, alerts)
    return alerts


async def _store_alerts(
    ctx: Context,
    client_id: int,
    trainer_id: int,
    checkin_id: int | None,
    assessment: Assessment,
    answers: dict[str, Any],
    series: list[dict[str, Any]],
    told: str,
) -> list[Alert]:
    """One alert per fired rule, or the rule's open alert updated (not flushed here)."""
    store = ctx.store
    alerts: list[Alert] = []
    for rule in assessment.rules:
        alert = await open_alert(store, client_id, rule)
        if alert is None:
            alert = Alert(
                client_id=client_id,
                trainer_id=trainer_id,
                checkin_id=checkin_id,
                rule=rule,
                severity=rule_severity(rule),
                answers=answers,
                series=[_plain(item) for item in series],
                client_told=told,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            store.session.add(alert)
        else:
            alert.trainer_id = trainer_id
            alert.checkin_id = checkin_id
            alert.answers = answers
            alert.series = [_plain(item) for item in series]
            alert.client_told = told
            alert.updated_at = ctx.now
            alert.times_raised += 1
        alerts.append(alert)
    return alerts


async def _send_groups(
    ctx: Context, trainer: Person, client: Person, checkin: Checkin | None, alerts: list[Alert]
) -> None:
    """One message per severity that is sent at once (emergency, then urgent)."""
    for severity in SENT_AT_ONCE:
        group = [alert for alert in alerts if alert.severity == severity]
        if group:
            await _send_alert(ctx, trainer, client, checkin, group)


async def _trainer_of(store: Store, client_id: int) -> Person | None:
    """The client's trainer; without one (never expected), the first admin, so nothing is lost."""
    profile = await store.profile(client_id)
    trainer = await store.person(profile.trainer_id) if profile else None
    if trainer is None:
        admins = await store.people_with_role(Role.ADMIN)
        trainer = admins[0] if admins else None
    return trainer


def is_visitor(person: Person | None) -> bool:
    """A consult visitor (role prospect): no check-ins, no history, no client profile."""
    return person is not None and person.role == Role.PROSPECT


async def _send_alert(
    ctx: Context, trainer: Person, client: Person, checkin: Checkin | None, group: list[Alert]
) -> None:
    severity = group[0].severity
    locale = trainer.locale
    zone = ctx.zone(trainer)
    visitor = is_visitor(client)
    words = alert_words(visitor, severity)
    first = t(words.first, locale, client=client.name)
    action = t(words.action, locale, emergency=ctx.bot.emergency_number)
    lines = [first, ""]
    lines += _rule_lines(group, locale)
    lines += ["", *_answer_lines(group[0].answers, locale), ""]
    if checkin is not None:
        lines += _series_lines(group[0].series, checkin.local_date, locale)
    lines += [
        t(
            "alert_time",
            locale,
            time=_clock(ctx.now, zone, locale, dates.day_year_clock),
            zone=zone,
        ),
        t("alert_told", locale, client=client.name, told=_told(group[0], locale)),
    ]
    if visitor:
        lines.append(t("alert_visitor_not_booked", locale))
    lines += ["", action, await _clinician_line(ctx.store, client, locale)]
    ids = [alert.id or 0 for alert in group]
    buttons = alert_buttons(
        ids,
        client.id or 0,
        locale,
        checkin.id if checkin is not None else None,
        severity,
        visitor=visitor,
    )
    await ctx.store.enqueue(
        chat_id=trainer.chat_id,
        person_id=trainer.id,
        text="\n".join(lines),
        kind=f"alert_{severity}",
        now=ctx.now,
        buttons=buttons,
        priority=ALERT_PRIORITY,
        dedupe_key=f"alert:{'.'.join(f'{a.id}x{a.times_raised}' for a in group)}",
        about=[client.id],
    )


Ack = AckAlerts | AckListed | AckCheckin | AckVisitor
_SEVERITY: dict[Severity, str] = {"E": "emergency", "U": "urgent", "R": "routine"}
_LETTER: dict[str, Severity] = {name: letter for letter, name in _SEVERITY.items()}


def ack_data(
    ids: Sequence[int],
    checkin_id: int | None = None,
    severity: str = "",
    visitor_id: int | None = None,
) -> Ack:
    """ "ack:12,13"; when that is over 64 bytes, the check-in's alerts at this severity
    ("ack:C55E"), or for a visitor's intake, their intake alerts at it ("ack:V7U")."""
    data = AckAlerts(tuple(ids))
    letter = _LETTER.get(severity)
    if data.fits() or letter is None:
        return data
    if checkin_id is not None:
        return AckCheckin(checkin_id, letter)
    if visitor_id is not None:
        return AckVisitor(visitor_id, letter)
    return data


def alert_buttons(
    ids: Sequence[int],
    client_id: int,
    locale: str,
    checkin_id: int | None = None,
    severity: str = "",
    *,
    visitor: bool = False,
) -> list[list[dict[str, str]]]:
    """Acknowledge, then Message client and History; a visitor gets Message visitor only (no
    check-ins, so no history)."""
    ack = ack_data(ids, checkin_id, severity, client_id if visitor else None)
    return [
        [outbox_button(t("alert_ack", locale), ack)],
        [
            {"text": button.text, "data": button.data or ""}
            for button in follow_up(client_id, locale, visitor)
        ],
    ]


def follow_up(client_id: int, locale: str, visitor: bool) -> list[Button]:
    """The buttons under an alert once it is acknowledged (and beside Acknowledge before)."""
    if visitor:
        return [button(t("alert_message_visitor", locale), MessageClient(client_id))]
    return [
        button(t("alert_message_client", locale), MessageClient(client_id)),
        button(t("alert_history", locale), History(client_id)),
    ]


def _told(alert: Alert, locale: str) -> str:
    """What the client was told (stored in English), in the reader's language."""
    return told_for(alert.client_told, locale) if alert.client_told else BLANK


def _rule_lines(alerts: Sequence[Alert], locale: str) -> list[str]:
    lines = [t("alert_flagged", locale)]
    for alert in alerts:
        label = rule_label(alert.rule, locale)
        if alert.times_raised > 1:
            lines.append(t("alert_rule_again", locale, label=label, times=alert.times_raised))
        else:
            lines.append(t("alert_rule", locale, label=label))
    return lines


def _answer_lines(answers: dict[str, Any], locale: str) -> list[str]:
    """The answers that matter, as given, each on the line its label declares
    (flows.checkin.day); then a visitor's intake, as they wrote it."""
    said = _said(answers, locale)
    lines = [t("alert_answers", locale)]
    for name, shown in ALERT_LINES:
        value = answers.get(name)
        if value not in (None, "", []) and value not in shown.quiet:
            lines.append(t(shown.alert, locale, **said))
    for name in INTAKE_LINES:
        if name in answers:
            lines.append(t(INTAKE_LINES[name], locale, text=answers[name] or BLANK))
    return lines


def _said(answers: dict[str, Any], locale: str) -> dict[str, str]:
    """Each stored answer as a trainer reads it: a dash for none, yes / no and options in
    words, red flags as the items the client saw (a code this version lacks as it is)."""
    said: dict[str, str] = {}
    for name in Answers.model_fields:
        value, words = answers.get(name), label(name)
        if value is None or value in words.quiet:
            said[name] = BLANK
        elif isinstance(value, bool):
            said[name] = (t("yes", locale) if value else t("no", locale)).lower()
        elif name == "red_flags":
            said[name] = "; ".join(red_flag_item(code, locale) for code in value)
        elif words.alert and options(name):
            said[name] = t(ALERT_OPTION_TEXTS[name][value], locale)
        else:
            said[name] = str(value)
    return said


def _series_lines(series: Sequence[dict[str, Any]], today: date, locale: str) -> list[str]:
    """The 7 days ending today, oldest first; a day without a check-in shows as a dash."""
    by_day = {str(item.get("date")): item for item in series}
    days = [today - timedelta(days=offset) for offset in range(SERIES_DAYS - 1, -1, -1)]

    def values(name: str) -> list[str]:
        found = [by_day.get(day.isoformat(), {}).get(name) for day in days]
        return [BLANK if value is None else str(value) for value in found]

    pain = values("pain_now")
    lines = [
        t(
            "alert_series_pain",
            locale,
            first=dates.day(days[0], locale),
            last=dates.day(days[-1], locale),
            values=", ".join(pain),
        )
    ]
    exercise = values("exercise_pain")
    if any(value != BLANK for value in exercise):
        lines.append(t("alert_series_exercise", locale, values=", ".join(exercise)))
    return lines


def _duration(span: timedelta, locale: str) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        return t("alert_hours", locale, n=minutes // 60)
    return t("alert_minutes", locale, n=minutes)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A series day as JSON: dates written YYYY-MM-DD."""
    return {key: v.isoformat() if isinstance(v, date) else v for key, v in item.items()}


def _clock(moment: datetime, zone: str, locale: str, show: Callable[[datetime, str], str]) -> str:
    return show(local(moment, zone), locale)


# --- who may act on a client's alerts -----------------------------------------------------------


async def _may_see(ctx: Context, client_id: int, alert: Alert | None = None) -> bool:
    """The client's own trainer, or an admin; nobody else (not even another trainer).

    A visitor has no profile: the trainer an alert about them was raised for (this `alert`'s,
    or, without one, any of theirs) may act.
    """
    person = ctx.person
    if person is None or person.role not in STAFF:
        return False
    if person.role == Role.ADMIN:
        return True
    profile = await ctx.store.profile(client_id)
    if profile is not None:
        return profile.trainer_id == person.id
    if alert is not None:
        return alert.trainer_id == person.id
    return await alerted_trainer(ctx.store, client_id, person.id or 0)


def expired(ctx: Context) -> None:
    ctx.replies.toast(ctx.t("button_expired"))


# --- Acknowledge --------------------------------------------------------------------------------


async def _alerts_for_ack(ctx: Context, data: Ack) -> list[Alert] | None:
    """The alerts an acknowledge button names: ids, one from /alerts, a check-in's or a
    visitor's at one severity; None unless every one of them exists."""
    if isinstance(data, AckCheckin):
        return await alerts_of_checkin(ctx.store, data.checkin_id, _SEVERITY[data.severity])
    if isinstance(data, AckVisitor):  # a visitor's intake alerts
        return await alerts_of_visitor(ctx.store, data.visitor_id, _SEVERITY[data.severity])
    ids = data.ids if isinstance(data, AckAlerts) else (data.alert_id,)
    found = await alerts_by_ids(ctx.store, ids)
    return found if len(found) == len(set(ids)) else None


async def acknowledge(ctx: Context, data: Ack) -> None:
    """The Acknowledge button: records who and when, and marks the message acknowledged."""
    alerts = await _alerts_for_ack(ctx, data)
    person = ctx.person
    if not alerts or person is None:
        expired(ctx)
        return
    for alert in alerts:
        if not await _may_see(ctx, alert.client_id, alert):
            expired(ctx)
            return
    still_open = [alert for alert in alerts if alert.status == AlertStatus.OPEN]
    if not still_open:
        done = max(alerts, key=lambda alert: alert.acknowledged_at or ctx.now)
        by = await ctx.store.person(done.acknowledged_by) if done.acknowledged_by else None
        when = done.acknowledged_at or ctx.now
        ctx.replies.toast(
            ctx.t(
                "alert_already_acknowledged",
                name=by.name if by else BLANK,
                time=_clock(when, ctx.zone(person), ctx.locale, dates.clock),
            )
        )
        return
    for alert in still_open:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by, alert.acknowledged_at = person.id, ctx.now
    ctx.replies.toast(ctx.t("alert_acknowledged_toast"))
    message_id = ctx.event.message_id
    if message_id is None:
        return
    if isinstance(data, AckListed):  # from the /alerts list: show the list as it is now
        text, buttons = await _alert_list(ctx, person)
        ctx.replies.edit(message_id, text, buttons)
        return
    stamp = ctx.t(
        "alert_acknowledged",
        name=person.name,
        time=_clock(ctx.now, ctx.zone(person), ctx.locale, dates.clock),
    )
    client_id = alerts[0].client_id
    visitor = is_visitor(await ctx.store.person(client_id))
    ctx.replies.edit(
        message_id,
        f"{ctx.event.message_text}\n\n{stamp}",
        keyboard(follow_up(client_id, ctx.locale, visitor)),
    )


# --- /alerts ------------------------------------------------------------------------------------


async def _alert_list(ctx: Context, person: Person) -> tuple[str, Keyboard]:
    trainer_id = None if person.role == Role.ADMIN else person.id
    rows = await open_alerts(ctx.store, trainer_id, LIST_LIMIT)
    if not rows:
        return ctx.t("alerts_none"), ()
    total = await count_open_alerts(ctx.store, trainer_id)
    zone = ctx.zone(person)
    lines = [ctx.t("alerts_header", count=total)]
    acks: list[Button] = []
    for n, (alert, client) in enumerate(rows, start=1):
        name = ctx.t("alerts_visitor", name=client.name) if is_visitor(client) else client.name
        lines.append(
            ctx.t(
                "alerts_line",
                n=n,
                severity=ctx.t(SEVERITY_NAMES[alert.severity]),
                client=name,
                label=rule_label(alert.rule, ctx.locale),
                date=_clock(alert.updated_at, zone, ctx.locale, dates.day),
                times=alert.times_raised,
            )
        )
        acks.append(button(ctx.t("alerts_ack_n", n=n), AckListed(alert.id or 0)))
    if total > len(rows):
        lines.append(ctx.t("alerts_more", count=total - len(rows)))
    return "\n".join(lines), keyboard(*(acks[i : i + 4] for i in range(0, len(acks), 4)))


async def list_alerts(ctx: Context) -> None:
    """/alerts: a trainer's open alerts (their own clients), an admin's: everyone's."""
    if ctx.person is None:
        return
    text, buttons = await _alert_list(ctx, ctx.person)
    ctx.say(text, buttons)


# --- Message client -----------------------------------------------------------------------------


async def client_for(ctx: Context, client_id: int) -> Person | None:
    """The client (or alerted visitor) a button names, if the presser may act for them."""
    client = await ctx.store.person(client_id)
    if client is None or client.role not in (Role.CLIENT, Role.PROSPECT):
        return None
    if not await _may_see(ctx, client_id):
        return None
    return client


# --- History ------------------------------------------------------------------------------------


def _adherence(exercises: Sequence[dict[str, Any]], locale: str) -> str:
    done = adherence(exercises)
    return BLANK if done is None else percent(done, locale)


def _value(value: object) -> str:
    return BLANK if value is None or value == "" else str(value)


LIGHT_NAMES = {"green": N_("light_green"), "amber": N_("light_amber"), "red": N_("light_red")}


def _light(light: str | None, locale: str) -> str:
    """A stored light in the reader's words ("green", "verde"); one this version lacks, as is."""
    if light not in LIGHT_NAMES:
        return _value(light)
    return t(LIGHT_NAMES[light], locale)


async def history_text(ctx: Context, client: Person) -> str:
    """The last 14 days of check-ins ending on the client's local today, oldest first (the alert's
    History button and the /clients card); paused days say so."""
    today = ctx.today(client)
    first = today - timedelta(days=HISTORY_DAYS - 1)
    found = {
        c.local_date: c for c in await checkins_between(ctx.store, client.id or 0, first, today)
    }
    paused = await paused_days(ctx.store, client.id or 0, first, today)
    earlier = await replaced_versions(ctx.store, client.id or 0, first, today)
    skipped = await skipped_days(ctx.store, client.id or 0, first, today)
    lines = [ctx.t("history_header", client=client.name)]
    for offset in range(HISTORY_DAYS):
        day = first + timedelta(days=offset)
        label = dates.weekday(day, ctx.locale)
        checkin = found.get(day)
        if checkin is None:
            why = skipped.get(day, "")
            if why in SKIP_TEXTS:  # skipped from the reminder, not a pause
                reason = ctx.t(SKIP_TEXTS[why]).lower()
                lines.append(ctx.t("history_skipped", date=label, reason=reason))
            elif day in paused:
                lines.append(ctx.t("history_paused", date=label))
            else:
                lines.append(ctx.t("history_missing", date=label))
            lines += _replaced_lines(ctx, earlier, day)  # a change begun and not finished
            continue
        lines.append(
            ctx.t(
                "history_row",
                date=label,
                pain=_value(checkin.pain_now),
                exercise=_value(checkin.exercise_pain),
                adherence=_adherence(checkin.exercises or [], ctx.locale),
                light=_light(day_light(checkin.light, checkin.severity), ctx.locale),
                rules=" ".join(checkin.rules or []) or BLANK,
            )
        )
        lines += _replaced_lines(ctx, earlier, day)
    return "\n".join(lines)


def _replaced_lines(ctx: Context, earlier: Sequence[CheckinVersion], day: date) -> list[str]:
    """The versions of `day` the client later changed: what they said is kept, marked so."""
    return [
        ctx.t(
            "history_replaced",
            pain=_value(version.answers.get("pain_now")),
            exercise=_value(version.answers.get("exercise_pain")),
            adherence=_adherence(version.answers.get("exercises") or [], ctx.locale),
            light=_light(day_light(version.light, version.severity), ctx.locale),
            rules=" ".join(version.rules or []) or BLANK,
        )
        for version in earlier
        if version.local_date == day
    ]


async def show_history(ctx: Context, data: History) -> None:
    """The History button: a reply to the trainer's own request, so not through the outbox."""
    client = await client_for(ctx, data.client_id)
    if client is None:
        expired(ctx)
        return
    if is_visitor(client):  # no check-ins to show
        ctx.replies.toast(ctx.t("history_visitor", client=client.name), alert=True)
        return
    ctx.replies.toast()
    ctx.say(await history_text(ctx, client))
    await staff_chart(ctx, client)


async def _clinician_line(store: Store, client: Person | None, locale: str) -> str:
    """Whom to refer to, as the trainer typed it in /program (visitors have none on file)."""
    if is_visitor(client):  # no program, no clinician on file: what the trainer can do
        return t("alert_clinician_visitor", locale)
    profile = await store.profile(client.id or 0) if client is not None else None
    if profile is None or not profile.clinician:
        return t("alert_clinician_none", locale)
    return t("alert_clinician", locale, clinician=profile.clinician)


# --- escalation ---------------------------------------------------------------------------------


ESCALATE_TICK = Tick("escalate", "alert", timedelta(minutes=1), timedelta(minutes=5))


async def escalate_tick(
    stores: StoreFactory, now: datetime, emergency_after: timedelta, urgent_after: timedelta
) -> Outcome:
    """escalate_overdue for every overdue alert at once, one at a time only if that fails."""
    async with stores() as store:
        skip = await waiting(store, ESCALATE_TICK.name, now)
        overdue = await overdue_alerts(store, now, emergency_after, urgent_after)
        ids = [a.id for a in overdue if a.id is not None and a.id not in skip]

    async def work(store: Store, batch: Sequence[int], errors: RowErrors) -> int:
        return await escalate_overdue(store, now, emergency_after, urgent_after, batch, errors)

    return await isolated(stores, ESCALATE_TICK, now, ids, work)


async def escalate_overdue(
    store: Store,
    now: datetime,
    emergency_after: timedelta,
    urgent_after: timedelta,
    only: Sequence[int] | None = None,
    errors: RowErrors | None = None,
) -> int:
    """Open emergency / urgent alerts nobody acknowledged in time (`only`: of these ids) go to
    every admin, once; in a centre with no admin, back to the alert's trainer, once (escalating
    to nobody would let an unread flag sit).

    Returns how many alerts were escalated. escalated_at marks them, so a second call sends
    nothing; the outbox dedupe key (alert, admin) makes a repeated row impossible as well. With
    `errors`, an admin the message can't be written for is reported there and the others still
    get theirs; the alert stays unescalated, so it is tried again.
    """
    alerts = await overdue_alerts(store, now, emergency_after, urgent_after, only)
    if not alerts:
        return 0
    admins = await store.people_with_role(Role.ADMIN)
    escalated = 0
    for alert in alerts:
        client = await store.person(alert.client_id)
        trainer = await store.person(alert.trainer_id)
        after = emergency_after if alert.severity == "emergency" else urgent_after
        visitor = is_visitor(client)
        complete = True
        for admin in admins or ([trainer] if trainer is not None else []):
            clinician = await _clinician_line(store, client, admin.locale)
            try:
                text = _escalation_text(alert, client, trainer, admin, after, clinician)
            except Exception as exc:  # this admin's zone or language: the others still get it
                if errors is None:
                    raise
                errors.add(alert.id or 0, exc)
                complete = False
                continue
            await store.enqueue(
                chat_id=admin.chat_id,
                person_id=admin.id,
                text=text,
                kind=f"alert_escalated_{alert.severity}",
                now=now,
                buttons=alert_buttons(
                    [alert.id or 0], alert.client_id, admin.locale, visitor=visitor
                ),
                priority=ALERT_PRIORITY,
                dedupe_key=f"escalate:{alert.id}:{admin.id}",
                about=[alert.client_id],
            )
        if complete:
            alert.escalated_at = now
            escalated += 1
    await store.session.flush()
    return escalated


def _escalation_text(
    alert: Alert,
    client: Person | None,
    trainer: Person | None,
    admin: Person,
    after: timedelta,
    clinician: str,
) -> str:
    locale = admin.locale
    zone = admin.timezone or "UTC"
    name = client.name if client else BLANK
    visitor = is_visitor(client)
    words = alert_words(visitor, alert.severity)
    lines = [
        t(words.escalated_first, locale, client=name),
        "",
        t(
            ESCALATED_WHY[visitor],
            locale,
            time=_clock(alert.created_at, zone, locale, dates.day_year_clock),
            zone=zone,
            trainer=trainer.name if trainer else BLANK,
            after=_duration(after, locale),
        ),
        "",
        *_rule_lines([alert], locale),
        "",
        *_answer_lines(alert.answers, locale),
        t("alert_told", locale, client=name, told=_told(alert, locale)),
        "",
        t(words.escalated_action, locale),
        clinician,
    ]
    return "\n".join(lines)


COMMANDS = (
    Command(
        "alerts", list_alerts, {Role.TRAINER: N_("cmd_alerts"), Role.ADMIN: N_("cmd_alerts_admin")}
    ),
)
ACTIONS: Actions = (
    Route(AckAlerts, acknowledge),
    Route(AckListed, acknowledge),
    Route(AckCheckin, acknowledge),
    Route(AckVisitor, acknowledge),
    Route(History, show_history),
)
