"""A company's status decides for its people: at once centrally, and in the gates' replicas."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.crud.companies import set_company_status
from central_api.models import Alarm, Appointment, Gate, Role, Site
from gate_protocol.messages import CredentialKind, DecidedBy, Direction
from gate_protocol.policy import DecisionContext, DecisionRequest, FaceEvidence, decide
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import CompanyStatus, PersonKind
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta, decode_replica
from testkit.api.companies import company_of
from testkit.api.decisions import FACE_OK, book, enroll, query
from testkit.api.world import World
from tests.central_api.decisions.test_decisions import decide as ask
from tests.central_api.decisions.test_decisions import pass_token, signed_app


def set_status(
    client: TestClient, world: World, company: int, status: str, reason: str = "audit"
) -> None:
    answer = client.post(
        f"/api/v1/companies/{company}/status",
        json={"status": status, "reason": reason},
        headers=world.user(Role.AUTHORITY),
    )
    assert answer.status_code == 200, answer.text


def test_a_suspended_company_s_staff_are_refused_at_once_and_pass_again_when_cleared(
    client: TestClient, world: World, engine: Engine
) -> None:
    staff = enroll(engine, world, badge="A1")
    other = enroll(engine, world, badge="A2")
    company = company_of(engine, "North Sea Haulage", staff)
    assert ask(client, world, query("A1"))["decision"] == "granted"  # now in the cache
    set_status(client, world, company, "suspended", "unpaid port dues")
    refused = ask(client, world, query("A1"))
    assert (refused["decision"], refused["reason"]) == ("denied", "company_suspended")
    assert refused["detail"] == "North Sea Haulage"
    assert ask(client, world, query("A2"))["decision"] == "granted"  # another company's
    set_status(client, world, company, "active", "dues paid")
    assert ask(client, world, query("A1"))["decision"] == "granted"
    assert other


def test_a_suspended_company_s_driver_is_refused_and_the_pass_stays_unused(
    engine: Engine, world: World
) -> None:
    client, signer = signed_app(engine)
    with client:
        driver = enroll(engine, world, badge="D7", kind=PersonKind.DRIVER)
        appointment_id, pass_id = book(engine, world, driver, [world.gate])
        company = company_of(engine, "Rotterdam Trucking", driver)
        with Session(engine) as session:  # this app has its own token secret: the CLI's way
            set_company_status(
                session=session,
                company_id=company,
                status=CompanyStatus.SUSPENDED,
                reason="audit",
                actor="test",
            )
        token = pass_token(signer, pass_id, driver, (world.gate,))
        answer = ask(client, world, query(credential_kind="qr_pass", pass_token=token))
        assert (answer["decision"], answer["reason"]) == ("denied", "company_suspended")
    with Session(engine) as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None and appointment.used_at is None


def test_a_flagged_company_needs_a_face_and_raises_an_alarm_at_each_passage(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        gate = session.get(Gate, world.gate)
        assert gate is not None
        gate.face_required = False
        session.add(gate)
        session.commit()
    person = enroll(engine, world, badge="F1")
    company = company_of(engine, "Flagged Contractors", person)
    assert ask(client, world, query("F1", face=None))["decision"] == "granted"
    set_status(client, world, company, "flagged", "two tailgating incidents")
    assert ask(client, world, query("F1", face=None))["reason"] == "face_not_seen"
    granted = ask(client, world, query("F1", face=FACE_OK))
    assert granted["decision"] == "granted"
    assert granted["alarms"] == ["company_flagged"]
    with Session(engine) as session:
        alarm = session.exec(select(Alarm)).one()
    assert (alarm.kind, alarm.person_id, alarm.gate_id) == ("company_flagged", person, world.gate)
    assert "flagged company Flagged Contractors" in alarm.detail


def _replica(client: TestClient, world: World, gate: str, since: int | None = None):  # type: ignore[no-untyped-def]
    suffix = "" if since is None else f"?since={since}"
    answer = client.get(f"/api/v1/gates/{gate}/replica{suffix}", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return decode_replica(answer.content)


def _versions(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {site.id: site.replica_version for site in session.exec(select(Site)).all()}


def test_a_status_change_reaches_the_replica_of_every_site_of_its_people(
    client: TestClient, world: World, engine: Engine
) -> None:
    here = enroll(engine, world, badge="B1")
    colleague = enroll(engine, world, badge="B4")
    there = enroll(engine, world, badge="B2", site=world.other_site, zone="ams-quay")
    bystander = enroll(engine, world, badge="B3")
    company = company_of(engine, "Two Terminal Stevedores", here, colleague, there)
    snapshot = _replica(client, world, world.gate)
    assert isinstance(snapshot, ReplicaSnapshot)
    before = _versions(engine)
    set_status(client, world, company, "suspended", "licence withdrawn")
    after = _versions(engine)
    assert after[world.site] == before[world.site] + 1  # one version for the whole company
    assert after[world.other_site] == before[world.other_site] + 1
    delta = _replica(client, world, world.gate, since=snapshot.version)
    assert isinstance(delta, ReplicaDelta)
    assert {p.person_id for p in delta.persons} == {here, colleague}  # not the bystander
    replica = apply_delta(snapshot, delta)
    person = next(p for p in replica.persons if p.person_id == here)
    assert person.company is not None
    assert person.company.status is CompanyStatus.SUSPENDED
    # The gate decides alone over its replica, as when the API is away.
    result = decide(
        DecisionRequest(
            gate=replica.gate,
            zone=replica.zone,
            direction=Direction.ENTRY,
            credential_kind=CredentialKind.BADGE,
            credential=next(c for c in replica.credentials if c.ref == "B1"),
            person=person,
            face=FaceEvidence(seen=True, distance=0.3, liveness_passed=True),
        ),
        DecisionContext(now=datetime.now(UTC), decided_by=DecidedBy.REPLICA, replica_age_s=1.0),
    )
    assert (result.reason, result.detail) == (
        ReasonCode.COMPANY_SUSPENDED,
        "Two Terminal Stevedores",
    )
    assert bystander
