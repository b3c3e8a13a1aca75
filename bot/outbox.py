"""The outbox sender: delivers queued proactive messages, most urgent first, once each.

Rows are written by flows in the same transaction as their cause; this only sends. Alerts go
before everything else (each round re-reads the queue by priority, so an alert waits at most one
round, and while one retries nothing else goes). Sends are paced (a global rate and about 1/s per
chat); quiet hours hold everything but emergency and urgent alerts; a 429 pauses all sending for
retry_after; 5xx and network errors back off; 400 is final; 403 marks the person unreachable and
tells their trainer. A request that may have reached Telegram (a read timeout, or a crash
mid-send) is not repeated, a doubled message being worse than a late one, except an alert: a
trainer may see an alert twice, but never misses one. Rows about someone who deleted their data
(erase_after_send) are deleted once delivered.

One row that raises (a legacy zone or quiet hours no code can read, a database error on that
row) never stops the others (`deliver_due`): it is logged (its id, kind and the exception's
type, never the text), marked in the outbox itself (attempts + 1, last_error "error: <type>",
not_before backed off like a 5xx) and a new round goes on without it. After MAX_ATTEMPTS such
failures a reminder or other message is marked failed; an alert never is (it keeps trying at
most MAX_BACKOFF apart). A row that raised after it was marked "sending" may have reached
Telegram: `recover` settles it, as after a crash mid-send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.pacing import Pacer
from bot.telegram_api import ApiResult, BotApi, Outcome
from flows.engine.schedule import local_date, quiet_span, quiet_until, zone_of
from flows.engine.texts import t
from flows.engine.ticks import describe
from storage.db import SessionFactory, scrub
from storage.models import (
    ALERT_PRIORITY,
    OWN_ERROR,
    ClientProfile,
    Outbox,
    OutboxStatus,
    Person,
    Role,
)
from storage.repo import Store
from storage.sent import delete_messages

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)
SECOND = timedelta(seconds=1)
BREAKS_QUIET_HOURS = ALERT_PRIORITY  # emergency and urgent alerts
ALERT_HOLD = timedelta(seconds=60)  # an alert retrying within this holds other messages back
DAY_BOUND_KINDS = ("reminder", "nudge")  # about one local day: dropped rather than moved past it


@dataclass(frozen=True)
class SenderRules:
    """What the sender needs from the settings (bot.proactive.sender_rules), which hold the
    defaults."""

    rate_per_second: float
    per_chat_seconds: float
    quiet_hours: tuple[str, str]
    default_timezone: str


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        api: BotApi,
        clock: Callable[[], datetime],
        rules: SenderRules,
        pacer: Pacer | None = None,
        observe: Callable[[Outcome], None] = lambda outcome: None,
    ) -> None:
        self.sessions = sessions
        self.api = api
        self.clock = clock
        self.observe = observe  # each send's outcome, for the metrics
        self.last_delivery = clock()  # when a message last went out (or the sender started)
        self.rules = rules
        self.pacer = pacer or Pacer(self.rules.rate_per_second, self.rules.per_chat_seconds)
        self.round_size = max(1, int(self.rules.rate_per_second))
        self.hold_until: datetime | None = None  # a 429 stops all sending until then
        self.closing = False
        self.current: int | None = None  # the row being handled, if one is
        self.recovered = False  # this process's first round settles whatever was left

    def close(self) -> None:
        """Stop after the send under way (a drain can take an hour; a stop must not)."""
        self.closing = True

    async def recover(self) -> int:
        """Rows left "sending" by a sender that died mid-send may have reached Telegram: they
        are final, never resent, except alerts, which go again (a trainer may see an alert
        twice, but never miss one). Rows about a person who deleted their data that are now
        final are deleted. Call before each delivery round, holding the sender's turn (then no
        live sender has a row in flight).

        After this process's first call, a round writes only if a row is "sending" (a dead
        sender's, or one whose send raised), found by the queue's index: on SQLite a write
        every second took the database's write lock from the updates being handled, and
        their statements waited (a send deletes its own row to erase: `_send`)."""
        if self.recovered and not await self._left_sending():
            return 0
        async with self.sessions() as session:
            sending = col(Outbox.status) == OutboxStatus.SENDING
            alert = col(Outbox.priority) <= BREAKS_QUIET_HOURS
            await session.exec(
                update(Outbox).where(sending, alert).values(status=OutboxStatus.PENDING)
            )
            result = await session.exec(
                update(Outbox)
                .where(sending)
                .values(
                    status=OutboxStatus.FAILED,
                    last_error="uncertain: interrupted mid-send",
                    file_content=None,
                )
            )
            await session.exec(
                delete(Outbox).where(
                    col(Outbox.erase_after_send),
                    col(Outbox.status).in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
                )
            )
            await session.commit()
        self.recovered = True
        count = int(result.rowcount or 0)
        if count:
            log.warning("%d outbox row(s) were mid-send at a crash; not resent", count)
        return count

    async def _left_sending(self) -> bool:
        async with self.sessions() as session:
            sending = col(Outbox.status) == OutboxStatus.SENDING
            found = await session.exec(select(Outbox.id).where(sending).limit(1))
            return found.first() is not None

    async def deliver_due(self) -> int:
        """Send everything due now, round by round; returns how many were delivered."""
        delivered = 0
        while not self.closing and not self._held():
            try:
                sent, progressed = await self._round()
            except Exception as exc:
                if self.current is None:
                    raise  # not one row's: the queue itself can't be read
                await self._row_failed(self.current, exc)
                continue  # that round's session is rolled back; the next one reads afresh
            delivered += sent
            if not progressed:
                break
        return delivered

    def _held(self) -> bool:
        return self.hold_until is not None and self.clock() < self.hold_until

    async def _row_failed(self, row_id: int, exc: Exception) -> None:
        """Back off a row whose handling raised; only a row still pending (a "sending" one is
        recover's). An alert is never given up."""
        outcome, kind = "left to recover (it may have been sent)", "?"
        async with self.sessions() as session:
            row = await session.get(Outbox, row_id)
            if row is not None and row.status == OutboxStatus.PENDING:
                kind, row.attempts = row.kind, row.attempts + 1
                row.last_error = f"{OWN_ERROR}{type(exc).__name__}"
                if row.attempts >= MAX_ATTEMPTS and not _alert(row):
                    row.status, outcome = OutboxStatus.FAILED, "given up"
                else:
                    row.not_before = self.clock() + min(2**row.attempts * SECOND, MAX_BACKOFF)
                    outcome = f"retry after {row.not_before.isoformat(timespec='seconds')}"
                await session.commit()
        log.error("tick outbox: row %d (%s) failed (%s); %s", row_id, kind, describe(exc), outcome)

    async def _round(self) -> tuple[int, bool]:
        """One round: up to `round_size` due rows, most urgent first. Returns (sent, progressed)."""
        self.current = None
        async with self.sessions() as session:
            rows = await self._due(session)
            if not rows:
                return 0, False
            people = await self._people(session, rows)
            sent, handled, waits = 0, 0, []
            alert_waits = False  # an alert of this round is not out yet: the rest waits too
            for row in rows:
                if self.closing or self._held():
                    return sent, False
                if alert_waits and not _alert(row):
                    break
                self.current = row.id  # if this row raises, deliver_due marks it
                person = people.get(row.person_id or 0)
                if self._defer_for_quiet(row, person):
                    await session.commit()
                    handled += 1
                    continue
                wait = self.pacer.chat_wait(row.chat_id)
                if wait > 0:
                    waits.append(wait)
                    alert_waits = alert_waits or _alert(row)
                    continue  # another chat's message goes first; this one next round
                delivered = await self._send(session, row, person)
                alert_waits = alert_waits or (_alert(row) and not delivered)
                sent += delivered
                handled += 1
            self.current = None
            if not handled and waits:
                await self.pacer.sleep(min(waits))  # only busy chats are due: wait for the first
            return sent, True

    async def _due(self, session: AsyncSession) -> list[Outbox]:
        """The most urgent due rows. While an alert waits a short retry backoff, only alerts
        go: the rate budget is theirs, and a reminder never overtakes a failing alert."""
        now = self.clock()
        pending = col(Outbox.status) == OutboxStatus.PENDING
        query = select(Outbox).where(pending, col(Outbox.not_before) <= now)
        alert = col(Outbox.priority) <= BREAKS_QUIET_HOURS
        api_trouble = or_(  # not a row our own code failed on: that one must not hold others
            col(Outbox.last_error).is_(None), ~col(Outbox.last_error).startswith(OWN_ERROR)
        )
        retrying = await session.exec(
            select(Outbox.id)
            .where(pending, alert, api_trouble, col(Outbox.not_before) <= now + ALERT_HOLD)
            .limit(1)
        )
        if retrying.first() is not None:
            query = query.where(alert)
        query = query.order_by(col(Outbox.priority), col(Outbox.id)).limit(self.round_size)
        return list((await session.exec(query)).all())

    async def _people(self, session: AsyncSession, rows: Sequence[Outbox]) -> dict[int, Person]:
        ids = {row.person_id for row in rows if row.person_id is not None}
        if not ids:
            return {}
        found = await session.exec(select(Person).where(col(Person.id).in_(ids)))
        return {person.id or 0: person for person in found.all()}

    def _defer_for_quiet(self, row: Outbox, person: Person | None) -> bool:
        """Hold a row until the person's quiet hours end; True if it was held (or dropped)."""
        if person is None or row.priority <= BREAKS_QUIET_HOURS:
            return False
        zone = zone_of(person, self.rules.default_timezone)
        now = self.clock()
        until = quiet_until(now, zone, *quiet_span(person, self.rules.quiet_hours))
        if until is None:
            return False
        if row.kind in DAY_BOUND_KINDS and local_date(until, zone) != local_date(
            row.created_at, zone
        ):
            row.status, row.last_error = OutboxStatus.FAILED, "expired: quiet hours until next day"
        else:
            row.not_before = until
        return True

    async def _send(self, session: AsyncSession, row: Outbox, person: Person | None) -> int:
        await self.pacer.acquire()
        row.status = OutboxStatus.SENDING  # a crash mid-send leaves it unsent, not doubled
        row.attempts += 1
        await session.commit()
        result = await self._deliver(row)
        now = self.clock()
        self._record(row, result, now)
        self.observe(result.outcome)
        if result.outcome == Outcome.SENT:
            self.pacer.delivered(row.chat_id)
            self.last_delivery = now
        if result.outcome == Outcome.BLOCKED:
            await self._unreachable(session, row, person, now)
        sent = row.status == OutboxStatus.SENT
        if row.status != OutboxStatus.PENDING and await self._erased(session, row):
            await session.commit()
            await scrub(session)
        await session.commit()
        return int(sent)

    @staticmethod
    async def _erased(session: AsyncSession, row: Outbox) -> bool:
        """Deletes a final row about someone who deleted their data: as the database says, not
        as the row was read, since the deletion may have come while it was being sent. Its
        links to others it names go first (an alert about two people, one of them deleted)."""
        doomed = and_(col(Outbox.id) == row.id, col(Outbox.erase_after_send))
        return bool(await delete_messages(session, doomed))

    async def _deliver(self, row: Outbox) -> ApiResult:
        """The Bot API call for the row: a message, or a photo or document with its caption."""
        if row.file_kind is not None and row.file_content is not None:
            return await self.api.send_file(
                row.chat_id,
                row.file_kind,
                row.file_name or "file",
                row.file_content,
                row.text,
                row.buttons,
            )
        return await self.api.send_message(row.chat_id, row.text, row.buttons)

    @staticmethod
    def _retried(row: Outbox) -> tuple[Outcome, ...]:
        """What is tried again: a request that never arrived; for an alert, also one that may
        have (a timeout): a doubled alert is better than a lost one."""
        if _alert(row):
            return (Outcome.TRANSIENT, Outcome.UNCERTAIN)
        return (Outcome.TRANSIENT,)

    def _record(self, row: Outbox, result: ApiResult, now: datetime) -> None:
        outcome = result.outcome
        row.last_error = None if outcome == Outcome.SENT else f"{outcome}: {result.description}"
        row.status = OutboxStatus.PENDING
        if outcome == Outcome.SENT:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.telegram_message_id = result.message_id
        elif outcome == Outcome.RETRY_AFTER:
            row.attempts -= 1  # being throttled is not the message's failure
            row.not_before = now + timedelta(seconds=result.retry_after)
            self.hold_until = row.not_before
        elif outcome in self._retried(row) and (row.attempts < MAX_ATTEMPTS or _alert(row)):
            row.not_before = now + min(timedelta(seconds=2**row.attempts), MAX_BACKOFF)
        else:
            row.status = OutboxStatus.FAILED
            log.warning("outbox %d (%s) not delivered: %s", row.id, row.kind, outcome)
        if row.status != OutboxStatus.PENDING:
            row.file_content = None  # final: a week's chart per client would pile up for good

    async def _unreachable(
        self, session: AsyncSession, row: Outbox, person: Person | None, now: datetime
    ) -> None:
        """403: the person blocked the bot. Mark them, drop their queue, tell their trainer once."""
        await session.exec(
            update(Outbox)
            .where(col(Outbox.chat_id) == row.chat_id, col(Outbox.status) == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, last_error="blocked: the person blocked the bot")
        )
        if person is None or person.unreachable_at is not None:
            return
        person.unreachable_at = now
        if person.role != Role.CLIENT:
            return
        profile = await session.get(ClientProfile, person.id)
        trainer = await session.get(Person, profile.trainer_id) if profile else None
        if trainer is None:
            return
        await Store(session).enqueue(
            chat_id=trainer.chat_id,
            person_id=trainer.id,
            text=t("client_unreachable", trainer.locale, client=person.name),
            kind="client_unreachable",
            now=now,
            dedupe_key=f"unreachable:{person.id}:{now.isoformat()}",
            about=[person.id],
        )


def _alert(row: Outbox) -> bool:
    """An emergency or urgent alert (or its escalation): retried until it is delivered, since
    a lost flag is the one failure the product can't have; Telegram refusing it for good (4xx,
    or the trainer blocked the bot) leaves it to escalation."""
    return row.priority <= BREAKS_QUIET_HOURS
