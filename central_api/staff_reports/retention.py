"""Retention: closed and passed-on reports go, with their thread and photo, after N days.

A report that is closed (or passed on, so the recipient holds it now) and has not changed
for `days` is deleted whole; the audit keeps its hash-chained rows (which hold no text),
and the purge itself is one audit row with the count.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.staff_reports.tables import StaffReport, StaffReportMessage, StaffReportStatus

__all__ = ["DEFAULT_RETENTION_DAYS", "purge_closed"]

DEFAULT_RETENTION_DAYS = 180


def purge_closed(
    *, session: Session, days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
) -> int:
    """Delete reports closed or passed on and untouched for `days`; how many went."""
    cutoff = (now or utc_now()) - timedelta(days=days)
    done = (StaffReportStatus.CLOSED, StaffReportStatus.PASSED_ON)
    ids = list(
        session.exec(
            select(StaffReport.id)
            .where(col(StaffReport.status).in_(done))
            .where(StaffReport.updated_at <= cutoff)
        ).all()
    )
    if ids:
        session.exec(delete(StaffReportMessage).where(col(StaffReportMessage.report_id).in_(ids)))
        session.exec(delete(StaffReport).where(col(StaffReport.id).in_(ids)))
        append_audit(
            session=session,
            actor="system",
            action="staff_report.purge",
            after={"reports": len(ids), "days": days},
        )
    session.commit()
    return len(ids)
