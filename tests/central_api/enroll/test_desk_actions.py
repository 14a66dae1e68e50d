"""The desk's actions on one person through their routes, on SQLite and PostgreSQL (issue 22.3).

Status with a reason, validity in inclusive days of the site's zone, a lost badge replaced
in one step, a pass cancelled, erasure with a typed confirmation and its receipt: each
is decided on by the gates' decision route afterwards, and each piece of bad input is
refused with a message and changes nothing.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from central_api.config import Settings
from central_api.models import (
    AuditEntry,
    BanStatus,
    Credential,
    Person,
    PortBan,
    Role,
    Site,
    WatchlistEntry,
)
from gate_protocol.records import WatchlistAction
from testkit.api.decisions import enroll, query
from testkit.api.enrollment import clear_enroll_tables, enroll_settings
from testkit.api.world import World

PEOPLE = "/api/v1/enroll/people"


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def _decide(client: TestClient, world: World, badge: str) -> tuple[str, str]:
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    return answer.json()["decision"], answer.json()["reason"]


def _snapshot(engine: Engine) -> dict[str, Any]:
    """What a refused action must leave as it was: people, credentials, audit rows."""
    with Session(engine) as session:
        people = session.exec(select(Person).order_by(col(Person.id))).all()
        credentials = session.exec(select(Credential).order_by(col(Credential.id))).all()
        return {
            "people": [p.model_dump(exclude={"updated_at"}) for p in people],
            "credentials": [c.model_dump() for c in credentials],
            "audit": session.exec(select(func.count()).select_from(AuditEntry)).one(),
        }


def _post(
    client: TestClient, world: World, path: str, body: object, role: Role = Role.SECURITY_DESK
) -> httpx.Response:
    answer: httpx.Response = client.post(f"{PEOPLE}/{path}", json=body, headers=world.user(role))
    return answer


def test_revoke_suspend_and_reinstate_need_a_reason_and_reach_the_decision(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0AA001")
    assert _decide(client, world, "0AA001") == ("granted", "granted")
    before = _snapshot(engine)
    for body in ({"action": "suspend"}, {"action": "suspend", "reason": "   "}):
        answer = _post(client, world, f"{person}/standing", body)
        assert answer.status_code == 422 and "reason" in answer.text
    assert _snapshot(engine) == before

    answer = _post(client, world, f"{person}/standing", {"action": "suspend", "reason": "inquiry"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["person"]["status"] == "suspended"
    assert answer.json()["status_reason"] == "inquiry"
    assert _decide(client, world, "0AA001") == ("denied", "person_suspended")
    again = _post(client, world, f"{person}/standing", {"action": "suspend", "reason": "twice"})
    assert again.status_code == 409 and "already suspended" in again.json()["detail"]

    answer = _post(client, world, f"{person}/standing", {"action": "revoke", "reason": "left"})
    assert answer.json()["person"]["status"] == "revoked"
    assert _decide(client, world, "0AA001") == ("denied", "revoked")
    answer = _post(client, world, f"{person}/standing", {"action": "reinstate", "reason": "back"})
    assert answer.json()["person"]["status"] == "active"
    assert _decide(client, world, "0AA001") == ("granted", "granted")
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.after).where(
                AuditEntry.target == f"person:{person}",
                col(AuditEntry.action).startswith("person."),
            )
        ).all()
    mine = {"person.suspend", "person.revoke", "person.reinstate"}
    audited = [(a, json.loads(after or "{}")["status"]) for a, after in actions if a in mine]
    assert audited == [
        ("person.suspend", "suspended"),
        ("person.revoke", "revoked"),
        ("person.reinstate", "active"),
    ]
    assert all("inquiry" not in str(after) for _, after in actions), "reasons are hashed"


def _replica_version(engine: Engine, site: str) -> int:
    with Session(engine) as session:
        row = session.get(Site, site)
        assert row is not None
        return row.replica_version


def test_a_lost_badge_is_replaced_in_one_step(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0BB001")
    other = enroll(engine, world, badge="0BB999")
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    [lost] = standing["credentials"]
    other_badge = client.get(f"{PEOPLE}/{other}/standing", headers=world.user_desk()).json()
    before = _snapshot(engine)
    refused = [
        ({"lost_credential_id": lost["id"], "number": "0BB999"}, 409, "already in use"),
        (
            {"lost_credential_id": other_badge["credentials"][0]["id"], "number": "0BB002"},
            404,
            "no badge",
        ),
        ({"lost_credential_id": lost["id"], "number": "not a badge"}, 422, "number"),
    ]
    for body, status, message in refused:
        answer = _post(client, world, f"{person}/lost-badge", body)
        assert answer.status_code == status, answer.text
        assert message in answer.text
    assert _snapshot(engine) == before

    version = _replica_version(engine, world.site)
    answer = _post(
        client,
        world,
        f"{person}/lost-badge",
        {"lost_credential_id": lost["id"], "number": "0BB002"},
    )
    assert _replica_version(engine, world.site) > version, "the gates' replicas follow"
    assert answer.status_code == 201, answer.text
    old, new = answer.json()["credentials"]
    assert old["revoked_at"] and old["revoke_reason"] == "lost"
    assert (new["ref"], new["revoked_at"]) == ("0BB002", None)
    assert answer.json()["person"]["badges"] == ["0BB002"]
    assert _decide(client, world, "0BB001") == ("denied", "revoked")
    assert _decide(client, world, "0BB002") == ("granted", "granted")
    with Session(engine) as session:
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "credential.replace_lost")
        ).all()
    after = json.loads(entry.after or "{}")
    assert (after["reason"], after["revoked_credential_id"]) == ("lost", lost["id"])
    assert "0BB002" not in str(after), "badge numbers are keyed hashes in the audit"
    again = _post(
        client,
        world,
        f"{person}/lost-badge",
        {"lost_credential_id": lost["id"], "number": "0BB003"},
    )
    assert again.status_code == 409 and "already revoked" in again.text


def _set_timezone(engine: Engine, site: str, zone: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE site SET timezone = :z WHERE id = :s"), {"z": zone, "s": site}
        )


def test_validity_days_are_inclusive_in_the_site_time_zone(
    client: TestClient, world: World, engine: Engine
) -> None:
    _set_timezone(engine, world.site, "Europe/Amsterdam")
    person = enroll(engine, world, badge="0CC001")
    before = _snapshot(engine)
    for body in (
        {"first_day": "2027-06-01", "last_day": "2027-05-31"},
        {"first_day": "2027-06-01", "last_day": "2027-12-31", "site_id": world.other_site},
    ):
        answer = _post(client, world, f"{person}/validity", body)
        assert answer.status_code in (404, 422), answer.text
    assert (
        "before it starts"
        in _post(
            client,
            world,
            f"{person}/validity",
            {"first_day": "2027-06-01", "last_day": "2027-05-31"},
        ).text
    )
    assert _snapshot(engine) == before

    answer = _post(
        client, world, f"{person}/validity", {"first_day": "2027-01-01", "last_day": "2027-12-31"}
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (shown["first_day"], shown["last_day"]) == ("2027-01-01", "2027-12-31")
    assert shown["timezone"] == "Europe/Amsterdam"
    with Session(engine) as session:
        row = session.get(Person, person)
        assert row is not None and row.valid_until is not None
        # Through 31 December in Rotterdam: until 1 January 00:00 CET, 23:00 UTC.
        assert row.valid_until == datetime(2027, 12, 31, 23, 0, tzinfo=UTC)

    # One site's window: the activation there, shown in that site's days.
    answer = _post(
        client, world, f"{person}/validity", {"last_day": "2027-06-30", "site_id": world.site}
    )
    [site] = answer.json()["sites"]
    assert (site["site_id"], site["last_day"]) == (world.site, "2027-06-30")


def test_an_end_stored_as_the_next_midnight_shows_as_the_last_day_it_admits(
    client: TestClient, world: World, engine: Engine
) -> None:
    # What the create form sends for "until 2027-12-31" in a UTC site: 2028-01-01T00:00Z.
    created = client.post(
        PEOPLE,
        json={
            "site_id": world.site,
            "display_name": "Ada Until",
            "kind": "staff",
            "valid_until": "2028-01-01T00:00:00Z",
        },
        headers=world.user_desk(),
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["last_day"] == "2027-12-31"
    standing = client.get(f"{PEOPLE}/{person['id']}/standing", headers=world.user_desk()).json()
    assert standing["last_day"] == "2027-12-31"
    assert standing["sites"][0]["last_day"] == "2027-12-31"


def test_the_standing_lists_passes_and_a_cancelled_pass_leaves_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0DD001")
    start = datetime.now(UTC) + timedelta(hours=1)
    window = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=8)).isoformat(),
    }
    issued = client.post(
        f"{PEOPLE}/{person}/passes",
        json={"gates": [world.gate], **window},
        headers=world.user_desk(),
    ).json()
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    assert [p["pass_id"] for p in standing["passes"]] == [issued["pass_id"]]
    assert (
        client.delete(
            f"/api/v1/enroll/passes/{issued['pass_id']}", headers=world.user_desk()
        ).status_code
        == 204
    )
    standing = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk()).json()
    assert standing["passes"] == []


def test_erase_needs_the_typed_id_and_answers_with_a_receipt(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0EE001")
    before = _snapshot(engine)
    for confirm in ("", "yes", "SOMEONE-ELSE"):
        answer = _post(client, world, f"{person}/erase", {"confirm": confirm})
        assert answer.status_code == 422 and "to confirm the erasure" in answer.text
    assert _post(client, world, f"{person}/erase", {}).status_code == 422
    assert _snapshot(engine) == before

    answer = _post(client, world, f"{person}/erase", {"confirm": person.lower()})
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["person_id"] == person and receipt["erased_by"] == "user:security_desk-user"
    assert receipt["deleted"]["credentials"] == 1
    with Session(engine) as session:
        assert session.get(Person, person) is None
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == receipt["audit_seq"])).one()
    assert (entry.action, entry.hash) == ("person.erase", receipt["audit_hash"])
    assert _decide(client, world, "0EE001") == ("denied", "unknown_credential")


def test_unknown_people_and_roles_that_may_not_act_are_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0FF001")
    before = _snapshot(engine)
    actions: list[tuple[str, dict[str, object]]] = [
        ("standing", {"action": "revoke", "reason": "x"}),
        ("validity", {"last_day": "2030-01-01"}),
        ("lost-badge", {"lost_credential_id": 1, "number": "0FF002"}),
        ("erase", {"confirm": person}),
    ]
    for path, body in actions:
        for role in (Role.OPERATOR, Role.AUTHORITY):
            answer = _post(client, world, f"{person}/{path}", body, role=role)
            assert answer.status_code == 403, (path, role, answer.text)
        answer = _post(
            client,
            world,
            f"NOBODY/{path}",
            {**body, "confirm": "NOBODY"} if path == "erase" else body,
        )
        assert answer.status_code == 404 and "not found" in answer.text, (path, answer.text)
    assert (
        client.get(f"{PEOPLE}/{person}/standing", headers=world.user(Role.OPERATOR)).status_code
        == 403
    )
    assert _snapshot(engine) == before


def test_the_create_form_sends_inclusive_days_that_the_site_zone_turns_into_instants(
    client: TestClient, world: World, engine: Engine
) -> None:
    _set_timezone(engine, world.site, "Europe/Amsterdam")
    body = {"site_id": world.site, "display_name": "Bo Days", "kind": "staff"}
    refused = [
        ({"first_day": "2027-02-01", "last_day": "2027-01-31"}, "before it starts"),
        ({"last_day": "2027-12-31", "valid_until": "2028-01-01T00:00:00Z"}, "not both"),
    ]
    before = _snapshot(engine)
    for days, message in refused:
        answer = client.post(PEOPLE, json={**body, **days}, headers=world.user_desk())
        assert answer.status_code == 422 and message in answer.text, answer.text
    assert _snapshot(engine) == before
    answer = client.post(
        PEOPLE,
        json={**body, "first_day": "2027-01-01", "last_day": "2027-12-31"},
        headers=world.user_desk(),
    )
    assert answer.status_code == 201, answer.text
    person = answer.json()
    assert (person["first_day"], person["last_day"]) == ("2027-01-01", "2027-12-31")
    assert person["valid_from"].startswith("2026-12-31T23:00")
    assert person["valid_until"].startswith("2027-12-31T23:00")


def test_the_desk_finds_people_by_company_name(
    client: TestClient, world: World, engine: Engine
) -> None:
    for name, company in (("Cor Crane", "Maas Cranes BV"), ("Dirk Dock", "Dock Works")):
        body = {"site_id": world.site, "display_name": name, "kind": "staff", "company": company}
        assert client.post(PEOPLE, json=body, headers=world.user_desk()).status_code == 201
    found = client.get(PEOPLE, params={"q": "cranes"}, headers=world.user_desk()).json()
    assert [p["display_name"] for p in found] == ["Cor Crane"]


def test_the_desk_finds_a_person_by_a_checked_document_number_it_never_keeps(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0C0001")
    enroll(engine, world, badge="0C0002")
    documents = f"{person}/documents"
    before = _snapshot(engine)
    for body, status in (
        ({"kind": "passport", "document_number": "NL<1>"}, 422),
        ({"kind": "library_card", "document_number": "NLAB1234567"}, 422),
    ):
        assert _post(client, world, documents, body).status_code == status
    assert (
        _post(
            client,
            world,
            "NOBODY/documents",
            {"kind": "passport", "document_number": "NLAB1234567"},
        ).status_code
        == 404
    )
    assert (
        _post(
            client,
            world,
            documents,
            {"kind": "passport", "document_number": "NLAB1234567"},
            role=Role.OPERATOR,
        ).status_code
        == 403
    )
    assert _snapshot(engine) == before

    answer = _post(
        client, world, documents, {"kind": "passport", "document_number": "nl ab-123 4567"}
    )
    assert answer.status_code == 201, answer.text
    found = client.get(PEOPLE, params={"q": "NLAB1234567"}, headers=world.user_desk()).json()
    assert [p["id"] for p in found] == [person]
    assert client.get(PEOPLE, params={"q": "NLAB1234568"}, headers=world.user_desk()).json() == []
    with engine.connect() as connection:
        stored = repr(connection.execute(text("SELECT * FROM documentcheck")).all())
        stored += repr(connection.execute(text("SELECT * FROM enroll_document_ref")).all())
        stored += repr(connection.execute(text("SELECT before, after FROM audit_entry")).all())
    assert "1234567" not in stored, "the number itself is kept nowhere"
    receipt = _post(client, world, f"{person}/erase", {"confirm": person}).json()
    assert receipt["deleted"]["document_refs"] == 1
    assert client.get(PEOPLE, params={"q": "NLAB1234567"}, headers=world.user_desk()).json() == []


def test_the_standing_shows_bans_and_watchlist_without_the_authoritys_reasons(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0A0B01")
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            PortBan(
                id="ban-1",
                person_id=person,
                reason="smuggling inquiry 77",
                legal_reference="PA-2026/0147 art. 5",
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
                status=BanStatus.ACTIVE,
                issued_by="authority-user",
            )
        )
        session.add(
            WatchlistEntry(person_id=person, action=WatchlistAction.DENY, reason="desk: fraud")
        )
        session.commit()
    answer = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk())
    assert answer.status_code == 200, answer.text
    standing = answer.json()
    [ban] = standing["port_bans"]
    assert ban["valid_until"] is not None
    assert "smuggling" not in answer.text and "PA-2026" not in answer.text
    assert [(w["action"], w["reason"]) for w in standing["watchlist"]] == [("deny", "desk: fraud")]
    assert [s["site_id"] for s in standing["sites"]] == [world.site]
