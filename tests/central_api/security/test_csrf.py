"""One CSRF rule for every state change authenticated by the session cookie.

A page on another port of the same host sends the admin's cookie (SameSite=strict allows
it) but can neither read the page's CSRF token nor send our Origin: such a request is
refused 403 and changes nothing, whichever `/api/v1` route it aims at. Bearer tokens are
not sent by browsers on their own and need no CSRF token.
"""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AgentKey, Credential, OpenRequest, Role, Site
from testkit.api.dashboard import add_person, login
from testkit.api.world import World

OURS = "http://testserver"
OTHER_PORT = "http://testserver:8081"


def _badge(client: TestClient, world: World, engine: Engine) -> int:
    person = add_person(engine, world.site, "Ria Visser", None)
    answer = client.post(
        f"/api/v1/people/{person}/credentials",
        json={"kind": "badge", "ref": "04A1B2C3"},
        headers=world.user_desk(),
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _revoked(engine: Engine, credential_id: int) -> bool:
    with Session(engine) as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        return credential.revoked_at is not None


def test_a_cookie_only_revoke_is_refused_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    credential = _badge(client, world, engine)
    token = login(client, Role.ADMIN)
    url = f"/api/v1/credentials/{credential}/revoke"
    for headers in (
        {},
        {"Origin": OURS},
        {"X-CSRF-Token": token},
        {"X-CSRF-Token": token, "Origin": OTHER_PORT},
        {"X-CSRF-Token": token, "Origin": "null"},
        {"X-CSRF-Token": token, "Referer": f"{OTHER_PORT}/attack"},
        {"X-CSRF-Token": "0" * 64, "Origin": OURS},
    ):
        refused = client.post(url, headers=headers)
        assert refused.status_code == 403, headers
        assert not _revoked(engine, credential)
    assert client.post(url, headers={"X-CSRF-Token": token, "Origin": OURS}).status_code == 200
    assert _revoked(engine, credential)


def test_our_referer_stands_in_for_a_missing_origin(
    client: TestClient, world: World, engine: Engine
) -> None:
    credential = _badge(client, world, engine)
    token = login(client, Role.ADMIN)
    answer = client.post(
        f"/api/v1/credentials/{credential}/revoke",
        headers={"X-CSRF-Token": token, "Referer": f"{OURS}/desk"},
    )
    assert answer.status_code == 200, answer.text


def test_a_bearer_token_needs_no_csrf_token(
    client: TestClient, world: World, engine: Engine
) -> None:
    credential = _badge(client, world, engine)
    login(client, Role.ADMIN)  # the cookie is there too: the bearer token decides
    answer = client.post(
        f"/api/v1/credentials/{credential}/revoke",
        headers={**world.user_desk(), "Origin": OTHER_PORT},
    )
    assert answer.status_code == 200, answer.text


def _key_hashes(engine: Engine, gate: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(AgentKey).where(AgentKey.gate_id == gate)).all()
        return sorted(row.key_hash for row in rows)


def test_a_cookie_only_gate_key_rotation_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    token = login(client, Role.ADMIN)
    before = _key_hashes(engine, world.gate)
    url = f"/api/v1/gates/{world.gate}/key"
    assert client.post(url, headers={"Origin": OTHER_PORT}).status_code == 403
    assert _key_hashes(engine, world.gate) == before
    rotated = client.post(url, headers={"X-CSRF-Token": token, "Origin": OURS})
    assert rotated.status_code in (200, 201), rotated.text
    assert _key_hashes(engine, world.gate) != before


def test_another_operator_s_cookie_alone_does_not_approve_a_four_eyes_open(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.four_eyes_open = True
        session.add(site)
        session.commit()
    body = {"lane": 1, "direction": "entry", "reason": "truck stuck at lane 1"}
    requested = client.post(
        f"/api/v1/gates/{world.gate}/open", json=body, headers=world.user(Role.OPERATOR)
    )
    assert requested.status_code == 202, requested.text
    request_id = requested.json()["id"]
    token = login(client, Role.ADMIN)
    url = f"/api/v1/open-requests/{request_id}/approve"
    assert client.post(url, headers={"Origin": OTHER_PORT}).status_code == 403
    with Session(engine) as session:
        row = session.get(OpenRequest, request_id)
        assert row is not None and row.status == "pending"
    published = [topic for topic, _, _ in client.app.state.bus.published]  # type: ignore[attr-defined]
    assert not any(topic.endswith("/cmd/open") for topic in published)
    approved = client.post(url, headers={"X-CSRF-Token": token, "Origin": OURS})
    assert approved.status_code == 200, approved.text
