"""Enrollment API without faces: create in one transaction, find, roles, erase, export."""

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.models import AuditEntry, Credential, FaceTemplate, Person, Role
from gate_protocol.messages import SyncNotice, decode_message
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, apply_delta, decode_replica
from testkit.api.enrollment import (
    add_group,
    add_random_templates,
    clear_enroll_tables,
    enroll_settings,
)
from testkit.api.world import PASSWORD, World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def _person(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "site_id": "rtm",
        "display_name": "Jan de Vries",
        "kind": "driver",
        "company": "Maas Haulage BV",
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2030-01-01T00:00:00Z",
        "competencies": [{"name": "ISPS", "valid_until": "2029-01-01T00:00:00Z"}],
        "external_id": "HR-1001",
        "badge": {"number": "42001", "badge_format": "wiegand26"},
    }
    body.update(extra)
    return body


def _people(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def test_create_person_with_everything_and_find_them(
    client: TestClient, world: World, engine: Engine
) -> None:
    group = add_group(engine)
    desk = world.user(Role.SECURITY_DESK)
    created = client.post(
        "/api/v1/enroll/people", json=_person(access_groups=["quay-staff"]), headers=desk
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["company"] == "Maas Haulage BV"
    assert person["badges"] == ["42001"]
    assert person["external_id"] == "HR-1001"
    assert person["templates"] == 0
    for query in ("de vries", "42001", "HR-1001", person["id"]):
        found = client.get("/api/v1/enroll/people", params={"q": query}, headers=desk).json()
        assert [p["id"] for p in found] == [person["id"]], query
    ids = client.get("/api/v1/enroll/external-ids", params={"site_id": "rtm"}, headers=desk)
    assert ids.json() == {"HR-1001": person["id"]}
    options = client.get("/api/v1/enroll/options", headers=desk).json()
    assert {"id": group, "name": "quay-staff", "site_id": "rtm"} in options["access_groups"]
    assert "ISPS" in options["competencies"]
    with Session(engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.target == f"person:{person['id']}")
        ).all()
    assert [a.action for a in audit] == ["person.create"]
    assert "Jan de Vries" not in (audit[0].after or ""), "names stay out of the audit chain"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"access_groups": ["no-such-group"]}, 404, "access group"),
        ({"site_id": "nowhere"}, 404, "nowhere"),
        ({"valid_until": "2025-01-01T00:00:00Z"}, 422, "valid_until"),
        ({"kind": "pirate"}, 422, "kind"),
        ({"display_name": "Jan \u202eseirV ed"}, 422, "U+202E"),
        ({"display_name": "Jan\u2066 de Vries"}, 422, "bidi"),
        ({"display_name": "Jan\x1b[2J de Vries"}, 422, "U+001B"),
        ({"display_name": "Jan\nADMIN approved"}, 422, "U+000A"),
        ({"company": "Maas\u0085Haulage"}, 422, "U+0085"),
        ({"badge": {"number": "ZZTOP"}}, 422, "badge number"),
    ],
)
def test_a_refused_person_leaves_nothing_behind(
    client: TestClient,
    world: World,
    engine: Engine,
    change: dict[str, object],
    status: int,
    message: str,
) -> None:
    before = _people(engine)
    answer = client.post(
        "/api/v1/enroll/people", json=_person(**change), headers=world.user(Role.SECURITY_DESK)
    )
    assert answer.status_code == status
    assert message in answer.text
    assert _people(engine) == before


def test_a_second_person_with_the_same_badge_or_external_id_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    assert client.post("/api/v1/enroll/people", json=_person(), headers=desk).status_code == 201
    same_badge = _person(external_id="HR-2")
    same_external = _person(badge={"number": "999"})
    for body in (same_badge, same_external):
        answer = client.post("/api/v1/enroll/people", json=body, headers=desk)
        assert answer.status_code == 409, answer.text
    assert _people(engine) == 1
    with Session(engine) as session:
        assert len(session.exec(select(Credential)).all()) == 1


def test_only_desk_users_and_admins_enroll(client: TestClient, world: World) -> None:
    assert client.post("/api/v1/enroll/people", json=_person()).status_code == 401
    operator = world.user(Role.OPERATOR)
    assert client.post("/api/v1/enroll/people", json=_person(), headers=operator).status_code == 403
    assert client.get("/api/v1/enroll/people", headers=operator).status_code == 403
    admin = world.user(Role.ADMIN)
    assert client.post("/api/v1/enroll/people", json=_person(), headers=admin).status_code == 201
    page = client.get("/desk", follow_redirects=False)
    assert page.status_code == 401
    assert page.headers["refresh"] == "0; url=/login?next=/desk"
    assert client.get("/desk", headers=operator).status_code == 403
    html = client.get("/desk", headers=world.user(Role.SECURITY_DESK))
    assert html.status_code == 200
    assert 'data-page="desk"' in html.text and 'src="/static/desk.js"' in html.text
    assert "getUserMedia" in client.get("/static/desk.js").text
    assert "script-src 'self'" in html.headers["content-security-policy"]


