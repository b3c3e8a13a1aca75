"""The library CSV: every bad row reported on its own line, duplicates too; export reads back."""

from __future__ import annotations

from flows.library.csvfile import read, write
from flows.library.entries import Values, check_row

HEADER = "name,region,phases,sets,reps,seconds,cues,video,photo,retired\n"
GOOD = "Quad sets,knee,rehab,3,10,,Press the knee down.,https://youtu.be/q,,\n"


def test_a_good_file_reads_clean() -> None:
    values, problems = read(HEADER + GOOD + "Wall sit,knee,strength;rehab,3,,30,,,AgAD-x_1,yes\n")
    assert problems == []
    assert values == [
        Values(
            "Quad sets",
            "knee",
            ("rehab",),
            3,
            10,
            None,
            "Press the knee down.",
            "https://youtu.be/q",
        ),
        Values(
            "Wall sit", "knee", ("rehab", "strength"), 3, None, 30, None, None, "AgAD-x_1", True
        ),
    ]


def test_each_bad_row_gets_its_own_line_with_every_problem() -> None:
    text = (
        HEADER
        + GOOD
        + "Toe taps,toe,rehab,3,10,,,,,\n"  # region
        + "Bridges,hip,rehab,0,10,30,,javascript:alert(1),,maybe\n"  # four problems
        + ",back,yoga,3,10,,,,a b,\n"  # name, phases, photo
    )
    values, problems = read(text)
    assert [v.name for v in values] == ["Quad sets"]
    assert problems == [
        "line 3: region: one of ankle, knee, hip, back, neck, shoulder, elbow, wrist, core, "
        "general",
        "line 4: sets: a whole number 1-10; give reps or seconds, one of them; "
        "video: an http or https link; retired: yes or no",
        "line 5: name: 1 to 60 characters; phases: one or more of rehab, strength, performance; "
        "photo: a Telegram file_id",
    ]


def test_a_name_twice_in_any_case_is_a_duplicate() -> None:
    _, problems = read(HEADER + GOOD + "QUAD  Sets,knee,rehab,2,8,,,,,\n")
    assert problems == ["line 3: 'QUAD Sets' is already on line 2"]


def test_a_wrong_header_or_extra_fields_are_reported() -> None:
    assert read("name,region,sets\nA,knee,3\n")[1] == ["header: missing column(s) phases"]
    assert read("name,region,phases,sets,colour\n")[1] == ["header: unknown column(s) colour"]
    assert read(HEADER + GOOD.strip() + ",extra\n")[1] == [
        "line 2: more fields than the header has"
    ]


def test_a_byte_order_mark_and_a_header_in_capitals_are_fine() -> None:
    values, problems = read("\ufeff" + HEADER.upper() + GOOD)
    assert problems == [] and [v.name for v in values] == ["Quad sets"]


def test_export_reads_back_the_same() -> None:
    rows = [
        Values("Cat-cow", "back", ("rehab",), 2, 10, None, 'Round up, "slowly", then sag.', None),
        Values("Plank", "core", ("strength", "performance"), 3, None, 20, None, None, None, True),
    ]
    assert read(write(rows)) == (rows, [])


def test_a_row_with_only_the_required_columns() -> None:
    checked = check_row(
        {"name": "Clams", "region": "HIP", "phases": "rehab", "sets": "3", "reps": "12"}
    )
    assert checked == Values("Clams", "hip", ("rehab",), 3, 12)
