"""Alert queries: open alerts by client and rule, a trainer's list, and overdue escalations.

An alert's person is a client (whose trainer is the one on their profile, so alerts follow a
reassignment) or a visitor with red flags in the consult intake (role prospect, no profile: the
trainer is the one the alert was raised for).

Portable SQL only (SQLite now, PostgreSQL later): severities are ranked with a CASE expression,
never a database-specific enum or function.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select

from storage.models import Alert, AlertStatus, ClientProfile, Person
from storage.repo import Store

# emergency first, then urgent, then routine (anything unknown last)
_SEVERITY_RANK: Any = case(
    (col(Alert.severity) == "emergency", 0),
    (col(Alert.severity) == "urgent", 1),
    (col(Alert.severity) == "routine", 2),
    else_=3,
)


async def open_alert(store: Store, client_id: int, rule: str) -> Alert | None:
    """The client's open alert for `rule`, if any (at most one is kept open per rule)."""
    query = (
        select(Alert)
        .where(
            Alert.client_id == client_id,
            Alert.rule == rule,
            Alert.status == AlertStatus.OPEN,
        )
        .order_by(col(Alert.id))
    )
    return (await store.session.exec(query)).first()


async def alerts_by_ids(store: Store, ids: Sequence[int]) -> list[Alert]:
    """The alerts with these ids (missing ones left out), oldest first."""
    if not ids:
        return []
    query = select(Alert).where(col(Alert.id).in_(list(ids))).order_by(col(Alert.id))
    return list((await store.session.exec(query)).all())


async def alerts_of_visitor(store: Store, person_id: int, severity: str) -> list[Alert]:
    """A visitor's intake alerts (no check-in) at one severity, oldest first."""
    query = (
        select(Alert)
        .where(
            Alert.client_id == person_id,
            col(Alert.checkin_id).is_(None),
            Alert.severity == severity,
        )
        .order_by(col(Alert.id))
    )
    return list((await store.session.exec(query)).all())


async def alerted_trainer(store: Store, person_id: int, trainer_id: int) -> bool:
    """Whether any alert about this person was raised for this trainer (visitors' alerts)."""
    query = select(Alert.id).where(Alert.client_id == person_id, Alert.trainer_id == trainer_id)
    return (await store.session.exec(query.limit(1))).first() is not None


async def alerts_of_checkin(store: Store, checkin_id: int, severity: str) -> list[Alert]:
    """Alerts last raised by one check-in at one severity (one trainer message's alerts)."""
    query = (
        select(Alert)
        .where(Alert.checkin_id == checkin_id, Alert.severity == severity)
        .order_by(col(Alert.id))
    )
    return list((await store.session.exec(query)).all())


def _open_query(trainer_id: int | None) -> Any:
    """Open alerts with their person; a trainer's are those of their current clients, and
    visitors' alerts (no client profile) raised for them."""
    query = (
        select(Alert, Person)
        .join(Person, col(Person.id) == col(Alert.client_id))
        .where(Alert.status == AlertStatus.OPEN)
    )
    if trainer_id is not None:
        query = query.outerjoin(ClientProfile, col(ClientProfile.person_id) == col(Alert.client_id))
        query = query.where(
            or_(
                col(ClientProfile.trainer_id) == trainer_id,
                and_(
                    col(ClientProfile.person_id).is_(None),
                    col(Alert.trainer_id) == trainer_id,
                ),
            )
        )
    return query


async def open_alerts(
    store: Store, trainer_id: int | None, limit: int = 20
) -> list[tuple[Alert, Person]]:
    """Open alerts and their clients, most severe first, then most recently raised.

    `trainer_id` None means everyone's (the admin's view).
    """
    query = (
        _open_query(trainer_id)
        .order_by(_SEVERITY_RANK, col(Alert.updated_at).desc(), col(Alert.id).desc())
        .limit(limit)
    )
    rows = (await store.session.exec(query)).all()
    return [(alert, person) for alert, person in rows]


async def count_open_alerts(store: Store, trainer_id: int | None) -> int:
    subquery = _open_query(trainer_id).subquery()
    query = select(func.count()).select_from(subquery)
    return int((await store.session.exec(query)).one())


async def open_alert_counts(store: Store, trainer_id: int | None) -> dict[int, dict[str, int]]:
    """Open alerts per client and severity ({client id: {"urgent": 1, ...}}): one trainer's
    current clients, or every client's when `trainer_id` is None (visitors' alerts left out)."""
    query = (
        select(col(Alert.client_id), col(Alert.severity), func.count(col(Alert.id)))
        .join(ClientProfile, col(ClientProfile.person_id) == col(Alert.client_id))
        .where(Alert.status == AlertStatus.OPEN)
        .group_by(col(Alert.client_id), col(Alert.severity))
    )
    if trainer_id is not None:
        query = query.where(ClientProfile.trainer_id == trainer_id)
    counts: dict[int, dict[str, int]] = {}
    for client_id, severity, count in (await store.session.exec(query)).all():
        counts.setdefault(client_id, {})[severity] = int(count)
    return counts


async def overdue_alerts(
    store: Store,
    now: datetime,
    emergency_after: timedelta,
    urgent_after: timedelta,
    only: Sequence[int] | None = None,
) -> list[Alert]:
    """Open, not yet escalated emergency alerts raised at least `emergency_after` ago, and
    urgent ones at least `urgent_after` ago, oldest first (`only`: of these ids)."""
    query = (
        select(Alert)
        .where(
            Alert.status == AlertStatus.OPEN,
            col(Alert.escalated_at).is_(None),
            or_(
                and_(
                    col(Alert.severity) == "emergency",
                    col(Alert.created_at) <= now - emergency_after,
                ),
                and_(
                    col(Alert.severity) == "urgent",
                    col(Alert.created_at) <= now - urgent_after,
                ),
            ),
        )
        .order_by(col(Alert.created_at), col(Alert.id))
    )
    if only is not None:
        query = query.where(col(Alert.id).in_(list(only)))
    return list((await store.session.exec(query)).all())
