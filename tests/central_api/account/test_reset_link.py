"""Admin reset with a one-time link: used once, expires, refused twice, nothing leaks."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry, PasswordReset, Role, User
from testkit.api.world import PASSWORD, World

NEW = "tidal-crane-orange-42"


def _issue(client: TestClient, world: World, username: str = "operator-user") -> str:
    answer = client.post(f"/api/v1/users/{username}/reset-link", headers=world.user(Role.ADMIN))
    assert answer.status_code == 201, answer.text
    url: str = answer.json()["url"]
    assert "/reset#" in url
    return url.split("#", 1)[1]


def _state(engine: Engine) -> tuple[str, int, list[object]]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "operator-user")).one()
        used = [row.used_at for row in session.exec(select(PasswordReset)).all()]
        return user.password_hash, user.session_epoch, used


def _token_ok(client: TestClient, password: str) -> bool:
    answer = client.post(
        "/api/v1/auth/token", data={"username": "operator-user", "password": password}
    )
    return answer.status_code == 200


def test_a_link_sets_the_password_once_and_a_second_use_is_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    token = _issue(client, world)
    with Session(engine) as session:
        stored = session.exec(select(PasswordReset)).one()
        audit = [str(row.after) for row in session.exec(select(AuditEntry)).all()]
    assert token not in stored.token_hash and len(stored.token_hash) == 64, "a keyed hash only"
    assert not any(token in row for row in audit), "the audit never holds the token"
    assert client.get("/reset").status_code == 200
    done = client.post("/reset", data={"token": token, "password": NEW})
    assert done.status_code == 200 and "Password set for operator-user" in done.text
    assert _token_ok(client, NEW) and not _token_ok(client, PASSWORD)
    before = _state(engine)
    again = client.post("/reset", data={"token": token, "password": "another-fine-phrase-9"})
    assert again.status_code == 410 and "used already" in again.text
    assert _state(engine) == before, "the second use changed nothing"
    with Session(engine) as session:
        actions = [row.action for row in session.exec(select(AuditEntry)).all()]
    assert "user.reset_link" in actions and "user.password_reset" in actions


def test_an_expired_unknown_or_replaced_link_and_a_weak_password_change_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    old = _issue(client, world)
    token = _issue(client, world)  # the newer link kills the older one
    before = _state(engine)
    cases = [
        ({"token": old, "password": NEW}, 410, "used already"),
        ({"token": "no-such-token", "password": NEW}, 410, "not valid"),
        ({"token": token, "password": "password1234"}, 422, "too common"),
        ({"token": token, "password": "short"}, 422, "at least 12"),
    ]
    for form, code, words in cases:
        answer = client.post("/reset", data=form)
        assert answer.status_code == code, (form, answer.text)
        assert words in answer.text
    assert _state(engine) == before
    with Session(engine) as session:
        for link in session.exec(select(PasswordReset)).all():
            link.expires_at = link.created_at - timedelta(seconds=1)
            session.add(link)
        session.commit()
    expired = client.post("/reset", data={"token": token, "password": NEW})
    assert expired.status_code == 410 and "expired" in expired.text
    assert _state(engine) == before
    assert _token_ok(client, PASSWORD)


def test_only_an_admin_issues_a_link_and_an_unknown_user_is_named(
    client: TestClient, world: World, engine: Engine
) -> None:
    refused = client.post(
        "/api/v1/users/operator-user/reset-link", headers=world.user(Role.OPERATOR)
    )
    assert refused.status_code == 403
    unknown = client.post("/api/v1/users/nobody/reset-link", headers=world.user(Role.ADMIN))
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
    assert _state(engine)[2] == []
