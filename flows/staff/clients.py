"""/clients: a trainer's clients, most in need of attention first; an admin sees every client.

Read-only. Ranked: an open emergency alert, then an open urgent one, then open routine flags, then
the longest without a check-in (counted from joining for those who never checked in); clients
paused today or still onboarding come last in their group, as no check-in is expected of them.
Each entry shows the last check-in and its light, the 7-day adherence, the streak, and "paused",
"not cleared yet", "unreachable" or "onboarding" where it applies.

A button per client opens their card: the 14-day history (flows/checkin/alert.py's) with Message
client (alert.py's relay) and Program (the /program flow on that client), then their chart
(flows/progress/staffchart.py). Buttons carry a client id,
so every press checks again who may see that client: a trainer only their own, an admin everyone. A
forged or stale button gets "this button has expired" and nothing of the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flows.checkin import alert
from flows.checkin.daily import current_streak
from flows.checkin.day import SKIP_TEXTS
from flows.engine import dates
from flows.engine.buttons import (
    Actions,
    ClientCard,
    ClientProgram,
    ClientsPage,
    MessageClient,
    ReportClient,
    Route,
    button,
)
from flows.engine.conversation import Command, Context, start
from flows.engine.core import Keyboard, keyboard
from flows.engine.localtime import local
from flows.engine.numbers import percent
from flows.engine.texts import N_
from flows.progress.staffchart import staff_chart
from flows.progress.trends import adherence
from flows.progress.week import exercises_of, light_mark, skip_reason, week_checkins
from flows.staff import program
from storage.alerts import open_alert_counts
from storage.checkins import checkin_on, checkins_between, latest_checkin_dates
from storage.models import STAFF, Clearance, ClientProfile, Pause, Person, Role
from storage.pauses import clients_pauses_between, pause_on
from storage.programs import clients_of

PAGE_SIZE = 8
SEVERITIES = ("emergency", "urgent", "routine")


@dataclass
class Entry:
    """One client in the list, with what ranks them."""

    client: Person
    profile: ClientProfile
    today: date  # the client's local date
    joined: date | None  # local date onboarding finished
    last: date | None  # their latest check-in
    alerts: dict[str, int]  # open alerts by severity
    pause: Pause | None  # the pause covering their today

    @property
    def onboarding(self) -> bool:
        return self.joined is None

    @property
    def quiet_days(self) -> int:
        """Days since the last check-in (since joining, if none yet)."""
        since = self.last or self.joined
        return (self.today - since).days if since is not None else 0

    def rank(self) -> tuple[int, int, int, str, int]:
        tier = next((n for n, s in enumerate(SEVERITIES) if self.alerts.get(s)), len(SEVERITIES))
        waiting = int(self.onboarding or self.pause is not None)
        return (tier, waiting, -self.quiet_days, self.client.name.casefold(), self.client.id or 0)


def _staff(ctx: Context) -> Person | None:
    person = ctx.person
    return person if person is not None and person.role in STAFF and person.id else None


def _entry(
    ctx: Context,
    client: Person,
    profile: ClientProfile,
    last: date | None,
    alerts: dict[str, int],
    pauses: list[Pause],
) -> Entry:
    zone = ctx.zone(client)
    today = local(ctx.now, zone).date()
    joined = profile.onboarded_at
    return Entry(
        client=client,
        profile=profile,
        today=today,
        joined=local(joined, zone).date() if joined else None,
        last=last,
        alerts=alerts,
        pause=next(
            (p for p in pauses if p.client_id == client.id and p.first_day <= today <= p.last_day),
            None,
        ),
    )


async def ranked(ctx: Context, staff: Person) -> list[Entry]:
    """The clients `staff` may see, most in need first (a handful of queries, however many)."""
    trainer_id = None if staff.role == Role.ADMIN else staff.id
    clients = await clients_of(ctx.store, trainer_id)
    if not clients:
        return []
    counts = await open_alert_counts(ctx.store, trainer_id)
    latest = await latest_checkin_dates(ctx.store, trainer_id)
    day = ctx.now.date()  # every local today is within a day of UTC's
    pauses: dict[int, list[Pause]] = {}
    around = (day - timedelta(days=1), day + timedelta(days=1))
    for pause in await clients_pauses_between(ctx.store, trainer_id, *around):
        pauses.setdefault(pause.client_id, []).append(pause)
    entries = []
    for client, profile in clients:
        client_id = client.id or 0
        found = (latest.get(client_id), counts.get(client_id, {}), pauses.get(client_id, []))
        entries.append(_entry(ctx, client, profile, *found))
    return sorted(entries, key=Entry.rank)


async def entry_for(ctx: Context, client: Person, profile: ClientProfile) -> Entry:
    """One client's entry, without ranking everyone (the card)."""
    client_id = client.id or 0
    counts = await open_alert_counts(ctx.store, profile.trainer_id)
    latest = await latest_checkin_dates(ctx.store, profile.trainer_id)
    today = ctx.today(client)
    pause = await pause_on(ctx.store, client_id, today)
    pauses = [pause] if pause is not None else []
    return _entry(ctx, client, profile, latest.get(client_id), counts.get(client_id, {}), pauses)


