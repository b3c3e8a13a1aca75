"""A client's chart for their trainer (or an admin): on the /clients card and an alert's History.

The same picture the client gets from /progress, worded in the reader's language, with buttons
for the other windows. A button carries a client id, so every press checks again that the
presser may see that client (their own trainer, or an admin); anything else is "expired".
"""

from __future__ import annotations

from flows.engine.buttons import Actions, ClientChart, Route, Window, button
from flows.engine.conversation import Context
from flows.engine.core import Keyboard, keyboard
from flows.progress.chartdata import chart_drawing
from flows.staff.program import may_see
from storage.models import Person, Role

WINDOWS: tuple[Window, ...] = (7, 14, 28, 56)
DEFAULT_DAYS: Window = 14


def window_buttons(ctx: Context, client_id: int, days: int) -> Keyboard:
    others = [n for n in WINDOWS if n != days]
    return keyboard(
        [button(ctx.t("chart_window", days=n), ClientChart(client_id, n)) for n in others]
    )


async def staff_chart(ctx: Context, client: Person, days: int = DEFAULT_DAYS) -> None:
    """The client's chart over `days` days, for the staff member handling this update."""
    client_id = client.id or 0
    buttons = window_buttons(ctx, client_id, days)
    today, zone = ctx.today(client), ctx.zone(client)
    ctx.draw(await chart_drawing(ctx.store, client, zone, today, days, ctx.locale, buttons))


async def _visible(ctx: Context, client_id: int) -> Person | None:
    profile = await ctx.store.profile(client_id)
    if profile is None or not may_see(ctx.person, profile):
        return None
    client = await ctx.store.person(client_id)
    return client if client is not None and client.role == Role.CLIENT else None


async def show_chart(ctx: Context, data: ClientChart) -> None:
    """A window button under a client's chart: a new chart, if the presser may still see them."""
    client = await _visible(ctx, data.client_id)
    if client is None:
        ctx.replies.toast(ctx.t("button_expired"))
        return
    ctx.replies.toast()
    await staff_chart(ctx, client, data.days)


COMMANDS = ()
ACTIONS: Actions = (Route(ClientChart, show_chart),)
