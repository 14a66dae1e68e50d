"""Incident reports over the API (SQLite and PostgreSQL): report, prefill, update, file, read.

Bad input (a wrong TLP label, too many attachment hashes, another site) is refused with
a message and changes nothing: no row, no audit entry.
"""

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.incidents.tables import Incident
from central_api.ingest.store import store_events
from central_api.models import Alarm, AuditEntry, Company, Role, User
from central_api.security.auth import create_token, hash_password
from gate_protocol.message_base import AlarmKind
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.decisions import enroll
from testkit.api.world import PASSWORD, World, make_event

HASH = "ab" * 32


def body(world: World, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "tailgating",
        "occurred_at": "2026-12-06T08:15:00+00:00",
        "site_id": world.site,
        "gate_id": world.gate,
        "narrative": "Two people passed on one badge at lane 0.",
        "attachments": [HASH],
        "tlp": "TLP:AMBER",
    }
    values.update(fields)
    return values


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        incidents = session.exec(select(func.count()).select_from(Incident)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return incidents, audits


def site_user(engine: Engine, settings: Settings, role: Role, site: str) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=f"{role.value}-{site}",
            password_hash=hash_password(PASSWORD),
            role=role,
            site_id=site,
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}


def test_an_operator_reports_updates_and_files_and_the_authority_reads_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    operator = world.user(Role.OPERATOR)
    created = client.post("/api/v1/incidents", json=body(world), headers=operator)
    assert created.status_code == 201, created.text
    incident = created.json()
    assert (incident["status"], incident["tlp"], incident["zone_id"]) == (
        "draft",
        "TLP:AMBER",
        world.zone,
    )
    assert incident["created_by"] == "operator-user"
    changed = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"tlp": "TLP:RED", "narrative": "Tailgating confirmed on camera."},
        headers=operator,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["tlp"] == "TLP:RED"
    filed = client.post(f"/api/v1/incidents/{incident['id']}/file", headers=operator)
    assert filed.status_code == 200, filed.text
    assert (filed.json()["status"], filed.json()["filed_by"]) == ("filed", "operator-user")
    # Filed is final.
    again = client.patch(
        f"/api/v1/incidents/{incident['id']}", json={"tlp": "TLP:CLEAR"}, headers=operator
    )
    assert again.status_code == 409
    assert "only a draft changes" in again.json()["detail"]
    authority = world.user(Role.AUTHORITY)
    listed = client.get("/api/v1/incidents?status=filed", headers=authority)
    assert [i["id"] for i in listed.json()] == [incident["id"]]
    assert client.get("/api/v1/incidents?tlp=TLP:AMBER", headers=authority).json() == []
    with Session(engine) as session:
        actions = [
            e.action
            for e in session.exec(
                select(AuditEntry).where(AuditEntry.action.startswith("incident"))
            )  # type: ignore[attr-defined]
        ]
        narrative_in_audit = any(
            "Tailgating confirmed" in str(e.after) for e in session.exec(select(AuditEntry))
        )
    assert actions == ["incident.create", "incident.update", "incident.file"]
    assert not narrative_in_audit


def test_people_are_stored_as_pseudonyms_and_companies_by_name(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="1A0001")
    with Session(engine, expire_on_commit=False) as session:
        company = Company(name="Haulage BV")
        session.add(company)
        session.commit()
    answer = client.post(
        "/api/v1/incidents?file=true",
        json=body(world, person_ids=[person], company_ids=[company.id]),
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert stored["status"] == "filed"
    assert stored["companies"] == [{"id": company.id, "name": "Haulage BV"}]
    [pseudonym] = stored["person_pseudonyms"]
    assert len(pseudonym) == 64 and person not in answer.text
    assert "Person 1A0001" not in answer.text
    # The same person gets the same pseudonym in the next report of this installation.
    second = client.post(
        "/api/v1/incidents", json=body(world, person_ids=[person]), headers=world.user(Role.ADMIN)
    )
    assert second.json()["person_pseudonyms"] == [pseudonym]


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"tlp": "TLP:WHITE"}, "unknown TLP label 'TLP:WHITE': use one of TLP:CLEAR"),
    ({"tlp": "amber"}, "TLP:AMBER+STRICT, TLP:RED"),
    ({"attachments": [HASH] * 21}, "at most 20 attachment hashes per incident (got 21)"),
    ({"attachments": ["not-a-hash"]}, "String should match pattern"),
    ({"gate_id": "ams-1"}, "unknown gate 'ams-1' at site 'rtm'"),
    ({"company_ids": [999]}, "unknown company id 999"),
    ({"person_ids": ["nobody"]}, "unknown person 'nobody'"),
    ({"narrative": "x" * 4001}, "at most 4000 characters"),
    ({"issuer": "someone else"}, "set by imports only"),
    ({"occurred_at": "9999-12-31T23:59:59-05:00"}, "time out of range"),
    ({"occurred_at": "2026-12-06T08:15:00"}, "timezone"),
    ({"company_ids": [2**40]}, "less than or equal to 2147483647"),
]


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    # One app and world for every case: each is refused on its own and stores nothing.
    before = counts(engine)
    for fields, message in BAD_INPUT:
        answer = client.post(
            "/api/v1/incidents", json=body(world, **fields), headers=world.user(Role.OPERATOR)
        )
        assert answer.status_code == 422, (fields, answer.text)
        assert message in answer.text, fields
        assert counts(engine) == before


