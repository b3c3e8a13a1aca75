"""The project carries its own docs: every relative link in README.md and docs/ resolves inside
the repository (a clone has no ../shared), and TRIAGE.md documents `mendbot triage`'s input."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _relative_links(doc: Path) -> list[str]:
    return [t for t in LINK.findall(doc.read_text()) if not re.match(r"[a-z]+:", t)]


def test_every_relative_link_stays_in_the_repository() -> None:
    for doc in DOCS:
        for target in _relative_links(doc):
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT), f"{doc.name} links outside the project: {target}"
            assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_readme_points_at_the_design_and_the_triage_rules() -> None:
    links = _relative_links(ROOT / "README.md")
    assert "docs/DESIGN.md" in links and "docs/TRIAGE.md" in links
    assert "shared/" not in (ROOT / "README.md").read_text()


def test_triage_md_documents_the_triage_commands_input() -> None:
    triage = (ROOT / "docs" / "TRIAGE.md").read_text()
    assert "`mendbot triage` reads one JSON document on standard input" in triage
    for field in ('"client"', '"today"', '"history"', '"red_flags"', '"exercises"'):
        assert field in triage
