"""A progress report for the client's physio or doctor, as a PDF (the trainer's /report, the card's
Report button, `mendbot report`).

What it holds, over the last 2, 4, 8 or 12 weeks: the client (condition, post-op, phase, the
clinician on file), the program as it stands and when it last changed (the history mendbot keeps),
the pain and adherence chart with the period's numbers, every flag (date, rule, severity, what the
client was told, who acknowledged it and when) and the client's own notes, as written. Neutral
wording, no diagnosis (TRIAGE.md section 5): it reports what was recorded and which fixed rule
flagged it. Gathering reads the database; the PDF is drawn by the drawing process, like the chart
(flows/progress/reportpdf.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import col, select

from flows.checkin.labels import rule_label, told_for
from flows.engine import dates
from flows.engine.buttons import Weeks
from flows.engine.localtime import local
from flows.engine.numbers import percent
from flows.engine.texts import N_, t
from flows.library.labels import phase_label
from flows.progress.chartdata import client_chart
from flows.progress.reportpdf import BLANK, Report
from flows.progress.trends import adherence
from storage.checkins import checkins_between
from storage.models import Alert, Checkin, Exercise, Person
from storage.programs import exercises_of, program_for
from storage.repo import Store

WEEKS: tuple[Weeks, ...] = (2, 4, 8, 12)
SEVERITY_WORDS = {  # an alert's severity as a flag line names it
    "emergency": N_("report_severity_emergency"),
    "urgent": N_("report_severity_urgent"),
    "routine": N_("report_severity_routine"),
}


async def build_report(
    store: Store, client: Person, now: datetime, weeks: int, locale: str, zone: str
) -> Report:
    """Gather the report about `client` for the `weeks` weeks up to their local today."""
    client_id = client.id or 0
    today = local(now, zone).date()
    days = weeks * 7
    first = today - timedelta(days=days - 1)
    rows = await checkins_between(store, client_id, first, today)
    chart = await client_chart(store, client, zone, today, days, locale)
    period = t(
        "report_period",
        locale,
        first=dates.day(first, locale),
        last=dates.day(today, locale),
        weeks=weeks,
        made=dates.day_year_clock(local(now, zone), locale),
    )
    return Report(
        title=t("report_title", locale, client=client.name),
        period=period,
        about=await _about(store, client_id, locale),
        program=await _program(store, client_id, zone, locale),
        numbers=_numbers(locale, rows, days),
        chart=chart,
        flags=await _flags(store, client_id, first, zone, locale),
        notes=[
            t("report_note", locale, date=dates.day(row.local_date, locale), note=row.note)
            for row in rows
            if row.note
        ],
        headings={
            "client": t("report_heading_client", locale),
            "program": t("report_heading_program", locale),
            "progress": t("report_heading_progress", locale),
            "flags": t("report_heading_flags", locale),
            "notes": t("report_heading_notes", locale),
        },
        footer=t("report_footer", locale),
    )


async def _about(store: Store, client_id: int, locale: str) -> list[str]:
    profile = await store.profile(client_id)
    program = await program_for(store, client_id)
    post_op = profile.post_op if profile is not None else None
    said = {True: t("report_yes", locale), False: t("report_no", locale), None: BLANK}
    return [
        t("report_condition", locale, condition=(profile.condition if profile else None) or BLANK),
        t("report_post_op", locale, post_op=said[post_op]),
        t("report_phase", locale, phase=phase_label(program.phase, locale) if program else BLANK),
        t("report_clinician", locale, clinician=(profile.clinician if profile else None) or BLANK),
    ]


def _exercise(exercise: Exercise, locale: str) -> str:
    if exercise.seconds:
        dose = t("report_sets_seconds", locale, sets=exercise.sets, seconds=exercise.seconds)
    else:
        dose = t("report_sets_reps", locale, sets=exercise.sets, reps=exercise.reps or BLANK)
    return f"{exercise.name}: {dose}"


async def _program(store: Store, client_id: int, zone: str, locale: str) -> list[str]:
    """The program as it stands and its last change (mendbot keeps no older versions)."""
    program = await program_for(store, client_id)
    if program is None:
        return [t("report_no_program", locale)]
    lines = [_exercise(e, locale) for e in await exercises_of(store, program.id or 0)]
    editor = await store.person(program.updated_by) if program.updated_by else None
    lines.append(
        t(
            "report_program_changed",
            locale,
            date=dates.day_year_clock(local(program.updated_at, zone), locale),
            by=editor.name if editor else BLANK,
        )
    )
    return lines


def _numbers(locale: str, rows: list[Checkin], days: int) -> list[str]:
    exercises = [e for row in rows for e in row.exercises or []]
    pains = [row.pain_now for row in rows if row.pain_now is not None]
    lines = [t("report_checkins", locale, count=len(rows), days=days)]
    lines.append(t("report_adherence", locale, adherence=percent(adherence(exercises), locale)))
    if pains:
        lines.append(t("report_pain_range", locale, low=min(pains), high=max(pains)))
    return lines


async def _flags(store: Store, client_id: int, first: date, zone: str, locale: str) -> list[str]:
    """Every alert raised about the client in the period, oldest first."""
    query = select(Alert).where(Alert.client_id == client_id).order_by(col(Alert.created_at))
    lines = []
    for alert in (await store.session.exec(query)).all():
        raised = local(alert.created_at, zone)
        if raised.date() < first:
            continue
        acknowledged = t("report_flag_open", locale)
        if alert.acknowledged_at is not None:
            who = await store.person(alert.acknowledged_by) if alert.acknowledged_by else None
            acknowledged = t(
                "report_flag_acknowledged",
                locale,
                by=who.name if who else BLANK,
                when=dates.day_year_clock(local(alert.acknowledged_at, zone), locale),
            )
        lines.append(
            t(
                "report_flag",
                locale,
                date=dates.day_year_clock(raised, locale),
                label=rule_label(alert.rule, locale),
                severity=_severity(alert.severity, locale),
                told=told_for(alert.client_told, locale) if alert.client_told else BLANK,
                acknowledged=acknowledged,
            )
        )
    return lines


def _severity(severity: str, locale: str) -> str:
    """ "urgent", "urgente": a stored severity in the reader's words (an unknown one as is)."""
    return t(SEVERITY_WORDS[severity], locale) if severity in SEVERITY_WORDS else severity


def filename(client: Person, today: date, weeks: int) -> str:
    """ "report-7-2026-11-23-4w.pdf": no name in it (a file name shows in many places)."""
    return f"report-{client.id}-{today.isoformat()}-{weeks}w.pdf"
