"""Port bans over the API: the authority bans and lifts; every gate of every site obeys.

Runs on SQLite and PostgreSQL (the `engine` fixture); decisions go through the real API.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central_api.config import Settings
from central_api.models import Alarm, AuditEntry, PortBan, Role, Site, User
from central_api.security.auth import create_token, hash_password
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, decode_replica
from testkit.api.decisions import enroll, query
from testkit.api.world import PASSWORD, World

LEGAL = "PA-2026/0147 art. 5"


def ban_body(person_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_id": person_id,
        "reason": "theft of cargo",
        "legal_reference": LEGAL,
    }
    body.update(fields)
    return body


def decide(client: TestClient, world: World, badge: str, gate: str | None = None) -> Any:
    answer = client.post("/api/v1/decisions", json=query(badge), headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return answer.json()


def replica(client: TestClient, world: World, gate: str, since: int | None = None) -> Any:
    suffix = "" if since is None else f"?since={since}"
    answer = client.get(f"/api/v1/gates/{gate}/replica{suffix}", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return decode_replica(answer.content)


def state(engine: Engine) -> tuple[int, int, dict[str, int]]:
    """Ban rows, audit rows and every site's replica version: what bad input must not change."""
    with Session(engine) as session:
        bans = session.exec(select(func.count()).select_from(PortBan)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
        versions = {site.id: site.replica_version for site in session.exec(select(Site)).all()}
    return bans, audits, versions


def second_authority(engine: Engine, settings: Settings) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username="authority-2", password_hash=hash_password(PASSWORD), role=Role.AUTHORITY
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}


def test_a_ban_denies_at_every_gate_raises_an_alarm_and_lifting_it_admits_again(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="BA0001")
    authority = world.user(Role.AUTHORITY)
    before = replica(client, world, world.gate)
    assert decide(client, world, "BA0001")["decision"] == "granted"
    issued = client.post("/api/v1/bans", json=ban_body(person), headers=authority)
    assert issued.status_code == 201, issued.text
    ban = issued.json()
    assert (ban["status"], ban["issued_by"]) == ("active", "authority-user")
    for gate in (world.gate, world.gate2):
        answer = decide(client, world, "BA0001", gate)
        assert (answer["decision"], answer["reason"]) == ("denied", "port_ban")
        assert answer["detail"] == LEGAL
        assert LEGAL in answer["reason_text"]
    # The gates' replicas learn it in the next delta, so they deny offline too.
    delta = replica(client, world, world.gate, since=before.version)
    assert isinstance(delta, ReplicaDelta)
    [record] = [p for p in delta.persons if p.person_id == person]
    assert [b.legal_reference for b in record.port_bans] == [LEGAL]
    # An alarm at the site where the person tried, visible to the authority (no site).
    with Session(engine) as session:
        alarms = session.exec(select(Alarm).where(Alarm.kind == "port_ban")).all()
    assert {(a.site_id, a.person_id) for a in alarms} == {(world.site, person)}
    seen = client.get("/api/v1/alarms", headers=authority)
    assert seen.status_code == 200
    assert {a["kind"] for a in seen.json()} == {"port_ban"}
    listed = client.get("/api/v1/bans", headers=authority).json()
    assert [b["id"] for b in listed] == [ban["id"]]
    lifted = client.post(
        f"/api/v1/bans/{ban['id']}/lift", json={"reason": "court ruling"}, headers=authority
    )
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["status"], lifted.json()["lifted_by"]) == ("lifted", "authority-user")
    assert decide(client, world, "BA0001")["decision"] == "granted"
    after = replica(client, world, world.gate)
    assert isinstance(after, ReplicaSnapshot)
    assert [p.port_bans for p in after.persons if p.person_id == person] == [()]
    assert client.get("/api/v1/bans", headers=authority).json() == []
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action).where(col(AuditEntry.action).startswith("ban."))
        ).all()
    assert actions == ["ban.issue", "ban.lift"]


def test_a_ban_from_tomorrow_does_not_deny_today(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="BA0002")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    body = ban_body(person, valid_from=tomorrow.isoformat())
    assert (
        client.post("/api/v1/bans", json=body, headers=world.user(Role.AUTHORITY)).status_code
        == 201
    )
    assert decide(client, world, "BA0002")["decision"] == "granted"


