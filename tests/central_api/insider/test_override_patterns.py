"""Rogue-company and corruption patterns on gate events and remote opens: one company's
one-time passes used again; an operator remote-opening for a person denied minutes before,
and doing so for the same person again and again. Real database (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.models import Alarm, Appointment, Company, Person, Role
from gate_protocol.messages import AccessEvent, CredentialKind, Decision
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.api.world import World, make_event
from testkit.people import add_enrolled

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def alarms(engine: Engine, about: str) -> list[Alarm]:
    with Session(engine) as session:
        found = session.exec(select(Alarm).order_by(col(Alarm.id))).all()
        return [alarm for alarm in found if alarm.detail.startswith(about)]


def post(client: TestClient, world: World, *events: AccessEvent) -> None:
    answer = client.post(
        "/api/v1/events",
        json={"events": [e.model_dump(mode="json") for e in events]},
        headers=world.gate_key(world.gate),
    )
    assert answer.status_code == 200, answer.text


def reused(n: int, person: str, minutes: float, pass_id: str | None = None) -> AccessEvent:
    return make_event(
        n,
        person_id=person,
        decision=Decision.DENIED,
        reason=ReasonCode.PASS_ALREADY_USED,
        credential_kind=CredentialKind.QR_PASS,
        credential_ref=pass_id or f"PASS{n}",
        occurred_at=T0 + timedelta(minutes=minutes),
    )


def seed_hauliers(engine: Engine, world: World) -> tuple[int, int]:
    """Two companies; drivers R1, R2 enrolled with the first, S1 with the second, and the
    second's driver S2 booked once for the first (pass RPASS)."""
    with Session(engine, expire_on_commit=False) as session:
        rogue, honest = Company(name="Rogue Haulage"), Company(name="Honest Haulage")
        session.add_all([rogue, honest])
        session.flush()
        assert rogue.id is not None and honest.id is not None
        add_enrolled(
            session,
            *(
                Person(
                    id=name,
                    display_name=name,
                    kind=PersonKind.DRIVER,
                    site_id=world.site,
                    company_id=company,
                )
                for name, company in (("R1", rogue.id), ("R2", rogue.id), ("S1", honest.id))
            ),
            Person(id="S2", display_name="S2", kind=PersonKind.DRIVER, site_id=world.site),
        )
        session.flush()
        session.add(
            Appointment(
                id="APPT-R",
                site_id=world.site,
                person_id="S2",
                company_id=rogue.id,
                gates=[world.gate],
                window_start=T0,
                window_end=T0 + timedelta(hours=2),
                pass_id="RPASS",
            )
        )
        session.commit()
        return rogue.id, honest.id


def test_one_company_s_reused_one_time_passes_alarm_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    rogue, _ = seed_hauliers(engine, world)
    about = f"company Rogue Haulage (#{rogue}): one-time passes used again"
    # Two of the rogue company's, three of the other's, one a day earlier: quiet.
    post(client, world, reused(1, "R1", -24 * 60 - 5), reused(2, "R1", 0), reused(3, "R2", 5))
    post(client, world, *(reused(10 + n, "S1", 10 + n) for n in range(3)))
    assert alarms(engine, "company Rogue") == []
    # S2 is enrolled with no company, but the reused pass was booked for the rogue one.
    post(client, world, reused(4, "S2", 20, pass_id="RPASS"))
    (alarm,) = alarms(engine, "company Rogue")
    assert alarm.detail.startswith(about) and alarm.gate_id == world.gate
    assert "3 pass_already_used denials of its drivers within 24 h" in alarm.detail
    assert "drivers: R1, R2, S2" in alarm.detail
    post(client, world, reused(5, "R2", 30))
    assert len(alarms(engine, "company Rogue")) == 1
    # The honest company's three denials alarm on their own.
    (honest,) = alarms(engine, "company Honest")
    assert "3 pass_already_used" in honest.detail


def test_the_company_threshold_is_the_site_s(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed_hauliers(engine, world)
    answer = client.put(
        f"/api/v1/sites/{world.site}/insider-rules",
        json={"pass_reuse_per_company": 1, "pass_reuse_window_hours": 1},
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 200, answer.text
    post(client, world, reused(1, "R1", 0))
    (alarm,) = alarms(engine, "company Rogue")
    assert "1 pass_already_used denials of its drivers within 1 h" in alarm.detail


def denied_now(n: int, person: str, *, minutes_ago: float, lane: int = 0) -> AccessEvent:
    return make_event(
        n,
        person_id=person,
        lane=lane,
        decision=Decision.DENIED,
        reason=ReasonCode.FACE_MISMATCH,
        occurred_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )


def remote_open(client: TestClient, world: World, lane: int = 0) -> None:
    answer = client.post(
        f"/api/v1/gates/{world.gate}/open",
        json={"lane": lane, "reason": "driver says the reader is broken"},
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 202, answer.text


def test_a_remote_open_minutes_after_a_denial_alarms_naming_operator_and_person(
    client: TestClient, world: World, engine: Engine
) -> None:
    post(client, world, denied_now(1, "P1", minutes_ago=8), denied_now(2, "P2", minutes_ago=1))
    remote_open(client, world, lane=1)  # P2 was denied at lane 0, not 1
    assert alarms(engine, "operator") == []
    remote_open(client, world, lane=0)
    (alarm,) = alarms(engine, "operator")
    assert alarm.detail.startswith(
        f"operator operator-user remote-opened {world.gate} lane 0 after person P2 was "
        "denied there: "
    )
    assert "(face_mismatch)" in alarm.detail and alarm.person_id == "P2" and alarm.lane == 0
    remote_open(client, world, lane=0)  # the same denial: the same alarm
    assert len(alarms(engine, "operator")) == 1
    shown = client.get("/dashboard/api/alarms", headers=world.user(Role.OPERATOR)).json()
    assert any(a["detail"] == alarm.detail for a in shown["alarms"])


def test_a_remote_open_long_after_the_denial_is_quiet_unless_the_site_widens_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    post(client, world, denied_now(1, "P3", minutes_ago=8))
    remote_open(client, world)
    assert alarms(engine, "operator") == []  # 8 minutes: over the default of 5
    answer = client.put(
        f"/api/v1/sites/{world.site}/insider-rules",
        json={"open_after_denial_minutes": 15},
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 200, answer.text
    remote_open(client, world)
    (alarm,) = alarms(engine, "operator")
    assert "after person P3 was denied there: denied 8 min earlier" in alarm.detail


def test_the_same_operator_overriding_for_the_same_person_repeatedly_alarms_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    about = "operator operator-user keeps overriding denials of person P4: "
    for n in range(2):
        post(client, world, denied_now(10 + n, "P4", minutes_ago=0))
        remote_open(client, world)
        post(client, world, denied_now(20 + n, "P5", minutes_ago=0))
        remote_open(client, world)
    assert alarms(engine, about) == []  # twice each: under the default of three
    post(client, world, denied_now(12, "P4", minutes_ago=0))
    remote_open(client, world)
    (alarm,) = alarms(engine, about)
    assert "3 remote opens right after their denials within 7 days" in alarm.detail
    assert alarm.person_id == "P4"
    post(client, world, denied_now(13, "P4", minutes_ago=0))
    remote_open(client, world)
    assert len(alarms(engine, about)) == 1
    assert alarms(engine, "operator operator-user keeps overriding denials of person P5") == []
