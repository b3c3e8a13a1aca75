"""The red-flag items and rule labels as people read them, in their language.

flows.checkin.day and flows.checkin.triage stay pure and keep their English words (the
`mendbot triage` output and /mydata use them); what a person reads comes from the catalogs, keyed
here by the same codes (a test holds the English entries to those words). What a client was told
is stored as a record in English and shown to staff in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from flows.checkin.day import RedFlagCode
from flows.engine.texts import DEFAULT_LOCALE, N_, t

RED_FLAG_TEXTS: Final[Mapping[RedFlagCode, str]] = {
    "chest_pain": N_("flag_item_chest_pain"),
    "breathless": N_("flag_item_breathless"),
    "coughing_blood": N_("flag_item_coughing_blood"),
    "saddle_numbness": N_("flag_item_saddle_numbness"),
    "bladder_bowel": N_("flag_item_bladder_bowel"),
    "both_legs": N_("flag_item_both_legs"),
    "fever": N_("flag_item_fever"),
    "chills": N_("flag_item_chills"),
    "very_unwell": N_("flag_item_very_unwell"),
    "worst_pain_ever": N_("flag_item_worst_pain_ever"),
    "accident": N_("flag_item_accident"),
    "stroke_signs": N_("flag_item_stroke_signs"),
    "calf_swelling": N_("flag_item_calf_swelling"),
    "wound_problem": N_("flag_item_wound_problem"),
    "weight_loss": N_("flag_item_weight_loss"),
    "pop_giving_way": N_("flag_item_pop_giving_way"),
    "limb_numbness": N_("flag_item_limb_numbness"),
}

RULE_TEXTS: Final[Mapping[str, str]] = {
    "E1": N_("rule_E1"),
    "E2": N_("rule_E2"),
    "E3": N_("rule_E3"),
    "E4": N_("rule_E4"),
    "E5": N_("rule_E5"),
    "U1": N_("rule_U1"),
    "U2": N_("rule_U2"),
    "U3": N_("rule_U3"),
    "U4": N_("rule_U4"),
    "U5": N_("rule_U5"),
    "U6": N_("rule_U6"),
    "U7": N_("rule_U7"),
    "R1": N_("rule_R1"),
    "R2": N_("rule_R2"),
    "R3": N_("rule_R3"),
    "R4": N_("rule_R4"),
    "R5": N_("rule_R5"),
    "R6": N_("rule_R6"),
    "R7": N_("rule_R7"),
    "R8": N_("rule_R8"),
    "R9": N_("rule_R9"),
    "R10": N_("rule_R10"),
}

TOLD_TEXTS: Final[Mapping[str, str]] = {
    "emergency": N_("ci_told_emergency"),
    "urgent": N_("ci_told_urgent"),
    "routine": N_("ci_told_routine"),
}
"""What the client was told, by the check-in's severity (anything milder: the routine advice)."""


def red_flag_item(code: str, locale: str) -> str:
    """The Q9 item as the reader sees it; a code this version lacks, as it is."""
    if code not in RED_FLAG_TEXTS:
        return code
    return t(RED_FLAG_TEXTS[code], locale)  # type: ignore[index]


def rule_label(rule_id: str, locale: str) -> str:
    """ "U1: one-sided calf or thigh ..." in `locale`; an unknown rule id as it is."""
    if rule_id not in RULE_TEXTS:
        return rule_id
    text = t(RULE_TEXTS[rule_id], locale)
    return f"{rule_id}: {text}"


def told_record(severity: str, number: str) -> str:
    """What the client was told, as stored on their alert: English, the record's language."""
    said = severity if severity in TOLD_TEXTS else "routine"
    return t(TOLD_TEXTS[said], DEFAULT_LOCALE, number=number)


def told_for(record: str, locale: str) -> str:
    """A stored `told_record` in the reader's language; a record in no known shape (typed by
    an older build in another language) as it is."""
    for severity in TOLD_TEXTS:
        found = _pattern(severity).fullmatch(record)
        if found:
            return t(TOLD_TEXTS[severity], locale, **found.groupdict())
    return record


def _pattern(severity: str) -> re.Pattern[str]:
    """The English template of what a `severity` tells, as a regular expression, each {name} a
    group."""
    template = t(TOLD_TEXTS[severity], DEFAULT_LOCALE)
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(pattern)
