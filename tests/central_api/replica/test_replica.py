import base64

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.bus.mqtt import NullBus
from central_api.config import Settings
from central_api.crud.people import add_face_template, update_person
from central_api.enroll.photos import delete_template
from central_api.enroll.privacy import erase_person
from central_api.models import Credential, FaceTemplate, PersonAccessGroup, PersonUpdate, Role
from gate_protocol.messages import SyncNotice, decode_message
from gate_protocol.records import PersonKind, PersonStatus
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta, decode_replica
from gate_protocol.topics import SyncTopic, build_topic
from testkit.api.decisions import book, enroll
from testkit.api.enrollment import random_template
from testkit.api.world import World


def replica(client: TestClient, world: World, gate: str, since: int | None = None):  # type: ignore[no-untyped-def]
    suffix = "" if since is None else f"?since={since}"
    answer = client.get(f"/api/v1/gates/{gate}/replica{suffix}", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return decode_replica(answer.content)


def test_a_snapshot_holds_only_people_allowed_at_the_gate(
    client: TestClient, world: World, engine: Engine
) -> None:
    here = enroll(engine, world, badge="A1")
    elsewhere = enroll(engine, world, badge="B1", site=world.other_site, zone="ams-quay")
    driver = enroll(engine, world, badge="C1", kind=PersonKind.DRIVER, zone="quay")
    book(engine, world, driver, [world.gate2])
    snapshot = replica(client, world, world.gate)
    assert isinstance(snapshot, ReplicaSnapshot)
    assert {p.person_id for p in snapshot.persons} == {here, driver}
    assert elsewhere not in snapshot.model_dump_json()
    assert {c.ref for c in snapshot.credentials} == {"A1", "C1"}
    assert snapshot.appointments == ()  # the booking is for the other gate
    assert snapshot.gate.gate_id == world.gate
    other = replica(client, world, world.other_gate)
    assert {p.person_id for p in other.persons} == {elsewhere}


def test_templates_reach_only_the_gate_s_replica_never_a_user_route(
    client: TestClient, world: World, engine: Engine, settings: object
) -> None:
    person = enroll(engine, world, badge="A1")
    template = random_template(1)  # a plausible template: bytes(range(256)) held NaNs
    upload = client.post(
        f"/api/v1/people/{person}/face-templates",
        headers=world.user(Role.SECURITY_DESK),
        json={"template_b64": base64.b64encode(template).decode(), "quality": 0.8},
    )
    assert upload.status_code == 201, upload.text
    assert "template" not in {k for k in upload.json() if k.endswith("b64")}
    with Session(engine) as session:
        stored = session.exec(select(FaceTemplate)).one()
    assert template not in stored.ciphertext  # encrypted at rest
    listing = client.get(
        f"/api/v1/people/{person}/face-templates", headers=world.user(Role.SECURITY_DESK)
    )
    assert base64.b64encode(template).decode()[:40] not in listing.text
    snapshot = replica(client, world, world.gate)
    assert base64.b64decode(snapshot.templates[0].encoding_b64) == template
    bad = client.post(
        f"/api/v1/people/{person}/face-templates",
        headers=world.user(Role.SECURITY_DESK),
        json={"template_b64": base64.b64encode(b"short").decode()},
    )
    assert bad.status_code == 422
    assert "512 bytes" in bad.json()["detail"]


def test_a_delta_carries_a_revocation_and_applies(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="A1")
    keep = enroll(engine, world, badge="0C1")
    snapshot = replica(client, world, world.gate)
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=person,
            person_update=PersonUpdate(status=PersonStatus.REVOKED),
            actor="test",
        )
    delta = replica(client, world, world.gate, since=snapshot.version)
    assert isinstance(delta, ReplicaDelta)
    assert delta.from_version == snapshot.version
    assert delta.version == snapshot.version + 1
    assert [p.person_id for p in delta.persons] == [person]
    updated = apply_delta(snapshot, delta)
    statuses = {p.person_id: p.status for p in updated.persons}
    assert statuses == {person: PersonStatus.REVOKED, keep: PersonStatus.ACTIVE}
    empty = replica(client, world, world.gate, since=delta.version)
    assert isinstance(empty, ReplicaDelta) and empty.persons == ()


def test_every_change_publishes_a_retained_sync_notice_after_commit(
    client: TestClient, app: FastAPI, world: World, engine: Engine
) -> None:
    bus = app.state.bus
    assert isinstance(bus, NullBus)
    enroll(engine, world, badge="A1")  # outside requests: no bus attached, nothing published
    with Session(engine) as session:
        credential = session.exec(select(Credential)).one()
    before = len(bus.published)
    answer = client.post(
        f"/api/v1/credentials/{credential.id}/revoke", headers=world.user(Role.SECURITY_DESK)
    )
    assert answer.status_code == 200
    sync_topic = build_topic(SyncTopic(site=world.site))
    notices = [(p, r) for t, p, r in bus.published[before:] if t == sync_topic]
    assert len(notices) == 1, bus.published[before:]
    payload, retain = notices[0]
    assert retain
    notice = decode_message(payload, SyncNotice)
    assert isinstance(notice, SyncNotice)
    snapshot = replica(client, world, world.gate)
    assert snapshot.version == notice.replica_version
    assert [c.revoked for c in snapshot.credentials] == [True]


