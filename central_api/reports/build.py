"""The one entry that builds a report by name for a site or for every site."""

from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlmodel import Session, col, select

from central_api.audit.anchor import current_head
from central_api.models import Site
from central_api.reports.access import access_tables
from central_api.reports.alarms import alarm_tables
from central_api.reports.companies import company_tables
from central_api.reports.model import Cover, Report, Table
from central_api.reports.overrides import override_tables
from central_api.reports.period import DEFAULT_SHIFTS, Period, ReportInputError, Shifts
from central_api.security.site_scope import current_scope, scope_session, unscoped

__all__ = ["FORMATS", "REPORTS", "build_report", "check_format", "check_name", "report_zone"]

Builder = Callable[[Session, Period, Shifts], tuple[Table, ...]]

REPORTS: Final[dict[str, tuple[str, Builder]]] = {
    "access": ("Access report", lambda s, p, _: access_tables(s, p)),
    "alarms": ("Alarms report", alarm_tables),
    "companies": ("Companies report", lambda s, p, _: company_tables(s, p)),
    "overrides": ("Overrides report", lambda s, p, _: override_tables(s, p)),
}
FORMATS: Final = ("csv", "xlsx", "pdf")


def check_name(name: str) -> str:
    """`name` if it is a report (ReportInputError: which ones there are)."""
    if name not in REPORTS:
        raise ReportInputError(f"unknown report {name!r}: one of {', '.join(REPORTS)}")
    return name


def check_format(fmt: str) -> str:
    """`fmt` if it is a format (ReportInputError: which ones there are)."""
    if fmt not in FORMATS:
        raise ReportInputError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return fmt


def report_zone(*, session: Session, site_id: str | None) -> str:
    """The zone a report counts in: the site's (or the session's site's); port-wide UTC.

    Raises:
        ReportInputError: an unknown site.
    """
    with unscoped(session):
        chosen = site_id or current_scope(session)
        if chosen is None:
            return "UTC"
        site = session.get(Site, chosen)
    if site is None:
        raise ReportInputError(f"unknown site {site_id!r}")
    return site.timezone


def build_report(
    *,
    session: Session,
    name: str,
    site_id: str | None,
    period: Period,
    generated_by: str,
    now: datetime,
    shifts: Shifts = DEFAULT_SHIFTS,
) -> Report:
    """Count report `name` over `period` at `site_id` (None: every site the session sees).

    A site narrows the session to that site (`scope_session`) for the rest of its life.

    Raises:
        ReportInputError: an unknown report or site.
    """
    title, builder = REPORTS[check_name(name)]
    with unscoped(session):
        known = list(session.exec(select(Site.id).order_by(col(Site.id))).all())
    scope = current_scope(session)
    if site_id is not None and (site_id not in known or scope not in (None, site_id)):
        raise ReportInputError(f"unknown site {site_id!r}")
    if site_id is not None:
        scope_session(session, site_id)
    sites = [site_id] if site_id else ([scope] if scope else known)
    head = current_head(session)
    cover = Cover(
        sites=tuple(s for s in sites if s is not None),
        port_wide=site_id is None and scope is None,
        period_from=period.start,
        period_to=period.end,
        generated_by=generated_by,
        generated_at=now,
        audit_seq=head.seq,
        audit_head=head.hash,
    )
    return Report(name=name, title=title, cover=cover, tables=builder(session, period, shifts))
