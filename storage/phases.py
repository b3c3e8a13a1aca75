"""Phase changes: which phase a client moved to, from which, by which template, who and when.

Kept as rows (not only the program's current phase) so the physio report can show a client's
path; they are personal data (storage/personal.py: exported and deleted with the client).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from storage.models import PhaseChange, ProgramTemplate
from storage.repo import Store


async def record_phase_change(
    store: Store,
    client_id: int,
    *,
    from_phase: str | None,
    to_phase: str,
    now: datetime,
    by: int | None,
    template: ProgramTemplate | None = None,
) -> PhaseChange:
    change = PhaseChange(
        client_id=client_id,
        from_phase=from_phase,
        to_phase=to_phase,
        template_id=template.id if template else None,
        template_name=template.name if template else None,
        changed_by=by,
        changed_at=now,
    )
    await store.add(change)
    return change


async def phase_changes(
    store: Store, client_id: int, since: datetime | None = None
) -> list[PhaseChange]:
    """A client's phase changes, oldest first (from `since` when given): the physio report's."""
    query = select(PhaseChange).where(PhaseChange.client_id == client_id)
    if since is not None:
        query = query.where(col(PhaseChange.changed_at) >= since)
    return list(
        (
            await store.session.exec(
                query.order_by(col(PhaseChange.changed_at), col(PhaseChange.id))
            )
        ).all()
    )
