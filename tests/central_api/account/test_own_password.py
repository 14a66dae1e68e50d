"""Change your own password: the current one is required, the policy holds, sessions end."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry, Role, User
from testkit.api.dashboard import login
from testkit.api.world import PASSWORD, World

OURS = {"Origin": "http://testserver"}
NEW = "tidal-crane-orange-42"


def _bearer(client: TestClient, username: str, password: str) -> dict[str, str] | None:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    if answer.status_code != 200:
        return None
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _hash_and_epoch(engine: Engine, username: str) -> tuple[str, int]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return user.password_hash, user.session_epoch


def test_changing_your_password_ends_every_session_and_the_new_one_works(
    client: TestClient, world: World, engine: Engine
) -> None:
    other = _bearer(client, "operator-user", PASSWORD)
    assert other is not None
    token = login(client, Role.OPERATOR)
    answer = client.post(
        "/api/v1/account/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers={"X-CSRF-Token": token, **OURS},
    )
    assert answer.status_code == 200, answer.text
    assert client.get("/api/v1/auth/me").status_code == 401, "this session ended too"
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401
    assert _bearer(client, "operator-user", PASSWORD) is None
    fresh = _bearer(client, "operator-user", NEW)
    assert fresh is not None
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == "user.password_own")
        ).all()
    assert [row.target for row in rows] == ["user:operator-user"]
    assert NEW not in str(rows[0].after) and PASSWORD not in str(rows[0].after)


def test_a_wrong_current_or_a_weak_new_password_is_refused_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    headers = _bearer(client, "operator-user", PASSWORD)
    assert headers is not None
    before = _hash_and_epoch(engine, "operator-user")
    cases = [
        ({"current_password": "not-my-password-at-all", "new_password": NEW}, 400, "current"),
        ({"current_password": PASSWORD, "new_password": "short"}, 422, "at least 12"),
        ({"current_password": PASSWORD, "new_password": "password1234"}, 422, "too common"),
        ({"current_password": PASSWORD, "new_password": "x-operator-user-x"}, 422, "user name"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "differ"),
    ]
    for body, code, words in cases:
        answer = client.post("/api/v1/account/password", json=body, headers=headers)
        assert answer.status_code == code, (body, answer.text)
        assert words in answer.json()["detail"], answer.text
    assert _hash_and_epoch(engine, "operator-user") == before
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


def test_the_policy_holds_when_an_admin_sets_a_password(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = _hash_and_epoch(engine, "operator-user")
    for weak in ("password1234", "operator-user-2026"):
        answer = client.put(
            "/api/v1/users/operator-user/password",
            json={"password": weak},
            headers=world.user(Role.ADMIN),
        )
        assert answer.status_code == 422, answer.text
    assert _hash_and_epoch(engine, "operator-user") == before