# --- the list -----------------------------------------------------------------------------------


def _alerts_open(ctx: Context, severity: str, count: int) -> str:
    if severity == "emergency":
        return ctx.t("clients_emergency", count=count)
    if severity == "urgent":
        return ctx.t("clients_urgent", count=count)
    return ctx.tn("clients_routine", "clients_routine_plural", count, count=count)


def _statuses(ctx: Context, entry: Entry) -> list[str]:
    found = [
        _alerts_open(ctx, severity, entry.alerts[severity])
        for severity in SEVERITIES
        if entry.alerts.get(severity)
    ]
    if entry.pause is not None:
        if (skipped := skip_reason(entry.pause)) is not None:  # a day skipped, not a pause
            reason = ctx.t(SKIP_TEXTS[skipped]).lower()
            found.append(ctx.t("clients_skipped_today", reason=reason))
        elif entry.pause.last_day == entry.today:
            found.append(ctx.t("clients_paused_today"))
        else:
            until = dates.day(entry.pause.last_day, ctx.locale)
            found.append(ctx.t("clients_paused_until", date=until))
    if entry.onboarding:
        found.append(ctx.t("clients_onboarding"))
    elif entry.profile.clearance != Clearance.CLEARED:
        found.append(ctx.t("clients_not_cleared"))
    if entry.client.unreachable_at is not None:
        found.append(ctx.t("clients_unreachable"))
    return found


def _joined(statuses: list[str]) -> str:
    return "".join(f" · {status}" for status in statuses)


async def _week_numbers(ctx: Context, entry: Entry) -> tuple[str, int]:
    """7-day adherence (as shown) and the streak, as in the client's own summary."""
    client_id = entry.client.id or 0
    first = entry.today - timedelta(days=6)
    rows = await checkins_between(ctx.store, client_id, first, entry.today)
    ratio = adherence(exercises_of(week_checkins(rows, entry.today)))
    return percent(ratio, ctx.locale), await current_streak(ctx.store, client_id, entry.today)


def _when(ctx: Context, days: int) -> str:
    if days <= 0:
        return ctx.t("clients_today")
    if days == 1:
        return ctx.t("clients_yesterday")
    return ctx.t("clients_days_ago", days=days)


async def _entry_lines(ctx: Context, n: int, entry: Entry, admin: bool) -> list[str]:
    name = entry.client.name
    if admin:
        trainer = await ctx.store.person(entry.profile.trainer_id)
        name = ctx.t("clients_with_trainer", name=name, trainer=trainer.name if trainer else "–")
    lines = [ctx.t("clients_line", n=n, name=name, statuses=_joined(_statuses(ctx, entry)))]
    if entry.last is None:
        lines.append(ctx.t("clients_last_none"))
        return lines
    last = await checkin_on(ctx.store, entry.client.id or 0, entry.last)
    mark = light_mark(last)
    week, streak = await _week_numbers(ctx, entry)
    lines.append(
        ctx.t(
            "clients_last",
            when=_when(ctx, (entry.today - entry.last).days),
            light=f" {mark}" if mark else "",
            adherence=week,
            streak=streak,
        )
    )
    return lines


