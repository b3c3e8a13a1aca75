"""/report and the card's Report button: a trainer picks a client and 2, 4, 8 or 12 weeks, and
gets the PDF for the client's physio (flows/progress/report.py).

Buttons carry the client's id, so every press checks again that the presser may see that client
(their own trainer, or an admin); anything else is "expired" and nothing of the client.
"""

from __future__ import annotations

from functools import partial

from flows.engine.buttons import Actions, ReportClient, ReportWeeks, Route, button
from flows.engine.conversation import Command, Context
from flows.engine.core import Drawing, keyboard
from flows.engine.texts import N_
from flows.progress.report import WEEKS, build_report, filename
from flows.progress.reportpdf import render_pdf
from flows.staff.program import may_see
from storage.models import STAFF, Person, Role
from storage.programs import clients_of

MAX_LISTED = 24  # clients offered as buttons; more: the card's Report button


async def _visible(ctx: Context, client_id: int) -> Person | None:
    profile = await ctx.store.profile(client_id)
    if profile is None or not may_see(ctx.person, profile):
        return None
    client = await ctx.store.person(client_id)
    return client if client is not None and client.role == Role.CLIENT else None


async def pick_client(ctx: Context) -> None:
    """/report: the presser's clients (an admin's: all) as buttons."""
    staff = ctx.person
    if staff is None or staff.role not in STAFF:
        return
    clients = await clients_of(ctx.store, None if staff.role == Role.ADMIN else staff.id)
    if not clients:
        ctx.say(ctx.t("report_no_clients"))
        return
    picks = [button(c.name, ReportClient(c.id or 0)) for c, _ in clients[:MAX_LISTED]]
    ctx.say(
        ctx.t("report_pick_client"), keyboard(*[picks[i : i + 2] for i in range(0, len(picks), 2)])
    )


async def pick_weeks(ctx: Context, data: ReportClient) -> None:
    client = await _visible(ctx, data.client_id)
    if client is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    weeks = [button(ctx.t("report_weeks", weeks=n), ReportWeeks(data.client_id, n)) for n in WEEKS]
    ctx.say(ctx.t("report_pick_weeks", client=client.name), keyboard(weeks))


async def send_report(ctx: Context, data: ReportWeeks) -> None:
    client = await _visible(ctx, data.client_id)
    if client is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    zone = ctx.zone(client)
    report = await build_report(ctx.store, client, ctx.now, data.weeks, ctx.locale, zone)
    name = filename(client, ctx.today(client), data.weeks)
    caption = ctx.t("report_caption", client=client.name, weeks=data.weeks)
    ctx.draw(Drawing(partial(render_pdf, report), name, caption, document=True))


COMMANDS = (
    Command("report", pick_client, {Role.TRAINER: N_("cmd_report"), Role.ADMIN: N_("cmd_report")}),
)
ACTIONS: Actions = (Route(ReportClient, pick_weeks), Route(ReportWeeks, send_report))
