"""Logout and a password change end a user's sessions on the server, not just in the browser.

Every token carries the user's session epoch; both bump it, so a copied session cookie or a
bearer token issued before stops working at once instead of living out its 8 hours.
"""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry, Role
from central_api.security.auth import COOKIE_NAME
from testkit.api.dashboard import login
from testkit.api.world import PASSWORD, World

OURS = {"Origin": "http://testserver"}


def _bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_logout_ends_the_cookie_and_every_token_issued_before(
    client: TestClient, world: World, engine: Engine
) -> None:
    token = login(client, Role.OPERATOR)
    cookie = client.cookies[COOKIE_NAME]
    bearer = _bearer(client, "operator-user")
    out = client.post("/logout", headers={"X-CSRF-Token": token, **OURS}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    copied = client.get("/api/v1/auth/me", cookies={COOKIE_NAME: cookie})
    assert copied.status_code == 401 and "log in again" in copied.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert (
        client.get("/api/v1/auth/me", headers=_bearer(client, "operator-user")).status_code == 200
    )
    with Session(engine) as session:
        actions = [row.action for row in session.exec(select(AuditEntry)).all()]
    assert "logout" in actions


def test_a_forged_logout_is_refused_and_the_session_lives_on(
    client: TestClient, world: World
) -> None:
    login(client, Role.OPERATOR)
    forged = client.post("/logout", headers={"Origin": "http://testserver:8081"})
    assert forged.status_code == 403
    assert client.get("/api/v1/auth/me").status_code == 200


def test_a_password_change_ends_the_user_s_sessions(client: TestClient, world: World) -> None:
    before = _bearer(client, "security_desk-user")
    new_password = "another-long-password-1"
    changed = client.put(
        "/api/v1/users/security_desk-user/password",
        json={"password": new_password},
        headers=world.user(Role.ADMIN),
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/v1/auth/me", headers=before).status_code == 401
    refused = client.post(
        "/api/v1/auth/token", data={"username": "security_desk-user", "password": PASSWORD}
    )
    assert refused.status_code == 401
    after = _bearer(client, "security_desk-user", new_password)
    assert client.get("/api/v1/auth/me", headers=after).status_code == 200


def test_a_short_new_password_is_refused_and_nothing_changes(
    client: TestClient, world: World
) -> None:
    before = _bearer(client, "security_desk-user")
    short = client.put(
        "/api/v1/users/security_desk-user/password",
        json={"password": "short"},
        headers=world.user(Role.ADMIN),
    )
    assert short.status_code == 422
    assert client.get("/api/v1/auth/me", headers=before).status_code == 200
