"""The two pure functions the sharing room calls for kind `incident`: body out, report in."""

from datetime import UTC, datetime
from typing import Any

import pytest

from central_api.errors import InvalidError
from central_api.incidents.shared import (
    SHARED_KIND,
    incident_from_shared_body,
    incident_to_shared_body,
)
from central_api.incidents.tables import Incident, IncidentKind
from central_api.incidents.tlp import Tlp

PSEUDONYM = "0f" * 32
HASH = "cd" * 32


def incident() -> Incident:
    return Incident(
        id="inc-abc",
        kind=IncidentKind.PASS_FRAUD,
        occurred_at=datetime(2026, 12, 5, 22, 10, tzinfo=UTC),
        site_id="rtm",
        gate_id="north-1",
        location="rtm, North 1",
        companies=[{"id": 7, "name": "Haulage BV"}],
        person_pseudonyms=[PSEUDONYM],
        narrative="A copied pass was presented twice.",
        attachments=[HASH],
        tlp=Tlp.AMBER_STRICT,
        created_by="operator-user",
    )


def test_a_body_round_trips_into_the_issuers_report() -> None:
    body = incident_to_shared_body(incident())
    assert SHARED_KIND == "incident"
    # What other installations may know: names and pseudonyms, not local ids.
    assert body["companies"] == ["Haulage BV"]
    assert "site_id" not in body and "created_by" not in body
    report = incident_from_shared_body(body, "member:terminal-2")
    assert report.kind is IncidentKind.PASS_FRAUD
    assert report.tlp is Tlp.AMBER_STRICT
    assert report.occurred_at == datetime(2026, 12, 5, 22, 10, tzinfo=UTC)
    assert (report.company_names, report.person_pseudonyms, report.attachments) == (
        ["Haulage BV"],
        [PSEUDONYM],
        [HASH],
    )
    assert report.issuer == "member:terminal-2"
    assert report.person_ids == [] and report.company_ids == []
    # The same report from the same issuer has the same key; another issuer's does not.
    assert report.external_ref == incident_from_shared_body(body, "member:terminal-2").external_ref
    assert report.external_ref != incident_from_shared_body(body, "member:other").external_ref


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tlp": "TLP:WHITE"}, "tlp: Value error, unknown TLP label 'TLP:WHITE'"),
        ({"tlp": "amber"}, "use one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT"),
        ({"attachments": [HASH] * 21}, "attachments"),
        ({"attachments": ["xyz"]}, "attachments.0"),
        ({"kind": "arson"}, "kind"),
        ({"occurred_at": "2026-12-05T22:10:00"}, "occurred_at"),
        ({"person_name": "Jan"}, "person_name: Extra inputs are not permitted"),
        ({"schema": "portgate.incident/2"}, "schema"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    body = incident_to_shared_body(incident()) | change
    with pytest.raises(InvalidError) as refused:
        incident_from_shared_body(body, "member:terminal-2")
    assert message in refused.value.message
    assert "member:terminal-2" in refused.value.message
