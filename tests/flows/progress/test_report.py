"""The physio report: what the PDF says (read back with pypdf), who may get one, the CLI."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from bot.report_cli import run as run_cli
from bot.settings import SettingsError, load_settings
from flows.engine.buttons import ReportClient, ReportWeeks
from flows.engine.core import Document, Send, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Alert, AlertStatus, Checkin, Role
from tests.flows.harness import User, add_person, make_router, person_of, texts
from tests.flows.progress.test_progress import add_checkin, days_ago, joined_on

EXPIRED = "This button has expired. Please use the latest message."


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    await joined_on(sessions, days_ago(40))
    await add_checkin(sessions, days_ago(20), 4)  # outside 2 weeks, inside 4
    await add_checkin(sessions, days_ago(2), 3)
    jordan = await person_of(sessions, CLIENT.user_id)
    sam = await person_of(sessions, TRAINER.user_id)
    async with sessions() as session:
        for checkin in (await session.exec(select(Checkin))).all():
            checkin.note = f"stairs were hard ({checkin.local_date.isoformat()})"
        at = datetime(2026, 11, 21, 10, tzinfo=UTC)
        session.add(
            Alert(
                client_id=jordan.id or 0,
                trainer_id=sam.id or 0,
                rule="U1",
                severity="urgent",
                status=AlertStatus.ACKNOWLEDGED,
                client_told="contact your surgeon, physio or doctor today",
                created_at=at,
                updated_at=at,
                acknowledged_by=sam.id,
                acknowledged_at=at + timedelta(minutes=20),
            )
        )
        await session.commit()
    return make_router(sessions, clock)


def pdf_text(document: Document) -> str:
    assert document.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(document.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_a_trainer_picks_the_client_and_the_weeks_and_gets_the_pdf(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id)
    asked = await sam.command("report")
    assert texts(asked).startswith("A progress report for whom?")
    weeks = await sam.press("Jordan")
    assert [b.text for r in weeks if isinstance(r, Send) for row in r.buttons for b in row] == [
        "2 weeks",
        "4 weeks",
        "8 weeks",
        "12 weeks",
    ]
    [toast, document] = await sam.press("4 weeks")
    assert toast == Toast() and isinstance(document, Document)
    jordan = await person_of(sessions, CLIENT.user_id)
    assert document.filename == f"report-{jordan.id}-2026-11-23-4w.pdf"  # no name in it
    assert document.caption == "Jordan: progress report, last 4 weeks."
    text = pdf_text(document)
    for expected in (
        "Progress report: Jordan",
        "27 Oct to 23 Nov (4 weeks)",
        "Condition, as the client described it: knee surgery (ACL reconstruction)",
        "Post-operative: yes",
        "Program phase: rehab",
        "Quad sets: 3 sets of",
        "last changed",
        "Check-ins: 2 of 28 days.",
        "21 Nov 2026, 10:00: U1: one-sided calf or thigh pain/swelling/warmth/redness, urgent.",
        "The client was told: contact your surgeon, physio or doctor today.",
        "Acknowledged by Sam, 21 Nov 2026, 10:20.",
        "stairs were hard (2026-11-21)",
        "stairs were hard (2026-11-03)",
        "Not a diagnosis",
    ):
        assert expected in text.replace("\n", " "), expected
    for word in ("diagnosed", "probably", "nothing to worry"):
        assert word not in text.lower()

    [_, shorter] = await sam.press_data(ReportWeeks(jordan.id or 0, 2).pack())
    assert isinstance(shorter, Document)
    assert "2026-11-03" not in pdf_text(shorter)  # 20 days ago: outside two weeks


async def test_only_the_clients_own_trainer_or_an_admin_gets_a_report(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    jordan = await person_of(sessions, CLIENT.user_id)
    await add_person(sessions, clock, 2001, "Kim", Role.TRAINER)
    kim = User(router, 2001)
    assert "Jordan" not in texts(await kim.command("report"))
    for data in (ReportClient(jordan.id or 0).pack(), ReportWeeks(jordan.id or 0, 4).pack()):
        assert await kim.press_data(data) == [Toast(EXPIRED)]
        assert await User(router, CLIENT.user_id).press_data(data) == [Toast(EXPIRED)]
    assert await kim.press_data("report:W1:3") == [Toast(EXPIRED)]
    assert "isn't available" in texts(await User(router, CLIENT.user_id).command("report"))
    alex = User(router, ADMIN.user_id)
    [_, document] = await alex.press_data(ReportWeeks(jordan.id or 0, 12).pack())
    assert isinstance(document, Document)


async def test_the_command_line_writes_the_same_report(
    router: Router, sessions: SessionFactory, clock: FakeClock, db_url: str, tmp_path: Path
) -> None:
    settings = load_settings(_env_file=None, database_url=db_url)
    out, now = tmp_path / "report.pdf", clock.now()
    printed = io.StringIO()
    assert await asyncio.to_thread(run_cli, settings, "jordan", 8, out, now, printed) == 0
    assert printed.getvalue() == f"Report on Jordan (8 weeks) written to {out}.\n"
    text = pdf_text(Document(out.read_bytes(), "r.pdf"))
    assert "Progress report: Jordan" in text and "(8 weeks)" in text
    jordan = await person_of(sessions, CLIENT.user_id)
    assert await asyncio.to_thread(run_cli, settings, str(jordan.id), 2, out, now, printed) == 0
    with pytest.raises(SettingsError, match="no client 'Nobody'"):
        await asyncio.to_thread(run_cli, settings, "Nobody", 4, out, now, printed)
    with pytest.raises(SettingsError, match="no client"):
        await asyncio.to_thread(run_cli, settings, "Sam", 4, out, now, printed)  # not a client
