"""The optional check-in questions (TRIAGE.md Q4-Q8) a trainer can switch on per client."""

from __future__ import annotations

from collections.abc import Iterable

# code -> text key of its short label (for the trainer's program screen)
OPTIONAL_QUESTIONS: dict[str, str] = {
    "morning": "question_morning",  # Q4 better / as usual / worse after yesterday's exercise
    "stiffness": "question_stiffness",  # Q5 morning stiffness
    "swelling": "question_swelling",  # Q6 swelling compared with yesterday
    "night": "question_night",  # Q7 night waking, and whether rest eased it
    "confidence": "question_confidence",  # Q8 confidence doing the exercises
}


def questions_for(chosen: Iterable[str], post_op: bool) -> list[str]:
    """Post-op clients are asked all of Q4-Q8 (TRIAGE.md section 1); others what was chosen."""
    wanted = set(OPTIONAL_QUESTIONS) if post_op else set(chosen)
    return [code for code in OPTIONAL_QUESTIONS if code in wanted]
