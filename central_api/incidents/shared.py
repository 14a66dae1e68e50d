"""An incident as the body of a community shared item, and back (pure, no database).

The sharing room (`central_api/community/`) signs and sends bodies and hands received
ones to an applier by kind; these two functions are what it calls for kind ``incident``.
A body carries what the other installations may know: names, not this installation's
ids; pseudonyms, which they can only compare with other reports of the same issuer.
"""

import hashlib
from datetime import datetime
from typing import Any

from gate_protocol.ids import Id
from pydantic import ConfigDict, Field, ValidationError
from sqlmodel import SQLModel

from central_api.errors import InvalidError
from central_api.incidents.tables import (
    CompanyName,
    Incident,
    IncidentCreate,
    IncidentKind,
    IncidentTime,
    Narrative,
    PlaceName,
    Pseudonym,
    Sha256Hex,
)
from central_api.incidents.tlp import TlpLabel

__all__ = [
    "SHARED_KIND",
    "SharedIncidentBody",
    "incident_from_shared_body",
    "incident_to_shared_body",
    "shared_external_ref",
]

SHARED_KIND = "incident"
SCHEMA = "portgate.incident/1"


class SharedIncidentBody(SQLModel):
    """The body of a shared incident: strict, so a field this version does not know fails."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    schema_: str = Field(alias="schema", pattern=r"^portgate\.incident/1$")
    ref: Id
    kind: IncidentKind
    occurred_at: IncidentTime
    location: PlaceName | None = None
    companies: list[CompanyName] = Field(default_factory=list, max_length=50)
    person_pseudonyms: list[Pseudonym] = Field(default_factory=list, max_length=50)
    narrative: Narrative
    attachments: list[Sha256Hex] = Field(default_factory=list, max_length=20)
    tlp: TlpLabel


def incident_to_shared_body(incident: Incident) -> dict[str, Any]:
    """The JSON body that shares `incident` (its TLP label travels with it)."""
    occurred: datetime = incident.occurred_at
    return {
        "schema": SCHEMA,
        "ref": incident.id,
        "kind": str(incident.kind),
        "occurred_at": occurred.isoformat(),
        "location": incident.location,
        "companies": [str(c["name"]) for c in incident.companies],
        "person_pseudonyms": list(incident.person_pseudonyms),
        "narrative": incident.narrative,
        "attachments": list(incident.attachments),
        "tlp": str(incident.tlp),
    }


def shared_external_ref(issuer: str, ref: str) -> str:
    """A received report's key: the same report from the same issuer is stored once."""
    digest = hashlib.sha256(f"{issuer}\n{ref}".encode()).hexdigest()[:40]
    return f"shared:{digest}"


def incident_from_shared_body(body: dict[str, Any], issuer: str) -> IncidentCreate:
    """The report a received body describes, validated, ready to store as `issuer`'s.

    Raises:
        InvalidError: The body is not a valid incident (the message names the field).
    """
    try:
        shared = SharedIncidentBody.model_validate(body)
        return IncidentCreate(
            kind=shared.kind,
            occurred_at=shared.occurred_at,
            location=shared.location,
            company_names=shared.companies,
            person_pseudonyms=shared.person_pseudonyms,
            narrative=shared.narrative,
            attachments=shared.attachments,
            tlp=shared.tlp,
            issuer=issuer,
            external_ref=shared_external_ref(issuer, shared.ref),
        )
    except ValidationError as error:
        raise InvalidError(f"invalid shared incident from {issuer!r}: {_first(error)}") from None


def _first(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"
