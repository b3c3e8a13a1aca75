"""The optional check-in questions (TRIAGE.md Q4-Q8) a trainer can switch on per client."""

from __future__ import annotations

from collections.abc import Iterable

from flows.engine.texts import N_

# code -> text key of its short label (for the trainer's program screen)
OPTIONAL_QUESTIONS: dict[str, str] = {
    "morning": N_("question_morning"),  # Q4 better / as usual / worse after yesterday's exercise
    "stiffness": N_("question_stiffness"),  # Q5 morning stiffness
    "swelling": N_("question_swelling"),  # Q6 swelling compared with yesterday
    "night": N_("question_night"),  # Q7 night waking, and whether rest eased it
    "confidence": N_("question_confidence"),  # Q8 confidence doing the exercises
}


def questions_for(chosen: Iterable[str], post_op: bool) -> list[str]:
    """Post-op clients are asked all of Q4-Q8 (TRIAGE.md section 1); others what was chosen."""
    wanted = set(OPTIONAL_QUESTIONS) if post_op else set(chosen)
    return [code for code in OPTIONAL_QUESTIONS if code in wanted]
