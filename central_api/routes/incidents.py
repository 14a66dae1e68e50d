"""Incident reports: a site's operators and admins report, the port authority reads them all.

The dashboard's "Report incident" (on an alarm or an event) asks `prefill` and posts the
form back with `file=true`: two clicks from the alarm to a filed report. Cookie callers
pass the one CSRF rule like every other state change.
"""

from typing import Annotated

from fastapi import APIRouter, Query

from central_api.deps import SessionDep, SettingsDep
from central_api.incidents import store
from central_api.incidents.exchange import note_shown
from central_api.incidents.prefill import prefill
from central_api.incidents.pseudonym import pseudonym_key
from central_api.incidents.tables import (
    Incident,
    IncidentCreate,
    IncidentKind,
    IncidentPublic,
    IncidentStatus,
    IncidentTime,
    IncidentUpdate,
)
from central_api.incidents.tlp import TlpLabel
from central_api.routes.params import IdPath, IdQuery
from central_api.security.auth import OperatorUser, UserPrincipal, WatchUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


def _reporter(user: UserPrincipal, settings: SettingsDep) -> store.Reporter:
    return store.Reporter(
        username=user.username, site_id=user.site_id, pseudonym_key=pseudonym_key(settings)
    )


@router.get("", response_model=list[IncidentPublic])
def list_incidents(
    session: SessionDep,
    user: WatchUser,
    kind: IncidentKind | None = None,
    status: IncidentStatus | None = None,
    tlp: Annotated[TlpLabel | None, Query(description="the most restrictive label shown")] = None,
    since: IncidentTime | None = None,
    until: IncidentTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Incident]:
    """Reports of the caller's site (every site for the authority), newest first."""
    found = store.list_incidents(
        session=session,
        kind=kind,
        status=status,
        max_tlp=tlp,
        since=since,
        until=until,
        limit=limit,
    )
    note_shown(session, found, actor=f"user:{user.username}")
    return found


@router.get("/prefill", response_model=IncidentCreate)
def prefill_incident(
    session: SessionDep,
    settings: SettingsDep,
    user: OperatorUser,
    alarm_id: IdQuery = None,
    event_id: IdQuery = None,
) -> IncidentCreate:
    """A draft report from an alarm or an event (not stored): kind, when, where, who."""
    return prefill(
        session=session, key=pseudonym_key(settings), alarm_id=alarm_id, event_id=event_id
    )


@router.post("", response_model=IncidentPublic, status_code=201)
def create_incident(
    body: IncidentCreate,
    session: SessionDep,
    settings: SettingsDep,
    user: OperatorUser,
    file: bool = False,
) -> Incident:
    """Report an incident at the caller's site: a draft, or filed at once with `file`."""
    return store.create_incident(
        session=session, body=body, reporter=_reporter(user, settings), file=file
    )


@router.get("/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: IdPath, session: SessionDep, user: WatchUser) -> Incident:
    """One report (one received from another member is audited as shown)."""
    found = store.get_incident(session=session, incident_id=incident_id)
    note_shown(session, [found], actor=f"user:{user.username}")
    return found


@router.patch("/{incident_id}", response_model=IncidentPublic)
def update_incident(
    incident_id: IdPath,
    body: IncidentUpdate,
    session: SessionDep,
    settings: SettingsDep,
    user: OperatorUser,
) -> Incident:
    """Change a draft; a filed report is final (409)."""
    return store.update_incident(
        session=session, incident_id=incident_id, body=body, reporter=_reporter(user, settings)
    )


@router.post("/{incident_id}/file", response_model=IncidentPublic)
def file_incident(
    incident_id: IdPath, session: SessionDep, settings: SettingsDep, user: OperatorUser
) -> Incident:
    """File a draft: final from now on, and shareable under its TLP label."""
    return store.file_incident(
        session=session, incident_id=incident_id, reporter=_reporter(user, settings)
    )
