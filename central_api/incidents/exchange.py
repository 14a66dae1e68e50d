"""STIX exports and imports with their audit row: what went out or came in, under which label.

An export holds filed reports of this installation only (a report received from another
issuer is theirs to pass on), at most as restrictive as the label asked for. An import
stores every report of the bundle or none, each once (`external_ref`, the report's STIX
id), as filed reports of the issuer; the site is left empty, so only site-wide users and
the authority see them.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.incidents.shared import incident_from_shared_body
from central_api.incidents.stix_export import Coordinates, export_bundle
from central_api.incidents.stix_import import incidents_from_bundle
from central_api.incidents.store import audit_view
from central_api.incidents.tables import Incident, IncidentCreate, IncidentStatus
from central_api.incidents.tlp import Tlp
from central_api.models import Gate

__all__ = [
    "ImportResult",
    "apply_shared_incident",
    "export_stix",
    "import_stix",
    "note_shown",
    "received_incident",
]


@dataclass
class ImportResult:
    """What an import stored (new report ids) and left out (STIX ids already here)."""

    stored: list[str] = field(default_factory=list)
    already_here: list[str] = field(default_factory=list)


def _coordinates(session: Session, incidents: list[Incident]) -> dict[str, Coordinates]:
    gate_ids = {i.gate_id for i in incidents if i.gate_id}
    gates = session.exec(select(Gate).where(col(Gate.id).in_(gate_ids))).all()
    return {
        g.id: (g.latitude, g.longitude)
        for g in gates
        if g.latitude is not None and g.longitude is not None
    }


def export_stix(
    session: Session,
    *,
    organisation: str,
    recipient: str,
    actor: str,
    max_tlp: Tlp = Tlp.AMBER,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """The STIX 2.1 bundle (JSON text) of the filed local reports in range; audited."""
    statement = select(Incident).where(
        Incident.status == IncidentStatus.FILED,
        col(Incident.issuer).is_(None),
        col(Incident.tlp).in_([label for label in Tlp if label.within(max_tlp)]),
    )
    if since is not None:
        statement = statement.where(Incident.occurred_at >= since)
    if until is not None:
        statement = statement.where(Incident.occurred_at < until)
    incidents = list(session.exec(statement.order_by(col(Incident.occurred_at))).all())
    bundle = export_bundle(
        incidents, organisation=organisation, coordinates=_coordinates(session, incidents)
    )
    append_audit(
        session=session,
        actor=actor,
        action="incident.export_stix",
        target=f"recipient:{recipient}"[:128],
        after={
            "to": recipient,
            "max_tlp": str(max_tlp),
            "tlps": sorted({str(i.tlp) for i in incidents}),
            "incidents": [i.id for i in incidents],
            "bundle": bundle.id,
        },
    )
    session.commit()
    text: str = bundle.serialize(pretty=True)
    return text


def received_incident(body: IncidentCreate, *, actor: str) -> Incident:
    """The row of a report received from another issuer (filed, no local site)."""
    now = utc_now()
    return Incident(
        id=f"inc-{secrets.token_hex(6)}",
        kind=body.kind,
        occurred_at=body.occurred_at,
        location=body.location,
        companies=[{"id": None, "name": name} for name in dict.fromkeys(body.company_names)],
        person_pseudonyms=list(dict.fromkeys(body.person_pseudonyms)),
        narrative=body.narrative,
        attachments=list(dict.fromkeys(body.attachments)),
        tlp=body.tlp,
        status=IncidentStatus.FILED,
        created_by=actor,
        created_at=now,
        updated_at=now,
        filed_by=actor,
        filed_at=now,
        issuer=body.issuer,
        external_ref=body.external_ref,
    )


def import_stix(session: Session, text: str, *, source: str, actor: str) -> ImportResult:
    """Store the reports of a STIX bundle (all or none), each once; audited.

    Raises:
        InvalidError: The bundle is refused (`stix_import.incidents_from_bundle`).
    """
    reports = incidents_from_bundle(text)
    refs = [r.external_ref for r in reports]
    known = set(
        session.exec(select(Incident.external_ref).where(col(Incident.external_ref).in_(refs)))
    )
    result = ImportResult()
    for body in reports:
        if body.external_ref in known:
            result.already_here.append(str(body.external_ref))
            continue
        known.add(body.external_ref)
        row = received_incident(body, actor=actor)
        session.add(row)
        append_audit(
            session=session,
            actor=actor,
            action="incident.import",
            target=f"incident:{row.id}",
            after=audit_view(row),
        )
        result.stored.append(row.id)
    summary: dict[str, Any] = {
        "from": source,
        "stored": result.stored,
        "already_here": result.already_here,
        "tlps": sorted({str(r.tlp) for r in reports}),
    }
    append_audit(
        session=session,
        actor=actor,
        action="incident.import_stix",
        target=f"source:{source}"[:128],
        after=summary,
    )
    session.commit()
    return result


def apply_shared_incident(
    session: Session, body: dict[str, Any], *, issuer: str, actor: str, commit: bool = True
) -> Incident | None:
    """Store a report another member shared (the sharing room's applier for kind incident).

    Audited (``incident.receive``, naming the issuer); a report already here (the same
    issuer and id) stores nothing and answers None. With `commit` False it is only
    flushed: the sharing room's receiver commits it with the item (a feed page at once).

    Raises:
        InvalidError: The body is not a valid incident (nothing stored).
    """
    create = incident_from_shared_body(body, issuer)
    known = session.exec(select(Incident).where(Incident.external_ref == create.external_ref))
    if known.first() is not None:
        return None
    row = received_incident(create, actor=actor)
    session.add(row)
    append_audit(
        session=session,
        actor=actor,
        action="incident.receive",
        target=f"incident:{row.id}",
        after=audit_view(row),
    )
    if not commit:
        session.flush()
        return row
    session.commit()
    session.refresh(row)
    return row


def note_shown(session: Session, incidents: list[Incident], *, actor: str) -> None:
    """Audit that reports received from other members were shown to `actor` (commits).

    One row per answer that holds any (``incident.show``: their ids and issuers), so the
    installation can say who saw what the community shared, under which label.
    """
    received = [i for i in incidents if i.issuer]
    if not received:
        return
    append_audit(
        session=session,
        actor=actor,
        action="incident.show",
        target=f"incident:{received[0].id}" if len(received) == 1 else "incidents:received",
        after={
            "incidents": [i.id for i in received][:50],
            "issuers": sorted({str(i.issuer) for i in received}),
            "tlp": sorted({str(i.tlp) for i in received}),
            "count": len(received),
        },
    )
    session.commit()