def test_the_page_s_cookie_changes_need_its_csrf_token(client: TestClient, world: World) -> None:
    login = client.post(
        "/login", data={"username": "security_desk-user", "password": PASSWORD, "next": "/desk"}
    )
    assert login.status_code == 200 and login.url.path == "/desk"
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', login.text)
    assert token is not None
    url = "/api/v1/enroll/people"
    refused = client.post(url, json=_person())
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    forged = client.post(url, json=_person(), headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    elsewhere = client.post(
        url,
        json=_person(),
        headers={"X-CSRF-Token": token.group(1), "Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    no_origin = client.post(url, json=_person(), headers={"X-CSRF-Token": token.group(1)})
    assert no_origin.status_code == 403, "a cookie change names its origin"
    ours = {"X-CSRF-Token": token.group(1), "Origin": "http://testserver"}
    assert client.post(url, json=_person(), headers=ours).status_code == 201
    assert client.get(url, params={"q": "Jan"}).status_code == 200, "reads need no token"


def test_a_sixth_template_is_refused_before_any_photo_work(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    person = client.post("/api/v1/enroll/people", json=_person(), headers=desk).json()
    add_random_templates(engine, settings, person["id"], 5)
    answer = client.post(
        f"/api/v1/enroll/people/{person['id']}/photos",
        files={"photo": ("x.jpg", b"not even an image")},
        headers=desk,
    )
    assert answer.status_code == 409
    assert "5 templates" in answer.json()["detail"]
    with Session(engine) as session:
        template = session.exec(select(FaceTemplate)).first()
    assert template is not None
    removed = client.delete(
        f"/api/v1/enroll/people/{person['id']}/templates/{template.id}", headers=desk
    )
    assert removed.status_code == 204
    assert (
        client.get(f"/api/v1/enroll/people/{person['id']}", headers=desk).json()["templates"] == 4
    )
    with Session(engine) as session:
        left = [t.id for t in session.exec(select(FaceTemplate)).all()]
    for template_id in left[:-1]:
        url = f"/api/v1/enroll/people/{person['id']}/templates/{template_id}"
        assert client.delete(url, headers=desk).status_code == 204
    last = client.delete(f"/api/v1/enroll/people/{person['id']}/templates/{left[-1]}", headers=desk)
    assert last.status_code == 409 and "at least one template" in last.json()["detail"]


def _replica(
    client: TestClient, world: World, since: int | None = None
) -> ReplicaSnapshot | ReplicaDelta:
    params = {} if since is None else {"since": since}
    answer = client.get(
        f"/api/v1/gates/{world.gate}/replica", params=params, headers=world.gate_key()
    )
    assert answer.status_code == 200, answer.text
    return decode_replica(answer.content)


def test_erasure_removes_everything_and_reaches_the_gate_replica(
    client: TestClient, world: World, engine: Engine, settings: Settings, app: object
) -> None:
    add_group(engine)
    desk = world.user(Role.SECURITY_DESK)
    person = client.post(
        "/api/v1/enroll/people", json=_person(access_groups=["quay-staff"]), headers=desk
    ).json()
    pid = person["id"]
    add_random_templates(engine, settings, pid, 2)
    snapshot = _replica(client, world)
    assert isinstance(snapshot, ReplicaSnapshot)
    assert [p.person_id for p in snapshot.persons] == [pid]
    assert len(snapshot.templates) == 2
    assert [c.ref for c in snapshot.credentials] == ["42001"]

    export = client.get(f"/api/v1/enroll/people/{pid}/export", headers=desk)
    assert export.status_code == 200
    data = export.json()
    assert data["person"]["display_name"] == "Jan de Vries"
    assert data["company"] == "Maas Haulage BV"
    assert [c["ref"] for c in data["credentials"]] == ["42001"]
    assert len(data["face_templates"]) == 2
    assert all("ciphertext" not in t for t in data["face_templates"])
    assert any(a["action"] == "person.create" for a in data["audit"])

    bus = app.state.bus  # type: ignore[attr-defined]
    published_before = len(bus.published)
    erased = client.delete(f"/api/v1/enroll/people/{pid}", headers=desk)
    assert erased.status_code == 200, erased.text
    assert erased.json()["face_templates"] == 2
    assert client.get(f"/api/v1/enroll/people/{pid}", headers=desk).status_code == 404
    with Session(engine) as session:
        assert session.exec(select(FaceTemplate)).all() == []
        assert session.exec(select(Credential)).all() == []

    delta = _replica(client, world, since=snapshot.version)
    assert isinstance(delta, ReplicaDelta)
    assert delta.deleted_person_ids == (pid,)
    after = apply_delta(snapshot, delta)
    assert after.persons == () and after.templates == () and after.credentials == ()

    notices = [decode_message(payload) for _, payload, _ in bus.published[published_before:]]
    assert any(isinstance(n, SyncNotice) and n.replica_version == delta.version for n in notices), (
        "erasure publishes a SyncNotice so agents fetch the delta at once"
    )
    with Session(engine) as session:
        actions = [
            a.action
            for a in session.exec(select(AuditEntry).where(AuditEntry.target == f"person:{pid}"))
        ]
    assert actions[-2:] == ["person.export", "person.erase"]
    assert datetime.now(UTC) > snapshot.generated_at
