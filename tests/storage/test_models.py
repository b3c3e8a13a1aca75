"""Table models: what every new row starts with."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Checkin, Conversation


def test_new_rows_never_share_a_default_list_or_dict() -> None:
    """Defaults come from plain factories (storage/models.py `_empty_list`): each row its own."""
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    first, second = (Checkin(client_id=1, local_date=now.date(), started_at=now) for _ in "ab")
    first.rules.append("R1")
    first.exercises.append({"name": "squat"})
    assert (second.rules, second.exercises) == ([], [])
    convo = Conversation(chat_id=1, user_id=1, updated_at=now)
    convo.data["step"] = 1
    assert Conversation(chat_id=2, user_id=2, updated_at=now).data == {}