def test_a_failed_change_publishes_nothing(client: TestClient, app: FastAPI, world: World) -> None:
    bus = app.state.bus
    before = len(bus.published)
    answer = client.post(
        "/api/v1/people/NOSUCH/credentials",
        headers=world.user(Role.SECURITY_DESK),
        json={"kind": "badge", "ref": "A1"},
    )
    assert answer.status_code == 404
    assert len(bus.published) == before


def _add_template(engine: Engine, settings: Settings, person: str, seed: int) -> int:
    with Session(engine) as session:
        row = add_face_template(
            session=session,
            person_id=person,
            template=random_template(seed),
            quality=0.9,
            key=settings.template_key_bytes(),
            actor="test",
        )
        assert row.id is not None
        return row.id


def test_a_template_deleted_after_v_leaves_the_agent_replica(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    person = enroll(engine, world, badge="A1")
    other = enroll(engine, world, badge="B1")
    first = _add_template(engine, settings, person, 1)
    second = _add_template(engine, settings, person, 2)
    kept = _add_template(engine, settings, other, 3)
    snapshot = replica(client, world, world.gate)
    assert {t.template_id for t in snapshot.templates} == {str(first), str(second), str(kept)}
    with Session(engine) as session:
        delete_template(
            session=session,
            person_id=person,
            template_id=first,
            key=settings.template_key_bytes(),
            actor="test",
        )
    delta = replica(client, world, world.gate, since=snapshot.version)
    assert isinstance(delta, ReplicaDelta)
    assert delta.deleted_template_ids == (str(first),)
    assert delta.deleted_person_ids == ()
    updated = apply_delta(snapshot, delta)
    assert {t.template_id for t in updated.templates} == {str(second), str(kept)}
    assert {p.person_id for p in updated.persons} == {person, other}


def test_a_person_whose_access_is_withdrawn_leaves_with_their_templates(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    person = enroll(engine, world, badge="A1")
    stays = enroll(engine, world, badge="B1")
    gone_template = _add_template(engine, settings, person, 1)
    _add_template(engine, settings, stays, 2)
    snapshot = replica(client, world, world.gate)
    with Session(engine) as session:
        group = session.exec(
            select(PersonAccessGroup).where(PersonAccessGroup.person_id == person)
        ).one()
    answer = client.delete(
        f"/api/v1/people/{person}/groups/{group.group_id}", headers=world.user_desk()
    )
    assert answer.status_code == 204, answer.text
    again = client.delete(
        f"/api/v1/people/{person}/groups/{group.group_id}", headers=world.user_desk()
    )
    assert again.status_code == 404
    delta = replica(client, world, world.gate, since=snapshot.version)
    assert isinstance(delta, ReplicaDelta)
    assert delta.deleted_person_ids == (person,)
    updated = apply_delta(snapshot, delta)
    assert person not in {p.person_id for p in updated.persons}
    assert str(gone_template) not in {t.template_id for t in updated.templates}
    assert {c.person_id for c in updated.credentials} == {stays}
    assert {t.person_id for t in updated.templates} == {stays}


def test_an_erased_person_leaves_the_replica_whole(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    person = enroll(engine, world, badge="A1")
    _add_template(engine, settings, person, 1)
    snapshot = replica(client, world, world.gate)
    with Session(engine) as session:
        erase_person(session=session, person_id=person, actor="test")
    updated = apply_delta(snapshot, replica(client, world, world.gate, since=snapshot.version))
    assert updated.persons == () and updated.templates == () and updated.credentials == ()


def test_the_desk_refuses_badge_numbers_no_reader_produces(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="A1")
    for body in (
        {"kind": "badge", "ref": "ZZTOP"},
        {"kind": "badge", "ref": "0042077", "badge_format": "wiegand26"},
        {"kind": "badge", "ref": "70000", "badge_format": "wiegand34"},
    ):
        answer = client.post(
            f"/api/v1/people/{person}/credentials",
            json=body,
            headers=world.user(Role.SECURITY_DESK),
        )
        assert answer.status_code == 422, body
        assert "badge number" in answer.text
    refused = client.post(
        "/api/v1/enroll/people",
        json={
            "site_id": "rtm",
            "display_name": "Nobody Read",
            "kind": "driver",
            "badge": {"number": "0042077", "badge_format": "wiegand26"},
        },
        headers=world.user(Role.SECURITY_DESK),
    )
    assert refused.status_code == 422
    assert "0 to 65535" in refused.text
    bound = client.post(
        f"/api/v1/people/{person}/credentials",
        json={"kind": "badge", "ref": "42077", "badge_format": "wiegand26"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert bound.status_code == 201
