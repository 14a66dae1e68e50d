"""The STIX 2.1 objects an export always relies on: TLP 2.0 markings and PortGate's extension.

TLP 2.0 is not in STIX 2.1 itself (its predefined TLP markings, stix2's ``TLP_WHITE`` and
friends, are TLP 1.0). The OASIS CTI TC publishes the TLP 2.0 markings as marking
definitions with a property extension (oasis-open/cti-stix-common-objects,
extension-definition-specifications/tlp-2.0): fixed ids and a fixed ``created``, by which
MISP, OpenCTI and every other consumer recognise them. They are spelled here once.
"""

import uuid
from typing import Any

import stix2

from central_api.incidents.tlp import Tlp

__all__ = [
    "NAMESPACE",
    "PORTGATE_EXTENSION_ID",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "portgate_extension",
    "portgate_identity",
    "tlp2_marking",
    "tlp_of_marking",
]

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_MARKING_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP_OF_ID = {marking_id: tlp for tlp, marking_id in TLP2_MARKING_IDS.items()}

# Deterministic ids (uuid5 in this namespace): exporting a report twice gives the same
# objects, and an importer that already has them stores nothing new.
NAMESPACE = uuid.UUID("6f0c8a43-5b1e-4f5e-9a57-2b8d6c0e1a91")
PORTGATE_EXTENSION_ID = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "incident/1"))
_PROJECT_IDENTITY_ID = "identity--" + str(uuid.uuid5(NAMESPACE, "portgate-project"))
_EXTENSION_CREATED = "2026-12-06T00:00:00.000Z"


def tlp2_marking(tlp: Tlp) -> Any:
    """The OASIS TLP 2.0 marking definition of `tlp`, exactly as published."""
    tlp = Tlp(tlp)  # a row built in code (not loaded) may still hold the plain string
    return stix2.v21.MarkingDefinition(
        id=TLP2_MARKING_IDS[tlp],
        created=TLP2_CREATED,
        name=tlp.value,
        extensions={
            TLP2_EXTENSION_ID: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.value.removeprefix("TLP:").lower(),
            }
        },
    )


def tlp_of_marking(marking_id: str) -> Tlp | None:
    """The TLP 2.0 label a marking id stands for, or None (not a TLP 2.0 marking)."""
    return _TLP_OF_ID.get(marking_id)


def portgate_identity() -> Any:
    """The PortGate project, creator of the extension definition."""
    return stix2.v21.Identity(
        id=_PROJECT_IDENTITY_ID,
        created=_EXTENSION_CREATED,
        modified=_EXTENSION_CREATED,
        name="PortGate project",
        identity_class="organization",
    )


def portgate_extension() -> Any:
    """The extension definition of PortGate's incident properties (docs/incidents.md)."""
    return stix2.v21.ExtensionDefinition(
        id=PORTGATE_EXTENSION_ID,
        created_by_ref=_PROJECT_IDENTITY_ID,
        created=_EXTENSION_CREATED,
        modified=_EXTENSION_CREATED,
        name="PortGate incident",
        description=(
            "Properties of a seaport gate incident report: kind, occurred_at, location, "
            "person_pseudonyms (keyed hashes under the reporter's secret), status."
        ),
        schema="PortGate docs/incidents.md, section 'STIX mapping'",
        version="1.0.0",
        extension_types=["property-extension"],
    )
