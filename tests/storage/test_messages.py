"""Telegram's length limits: texts split at line ends into parts it takes."""

from __future__ import annotations

from storage.messages import CAPTION_LIMIT, TEXT_LIMIT, caption_parts, parts, units

ROSTER = "\n".join(f"🟢 Client {n} · 100% · 0 open" for n in range(300))


def test_a_text_that_fits_is_left_as_it_is() -> None:
    assert parts("Hello\n\nJordan") == ["Hello\n\nJordan"]
    assert parts("x" * TEXT_LIMIT) == ["x" * TEXT_LIMIT]


def test_a_long_list_is_split_at_line_ends_into_parts_telegram_takes() -> None:
    found = parts(ROSTER)
    assert len(found) > 1
    assert all(units(part) <= TEXT_LIMIT for part in found)
    assert "\n".join(found) == ROSTER  # nothing lost, no line cut


def test_an_emoji_counts_two_as_telegram_counts_it() -> None:
    text = "🔴" * (TEXT_LIMIT // 2 + 1)  # 4,098 UTF-16 units in 2,049 characters
    assert units(text) == TEXT_LIMIT + 2
    assert [len(part) for part in parts(text)] == [TEXT_LIMIT // 2, 1]


def test_a_line_longer_than_a_message_is_cut_at_a_space() -> None:
    line = " ".join(["word"] * 2000)  # 9,999 characters on one line
    found = parts(line)
    assert all(0 < units(part) <= TEXT_LIMIT for part in found)
    assert all(not part.startswith(" ") and not part.endswith(" ") for part in found)
    assert " ".join(found) == line


def test_no_part_is_empty() -> None:
    assert parts("\n" * 5000 + "end" + "\n" * 5000) == ["end"]
    assert parts(" \n" * 5000) == [""]  # nothing to say: one part, as a short blank text


def test_a_long_caption_keeps_what_fits_and_the_rest_follows() -> None:
    caption, rest = caption_parts(ROSTER)
    assert units(caption) <= CAPTION_LIMIT and rest
    assert all(units(part) <= TEXT_LIMIT for part in rest)
    assert "\n".join([caption, *rest]) == ROSTER
    assert caption_parts("Your week") == ("Your week", [])
