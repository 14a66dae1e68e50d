"""Incident reports: create, update while a draft, file, list and read; every change audited.

A site-bound user reports for their own site only (the session is scoped to it, so another
site's gate, zone or person is simply not found); a site-wide admin names the site.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from central_api.audit.privacy import keyed_hash
from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from central_api.incidents.pseudonym import person_pseudonym
from central_api.incidents.tables import (
    Incident,
    IncidentCreate,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
)
from central_api.incidents.tlp import Tlp
from central_api.models import Company, Gate, Person, Site, Zone

__all__ = [
    "Reporter",
    "audit_view",
    "create_incident",
    "file_incident",
    "get_incident",
    "list_incidents",
    "update_incident",
]


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reports: the user, their site (None: site-wide), the audit actor, the pseudonym key."""

    username: str
    site_id: str | None
    pseudonym_key: bytes
    actor: str = ""

    @property
    def audit_actor(self) -> str:
        """``user:NAME`` unless an actor was given (the CLI's ``cli:OS-USER``)."""
        return self.actor or f"user:{self.username}"


def audit_view(incident: Incident) -> dict[str, Any]:
    """What the audit keeps of a report: the narrative only as a keyed hash."""
    return {
        "kind": str(incident.kind),
        "occurred_at": incident.occurred_at.isoformat(),
        "site_id": incident.site_id,
        "gate_id": incident.gate_id,
        "tlp": str(incident.tlp),
        "status": str(incident.status),
        "company_ids": [c.get("id") for c in incident.companies],
        "persons": len(incident.person_pseudonyms),
        "attachments": len(incident.attachments),
        "narrative": keyed_hash(incident.narrative),
        "source_alarm_id": incident.source_alarm_id,
        "source_event_id": incident.source_event_id,
        "issuer": incident.issuer,
    }


