from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.crud.users import create_user, set_user_active
from central_api.errors import InvalidError
from central_api.models import AuditEntry, Role, User
from central_api.security.auth import COOKIE_NAME, create_token
from testkit.api.world import PASSWORD, World


def test_a_fresh_database_has_no_users(engine: Engine) -> None:
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_password_flow_gives_a_short_lived_token(client: TestClient, world: World) -> None:
    answer = client.post(
        "/api/v1/auth/token", data={"username": "operator-user", "password": PASSWORD}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "username": "operator-user",
        "role": "operator",
        "site_id": None,
        "active": True,
    }


def test_wrong_password_is_refused_and_audited_in_bulk_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    # Failures are counted by the login throttle; the audit gets one row when an account
    # or an address is locked (test_login_throttle.py), not one per wrong password.
    answer = client.post(
        "/api/v1/auth/token", data={"username": "operator-user", "password": "wrong-password!"}
    )
    assert answer.status_code == 401
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert unknown.status_code == 401
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("login.failed") == 0


def test_login_form_sets_a_strict_http_only_cookie(client: TestClient, world: World) -> None:
    answer = client.post(
        "/login",
        data={"username": "security_desk-user", "password": PASSWORD, "next": "/desk"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/desk"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    me = client.get("/api/v1/auth/me", cookies={COOKIE_NAME: answer.cookies[COOKIE_NAME]})
    assert me.json()["role"] == "security_desk"


def test_login_form_refuses_wrong_password_and_open_redirects(
    client: TestClient, world: World
) -> None:
    bad = client.post("/login", data={"username": "admin-user", "password": "nope"})
    assert bad.status_code == 401
    assert "Wrong user name or password" in bad.text
    evil = client.post(
        "/login",
        data={"username": "admin-user", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/"


def test_secure_flag_follows_settings(engine: Engine) -> None:
    from central_api.app import create_app
    from testkit.api.world import seed_world

    settings = Settings(PORTGATE_DEV_MODE=True, PORTGATE_COOKIE_SECURE=True)
    with TestClient(create_app(settings, engine=engine)) as client:
        seed_world(engine, settings)
        answer = client.post(
            "/login",
            data={"username": "admin-user", "password": PASSWORD},
            follow_redirects=False,
        )
    assert "Secure" in answer.headers["set-cookie"]


def test_expired_forged_and_disabled_tokens_are_refused(
    client: TestClient, world: World, settings: Settings, engine: Engine
) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "admin-user")).one()
        expired = create_token(settings=settings, user=user, minutes=-1, purpose="access")
    forged = jwt.encode(
        {"sub": "admin-user", "role": "admin", "exp": 4102444800}, "x" * 40, algorithm="HS256"
    )
    for token in (expired, forged, "not-a-jwt"):
        answer = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    with Session(engine) as session:
        set_user_active(session=session, username="admin-user", active=False, actor="test")
    assert client.get("/api/v1/auth/me", headers=world.user(Role.ADMIN)).status_code == 401


def test_users_need_a_real_password(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(InvalidError, match="at least 12"):
        create_user(session=session, username="bob", password="short", role=Role.ADMIN, actor="t")


@pytest.mark.parametrize("secret", [None, "changethis", "short-secret", "a" * 40])
def test_settings_refuse_missing_or_weak_secrets(
    secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTGATE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTGATE_DEV_MODE", raising=False)
    kwargs = {"PORTGATE_TEMPLATE_KEY": "A" * 43 + "="}
    if secret is not None:
        kwargs["PORTGATE_SECRET_KEY"] = secret
    with pytest.raises(ValidationError, match="PORTGATE_SECRET_KEY"):
        Settings(**kwargs)  # type: ignore[arg-type]


def test_settings_refuse_a_bad_template_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTGATE_DEV_MODE", raising=False)
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(
            PORTGATE_SECRET_KEY="k2J9-vQx7LmN4pR8sT1uW5yZ0aB3cD6eF",
            PORTGATE_TEMPLATE_KEY="c2hvcnQ=",
        )


def test_dev_mode_makes_throwaway_secrets() -> None:
    one, two = Settings(PORTGATE_DEV_MODE=True), Settings(PORTGATE_DEV_MODE=True)
    assert one.jwt_secret() != two.jwt_secret()
    assert len(one.template_key_bytes()) == 32


def test_token_lifetime_is_bounded(settings: Settings) -> None:
    assert timedelta(minutes=settings.access_token_minutes) <= timedelta(minutes=60)


def test_home_page_links_the_web_pages_and_shows_no_data(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for link in ('href="/dashboard"', 'href="/desk"', 'href="/login"'):
        assert link in page.text
    assert "/" not in client.get("/openapi.json").json()["paths"]
