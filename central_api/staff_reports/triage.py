"""The triage queue: list, open, change status, reply, pass on, make an incident; all audited.

A site's security desk and operators triage their own site's reports (their session is
scoped to it, so another site's report is simply not found); the port authority sees
every site's. Each change is one audited transaction (`commit_audited`) whose row keeps
texts only as keyed hashes. A note or reply joins the thread the reporter reads.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from central_api.audit.privacy import keyed_hash
from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.incidents import store as incidents
from central_api.incidents.tables import IncidentCreate
from central_api.staff_reports.reporting import audit_view, thread
from central_api.staff_reports.tables import (
    MakeIncidentIn,
    MessageAuthor,
    StaffReport,
    StaffReportMessage,
    StaffReportPublic,
    StaffReportStatus,
    TriageMessage,
)

__all__ = [
    "TRANSITIONS",
    "Triager",
    "change_status",
    "get_report",
    "list_reports",
    "make_incident",
    "pass_on",
    "public_view",
    "reply",
]

S = StaffReportStatus
# Where a report may go from each status; passing on has its own step (it names to whom).
TRANSITIONS: dict[StaffReportStatus, frozenset[StaffReportStatus]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.CLOSED}),
    S.PASSED_ON: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}


@dataclass(frozen=True, slots=True)
class Triager:
    """Who triages: their user name and site (None: the port authority, every site)."""

    username: str
    site_id: str | None
    pseudonym_key: bytes

    @property
    def actor(self) -> str:
        """The audit actor."""
        return f"user:{self.username}"


def public_view(
    session: Session, report: StaffReport, *, messages: bool = True
) -> StaffReportPublic:
    """A report as triage sees it, with its thread unless `messages` is False."""
    view = StaffReportPublic.model_validate(
        {**report.model_dump(), "has_photo": report.photo_ciphertext is not None}
    )
    if messages:
        view.messages = [
            TriageMessage.model_validate(m, from_attributes=True)
            for m in thread(session, report.id)
        ]
    return view


def list_reports(
    *, session: Session, status: StaffReportStatus | None = None, limit: int = 200
) -> list[StaffReport]:
    """Reports of the session's scope, newest first, by status."""
    statement = select(StaffReport).order_by(col(StaffReport.received_at).desc())
    if status is not None:
        statement = statement.where(StaffReport.status == status)
    return list(session.exec(statement.limit(limit)).all())


def get_report(*, session: Session, report_id: str) -> StaffReport:
    """One report within the session's scope, or NotFoundError."""
    report = session.get(StaffReport, report_id)
    if report is None:
        raise NotFoundError(f"staff report {report_id!r} not found")
    return report


def _commit(
    session: Session,
    report: StaffReport,
    triager: Triager,
    action: str,
    before: dict[str, object],
    note: str | None,
) -> StaffReport:
    rows: list[StaffReport | StaffReportMessage] = [report]
    if note:
        rows.append(
            StaffReportMessage(
                report_id=report.id,
                author=MessageAuthor.TRIAGE,
                author_user=triager.username,
                body=note,
            )
        )
    report.updated_at = utc_now()
    after = {**audit_view(report), "note": keyed_hash(note) if note else None}
    commit_audited(
        session,
        actor=triager.actor,
        action=action,
        target=f"staff_report:{report.id}",
        before=before,
        after=after,
        rows=rows,
    )
    session.refresh(report)
    return report


def change_status(
    *,
    session: Session,
    report_id: str,
    status: StaffReportStatus,
    note: str | None,
    triager: Triager,
) -> StaffReport:
    """Move a report along the queue (`TRANSITIONS`), or ConflictError (409)."""
    if status is S.PASSED_ON:
        raise InvalidError("pass a report on with its own step: say to whom")
    report = get_report(session=session, report_id=report_id)
    if status not in TRANSITIONS[report.status]:
        allowed = ", ".join(sorted(TRANSITIONS[report.status])) or "nothing"
        raise ConflictError(f"a report that is {report.status} may go to {allowed}, not {status}")
    before = audit_view(report)
    report.status = status
    report.assigned_to = triager.username if status is S.IN_PROGRESS else report.assigned_to
    report.closed_at = utc_now() if status is S.CLOSED else None
    return _commit(session, report, triager, "staff_report.status", before, note)


def reply(*, session: Session, report_id: str, body: str, triager: Triager) -> StaffReport:
    """A reply to the reporter, who reads it with their code."""
    report = get_report(session=session, report_id=report_id)
    return _commit(session, report, triager, "staff_report.reply", audit_view(report), body)


def pass_on(
    *, session: Session, report_id: str, to: str, note: str | None, triager: Triager
) -> StaffReport:
    """Record that the report went to `to` (police, customs, ...); its status is passed_on."""
    report = get_report(session=session, report_id=report_id)
    if report.status is S.CLOSED:
        raise ConflictError("a closed report is not passed on: reopen it first")
    before = audit_view(report)
    report.status, report.passed_on_to, report.closed_at = S.PASSED_ON, to, None
    return _commit(session, report, triager, "staff_report.pass_on", before, note)


def make_incident(
    *, session: Session, report_id: str, body: MakeIncidentIn, triager: Triager
) -> StaffReport:
    """Turn the report into an incident report (never naming the reporter); once only."""
    report = get_report(session=session, report_id=report_id)
    if report.incident_id is not None:
        raise ConflictError(f"this report is already incident {report.incident_id!r}")
    reporter = incidents.Reporter(
        username=triager.username, site_id=triager.site_id, pseudonym_key=triager.pseudonym_key
    )
    narrative = f"Staff report {report.id} at {report.place}:\n{report.what}"
    incident = incidents.create_incident(
        session=session,
        body=IncidentCreate(
            kind=body.kind,
            occurred_at=body.occurred_at or report.occurred_at,
            site_id=report.site_id,
            gate_id=report.gate_id,
            location=report.place,
            narrative=narrative[:4000],
            attachments=[report.photo_sha256] if report.photo_sha256 else [],
            tlp=body.tlp,
        ),
        reporter=reporter,
        file=body.file,
    )
    report = get_report(session=session, report_id=report_id)
    before = audit_view(report)
    report.incident_id = incident.id
    return _commit(session, report, triager, "staff_report.incident", before, None)