def get_incident(*, session: Session, incident_id: str) -> Incident:
    """The report (within the session's site scope), or NotFoundError."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFoundError(f"incident {incident_id!r} not found")
    return incident


def list_incidents(
    *,
    session: Session,
    kind: IncidentKind | None = None,
    status: IncidentStatus | None = None,
    max_tlp: Tlp | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[Incident]:
    """Reports, newest first, filtered by kind, status, most restrictive label and time."""
    statement = select(Incident).order_by(col(Incident.occurred_at).desc())
    if kind is not None:
        statement = statement.where(Incident.kind == kind)
    if status is not None:
        statement = statement.where(Incident.status == status)
    if max_tlp is not None:
        allowed = [label for label in Tlp if label.within(max_tlp)]
        statement = statement.where(col(Incident.tlp).in_(allowed))
    if since is not None:
        statement = statement.where(Incident.occurred_at >= since)
    if until is not None:
        statement = statement.where(Incident.occurred_at < until)
    return list(session.exec(statement.limit(limit)).all())


def _site_of(session: Session, reporter: Reporter, site_id: str | None) -> str:
    if reporter.site_id is not None and site_id not in (None, reporter.site_id):
        raise ForbiddenError(f"a user of site {reporter.site_id!r} reports for that site only")
    chosen = site_id or reporter.site_id
    if chosen is None:
        raise InvalidError("site_id is required: name the site the incident happened at")
    if session.get(Site, chosen) is None:
        raise InvalidError(f"unknown site {chosen!r}")
    return chosen


def _place(
    session: Session, site_id: str, gate_id: str | None, zone_id: str | None
) -> tuple[str | None, str | None, str]:
    """The gate, the zone (the gate's when not given) and a readable place name."""
    site = session.get(Site, site_id)
    names = [site.name if site is not None else site_id]
    if gate_id is not None:
        gate = session.get(Gate, gate_id)
        if gate is None or gate.site_id != site_id:
            raise InvalidError(f"unknown gate {gate_id!r} at site {site_id!r}")
        zone_id = zone_id or gate.zone_id
        names.append(gate.name)
    if zone_id is not None:
        zone = session.get(Zone, zone_id)
        if zone is None or zone.site_id != site_id:
            raise InvalidError(f"unknown zone {zone_id!r} at site {site_id!r}")
        if gate_id is None:
            names.append(zone.name)
    return gate_id, zone_id, ", ".join(names)


def _companies(session: Session, ids: list[int], names: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for company_id in dict.fromkeys(ids):
        company = session.get(Company, company_id)
        if company is None:
            raise InvalidError(f"unknown company id {company_id}")
        found.append({"id": company.id, "name": company.name})
    known = {c["name"] for c in found}
    found.extend({"id": None, "name": name} for name in dict.fromkeys(names) if name not in known)
    return found


def _pseudonyms(
    session: Session, reporter: Reporter, person_ids: list[str], given: list[str]
) -> list[str]:
    for person_id in person_ids:
        if session.get(Person, person_id) is None:
            raise InvalidError(f"unknown person {person_id!r}")
    made = [person_pseudonym(reporter.pseudonym_key, p) for p in person_ids]
    return list(dict.fromkeys([*made, *given]))


def create_incident(
    *, session: Session, body: IncidentCreate, reporter: Reporter, file: bool = False
) -> Incident:
    """Store a new report (a draft, or filed at once with `file`), audited."""
    if body.issuer is not None or body.external_ref is not None:
        raise InvalidError("issuer and external_ref are set by imports only")
    site_id = _site_of(session, reporter, body.site_id)
    gate_id, zone_id, place = _place(session, site_id, body.gate_id, body.zone_id)
    now = utc_now()
    incident = Incident(
        id=f"inc-{secrets.token_hex(6)}",
        kind=body.kind,
        occurred_at=body.occurred_at,
        site_id=site_id,
        gate_id=gate_id,
        zone_id=zone_id,
        location=body.location or place,
        companies=_companies(session, body.company_ids, body.company_names),
        person_pseudonyms=_pseudonyms(session, reporter, body.person_ids, body.person_pseudonyms),
        narrative=body.narrative,
        attachments=list(dict.fromkeys(body.attachments)),
        tlp=body.tlp,
        source_alarm_id=body.source_alarm_id,
        source_event_id=body.source_event_id,
        status=IncidentStatus.FILED if file else IncidentStatus.DRAFT,
        created_by=reporter.username,
        created_at=now,
        updated_at=now,
        filed_by=reporter.username if file else None,
        filed_at=now if file else None,
    )
    commit_audited(
        session,
        actor=reporter.audit_actor,
        action="incident.file" if file else "incident.create",
        target=f"incident:{incident.id}",
        after=audit_view(incident),
        rows=[incident],
    )
    session.refresh(incident)
    return incident


def _draft(session: Session, incident_id: str) -> Incident:
    incident = get_incident(session=session, incident_id=incident_id)
    if incident.status is not IncidentStatus.DRAFT:
        raise ConflictError(f"incident {incident_id!r} is {incident.status}: only a draft changes")
    return incident


def update_incident(
    *, session: Session, incident_id: str, body: IncidentUpdate, reporter: Reporter
) -> Incident:
    """Change a draft (only the fields given), audited; a filed report is refused (409)."""
    incident = _draft(session, incident_id)
    before = audit_view(incident)
    given = body.model_dump(exclude_unset=True)
    if "gate_id" in given or "zone_id" in given:
        assert incident.site_id is not None  # noqa: S101 (drafts are always local)
        gate_id, zone_id, place = _place(
            session,
            incident.site_id,
            given.get("gate_id", incident.gate_id),
            given.get("zone_id", incident.zone_id if "gate_id" not in given else None),
        )
        incident.gate_id, incident.zone_id = gate_id, zone_id
        incident.location = given.get("location") or place
    elif "location" in given:
        incident.location = body.location
    for name in ("kind", "occurred_at", "narrative", "tlp"):
        if given.get(name) is not None:
            setattr(incident, name, getattr(body, name))
    if body.attachments is not None:
        incident.attachments = list(dict.fromkeys(body.attachments))
    if body.company_ids is not None:
        incident.companies = _companies(session, body.company_ids, [])
    if body.person_ids is not None:
        incident.person_pseudonyms = _pseudonyms(session, reporter, body.person_ids, [])
    incident.updated_at = utc_now()
    commit_audited(
        session,
        actor=reporter.audit_actor,
        action="incident.update",
        target=f"incident:{incident.id}",
        before=before,
        after=audit_view(incident),
        rows=[incident],
    )
    session.refresh(incident)
    return incident


def file_incident(*, session: Session, incident_id: str, reporter: Reporter) -> Incident:
    """File a draft: from now on it is final and may be shared under its label."""
    incident = _draft(session, incident_id)
    before = audit_view(incident)
    incident.status = IncidentStatus.FILED
    incident.filed_by = reporter.username
    incident.filed_at = incident.updated_at = utc_now()
    commit_audited(
        session,
        actor=reporter.audit_actor,
        action="incident.file",
        target=f"incident:{incident.id}",
        before=before,
        after=audit_view(incident),
        rows=[incident],
    )
    session.refresh(incident)
    return incident