async def client_list(ctx: Context, staff: Person, page: int) -> tuple[str, Keyboard]:
    """One page of the ranked list, with a button per client on it and Previous / Next."""
    admin = staff.role == Role.ADMIN
    entries = await ranked(ctx, staff)
    if not entries:
        return (ctx.t("clients_none_admin") if admin else ctx.t("clients_none_trainer")), ()
    pages = (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    start_at = page * PAGE_SIZE
    shown = entries[start_at : start_at + PAGE_SIZE]
    if admin:
        lines = [ctx.t("clients_header_admin", count=len(entries))]
    else:
        lines = [ctx.t("clients_header_trainer", count=len(entries))]
    if pages > 1:
        lines.append(ctx.t("clients_page", page=page + 1, pages=pages))
    picks = []
    for n, entry in enumerate(shown, start=start_at + 1):
        lines += await _entry_lines(ctx, n, entry, admin)
        picks.append(button(f"{n}. {entry.client.name}", ClientCard(entry.client.id or 0)))
    lines.append("")
    if any(entry.alerts for entry in entries):
        lines.append(ctx.t("clients_alerts_hint"))
    lines.append(ctx.t("clients_pick"))
    nav = []
    if page > 0:
        nav.append(button(ctx.t("clients_previous"), ClientsPage(page - 1)))
    if page < pages - 1:
        nav.append(button(ctx.t("clients_next"), ClientsPage(page + 1)))
    rows = [picks[i : i + 2] for i in range(0, len(picks), 2)]
    return "\n".join(lines), keyboard(*rows, nav)


async def list_clients(ctx: Context) -> None:
    """/clients."""
    staff = _staff(ctx)
    if staff is None:
        return
    text, buttons = await client_list(ctx, staff, 0)
    ctx.say(text, buttons)


async def turn_page(ctx: Context, data: ClientsPage) -> None:
    """Previous / Next: the list redrawn in place (only ever the presser's own clients)."""
    staff = _staff(ctx)
    if staff is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    text, buttons = await client_list(ctx, staff, data.page)
    ctx.redraw(text, buttons)


# --- a client's card ----------------------------------------------------------------------------


async def visible_client(ctx: Context, client_id: int) -> tuple[Person, ClientProfile] | None:
    """The client a button names, only if the presser may see them (checked on every press)."""
    profile = await ctx.store.profile(client_id)
    if profile is None or not program.may_see(ctx.person, profile):
        return None
    client = await ctx.store.person(client_id)
    if client is None or client.role != Role.CLIENT:
        return None
    return client, profile


async def show_card(ctx: Context, data: ClientCard) -> None:
    """A client's card: the 14-day history, this week's numbers, Message client and Program."""
    found = await visible_client(ctx, data.client_id)
    if found is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    client, profile = found
    entry = await entry_for(ctx, client, profile)
    week, streak = await _week_numbers(ctx, entry)
    summary = ctx.t(
        "clients_card_summary",
        adherence=week,
        streak=streak,
        statuses=_joined(_statuses(ctx, entry)),
    )
    lines = [await alert.history_text(ctx, client), "", summary]
    buttons = keyboard(
        [
            button(ctx.t("alert_message_client"), MessageClient(client.id or 0)),
            button(ctx.t("clients_program"), ClientProgram(client.id or 0)),
        ],
        [
            button(ctx.t("clients_report"), ReportClient(client.id or 0)),
            button(ctx.t("clients_back"), ClientsPage(0)),
        ],
    )
    ctx.say("\n".join(lines), buttons)
    await staff_chart(ctx, client)


async def open_program(ctx: Context, data: ClientProgram) -> None:
    """The card's Program button: /program straight on that client (the flow re-checks access on
    every step)."""
    found = await visible_client(ctx, data.client_id)
    if found is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    await start(ctx, program.PROGRAM, program.Step.MENU, program.Data(client_id=found[0].id))


COMMANDS = (
    Command(
        "clients",
        list_clients,
        {Role.TRAINER: N_("cmd_clients_trainer"), Role.ADMIN: N_("cmd_clients_admin")},
    ),
)
ACTIONS: Actions = (
    Route(ClientsPage, turn_page),
    Route(ClientCard, show_card),
    Route(ClientProgram, open_program),
)
