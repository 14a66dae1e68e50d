from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import update_person
from central_api.crud.rules import add_watchlist_entry
from central_api.crud.sites import set_threat_level
from central_api.decisions.in_session import decide_in_session
from central_api.models import Alarm, Appointment, PersonUpdate, WatchlistEntryCreate, Zone
from gate_protocol.api_models import DecisionQuery
from gate_protocol.passes.keys import encode_public_key, generate_pass_key
from gate_protocol.passes.token import PassClaims, PassSigner
from gate_protocol.records import AntiPassback, PersonKind, PersonStatus, WatchlistAction
from testkit.api.decisions import (
    FACE_OK,
    book,
    enroll,
    give_competency,
    night_schedule,
    query,
)
from testkit.api.world import World, make_event


def decide(client: TestClient, world: World, body: dict[str, object], gate: str | None = None):  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/decisions", json=body, headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_known_badge_with_a_matching_face_is_granted(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="A1B2C3")
    answer = decide(client, world, query("A1B2C3"))
    assert (answer["decision"], answer["reason"]) == ("granted", "granted")
    assert answer["person_id"] == person
    assert answer["request_id"] == "r-1"
    assert answer["replica_version"] > 0


@pytest.mark.parametrize(
    ("face", "reason"),
    [
        (None, "face_not_seen"),
        ({"seen": True, "distance": 0.9, "liveness_passed": True}, "face_mismatch"),
        ({"seen": True, "distance": 0.3, "liveness_passed": False}, "liveness_failed"),
    ],
)
def test_the_face_must_match(
    client: TestClient, world: World, engine: Engine, face: object, reason: str
) -> None:
    enroll(engine, world, badge="A1B2C3")
    answer = decide(client, world, query("A1B2C3", face=face))
    assert (answer["decision"], answer["reason"]) == ("denied", reason)


def test_unknown_revoked_and_suspended(client: TestClient, world: World, engine: Engine) -> None:
    assert decide(client, world, query("FFFF"))["reason"] == "unknown_credential"
    person = enroll(engine, world, badge="B1")
    with Session(engine) as session:
        update_person(
            session=session,
            person_id=person,
            person_update=PersonUpdate(status=PersonStatus.SUSPENDED),
            actor="test",
        )
    assert decide(client, world, query("B1"))["reason"] == "person_suspended"
    revoke = client.post(f"/api/v1/people/{person}/credentials", headers=world.user_desk(), json={})
    assert revoke.status_code == 422


def test_a_revoked_badge_is_denied_at_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="C1")
    with Session(engine) as session:
        from central_api.models import Credential

        credential = session.exec(select(Credential).where(Credential.ref == "C1")).one()
    answer = client.post(f"/api/v1/credentials/{credential.id}/revoke", headers=world.user_desk())
    assert answer.json()["revoked_at"] is not None
    denied = decide(client, world, query("C1"))
    assert (denied["reason"], denied["detail"]) == ("revoked", "credential revoked")


def test_another_site_s_people_are_unknown_here(
    client: TestClient, world: World, engine: Engine
) -> None:
    enroll(engine, world, badge="D1", site=world.other_site, zone="ams-quay")
    assert decide(client, world, query("D1"))["reason"] == "unknown_credential"
    granted = decide(client, world, query("D1"), gate=world.other_gate)
    assert granted["decision"] == "granted"


def test_schedule_and_competencies(client: TestClient, world: World, engine: Engine) -> None:
    enroll(engine, world, badge="E1", schedule=night_schedule(engine))
    assert decide(client, world, query("E1"))["reason"] == "outside_schedule"
    person = enroll(engine, world, badge="E2")
    with Session(engine) as session:
        zone = session.get(Zone, world.zone)
        assert zone is not None
        zone.required_competencies = ["ISPS"]
        session.add(zone)
        session.commit()
    assert decide(client, world, query("E2"))["reason"] == "competency_expired"
    give_competency(engine, person, "ISPS", datetime.now(UTC) + timedelta(days=30))
    assert decide(client, world, query("E2"))["decision"] == "granted"


