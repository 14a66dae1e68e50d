"""Incident reports from a STIX 2.1 bundle: checked by `stix2`, then by PortGate's own rules.

Every incident must carry exactly one TLP 2.0 marking (the OASIS ids,
`stix_markings.TLP2_MARKING_IDS`); a marking PortGate does not know (TLP 1.0's, a
statement, anything else) is refused by name, because a report whose sharing rule is not
understood must not be stored as if it had one. The whole bundle is read before anything
is stored: one bad object and nothing is.

Reports made elsewhere (MISP, OpenCTI) lack PortGate's extension: the kind is then read
from the labels (else ``other``), the time from a related observed-data (else the
incident's ``created``).
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import stix2
from pydantic import ValidationError

from central_api.errors import InvalidError
from central_api.incidents.stix_markings import (
    PORTGATE_EXTENSION_ID,
    TLP2_EXTENSION_ID,
    tlp_of_marking,
)
from central_api.incidents.tables import IncidentCreate, IncidentKind
from central_api.incidents.tlp import Tlp

__all__ = ["MAX_BUNDLE_BYTES", "incidents_from_bundle"]

MAX_BUNDLE_BYTES = 16 * 1024 * 1024
_KINDS = {kind.value for kind in IncidentKind}


def _parse(text: str) -> Any:
    if len(text.encode()) > MAX_BUNDLE_BYTES:
        raise InvalidError(f"STIX bundle over {MAX_BUNDLE_BYTES} bytes")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise InvalidError(f"not a STIX bundle: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidError("not a STIX bundle: the top-level object's type must be 'bundle'")
    try:
        return stix2.parse(data, allow_custom=False)
    except Exception as error:  # stix2 raises many kinds of error: each is a bad bundle
        raise InvalidError(f"malformed STIX 2.1 bundle: {error}") from None


def _check_markings(objects: Mapping[str, Any]) -> None:
    """Refuse a TLP 2.0 id whose definition in the bundle says another level."""
    for obj in objects.values():
        if obj.type != "marking-definition":
            continue
        tlp = tlp_of_marking(obj.id)
        extension = (obj.get("extensions") or {}).get(TLP2_EXTENSION_ID)
        if tlp is None:
            continue
        level = None if extension is None else extension.get("tlp_2_0")
        if level != tlp.value.removeprefix("TLP:").lower():
            raise InvalidError(f"marking {obj.id} is {tlp} by id but says {level!r}")


def _tlp_of(incident: Any) -> Tlp:
    refs = list(incident.get("object_marking_refs") or [])
    labels = []
    for ref in refs:
        tlp = tlp_of_marking(ref)
        if tlp is None:
            raise InvalidError(
                f"incident {incident.id}: unknown marking {ref}: only the TLP 2.0 marking "
                "definitions (OASIS tlp-2.0 extension) are understood"
            )
        labels.append(tlp)
    if len(labels) != 1:
        raise InvalidError(
            f"incident {incident.id}: needs exactly one TLP 2.0 marking (has {len(labels)})"
        )
    return labels[0]


def _targets(incident_id: str, objects: Mapping[str, Any], kind: str) -> list[Any]:
    found = []
    for obj in objects.values():
        if obj.type == "relationship" and obj.source_ref == incident_id:
            target = objects.get(obj.target_ref)
            if target is not None and target.type == kind:
                found.append(target)
    return found


def _attachments(incident_id: str, objects: Mapping[str, Any]) -> tuple[list[str], Any]:
    hashes: list[str] = []
    first_seen = None
    for seen in _targets(incident_id, objects, "observed-data"):
        first_seen = first_seen or seen.first_observed
        for ref in seen.get("object_refs") or []:
            sco = objects.get(ref)
            if sco is not None and sco.type == "file" and "SHA-256" in (sco.get("hashes") or {}):
                hashes.append(str(sco.hashes["SHA-256"]).lower())
    return hashes, first_seen


def _report(incident: Any, objects: Mapping[str, Any]) -> IncidentCreate:
    own: Mapping[str, Any] = (incident.get("extensions") or {}).get(PORTGATE_EXTENSION_ID) or {}
    labelled = [label for label in incident.get("labels") or [] if label in _KINDS]
    attachments, first_seen = _attachments(incident.id, objects)
    places = _targets(incident.id, objects, "location")
    creator = objects.get(incident.get("created_by_ref") or "")
    occurred: datetime | str = own.get("occurred_at") or first_seen or incident.created
    try:
        return IncidentCreate(
            kind=own.get("kind") or (labelled[0] if labelled else IncidentKind.OTHER),
            occurred_at=occurred,  # type: ignore[arg-type]
            location=own.get("location") or (places[0].get("name") if places else None),
            company_names=[c.name for c in _targets(incident.id, objects, "identity")],
            person_pseudonyms=list(own.get("person_pseudonyms") or []),
            narrative=incident.get("description") or incident.name,
            attachments=attachments,
            tlp=_tlp_of(incident),
            issuer=creator.name if creator is not None else incident.get("created_by_ref"),
            external_ref=incident.id,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidError(f"incident {incident.id}: {where}: {first['msg']}") from None


def incidents_from_bundle(text: str) -> list[IncidentCreate]:
    """The incident reports of a STIX 2.1 bundle (JSON text), all validated, none stored.

    Raises:
        InvalidError: Not JSON, not a valid STIX 2.1 bundle, an unknown or missing TLP
            marking, or a report PortGate cannot hold (the message says which and why).
    """
    bundle = _parse(text)
    objects = {obj.id: obj for obj in bundle.get("objects") or []}
    _check_markings(objects)
    reports = [_report(obj, objects) for obj in objects.values() if obj.type == "incident"]
    if not reports:
        raise InvalidError("the STIX bundle holds no incident")
    return reports
