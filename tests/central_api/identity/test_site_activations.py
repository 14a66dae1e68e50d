"""One identity across terminals: enrolled once, activated per site by that site's desk."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.crud.rules import create_access_group
from central_api.db import utc_now
from central_api.models import (
    AccessGroupCreate,
    AuditEntry,
    DocumentCheck,
    PersonAccessGroup,
    Role,
    Site,
    SiteActivation,
)
from gate_protocol.replica import ReplicaDelta, decode_replica
from testkit.api.dashboard_sites import add_user, headers_of
from testkit.api.decisions import enroll, query
from testkit.api.world import World

AMS_GROUP = "ams-dockers"


@pytest.fixture
def ams_group(engine: Engine, world: World) -> int:
    """An access group of the other site (Amsterdam) on its quay."""
    with Session(engine) as session:
        group = create_access_group(
            session=session,
            group_create=AccessGroupCreate(
                name=AMS_GROUP, site_id=world.other_site, zone_ids=["ams-quay"]
            ),
            actor="test",
        )
        assert group.id is not None
        return group.id


@pytest.fixture
def desks(engine: Engine, world: World, settings) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Headers of a desk user bound to each site."""
    return {
        site: headers_of(settings, add_user(engine, f"desk-{site}", Role.SECURITY_DESK, site))
        for site in (world.site, world.other_site)
    }


def decide(client: TestClient, world: World, badge: str, gate: str) -> str:
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["reason"])


def replica_people(client: TestClient, world: World, gate: str) -> set[str]:
    answer = client.get(f"/api/v1/gates/{gate}/replica", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return {p.person_id for p in decode_replica(answer.content).persons}


def site_version(engine: Engine, site: str) -> int:
    with Session(engine) as session:
        row = session.get(Site, site)
        assert row is not None
        return row.replica_version


def activate(client: TestClient, person: str, site: str, headers: dict[str, str], **body):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/people/{person}/activations", json={"site_id": site, **body}, headers=headers
    )


