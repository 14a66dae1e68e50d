"""STIX 2.1 export and import of incident reports (pure: no database).

The exported bundle must parse with `stix2` without allowing custom content, carry the
OASIS TLP 2.0 marking definitions exactly as published, and import back to the same
report. A malformed bundle or an unknown marking is refused with a message.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import stix2

from central_api.errors import InvalidError
from central_api.incidents.stix_export import export_bundle
from central_api.incidents.stix_import import incidents_from_bundle
from central_api.incidents.stix_markings import TLP2_EXTENSION_ID, TLP2_MARKING_IDS
from central_api.incidents.tables import Incident, IncidentKind
from central_api.incidents.tlp import Tlp

HASHES = ["ab" * 32, "cd" * 32]
PSEUDONYM = "0f" * 32
# As published by OASIS (cti-stix-common-objects, tlp-2.0): spelled here again on purpose,
# so a typo in the product's table cannot agree with itself.
OASIS_TLP2 = {
    "TLP:CLEAR": ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    "TLP:GREEN": ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    "TLP:AMBER": ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    "TLP:AMBER+STRICT": (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "amber+strict",
    ),
    "TLP:RED": ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}


def incident(tlp: Tlp = Tlp.AMBER, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "id": "inc-0001",
        "kind": IncidentKind.FORCED_GATE,
        "occurred_at": datetime(2026, 12, 5, 23, 40, tzinfo=UTC),
        "site_id": "rtm",
        "gate_id": "north-1",
        "location": "Rotterdam terminal, North 1",
        "companies": [{"id": 3, "name": "Haulage BV"}, {"id": None, "name": "Boxes NV"}],
        "person_pseudonyms": [PSEUDONYM],
        "narrative": "The turnstile of lane 1 was forced at night.",
        "attachments": HASHES,
        "tlp": tlp,
        "created_by": "operator-user",
        "created_at": datetime(2026, 12, 6, 0, 5, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 6, 0, 9, tzinfo=UTC),
    }
    values.update(fields)
    return Incident(**values)


def exported(*incidents: Incident) -> str:
    bundle = export_bundle(
        incidents, organisation="Port of Rotterdam", coordinates={"north-1": (51.95, 4.1)}
    )
    text: str = bundle.serialize(pretty=True)
    return text


def objects_of(text: str, kind: str) -> list[dict[str, Any]]:
    return [o for o in json.loads(text)["objects"] if o["type"] == kind]


def test_the_export_parses_strictly_and_holds_the_mapped_objects() -> None:
    text = exported(incident())
    parsed = stix2.parse(text, allow_custom=False)
    kinds = sorted(o.type for o in parsed.objects)
    assert kinds.count("incident") == 1
    assert {"identity", "location", "observed-data", "file", "relationship"} <= set(kinds)
    [sdo] = objects_of(text, "incident")
    assert sdo["description"] == "The turnstile of lane 1 was forced at night."
    assert sdo["labels"] == ["forced_gate"]
    assert sdo["object_marking_refs"] == [OASIS_TLP2["TLP:AMBER"][0]]
    reporter = next(o for o in objects_of(text, "identity") if o["name"] == "Port of Rotterdam")
    assert sdo["created_by_ref"] == reporter["id"]
    [place] = objects_of(text, "location")
    assert (place["latitude"], place["longitude"]) == (51.95, 4.1)
    files = objects_of(text, "file")
    assert sorted(f["hashes"]["SHA-256"] for f in files) == HASHES
    # Nothing but pseudonyms: no person id, no name.
    assert "operator-user" not in text


def test_the_tlp2_markings_are_the_oasis_ones_exactly() -> None:
    assert {t.value: i for t, i in TLP2_MARKING_IDS.items()} == {
        name: marking for name, (marking, _) in OASIS_TLP2.items()
    }
    for tlp in Tlp:
        [marking] = objects_of(exported(incident(tlp)), "marking-definition")
        marking_id, level = OASIS_TLP2[tlp.value]
        assert marking == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": tlp.value,
            "extensions": {
                TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
            },
        }
    # Not stix2's TLP 1.0 constants.
    assert stix2.TLP_WHITE.id not in exported(incident(Tlp.CLEAR))


def test_a_report_round_trips_through_stix() -> None:
    original = incident(Tlp.AMBER_STRICT)
    text = exported(original, incident(Tlp.GREEN, id="inc-0002", attachments=[]))
    first, second = incidents_from_bundle(text)
    assert first.kind is IncidentKind.FORCED_GATE
    assert first.occurred_at == original.occurred_at
    assert first.location == original.location
    assert sorted(first.company_names) == ["Boxes NV", "Haulage BV"]
    assert first.person_pseudonyms == [PSEUDONYM]
    assert sorted(first.attachments) == HASHES
    assert first.narrative == original.narrative
    assert first.tlp is Tlp.AMBER_STRICT
    assert first.issuer == "Port of Rotterdam"
    assert first.external_ref is not None and first.external_ref.startswith("incident--")
    assert (second.tlp, second.attachments) == (Tlp.GREEN, [])
    # Exporting again names the report with the same STIX id: an importer stores it once.
    assert incidents_from_bundle(exported(original))[0].external_ref == first.external_ref


def test_a_bundle_from_another_tool_imports_with_what_it_has() -> None:
    marking = OASIS_TLP2["TLP:GREEN"][0]
    bundle = {
        "type": "bundle",
        "id": "bundle--1b7a9c1e-5d2f-4b7b-9d55-0d3d0b4f1a11",
        "objects": [
            {
                "type": "incident",
                "spec_version": "2.1",
                "id": "incident--8b0a7d67-2f0e-4b53-a2a6-6a7f9d0c2e11",
                "created": "2026-11-30T10:00:00.000Z",
                "modified": "2026-11-30T10:00:00.000Z",
                "name": "Tailgating at gate 4",
                "labels": ["tailgating"],
                "object_marking_refs": [marking],
            }
        ],
    }
    [report] = incidents_from_bundle(json.dumps(bundle))
    assert (report.kind, report.tlp, report.narrative) == (
        IncidentKind.TAILGATING,
        Tlp.GREEN,
        "Tailgating at gate 4",
    )
    assert report.occurred_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _with(text: str, change: Any) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


def _incident_of(data: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in data["objects"] if o["type"] == "incident")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _incident_of(d).update(object_marking_refs=[stix2.TLP_WHITE.id]),
            "unknown marking marking-definition--613f2e26",
        ),
        (lambda d: _incident_of(d).pop("object_marking_refs"), "needs exactly one TLP 2.0"),
        (
            lambda d: _incident_of(d).update(
                object_marking_refs=[OASIS_TLP2["TLP:RED"][0], OASIS_TLP2["TLP:CLEAR"][0]]
            ),
            "needs exactly one TLP 2.0 marking (has 2)",
        ),
        (
            lambda d: d["objects"][0]["extensions"][TLP2_EXTENSION_ID].update(tlp_2_0="clear"),
            "says 'clear'",
        ),
        (lambda d: _incident_of(d).pop("name"), "malformed STIX 2.1 bundle"),
        (lambda d: _incident_of(d).update(created="yesterday"), "malformed STIX 2.1 bundle"),
        (lambda d: d.update(type="report"), "top-level object's type must be 'bundle'"),
        (
            lambda d: d.update(objects=[o for o in d["objects"] if o["type"] != "incident"]),
            "holds no incident",
        ),
    ],
)
def test_a_bad_bundle_is_refused_with_a_message(change: Any, message: str) -> None:
    with pytest.raises(InvalidError) as refused:
        incidents_from_bundle(_with(exported(incident()), change))
    assert message in refused.value.message


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidError, match="not JSON"):
        incidents_from_bundle("{not json")


def test_portgates_extension_id_is_the_one_documented() -> None:
    # Consumers key on it; docs/incidents.md names it. A change is a new extension version.
    from central_api.incidents.stix_markings import PORTGATE_EXTENSION_ID

    assert PORTGATE_EXTENSION_ID == "extension-definition--30c2479b-9a7b-5ecf-a40f-f109058a6e30"
    [sdo] = objects_of(exported(incident()), "incident")
    assert set(sdo["extensions"]) == {PORTGATE_EXTENSION_ID}
