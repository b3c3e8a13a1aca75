"""Holding a slot: the database's claim, not a check, decides who gets it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FakeClock
from storage import booking as bk
from storage.db import SessionFactory
from storage.models import Booking, BookingStatus, Person, Role, SlotClaim
from storage.repo import Store

SLOT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def _people(sessions: SessionFactory, now: datetime) -> tuple[int, int, int]:
    async with sessions() as session:
        rows = [
            Person(telegram_user_id=i, chat_id=i, role=role, name=f"p{i}", created_at=now)
            for i, role in ((1, Role.TRAINER), (2, Role.PROSPECT), (3, Role.PROSPECT))
        ]
        session.add_all(rows)
        await session.commit()
        return rows[0].id or 0, rows[1].id or 0, rows[2].id or 0


async def _hold(sessions: SessionFactory, trainer: int, prospect: int, now: datetime) -> int | None:
    async with sessions() as session:
        store = Store(session)
        held = await bk.hold_slot(
            store,
            trainer_id=trainer,
            prospect_id=prospect,
            starts_at=SLOT,
            length=timedelta(minutes=30),
            hold_for=timedelta(minutes=10),
            intake={},
            now=now,
        )
        await store.commit()
        return held.id if held else None


async def test_two_concurrent_holds_of_one_slot_exactly_one_wins(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    trainer, a, b = await _people(sessions, clock.now())
    results = await asyncio.gather(
        _hold(sessions, trainer, a, clock.now()), _hold(sessions, trainer, b, clock.now())
    )
    assert sorted(r is None for r in results) == [False, True]
    async with sessions() as session:
        claims = (await session.exec(select(SlotClaim))).all()
        bookings = (await session.exec(select(Booking))).all()
    assert len(claims) == 1 and len(bookings) == 1  # the loser's booking rolled back too


async def test_cancel_frees_the_slot(sessions: SessionFactory, clock: FakeClock) -> None:
    trainer, a, b = await _people(sessions, clock.now())
    first = await _hold(sessions, trainer, a, clock.now())
    assert first is not None and await _hold(sessions, trainer, b, clock.now()) is None
    async with sessions() as session:
        store = Store(session)
        row = await bk.booking(store, first)
        assert row is not None
        await bk.cancel(store, row, clock.now(), by=a, reason="changed plans")
        await store.commit()
    assert await _hold(sessions, trainer, b, clock.now()) is not None


async def test_an_expired_hold_gives_way(sessions: SessionFactory, clock: FakeClock) -> None:
    trainer, a, b = await _people(sessions, clock.now())
    first = await _hold(sessions, trainer, a, clock.now())
    later = clock.now() + timedelta(minutes=11)
    second = await _hold(sessions, trainer, b, later)
    assert first is not None and second is not None
    async with sessions() as session:
        old = await session.get(Booking, first)
        assert old is not None and old.status == BookingStatus.CANCELLED


async def test_release_expired_holds(sessions: SessionFactory, clock: FakeClock) -> None:
    trainer, a, _ = await _people(sessions, clock.now())
    await _hold(sessions, trainer, a, clock.now())
    async with sessions() as session:
        store = Store(session)
        assert await bk.release_expired_holds(store, clock.now()) == 0
        assert await bk.release_expired_holds(store, clock.now() + timedelta(minutes=10)) == 1
        await store.commit()
        assert (await session.exec(select(SlotClaim))).first() is None
