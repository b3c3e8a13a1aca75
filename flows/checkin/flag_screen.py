"""The red-flag screen (TRIAGE.md Q9 and the consult intake's safety check), made to fit a phone.

Seventeen full sentences as buttons made a screen taller than a phone, cut labels at 1280 px and
scrolled the question away. So the question carries the full wording of every item, grouped
(RED_FLAG_GROUPS), and the buttons are short labels, two to a row in the same order; the codes
and what each button means are TRIAGE.md section 6's, unchanged. Once answered, the question
is rewritten with what was ticked, in full. Items, groups and labels are in the reader's
language (flows.checkin.labels: the full items).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from flows.checkin.day import RED_FLAG_GROUPS, RedFlagCode
from flows.checkin.labels import red_flag_item
from flows.engine.conversation import Context
from flows.engine.core import Keyboard, keyboard
from flows.engine.texts import N_

PER_ROW = 2
LABEL_MAX = 13  # two such labels, one ticked, fit side by side on a 390 px phone screen
GROUP_LINES: dict[str, str] = {
    "chest": N_("flag_group_chest"),
    "nerves": N_("flag_group_nerves"),
    "unwell": N_("flag_group_unwell"),
    "pain": N_("flag_group_pain"),
    "leg_wound": N_("flag_group_leg_wound"),
}
LABELS: dict[RedFlagCode, str] = {
    "chest_pain": N_("flag_chest_pain"),
    "breathless": N_("flag_breathless"),
    "coughing_blood": N_("flag_coughing_blood"),
    "saddle_numbness": N_("flag_saddle_numbness"),
    "bladder_bowel": N_("flag_bladder_bowel"),
    "both_legs": N_("flag_both_legs"),
    "stroke_signs": N_("flag_stroke_signs"),
    "limb_numbness": N_("flag_limb_numbness"),
    "fever": N_("flag_fever"),
    "chills": N_("flag_chills"),
    "very_unwell": N_("flag_very_unwell"),
    "worst_pain_ever": N_("flag_worst_pain_ever"),
    "accident": N_("flag_accident"),
    "pop_giving_way": N_("flag_pop_giving_way"),
    "calf_swelling": N_("flag_calf_swelling"),
    "wound_problem": N_("flag_wound_problem"),
    "weight_loss": N_("flag_weight_loss"),
}


def flag_question(ctx: Context, question: str) -> str:
    """The question, each group's items in full ("Chest and breathing: chest pain or pressure;
    ..."), and what to do last, right above the buttons, where a phone shows it with them."""
    groups = [
        ctx.t(
            GROUP_LINES[group], items="; ".join(red_flag_item(code, ctx.locale) for code in codes)
        )
        for group, codes in RED_FLAG_GROUPS
    ]
    return "\n".join([question, "", *groups, "", ctx.t("flag_tap")])


def flag_keyboard(ctx: Context, chosen: Collection[str]) -> Keyboard:
    """Short labels (a tick on those chosen), two a row, then Done (or None of these)."""
    items = [
        ctx.choice(("☑ " if code in chosen else "") + ctx.t(LABELS[code]), f"f:{code}")
        for _, codes in RED_FLAG_GROUPS
        for code in codes
    ]
    rows = [items[i : i + PER_ROW] for i in range(0, len(items), PER_ROW)]
    done = ctx.t("ci_flags_done") if chosen else ctx.t("ci_flags_none")
    rows.append([ctx.choice(done, "done" if chosen else "none")])
    return keyboard(*rows)


def flags_record(ctx: Context, question: str, codes: Iterable[RedFlagCode]) -> str:
    """The question once answered: what was ticked, in full, and no buttons."""
    ticked = "\n".join(f"» {red_flag_item(c, ctx.locale)}" for c in codes)
    none = ctx.t("ci_flags_none")
    return f"{question}\n\n{ticked or '» ' + none}"