def test_an_identity_enrolled_at_one_terminal_passes_at_another_once_activated(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0001")
    assert decide(client, world, "1D0001", world.other_gate) == "unknown_credential"
    assert person not in replica_people(client, world, world.other_gate)
    # Amsterdam's desk cannot see the identity until it activates it.
    ams = desks[world.other_site]
    assert client.get(f"/api/v1/people/{person}", headers=ams).status_code == 404

    answer = activate(client, person, world.other_site, ams, access_groups=[AMS_GROUP])

    assert answer.status_code == 201, answer.text
    assert answer.json()["site_id"] == world.other_site
    assert answer.json()["activated_by"] == f"user:desk-{world.other_site}"
    assert decide(client, world, "1D0001", world.other_gate) == "granted"
    assert decide(client, world, "1D0001", world.gate) == "granted"
    assert person in replica_people(client, world, world.other_gate)
    assert client.get(f"/api/v1/people/{person}", headers=ams).status_code == 200


def test_each_site_sees_only_its_own_activation_and_people(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    shared = enroll(engine, world, badge="1D0002")
    only_rtm = enroll(engine, world, badge="1D0003")
    assert activate(client, shared, world.other_site, desks[world.other_site]).status_code == 201
    admin = world.user(Role.ADMIN)

    def sites_seen(headers: dict[str, str]) -> list[str]:
        answer = client.get(f"/api/v1/people/{shared}/activations", headers=headers)
        assert answer.status_code == 200, answer.text
        return [a["site_id"] for a in answer.json()]

    assert sites_seen(admin) == sorted([world.site, world.other_site])
    assert sites_seen(desks[world.other_site]) == [world.other_site]
    assert sites_seen(desks[world.site]) == [world.site]
    listed = client.get("/api/v1/people", headers=desks[world.other_site]).json()
    assert [p["id"] for p in listed] == [shared]
    by_site = client.get(f"/api/v1/people?site_id={world.other_site}", headers=admin).json()
    assert [p["id"] for p in by_site] == [shared]
    assert (
        client.get(f"/api/v1/people/{only_rtm}", headers=desks[world.other_site]).status_code == 404
    )


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(SiteActivation)).one(),
            session.exec(select(func.count()).select_from(PersonAccessGroup)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def test_bad_activations_are_refused_with_a_reason_and_change_nothing(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0004")
    before = _counts(engine)
    ams, rtm = desks[world.other_site], desks[world.site]

    unknown = activate(client, "NOSUCHID", world.other_site, ams)
    twice = activate(client, person, world.site, rtm)
    elsewhere = activate(client, person, world.other_site, rtm, access_groups=[AMS_GROUP])
    no_group = activate(client, person, world.other_site, ams, access_groups=["nope"])
    window = activate(
        client,
        person,
        world.other_site,
        ams,
        valid_from=utc_now().isoformat(),
        valid_until=(utc_now() - timedelta(days=1)).isoformat(),
    )

    assert (unknown.status_code, unknown.json()["detail"]) == (404, "person 'NOSUCHID' not found")
    assert twice.status_code == 409 and "already activated" in twice.json()["detail"]
    assert elsewhere.status_code == 403 and repr(world.other_site) in elsewhere.json()["detail"]
    assert no_group.status_code == 404 and "'nope'" in no_group.json()["detail"]
    assert window.status_code == 422 and "valid_until" in window.json()["detail"]
    assert _counts(engine) == before
    assert decide(client, world, "1D0004", world.other_gate) == "unknown_credential"


def test_a_suspension_and_an_erasure_reach_every_site(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0005")
    activate(client, person, world.other_site, desks[world.other_site], access_groups=[AMS_GROUP])
    ams_before = site_version(engine, world.other_site)

    suspended = client.patch(
        f"/api/v1/people/{person}", json={"status": "suspended"}, headers=desks[world.site]
    )

    assert suspended.status_code == 200, suspended.text
    assert site_version(engine, world.other_site) > ams_before
    assert decide(client, world, "1D0005", world.other_gate) == "person_suspended"
    since = site_version(engine, world.other_site)
    erased = client.delete(f"/api/v1/enroll/people/{person}", headers=world.user(Role.ADMIN))
    assert erased.status_code == 200, erased.text
    delta = client.get(
        f"/api/v1/gates/{world.other_gate}/replica?since={since}",
        headers=world.gate_key(world.other_gate),
    )
    decoded = decode_replica(delta.content)
    assert isinstance(decoded, ReplicaDelta)
    assert decoded.deleted_person_ids == (person,)
    with Session(engine) as session:
        assert session.exec(select(SiteActivation)).all() == []


def test_deactivating_at_one_site_drops_the_person_there_only(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0006")
    ams = desks[world.other_site]
    activate(client, person, world.other_site, ams, access_groups=[AMS_GROUP])
    assert decide(client, world, "1D0006", world.other_gate) == "granted"

    other = client.delete(
        f"/api/v1/people/{person}/activations/{world.site}", headers=desks[world.other_site]
    )
    gone = client.delete(f"/api/v1/people/{person}/activations/{world.other_site}", headers=ams)

    assert other.status_code == 404  # Amsterdam cannot end Rotterdam's activation
    assert gone.status_code == 204, gone.text
    assert decide(client, world, "1D0006", world.other_gate) == "unknown_credential"
    assert decide(client, world, "1D0006", world.gate) == "granted"
    assert person not in replica_people(client, world, world.other_gate)
    with Session(engine) as session:
        groups = session.exec(
            select(PersonAccessGroup.group_id).where(PersonAccessGroup.person_id == person)
        ).all()
    assert ams_group not in groups and len(groups) == 1


def test_a_site_suspension_and_window_apply_at_that_site_only(
    client: TestClient, world: World, engine: Engine, ams_group: int, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0007")
    ams = desks[world.other_site]
    ended = (utc_now() - timedelta(hours=1)).isoformat()
    activate(client, person, world.other_site, ams, access_groups=[AMS_GROUP], valid_until=ended)
    assert decide(client, world, "1D0007", world.other_gate) == "credential_expired"

    resumed = client.patch(
        f"/api/v1/people/{person}/activations/{world.other_site}",
        json={"valid_until": None, "status": "suspended"},
        headers=ams,
    )

    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "suspended"
    assert decide(client, world, "1D0007", world.other_gate) == "unknown_credential"
    assert decide(client, world, "1D0007", world.gate) == "granted"
    client.patch(
        f"/api/v1/people/{person}/activations/{world.other_site}",
        json={"status": "active"},
        headers=ams,
    )
    assert decide(client, world, "1D0007", world.other_gate) == "granted"


def test_a_document_check_is_recorded_without_the_document(
    client: TestClient, world: World, engine: Engine, desks: dict
) -> None:
    person = enroll(engine, world, badge="1D0008")
    bad = client.post(
        f"/api/v1/people/{person}/document-checks",
        json={"kind": "photo_of_passport"},
        headers=desks[world.site],
    )
    ok = client.post(
        f"/api/v1/people/{person}/document-checks",
        json={"kind": "passport"},
        headers=desks[world.site],
    )
    assert bad.status_code == 422
    assert ok.status_code == 201, ok.text
    with Session(engine) as session:
        rows = session.exec(select(DocumentCheck)).all()
    assert [(r.kind, r.checked_by) for r in rows] == [("passport", f"user:desk-{world.site}")]
