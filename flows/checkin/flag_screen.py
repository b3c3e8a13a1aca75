"""The red-flag screen (TRIAGE.md Q9 and the consult intake's safety check), made to fit a phone.

Seventeen full sentences as buttons made a screen taller than a phone, cut labels at 1280 px and
scrolled the question away. So the question carries the full wording of every item, grouped
(RED_FLAG_GROUPS), and the buttons are short labels, two to a row in the same order; the codes
and what each button means are TRIAGE.md section 6's, unchanged. Once answered, the question
is rewritten with what was ticked, in full.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from flows.checkin.day import RED_FLAG_GROUPS, RED_FLAG_ITEMS, RedFlagCode
from flows.engine.conversation import Context
from flows.engine.core import Keyboard, keyboard

PER_ROW = 2
LABEL_MAX = 13  # two such labels, one ticked, fit side by side on a 390 px phone screen


def flag_question(ctx: Context, ask_key: str) -> str:
    """The question, each group's items in full ("Chest and breathing: chest pain or pressure;
    ..."), and what to do last, right above the buttons, where a phone shows it with them."""
    groups = [
        ctx.t(f"flag_group_{group}", items="; ".join(RED_FLAG_ITEMS[code] for code in codes))
        for group, codes in RED_FLAG_GROUPS
    ]
    return "\n".join([ctx.t(ask_key), "", *groups, "", ctx.t("flag_tap")])


def flag_keyboard(ctx: Context, chosen: Collection[str]) -> Keyboard:
    """Short labels (a tick on those chosen), two a row, then Done (or None of these)."""
    items = [
        ctx.choice(("☑ " if code in chosen else "") + ctx.t(f"flag_{code}"), f"f:{code}")
        for _, codes in RED_FLAG_GROUPS
        for code in codes
    ]
    rows = [items[i : i + PER_ROW] for i in range(0, len(items), PER_ROW)]
    done = ctx.t("ci_flags_done") if chosen else ctx.t("ci_flags_none")
    rows.append([ctx.choice(done, "done" if chosen else "none")])
    return keyboard(*rows)


def flags_record(ctx: Context, ask_key: str, codes: Iterable[RedFlagCode]) -> str:
    """The question once answered: what was ticked, in full, and no buttons."""
    ticked = "\n".join(f"» {RED_FLAG_ITEMS[c]}" for c in codes)
    return f"{ctx.t(ask_key)}\n\n{ticked or '» ' + ctx.t('ci_flags_none')}"