def test_hard_anti_passback_uses_stored_events(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="F1")
    with Session(engine) as session:
        zone = session.get(Zone, world.zone)
        assert zone is not None
        zone.anti_passback = AntiPassback.HARD
        session.add(zone)
        session.commit()
    assert decide(client, world, query("F1"))["decision"] == "granted"
    entered = make_event(
        1, person_id=person, occurred_at=datetime.now(UTC) - timedelta(minutes=1), passed=True
    )
    client.post(
        "/api/v1/events",
        json={"events": [entered.model_dump(mode="json")]},
        headers=world.gate_key(world.gate2),
    )
    again = decide(client, world, query("F1"))
    assert (again["decision"], again["reason"]) == ("denied", "anti_passback")
    assert decide(client, world, query("F1", direction="exit"))["decision"] == "granted"


def test_watchlist_hits_raise_an_alarm(client: TestClient, world: World, engine: Engine) -> None:
    person = enroll(engine, world, badge="A9")
    with Session(engine) as session:
        add_watchlist_entry(
            session=session,
            entry_create=WatchlistEntryCreate(person_id=person, action=WatchlistAction.ALERT),
            actor="test",
        )
    answer = decide(client, world, query("A9"))
    assert answer["decision"] == "granted"
    assert answer["alarms"] == ["watchlist"]
    with Session(engine) as session:
        alarm = session.exec(select(Alarm)).one()
    assert (alarm.kind, alarm.person_id, alarm.gate_id) == ("watchlist", person, world.gate)


def test_threat_level_keeps_visitors_out(client: TestClient, world: World, engine: Engine) -> None:
    enroll(engine, world, badge="B7", kind=PersonKind.VISITOR)
    assert decide(client, world, query("B7"))["decision"] == "granted"
    with Session(engine) as session:
        set_threat_level(session=session, site_id=world.site, level=2, actor="test")
    assert decide(client, world, query("B7"))["reason"] == "threat_level"


def signed_app(engine: Engine) -> tuple[TestClient, PassSigner]:
    key_id, private = generate_pass_key()
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        PORTGATE_PASS_PUBLIC_KEYS=f"{key_id}={encode_public_key(private.public_key())}",
    )
    return TestClient(create_app(settings, engine=engine)), PassSigner(private, key_id)


def pass_token(signer: PassSigner, pass_id: str, person: str, gates: tuple[str, ...]) -> str:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return signer.issue(
        PassClaims(
            pass_id=pass_id,
            holder_id=person,
            gates=gates,
            issued_at=now,
            not_before=now - timedelta(minutes=5),
            expires_at=now + timedelta(hours=2),
            one_time=True,
        )
    )


def test_a_one_time_pass_opens_once(engine: Engine, world: World) -> None:
    client, signer = signed_app(engine)
    with client:
        driver = enroll(engine, world, badge="D7", kind=PersonKind.DRIVER)
        _, pass_id = book(engine, world, driver, [world.gate, world.gate2])
        token = pass_token(signer, pass_id, driver, (world.gate, world.gate2))
        body = query(credential_kind="qr_pass", pass_token=token)
        first = decide(client, world, body)
        assert (first["decision"], first["person_id"]) == ("granted", driver)
        second = decide(client, world, body, gate=world.gate2)
        assert (second["decision"], second["reason"]) == ("denied", "pass_already_used")
        forged = decide(
            client, world, query(credential_kind="qr_pass", pass_token=token[:-3] + "000")
        )
        assert forged["reason"] == "pass_invalid"


def test_two_gates_racing_one_pass_grant_exactly_once(
    engine: Engine, world: World, settings: Settings
) -> None:
    from testkit.concurrency import run_threads

    key_id, private = generate_pass_key()
    signer = PassSigner(private, key_id)
    settings = settings.model_copy(
        update={"pass_public_keys": f"{key_id}={encode_public_key(private.public_key())}"}
    )
    driver = enroll(engine, world, badge="D8", kind=PersonKind.DRIVER)
    appointment_id, pass_id = book(engine, world, driver, [world.gate, world.gate2])
    token = pass_token(signer, pass_id, driver, (world.gate, world.gate2))
    results: list[str] = []

    def gate_asks(n: int) -> None:
        with Session(engine) as session:
            answer = decide_in_session(
                session=session,
                settings=settings,
                gate_id=world.gate if n % 2 else world.gate2,
                request=DecisionQuery.model_validate(
                    query(credential_kind="qr_pass", pass_token=token, face=FACE_OK)
                ),
            )
        results.append(answer.reason.value)

    assert run_threads(6, gate_asks) == []
    assert sorted(results) == ["granted"] + ["pass_already_used"] * 5
    with Session(engine) as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None and appointment.used_at is not None
