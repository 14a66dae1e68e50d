"""Triage of staff reports: a site's security desk and operators, the port authority for all.

Cookie callers (the dashboard page) pass the one CSRF rule like every other state change.
"""

from typing import Annotated

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from central_api.deps import SessionDep, SettingsDep
from central_api.errors import ConflictError, NotFoundError
from central_api.incidents.pseudonym import pseudonym_key
from central_api.models import Role
from central_api.routes.params import IdPath
from central_api.security.auth import UserPrincipal, require_role
from central_api.staff_reports import triage
from central_api.staff_reports.photos import open_photo, report_photo_key
from central_api.staff_reports.tables import (
    MakeIncidentIn,
    PassOnIn,
    ReplyIn,
    StaffReportPublic,
    StaffReportStatus,
    StatusChangeIn,
)

__all__ = ["TriageUser", "router"]

router = APIRouter(prefix="/api/v1/staff-reports", tags=["staff reports"])
TriageUser = Annotated[
    UserPrincipal,
    Depends(require_role(Role.SECURITY_DESK, Role.OPERATOR, Role.AUTHORITY)),
]


def _triager(user: UserPrincipal, settings: SettingsDep) -> triage.Triager:
    return triage.Triager(
        username=user.username, site_id=user.site_id, pseudonym_key=pseudonym_key(settings)
    )


@router.get("", response_model=list[StaffReportPublic])
def list_reports(
    session: SessionDep,
    user: TriageUser,
    status: StaffReportStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[StaffReportPublic]:
    """The triage queue of the caller's site (every site for the authority), newest first."""
    reports = triage.list_reports(session=session, status=status, limit=limit)
    return [triage.public_view(session, r, messages=False) for r in reports]


@router.get("/{report_id}", response_model=StaffReportPublic)
def get_report(report_id: IdPath, session: SessionDep, user: TriageUser) -> StaffReportPublic:
    """One report with its thread."""
    report = triage.get_report(session=session, report_id=report_id)
    return triage.public_view(session, report)


@router.get("/{report_id}/photo", response_class=Response)
def get_photo(
    report_id: IdPath, session: SessionDep, settings: SettingsDep, user: TriageUser
) -> Response:
    """The report's photo (a JPEG without metadata)."""
    report = triage.get_report(session=session, report_id=report_id)
    if report.photo_nonce is None or report.photo_ciphertext is None:
        raise NotFoundError(f"staff report {report_id!r} has no photo")
    try:
        jpeg = open_photo(
            key=report_photo_key(settings),
            report_id=report.id,
            nonce=report.photo_nonce,
            ciphertext=report.photo_ciphertext,
        )
    except InvalidTag:
        raise ConflictError("the photo does not decrypt with this installation's key") from None
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/{report_id}/status", response_model=StaffReportPublic)
def change_status(
    report_id: IdPath,
    body: StatusChangeIn,
    session: SessionDep,
    settings: SettingsDep,
    user: TriageUser,
) -> StaffReportPublic:
    """Move the report along the queue (new, in progress, closed), with an optional note."""
    report = triage.change_status(
        session=session,
        report_id=report_id,
        status=body.status,
        note=body.note,
        triager=_triager(user, settings),
    )
    return triage.public_view(session, report)


@router.post("/{report_id}/reply", response_model=StaffReportPublic)
def reply(
    report_id: IdPath, body: ReplyIn, session: SessionDep, settings: SettingsDep, user: TriageUser
) -> StaffReportPublic:
    """A reply the reporter reads with their code."""
    report = triage.reply(
        session=session, report_id=report_id, body=body.body, triager=_triager(user, settings)
    )
    return triage.public_view(session, report)


@router.post("/{report_id}/pass-on", response_model=StaffReportPublic)
def pass_on(
    report_id: IdPath, body: PassOnIn, session: SessionDep, settings: SettingsDep, user: TriageUser
) -> StaffReportPublic:
    """Pass the report on (to police, customs, ...): recorded with to whom."""
    report = triage.pass_on(
        session=session,
        report_id=report_id,
        to=body.to,
        note=body.note,
        triager=_triager(user, settings),
    )
    return triage.public_view(session, report)


@router.post("/{report_id}/incident", response_model=StaffReportPublic, status_code=201)
def make_incident(
    report_id: IdPath,
    body: MakeIncidentIn,
    session: SessionDep,
    settings: SettingsDep,
    user: TriageUser,
) -> StaffReportPublic:
    """Turn the report into an incident report (shareable once filed); once per report."""
    report = triage.make_incident(
        session=session, report_id=report_id, body=body, triager=_triager(user, settings)
    )
    return triage.public_view(session, report)
