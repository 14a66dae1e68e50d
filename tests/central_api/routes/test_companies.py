"""The companies API: who may read and change a status, bad input, history, figures."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.models import (
    Alarm,
    Appointment,
    AuditEntry,
    Company,
    CompanyStatusChange,
    ReplicaChange,
    Role,
    User,
)
from central_api.security.auth import create_token, hash_password
from gate_protocol.messages import AlarmKind, Decision
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.api.companies import company_of
from testkit.api.decisions import book, enroll
from testkit.api.world import World, make_event

URL = "/api/v1/companies"


def _unchanged(engine: Engine) -> tuple[int, int, int, list[str]]:
    """What a refused change must leave as it was: history, audit, replica log, statuses."""
    with Session(engine) as session:
        return (
            len(session.exec(select(CompanyStatusChange)).all()),
            len(
                session.exec(
                    select(AuditEntry).where(col(AuditEntry.action).startswith("company."))
                ).all()
            ),
            len(session.exec(select(ReplicaChange)).all()),
            [str(c.status) for c in session.exec(select(Company).order_by(col(Company.id))).all()],
        )


def _status(client: TestClient, headers: dict[str, str], ref: object, body: object):  # type: ignore[no-untyped-def]
    return client.post(f"{URL}/{ref}/status", json=body, headers=headers)


def test_the_authority_suspends_and_clears_with_history_and_audit(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="A1")
    company = company_of(engine, "North Sea Haulage", person)
    authority = world.user(Role.AUTHORITY)
    suspended = _status(
        client, authority, company, {"status": "suspended", "reason": "unpaid dues"}
    )
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["status"], suspended.json()["status_reason"]) == (
        "suspended",
        "unpaid dues",
    )
    cleared = _status(client, world.user(Role.ADMIN), "north sea haulage", {"status": "active"})
    assert cleared.status_code == 200, cleared.text
    history = client.get(f"{URL}/{company}", headers=world.user(Role.OPERATOR)).json()["history"]
    assert [(h["from_status"], h["to_status"], h["reason"], h["actor"]) for h in history] == [
        ("active", "suspended", "unpaid dues", "user:authority-user"),
        ("suspended", "active", "", "user:admin-user"),
    ]
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.target)
            .where(col(AuditEntry.action).startswith("company."))
            .order_by(col(AuditEntry.id))
        ).all()
    assert [tuple(a) for a in actions] == [
        ("company.suspend", f"company:{company}"),
        ("company.clear", f"company:{company}"),
    ]


def test_site_users_read_but_may_not_change_a_status(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    company = company_of(engine, "Acme", enroll(engine, world, badge="A2"))
    with Session(engine) as session:
        site_admin = User(
            username="site-admin",
            password_hash=hash_password("correct-horse-battery"),
            role=Role.ADMIN,
            site_id=world.site,
        )
        session.add(site_admin)
        session.commit()
        site_admin_token = create_token(
            settings=settings, user=site_admin, minutes=5, purpose="access"
        )
    before = _unchanged(engine)
    for headers in (
        world.user(Role.OPERATOR),
        world.user(Role.SECURITY_DESK),
        {"Authorization": f"Bearer {site_admin_token}"},
    ):
        listed = client.get(URL, headers=headers)
        assert listed.status_code == 200
        assert [(c["name"], c["status"], c["people"]) for c in listed.json()] == [
            ("Acme", "active", 1)
        ]
        refused = _status(client, headers, company, {"status": "suspended", "reason": "x"})
        assert refused.status_code == 403, refused.text
    assert client.get(URL).status_code == 401
    assert _unchanged(engine) == before


@pytest.mark.parametrize(
    ("ref", "body", "code", "message"),
    [
        ("999", {"status": "suspended", "reason": "x"}, 404, "company 999 not found"),
        ("Nobody Ltd", {"status": "flagged", "reason": "x"}, 404, "'Nobody Ltd' not found"),
        ("twin", {"status": "suspended", "reason": "x"}, 409, "matches 2 companies"),
        ("Acme", {"status": "suspended"}, 422, "a reason is required"),
        ("Acme", {"status": "flagged", "reason": "   "}, 422, "a reason is required"),
        ("Acme", {"status": "active"}, 409, "already active: nothing to clear"),
        ("Acme", {"status": "banned", "reason": "x"}, 422, "status"),
        ("Acme", {"reason": "x"}, 422, "status"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient,
    world: World,
    engine: Engine,
    ref: str,
    body: object,
    code: int,
    message: str,
) -> None:
    company_of(engine, "Acme", enroll(engine, world, badge="A3"))
    company_of(engine, "Twin")
    company_of(engine, "TWIN")  # the names differ only in case
    before = _unchanged(engine)
    answer = _status(client, world.user(Role.AUTHORITY), ref, body)
    assert answer.status_code == code, answer.text
    assert message in answer.text
    assert _unchanged(engine) == before


def test_setting_the_status_a_company_already_has_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    company = company_of(engine, "Acme")
    authority = world.user(Role.AUTHORITY)
    assert _status(client, authority, company, {"status": "flagged", "reason": "a"}).is_success
    before = _unchanged(engine)
    again = _status(client, authority, company, {"status": "flagged", "reason": "b"})
    assert again.status_code == 409 and "already flagged" in again.text
    assert _unchanged(engine) == before


def test_figures_count_passages_denials_reuse_no_shows_and_alarms(
    client: TestClient, world: World, engine: Engine
) -> None:
    driver = enroll(engine, world, badge="D1", kind=PersonKind.DRIVER)
    outsider = enroll(engine, world, badge="D2")
    company = company_of(engine, "Rotterdam Trucking", driver)
    now = datetime.now(UTC)
    start = now - timedelta(hours=3)
    outcomes = [
        (Decision.GRANTED, ReasonCode.GRANTED, True, driver),
        (Decision.GRANTED, ReasonCode.GRANTED, True, driver),
        (Decision.GRANTED, ReasonCode.GRANTED, False, driver),  # opened, nobody passed
        (Decision.DENIED, ReasonCode.PASS_ALREADY_USED, None, driver),
        (Decision.DENIED, ReasonCode.PASS_ALREADY_USED, None, driver),
        (Decision.DENIED, ReasonCode.FACE_MISMATCH, None, driver),
        (Decision.DENIED, ReasonCode.FACE_MISMATCH, None, outsider),  # not the company's
    ]
    events = [
        make_event(
            n,
            person_id=person,
            decision=decision,
            reason=reason,
            passed=passed,
            occurred_at=now - timedelta(hours=1, minutes=n),
        ).model_dump(mode="json")
        for n, (decision, reason, passed, person) in enumerate(outcomes)
    ]
    early = make_event(99, person_id=driver, occurred_at=start - timedelta(minutes=1))
    stored = client.post(
        "/api/v1/events",
        json={"events": [*events, early.model_dump(mode="json")]},
        headers=world.gate_key(),
    )
    assert stored.status_code == 200, stored.text
    missed, _ = book(engine, world, driver, [world.gate])
    book(engine, world, driver, [world.gate])  # its window is still open: no no-show yet
    with Session(engine) as session:
        appointment = session.get(Appointment, missed)
        assert appointment is not None
        appointment.window_start = now - timedelta(hours=2)
        appointment.window_end = now - timedelta(hours=1)
        session.add(appointment)
        for n, person in enumerate((driver, driver, outsider)):
            session.add(
                Alarm(
                    alarm_id=f"al-{n}",
                    site_id=world.site,
                    gate_id=world.gate,
                    kind=AlarmKind.COMPANY_FLAGGED,
                    raised_at=now - timedelta(minutes=30),
                    person_id=person,
                )
            )
        session.commit()
    answer = client.get(
        f"{URL}/{company}/figures",
        params={"from": start.isoformat(), "to": now.isoformat()},
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert (figures["name"], figures["passages"], figures["denials"]) == (
        "Rotterdam Trucking",
        2,
        3,
    )
    assert figures["denials_by_reason"] == {"face_mismatch": 1, "pass_already_used": 2}
    assert (figures["pass_reuse_attempts"], figures["no_shows"], figures["alarms"]) == (2, 1, 2)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "from must be before"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "at most 366 days"),
        ({"from": "2026-12-01T00:00:00", "to": "2026-12-02T00:00:00"}, "time zone"),
        ({"from": "yesterday"}, "from"),
    ],
)
def test_figures_refuse_a_bad_period(
    client: TestClient, world: World, engine: Engine, params: dict[str, str], message: str
) -> None:
    company = company_of(engine, "Acme")
    answer = client.get(
        f"{URL}/{company}/figures", params=params, headers=world.user(Role.OPERATOR)
    )
    assert answer.status_code == 422, answer.text
    assert message in answer.text


@pytest.mark.parametrize("ref", ["12345678901234567890", "²", "%00"])
def test_odd_company_references_are_not_found(
    client: TestClient, world: World, engine: Engine, ref: str
) -> None:
    company_of(engine, "Acme")
    answer = client.get(f"{URL}/{ref}", headers=world.user(Role.OPERATOR))
    assert answer.status_code in (404, 422), answer.text


def test_figures_without_from_before_the_first_year_are_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    company = company_of(engine, "Acme")
    answer = client.get(
        f"{URL}/{company}/figures",
        params={"to": "0001-01-02T00:00:00Z"},
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 422, answer.text


def test_a_site_bound_operator_counts_their_own_site_only(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    here = enroll(engine, world, badge="5A1")
    there = enroll(engine, world, badge="5A2", site=world.other_site, zone="ams-quay")
    company = company_of(engine, "Two Terminal Stevedores", here, there)
    now = datetime.now(UTC)
    for n, (person, gate) in enumerate(((here, world.gate), (there, world.other_gate))):
        event = make_event(n, person_id=person, occurred_at=now - timedelta(minutes=5))
        stored = client.post(
            "/api/v1/events",
            json={"events": [event.model_dump(mode="json")]},
            headers=world.gate_key(gate),
        )
        assert stored.status_code == 200, stored.text
    with Session(engine) as session:
        operator = User(
            username="rtm-operator",
            password_hash=hash_password("correct-horse-battery"),
            role=Role.OPERATOR,
            site_id=world.site,
        )
        session.add(operator)
        session.commit()
        token = create_token(settings=settings, user=operator, minutes=5, purpose="access")
    site_bound = {"Authorization": f"Bearer {token}"}
    everywhere = world.user(Role.AUTHORITY)
    for headers, people, passages in ((site_bound, 1, 1), (everywhere, 2, 2)):
        [listed] = client.get(URL, headers=headers).json()
        assert listed["people"] == people
        figures = client.get(f"{URL}/{company}/figures", headers=headers).json()
        assert figures["passages"] == passages
