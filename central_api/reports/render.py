"""One call from a computed report to the bytes of a file, its media type and file name."""

from dataclasses import dataclass

from central_api.reports.csv_out import report_csv
from central_api.reports.model import Report
from central_api.reports.pdf_out import report_pdf
from central_api.reports.xlsx_out import report_xlsx

__all__ = ["MEDIA_TYPES", "RenderedReport", "render_report", "report_file_name"]

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """A report file: its bytes, media type and a file name that says what it is."""

    content: bytes
    media_type: str
    file_name: str


def report_file_name(name: str, site: str | None, label: str, fmt: str) -> str:
    """``access_rtm_2026-11-30.pdf``: report, site (``all`` port-wide), period, format."""
    return f"{name}_{site or 'all'}_{label}.{fmt}"


def render_report(report: Report, fmt: str, *, label: str | None = None) -> RenderedReport:
    """`report` as a `fmt` file (csv, xlsx, pdf); `label` names the period in the file name."""
    if fmt == "csv":
        content = report_csv(report).encode("utf-8")
    elif fmt == "xlsx":
        content = report_xlsx(report)
    else:
        content = report_pdf(report)
    cover = report.cover
    period = label or (f"{cover.period_from:%Y-%m-%dT%H%M}--{cover.period_to:%Y-%m-%dT%H%M}")
    site = None if cover.port_wide else (cover.sites[0] if cover.sites else None)
    return RenderedReport(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        file_name=report_file_name(report.name, site, period, fmt),
    )