def test_a_draft_update_with_a_bad_label_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    operator = world.user(Role.OPERATOR)
    incident = client.post("/api/v1/incidents", json=body(world), headers=operator).json()
    before = counts(engine)
    answer = client.patch(
        f"/api/v1/incidents/{incident['id']}", json={"tlp": "TLP:WHITE"}, headers=operator
    )
    assert answer.status_code == 422
    assert "use one of TLP:CLEAR" in answer.text
    assert counts(engine) == before
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=operator).json()["tlp"] == (
        "TLP:AMBER"
    )


def test_roles_and_sites(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    rtm = site_user(engine, settings, Role.OPERATOR, world.site)
    ams = site_user(engine, settings, Role.OPERATOR, world.other_site)
    # A site's operator reports for their own site (the site is theirs when not named).
    mine = client.post("/api/v1/incidents", json=body(world, site_id=None), headers=rtm)
    assert mine.status_code == 201, mine.text
    assert mine.json()["site_id"] == world.site
    before = counts(engine)
    foreign = client.post("/api/v1/incidents", json=body(world), headers=ams)
    assert foreign.status_code == 403
    assert "reports for that site only" in foreign.json()["detail"]
    # The authority reads every site's reports but does not write them; the desk does neither.
    authority = world.user(Role.AUTHORITY)
    assert client.post("/api/v1/incidents", json=body(world), headers=authority).status_code == 403
    assert client.get("/api/v1/incidents", headers=world.user_desk()).status_code == 403
    assert counts(engine) == before
    assert len(client.get("/api/v1/incidents", headers=authority).json()) == 1
    # Another site's operator does not see it at all.
    assert client.get("/api/v1/incidents", headers=ams).json() == []
    assert client.get(f"/api/v1/incidents/{mine.json()['id']}", headers=ams).status_code == 404


def test_prefill_from_an_alarm_guesses_the_kind_and_fills_when_where_and_who(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="1A0002")
    raised = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
    with Session(engine) as session:
        session.add(
            Alarm(
                alarm_id="al-forced-1",
                site_id=world.site,
                gate_id=world.gate,
                kind=AlarmKind.FORCED,
                raised_at=raised,
                detail="door forced open",
                person_id=person,
            )
        )
        session.commit()
    operator = world.user(Role.OPERATOR)
    answer = client.get("/api/v1/incidents/prefill?alarm_id=al-forced-1", headers=operator)
    assert answer.status_code == 200, answer.text
    draft = answer.json()
    assert (draft["kind"], draft["site_id"], draft["gate_id"]) == (
        "forced_gate",
        world.site,
        world.gate,
    )
    assert datetime.fromisoformat(draft["occurred_at"]) == raised
    assert draft["source_alarm_id"] == "al-forced-1"
    assert "door forced open" in draft["narrative"]
    assert len(draft["person_pseudonyms"]) == 1 and person not in answer.text
    stored = client.post("/api/v1/incidents?file=true", json=draft, headers=operator)
    assert stored.status_code == 201, stored.text
    assert stored.json()["person_pseudonyms"] == draft["person_pseudonyms"]
    missing = client.get("/api/v1/incidents/prefill?alarm_id=nope", headers=operator)
    assert missing.status_code == 404
    neither = client.get("/api/v1/incidents/prefill", headers=operator)
    assert neither.status_code == 422 and "exactly one" in neither.text


def test_prefill_shows_a_gate_detail_with_control_characters_neutralised(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        session.add(
            Alarm(
                alarm_id="al-odd-1",
                site_id=world.site,
                gate_id=world.gate,
                kind=AlarmKind.LIVENESS,
                raised_at=datetime(2026, 12, 6, 7, 0, tzinfo=UTC),
                detail="score 0.1\x1b[31m \u202eevil",
            )
        )
        session.commit()
    answer = client.get(
        "/api/v1/incidents/prefill?alarm_id=al-odd-1", headers=world.user(Role.OPERATOR)
    )
    assert answer.status_code == 200, answer.text
    draft = answer.json()
    assert draft["kind"] == "liveness_attack"
    assert "\x1b" not in draft["narrative"] and "\u202e" not in draft["narrative"]
    assert draft["narrative"].startswith("Alarm liveness: score 0.1")


def test_a_draft_update_with_too_many_hashes_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    operator = world.user(Role.OPERATOR)
    incident = client.post("/api/v1/incidents", json=body(world), headers=operator).json()
    before = counts(engine)
    answer = client.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"attachments": ["12" * 32] * 21},
        headers=operator,
    )
    assert answer.status_code == 422
    assert "at most 20 attachment hashes per incident (got 21)" in answer.text
    assert counts(engine) == before


def test_prefill_from_a_denied_event_guesses_pass_fraud(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="1A0003")
    with Session(engine) as session:
        store_events(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            events=[
                make_event(
                    3,
                    person_id=person,
                    decision=Decision.DENIED,
                    reason=ReasonCode.PASS_ALREADY_USED,
                )
            ],
        )
        session.commit()
    operator = world.user(Role.OPERATOR)
    answer = client.get("/api/v1/incidents/prefill?event_id=ev-3", headers=operator)
    assert answer.status_code == 200, answer.text
    draft = answer.json()
    assert (draft["kind"], draft["gate_id"], draft["source_event_id"]) == (
        "pass_fraud",
        world.gate,
        "ev-3",
    )
    assert "pass_already_used" in draft["narrative"]
    assert len(draft["person_pseudonyms"]) == 1
    both = client.get("/api/v1/incidents/prefill?event_id=ev-3&alarm_id=x", headers=operator)
    assert both.status_code == 422 and "exactly one" in both.text
