"""Incident reports as one STIX 2.1 bundle (the `stix2` library builds and checks each object).

Per report: an ``incident`` (name, narrative as description, the kind as a label, the
report's id as an external reference, PortGate's property extension for when, where and
the pseudonyms), a ``location`` where the gate's coordinates are known (``located-at``),
an ``identity`` per involved company (``related-to``), an ``observed-data`` of ``file``
objects that carry only the attachments' SHA-256 hashes (``related-to``). Each of them is
marked with the report's TLP 2.0 marking; the reporting organisation's ``identity`` is the
creator of them all.
"""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import stix2

from central_api.incidents.stix_markings import (
    NAMESPACE,
    PORTGATE_EXTENSION_ID,
    portgate_extension,
    portgate_identity,
    tlp2_marking,
)
from central_api.incidents.tables import Incident
from central_api.incidents.tlp import Tlp

__all__ = ["Coordinates", "export_bundle", "reporter_identity"]

Coordinates = tuple[float, float]
V21 = stix2.v21


def _sid(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '/'.join((kind, *parts)))}"


def reporter_identity(organisation: str) -> Any:
    """The reporting organisation (one id per name, so every export names it the same)."""
    return V21.Identity(
        id=_sid("identity", "organisation", organisation),
        name=organisation,
        identity_class="organization",
        created="2026-01-01T00:00:00.000Z",
        modified="2026-01-01T00:00:00.000Z",
    )


def _incident_sdo(incident: Incident, reporter: Any, marking: str) -> Any:
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "kind": str(incident.kind),
        "occurred_at": incident.occurred_at.isoformat(),
        "status": str(incident.status),
        "person_pseudonyms": list(incident.person_pseudonyms),
    }
    if incident.location:
        extension["location"] = incident.location
    return V21.Incident(
        id=_sid("incident", reporter.id, incident.id),
        created_by_ref=reporter.id,
        created=incident.created_at,
        modified=incident.updated_at,
        name=f"{incident.kind} at {incident.location or incident.site_id or 'a port gate'}",
        description=incident.narrative,
        labels=[str(incident.kind)],
        external_references=[{"source_name": "portgate", "external_id": incident.id}],
        object_marking_refs=[marking],
        extensions={PORTGATE_EXTENSION_ID: extension},
    )


def _related(sdo: Any, target: Any, kind: str, marking: str, reporter: Any, what: str) -> Any:
    return V21.Relationship(
        id=_sid("relationship", sdo.id, kind, target.id),
        created_by_ref=reporter.id,
        created=sdo.created,
        modified=sdo.modified,
        relationship_type=kind,
        source_ref=sdo.id,
        target_ref=target.id,
        description=what,
        object_marking_refs=[marking],
    )


def _report_objects(
    incident: Incident, reporter: Any, coordinates: Coordinates | None
) -> list[Any]:
    marking = tlp2_marking(incident.tlp).id
    sdo = _incident_sdo(incident, reporter, marking)
    objects: list[Any] = [sdo]
    common = {"created_by_ref": reporter.id, "object_marking_refs": [marking]}
    if coordinates is not None:
        place = V21.Location(
            id=_sid("location", sdo.id),
            name=incident.location or incident.gate_id or "gate",
            latitude=coordinates[0],
            longitude=coordinates[1],
            created=sdo.created,
            modified=sdo.modified,
            **common,
        )
        objects += [place, _related(sdo, place, "located-at", marking, reporter, "where")]
    for company in incident.companies:
        name = str(company["name"])
        org = V21.Identity(
            id=_sid("identity", sdo.id, "company", name),
            name=name,
            identity_class="organization",
            created=sdo.created,
            modified=sdo.modified,
            **common,
        )
        objects += [org, _related(sdo, org, "related-to", marking, reporter, "involved company")]
    if incident.attachments:
        files = [
            V21.File(hashes={"SHA-256": digest}, object_marking_refs=[marking])
            for digest in incident.attachments
        ]
        seen = V21.ObservedData(
            id=_sid("observed-data", sdo.id),
            first_observed=incident.occurred_at,
            last_observed=incident.occurred_at,
            number_observed=1,
            object_refs=[f.id for f in files],
            created=sdo.created,
            modified=sdo.modified,
            **common,
        )
        objects += [
            *files,
            seen,
            _related(sdo, seen, "related-to", marking, reporter, "attachments"),
        ]
    return objects


def export_bundle(
    incidents: Iterable[Incident],
    *,
    organisation: str,
    coordinates: Mapping[str, Coordinates] | None = None,
) -> Any:
    """One STIX 2.1 bundle of `incidents`, reported by `organisation`.

    `coordinates` maps a gate id to its (latitude, longitude) where known.
    """
    reporter = reporter_identity(organisation)
    objects: list[Any] = [portgate_identity(), portgate_extension(), reporter]
    labels: set[Tlp] = set()
    for incident in incidents:
        labels.add(Tlp(incident.tlp))
        where = (coordinates or {}).get(incident.gate_id or "")
        objects.extend(_report_objects(incident, reporter, where))
    markings = [tlp2_marking(label) for label in sorted(labels, key=lambda t: t.rank)]
    return V21.Bundle(*markings, *objects)
