"""A physio report drawn as a PDF: pure drawing, like the chart (flows/progress/chart.py).

It gets a `Report` already gathered and worded (flows/progress/report.py) and knows nothing of
the database, so the drawing process (flows/progress/drawer.py), which unpickles the report,
imports only this and the chart: fpdf2, with the DejaVu font matplotlib ships, so any name prints.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flows.progress.chart import Chart, render
from flows.progress.drawer import DRAWER

if TYPE_CHECKING:  # fpdf2 and matplotlib's fonts are imported by the drawing process only
    from fpdf import FPDF

BLANK = "–"


@dataclass
class Report:
    """Everything the PDF says, already worded in the reader's language."""

    title: str
    period: str
    about: list[str]
    program: list[str]
    numbers: list[str]
    chart: Chart  # drawn with the PDF
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headings: dict[str, str] = field(default_factory=dict)
    footer: str = ""


def pdf_bytes(report: Report) -> bytes:
    """The report as a PDF (CPU-bound: the drawing process runs it, `render_pdf`)."""
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, report.title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, report.period, new_x="LMARGIN", new_y="NEXT", align="L")
    _section(pdf, report.headings["client"], report.about)
    _section(pdf, report.headings["program"], report.program)
    _section(pdf, report.headings["progress"], report.numbers)
    pdf.image(io.BytesIO(render(report.chart)), w=pdf.epw)
    _section(pdf, report.headings["flags"], report.flags or [BLANK])
    _section(pdf, report.headings["notes"], report.notes or [BLANK])
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, report.footer, new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())


async def render_pdf(report: Report) -> bytes:
    """`pdf_bytes` in the drawing process (flows/progress/drawer.py)."""
    return await DRAWER.draw(pdf_bytes, report)


def _section(pdf: FPDF, heading: str, lines: list[str]) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 10)
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", align="L")
