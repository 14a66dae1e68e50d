"""The PDF: a cover page whose text can be read, charts and tables on pages that show ink.

The renderer is pure, so a report built here (a table long enough to run over pages) is
enough; the pages are rendered to images with pypdfium2 and saved beside the test's files.
"""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image
from pypdf import PdfReader

from central_api.reports.model import Chart, Cover, Report, Table
from central_api.reports.pdf_out import report_pdf

HEAD = "ab" * 32


def _report(rows: int) -> Report:
    cover = Cover(
        sites=("ams", "rtm"),
        port_wide=True,
        period_from=datetime(2026, 11, 1, tzinfo=UTC),
        period_to=datetime(2026, 12, 1, tzinfo=UTC),
        generated_by="user:authority-user",
        generated_at=datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
        audit_seq=4711,
        audit_head=HEAD,
    )
    gates = Table(
        key="gates",
        title="Passages per gate",
        columns=("gate", "grants", "denials"),
        rows=[(f"gate-{i:03d}", i, i % 7) for i in range(rows)],
        chart=Chart(label_column=0, value_columns=(1, 2), stacked=True),
    )
    empty = Table(key="open", title="Open alarms", columns=("alarm",), rows=[])
    return Report(name="access", title="Access report", cover=cover, tables=(gates, empty))


def _ink(image_path: Path) -> int:
    """How many dark pixels a page image has."""
    with Image.open(image_path) as image:
        return int((np.asarray(image.convert("L")) < 128).sum())


def test_the_pdf_has_a_readable_cover_and_a_page_per_part(tmp_path: Path) -> None:
    path = tmp_path / "access.pdf"
    path.write_bytes(report_pdf(_report(rows=120)))

    reader = PdfReader(path)
    # Cover; the chart with the first 22 rows, then 98 rows at 48 a page (3); the empty table.
    assert len(reader.pages) == 1 + 1 + 3 + 1
    cover = reader.pages[0].extract_text()
    for text in (
        "Access report",
        "all sites (ams, rtm)",
        "2026-11-01T00:00+00:00 to 2026-12-01T00:00+00:00",
        "user:authority-user",
        "2026-12-02T08:30+00:00",
        "entry 4711",
        HEAD,
    ):
        assert text in cover
    assert "gate-000" in reader.pages[1].extract_text()
    continued = reader.pages[2].extract_text()
    assert "continued, 2/4" in continued and "gate-022" in continued
    assert "gate-119" in reader.pages[4].extract_text()
    assert "No rows in this period." in reader.pages[5].extract_text()
    assert (
        reader.metadata is not None
        and reader.metadata.title == "Access report: all sites (ams, rtm)"
    )

    document = pypdfium2.PdfDocument(path)
    inks = []
    for number in range(len(document)):
        image = tmp_path / f"page-{number + 1}.png"
        document[number].render(scale=0.5).to_pil().save(image)
        inks.append(_ink(image))
    document.close()
    assert all(ink > 100 for ink in inks), inks  # a blank page has none
    assert inks[1] > inks[2]  # the chart's bars are drawn on the first page of the table
