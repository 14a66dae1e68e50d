"""The reporter's side: send a report, read its status and replies with the code, write back.

No request detail reaches a report: the routes hand this module the form's fields and
nothing of the request (address, user agent, cookies). The audit row of a new report
says which site and gate, and keeps the text only as a keyed hash; its actor is
``anonymous`` whether or not a name was given.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from gate_protocol.text import refuse_unsafe_name, refuse_unsafe_text
from pydantic import AfterValidator, StringConstraints
from sqlmodel import Session, SQLModel, col, select

from central_api.audit.privacy import keyed_hash
from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import InvalidError, NotFoundError
from central_api.incidents.tables import IncidentTime
from central_api.models import Gate, Site
from central_api.staff_reports.codes import code_hash, new_code, normalise_code
from central_api.staff_reports.photos import seal_photo
from central_api.staff_reports.tables import (
    MAX_WHAT,
    FollowUpView,
    MessageAuthor,
    MessageView,
    StaffReport,
    StaffReportMessage,
    StaffReportSign,
    StaffReportStatus,
)

__all__ = [
    "ANONYMOUS",
    "NO_SUCH_CODE",
    "NewReport",
    "ReportIn",
    "add_reporter_message",
    "audit_view",
    "follow_up",
    "resolve_sign",
    "submit_report",
    "thread",
]

ANONYMOUS = "anonymous"
# A phone's clock may run a little ahead of the server's.
_CLOCK_SLACK = timedelta(minutes=10)
# One answer for a wrong, malformed or purged code: nothing tells them apart.
NO_SUCH_CODE = "no report for this code"
Short = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(refuse_unsafe_name),
]


class ReportIn(SQLModel):
    """The report form's fields, checked (the photo travels apart)."""

    what: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_WHAT),
        AfterValidator(refuse_unsafe_text),
    ]
    when: IncidentTime
    where: Short | None = None
    name: Annotated[Short, StringConstraints(max_length=120)] | None = None
    contact: Short | None = None


@dataclass(frozen=True, slots=True)
class NewReport:
    """A stored report and its follow-up code (shown once, kept nowhere)."""

    report: StaffReport
    code: str


def audit_view(report: StaffReport) -> dict[str, Any]:
    """What the audit keeps of a report: where, status, texts only as keyed hashes."""
    return {
        "site_id": report.site_id,
        "gate_id": report.gate_id,
        "status": str(report.status),
        "what": keyed_hash(report.what),
        "photo": report.photo_sha256,
        "named": report.reporter_name is not None or report.reporter_contact is not None,
        "assigned_to": report.assigned_to,
        "passed_on_to": report.passed_on_to,
        "incident_id": report.incident_id,
    }


def resolve_sign(*, session: Session, site_id: str, token: str) -> tuple[StaffReportSign, str]:
    """A sign in use at `site_id` and its gate's name, or NotFoundError."""
    sign = session.get(StaffReportSign, token)
    if sign is None or sign.site_id != site_id or sign.retired_at is not None:
        raise NotFoundError("this report sign is not in use: scan the sign at the gate again")
    gate = session.get(Gate, sign.gate_id)
    return sign, (gate.name if gate is not None else "") or sign.gate_id


def _place(
    session: Session, site_id: str, sign_token: str | None, where: str | None
) -> tuple[str | None, str]:
    if sign_token:
        sign, gate_name = resolve_sign(session=session, site_id=site_id, token=sign_token)
        return sign.gate_id, f"{gate_name}: {where}" if where else gate_name
    if session.get(Site, site_id) is None:
        raise NotFoundError(f"unknown site {site_id!r}")
    if where is None:
        raise InvalidError("say where it happened (a gate, a quay, a building)")
    return None, where


def submit_report(
    *,
    session: Session,
    key: bytes,
    photo_key: bytes,
    site_id: str,
    sign_token: str | None,
    body: ReportIn,
    photo: bytes | None,
    now: datetime | None = None,
) -> NewReport:
    """Store a new report (with its photo sealed), audited; returns it with its code."""
    at = now or utc_now()
    if body.when > at + _CLOCK_SLACK:
        raise InvalidError("'when' is in the future: say when it happened")
    gate_id, place = _place(session, site_id, sign_token, body.where)
    code = new_code()
    report = StaffReport(
        id=f"sr-{secrets.token_hex(6)}",
        site_id=site_id,
        gate_id=gate_id,
        place=place[:200],
        what=body.what,
        occurred_at=body.when,
        received_at=at,
        reporter_name=body.name,
        reporter_contact=body.contact,
        code_hash=code_hash(key, normalise_code(code) or ""),
        updated_at=at,
    )
    if photo is not None:
        nonce, sealed, digest = seal_photo(key=photo_key, report_id=report.id, jpeg=photo)
        report.photo_nonce, report.photo_ciphertext, report.photo_sha256 = nonce, sealed, digest
    commit_audited(
        session,
        actor=ANONYMOUS,
        action="staff_report.submit",
        target=f"staff_report:{report.id}",
        after=audit_view(report),
        rows=[report],
    )
    session.refresh(report)
    return NewReport(report=report, code=code)


def _by_code(session: Session, key: bytes, code: str) -> StaffReport:
    normal = normalise_code(code)
    digest = code_hash(key, normal or "")
    report = session.exec(select(StaffReport).where(StaffReport.code_hash == digest)).first()
    if report is None or normal is None:
        raise NotFoundError(NO_SUCH_CODE)
    return report


def thread(session: Session, report_id: str) -> list[StaffReportMessage]:
    """A report's messages, oldest first."""
    return list(
        session.exec(
            select(StaffReportMessage)
            .where(StaffReportMessage.report_id == report_id)
            .order_by(col(StaffReportMessage.created_at), col(StaffReportMessage.id))
        ).all()
    )


def follow_up(*, session: Session, key: bytes, code: str) -> FollowUpView:
    """The status and thread of the report of `code`, or NotFoundError (404)."""
    report = _by_code(session, key, code)
    return FollowUpView(
        status=report.status,
        place=report.place,
        what=report.what,
        occurred_at=report.occurred_at,
        received_at=report.received_at,
        has_photo=report.photo_ciphertext is not None,
        messages=[
            MessageView(author=m.author, body=m.body, created_at=m.created_at)
            for m in thread(session, report.id)
        ],
    )


def add_reporter_message(*, session: Session, key: bytes, code: str, body: str) -> FollowUpView:
    """Add the reporter's message to their report's thread (audited by hash); its new view."""
    report = _by_code(session, key, code)
    if report.status is StaffReportStatus.CLOSED:
        raise InvalidError("this report is closed: send a new report instead")
    message = StaffReportMessage(report_id=report.id, author=MessageAuthor.REPORTER, body=body)
    report.updated_at = utc_now()
    commit_audited(
        session,
        actor=ANONYMOUS,
        action="staff_report.reporter_message",
        target=f"staff_report:{report.id}",
        after={"message": keyed_hash(body)},
        rows=[message, report],
    )
    return follow_up(session=session, key=key, code=code)
