"""Phases and body regions in the reader's words.

The stored values stay English codes ("rehab", "knee": the CSV format and the database speak
them); what a person reads is the text of the value in their language. A phase a trainer typed
in their own words is not one of ours and is shown as typed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flows.engine.texts import N_, t
from flows.library.entries import REGIONS, parse_phases

PHASE_TEXTS = {  # our phases: value -> its text key
    "rehab": N_("program_phase_rehab"),
    "strength": N_("program_phase_strength"),
    "performance": N_("program_phase_performance"),
}
REGION_TEXTS = {  # the library's body regions: value -> its text key
    "ankle": N_("lib_region_ankle"),
    "knee": N_("lib_region_knee"),
    "hip": N_("lib_region_hip"),
    "back": N_("lib_region_back"),
    "neck": N_("lib_region_neck"),
    "shoulder": N_("lib_region_shoulder"),
    "elbow": N_("lib_region_elbow"),
    "wrist": N_("lib_region_wrist"),
    "core": N_("lib_region_core"),
    "general": N_("lib_region_general"),
}


def phase_label(phase: str, locale: str) -> str:
    """ "fuerza" for "strength" in Spanish; a trainer's own phase name as they typed it."""
    return t(PHASE_TEXTS[phase], locale) if phase in PHASE_TEXTS else phase


def phases_label(phases: Iterable[str], locale: str) -> str:
    """ "rehab + strength", each phase in the reader's words."""
    return " + ".join(phase_label(phase, locale) for phase in phases)


def region_label(region: str, locale: str) -> str:
    return t(REGION_TEXTS[region], locale) if region in REGION_TEXTS else region


def region_labels(locale: str) -> str:
    """Every region, for a hint: "ankle, knee, ..." in the reader's words."""
    return ", ".join(region_label(region, locale) for region in REGIONS)


def typed_region(text: str, locale: str) -> str | None:
    """The region a person typed, by its name in their language or its English code; None if
    the text names no region."""
    typed = " ".join(text.split()).casefold()
    for region in REGIONS:
        if typed in (region, region_label(region, locale).casefold()):
            return region
    return None


def typed_phases(text: str, locale: str) -> tuple[str, ...] | None:
    """Phases typed by their names in the reader's language or their codes ("rehabilitación,
    fuerza"), as `parse_phases` reads codes; None if a word is no phase."""
    typed = text.casefold()
    for phase in PHASE_TEXTS:
        typed = typed.replace(phase_label(phase, locale).casefold(), phase)
    return parse_phases(typed.replace(" y ", " and "))  # Spanish's "and" too