def test_with_four_eyes_a_ban_waits_for_a_second_authority_user(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    settings.ban_four_eyes = True
    person = enroll(engine, world, badge="BA0003")
    authority = world.user(Role.AUTHORITY)
    ban = client.post("/api/v1/bans", json=ban_body(person), headers=authority).json()
    assert ban["status"] == "pending"
    assert decide(client, world, "BA0003")["decision"] == "granted"
    own = client.post(f"/api/v1/bans/{ban['id']}/confirm", headers=authority)
    assert own.status_code == 409
    assert "second authority user" in own.json()["detail"]
    confirmed = client.post(
        f"/api/v1/bans/{ban['id']}/confirm", headers=second_authority(engine, settings)
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by"] == "authority-2"
    assert decide(client, world, "BA0003")["reason"] == "port_ban"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (ban_body("NOSUCH"), 404, "not found"),
        ({"person_id": "{person}", "legal_reference": LEGAL}, 422, "reason"),
        (ban_body("{person}", reason=""), 422, "reason"),
        (ban_body("{person}", legal_reference=""), 422, "legal_reference"),
        (
            ban_body(
                "{person}",
                valid_from="2026-12-10T00:00:00Z",
                valid_until="2026-12-09T00:00:00Z",
            ),
            422,
            "valid_until must be after valid_from",
        ),
        (ban_body("{person}", valid_until="2020-01-01T00:00:00Z"), 422, "valid_until"),
        (ban_body("{person}", legal_reference="PA-1\u202e7"), 422, "U+202E"),
    ],
    ids=[
        "unknown-identity",
        "no-reason",
        "empty-reason",
        "no-reference",
        "until-before-from",
        "until-past",
        "bidi-reference",
    ],
)
def test_bad_bans_are_refused_and_change_nothing(
    client: TestClient, world: World, engine: Engine, body: dict[str, Any], status: int, words: str
) -> None:
    person = enroll(engine, world, badge="BA0004")
    body = {k: (person if v == "{person}" else v) for k, v in body.items()}
    before = state(engine)
    answer = client.post("/api/v1/bans", json=body, headers=world.user(Role.AUTHORITY))
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert state(engine) == before


def test_a_lifted_ban_cannot_be_lifted_again_nor_an_unknown_one(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="BA0005")
    authority = world.user(Role.AUTHORITY)
    ban = client.post("/api/v1/bans", json=ban_body(person), headers=authority).json()
    lift = {"reason": "court ruling"}
    assert (
        client.post(f"/api/v1/bans/{ban['id']}/lift", json=lift, headers=authority).status_code
        == 200
    )
    before = state(engine)
    again = client.post(f"/api/v1/bans/{ban['id']}/lift", json=lift, headers=authority)
    assert again.status_code == 409
    assert "already lifted" in again.json()["detail"]
    unknown = client.post("/api/v1/bans/ban-none/lift", json=lift, headers=authority)
    assert unknown.status_code == 404
    no_reason = client.post(f"/api/v1/bans/{ban['id']}/lift", json={}, headers=authority)
    assert no_reason.status_code == 422
    assert state(engine) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.SECURITY_DESK])
def test_only_the_authority_may_ban_or_lift(
    client: TestClient, world: World, engine: Engine, role: Role
) -> None:
    person = enroll(engine, world, badge="BA0006")
    ban = client.post(
        "/api/v1/bans", json=ban_body(person), headers=world.user(Role.AUTHORITY)
    ).json()
    before = state(engine)
    issue = client.post("/api/v1/bans", json=ban_body(person), headers=world.user(role))
    assert issue.status_code == 403
    assert "may not do this" in issue.json()["detail"]
    lift = client.post(
        f"/api/v1/bans/{ban['id']}/lift", json={"reason": "not mine"}, headers=world.user(role)
    )
    assert lift.status_code == 403
    assert client.get("/api/v1/bans", headers=world.user(role)).status_code == 403
    assert state(engine) == before


def test_the_authority_sees_every_site_but_configures_and_opens_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    authority = world.user(Role.AUTHORITY)
    assert client.get("/api/v1/events", headers=authority).status_code == 200
    sites = client.get("/api/v1/sites", headers=authority)
    assert {s["id"] for s in sites.json()} == {world.site, world.other_site}
    refused = [
        client.post(
            f"/api/v1/gates/{world.gate}/open", json={"reason": "let me in"}, headers=authority
        ),
        client.post("/api/v1/sites", json={"id": "new", "name": "new"}, headers=authority),
        client.put(
            f"/api/v1/sites/{world.site}/threat-level", json={"level": 2}, headers=authority
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]


def test_an_authority_user_has_no_site(client: TestClient, world: World, engine: Engine) -> None:
    before = state(engine)
    answer = client.post(
        "/api/v1/users",
        json={
            "username": "officer",
            "password": PASSWORD + "-x",
            "role": "authority",
            "site_id": world.site,
        },
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 422
    assert "has no site" in answer.json()["detail"]
    assert state(engine) == before
    ok = client.post(
        "/api/v1/users",
        json={"username": "officer", "password": PASSWORD + "-x", "role": "authority"},
        headers=world.user(Role.ADMIN),
    )
    assert ok.status_code == 201, ok.text
