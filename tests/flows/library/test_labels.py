"""Phases and regions are stored as English codes and read in the reader's language."""

from __future__ import annotations

from flows.library.entries import PHASES, REGIONS
from flows.library.labels import (
    PHASE_TEXTS,
    REGION_TEXTS,
    phase_label,
    phases_label,
    region_label,
    region_labels,
    typed_phases,
    typed_region,
)


def test_every_phase_and_region_has_a_text() -> None:
    assert tuple(PHASE_TEXTS) == PHASES
    assert tuple(REGION_TEXTS) == REGIONS


def test_ours_are_translated_a_trainers_own_phase_is_shown_as_typed() -> None:
    assert phase_label("strength", "es") == "fuerza"
    assert phase_label("strength", "en") == "strength"
    assert phase_label("Fase 2 (ACL)", "es") == "Fase 2 (ACL)"
    assert phases_label(("rehab", "strength"), "es") == "rehabilitación + fuerza"
    assert region_label("knee", "es") == "rodilla"
    assert region_labels("es").startswith("tobillo, rodilla, cadera")


def test_a_region_typed_in_the_readers_language_or_as_its_code() -> None:
    assert typed_region("  Rodilla ", "es") == "knee"
    assert typed_region("knee", "es") == "knee"
    assert typed_region("rodilla", "en") is None
    assert typed_region("quad sets", "es") is None


def test_phases_typed_in_the_readers_language_or_as_codes() -> None:
    assert typed_phases("Rehabilitación y fuerza", "es") == ("rehab", "strength")
    assert typed_phases("strength, rehab", "es") == ("rehab", "strength")
    assert typed_phases("rendimiento", "en") is None
    assert typed_phases("fuerza, velocidad", "es") is None
