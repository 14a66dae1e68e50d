"""Your sessions: each login is listed, one can be ended, "log out everywhere" ends all."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry, LoginSession
from testkit.api.world import PASSWORD, World


def _login(client: TestClient, agent: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/token",
        data={"username": "operator-user", "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_sessions_are_listed_and_one_can_be_ended(
    client: TestClient, world: World, engine: Engine
) -> None:
    laptop = _login(client, "laptop-browser")
    phone = _login(client, "phone-browser")
    listed = client.get("/api/v1/account/sessions", headers=laptop)
    assert listed.status_code == 200, listed.text
    rows = {row["user_agent"]: row for row in listed.json()}
    assert set(rows) == {"laptop-browser", "phone-browser"}
    assert rows["laptop-browser"]["current"] and not rows["phone-browser"]["current"]
    assert rows["phone-browser"]["address"]
    ended = client.post(
        f"/api/v1/account/sessions/{rows['phone-browser']['id']}/end", headers=laptop
    )
    assert ended.status_code == 204, ended.text
    assert client.get("/api/v1/auth/me", headers=phone).status_code == 401
    assert client.get("/api/v1/auth/me", headers=laptop).status_code == 200
    again = client.get("/api/v1/account/sessions", headers=laptop).json()
    assert [row["user_agent"] for row in again] == ["laptop-browser"]


def test_ending_an_unknown_or_someone_else_s_session_is_refused_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    mine = _login(client, "mine")
    desk = client.post(
        "/api/v1/auth/token", data={"username": "security_desk-user", "password": PASSWORD}
    )
    theirs = {"Authorization": f"Bearer {desk.json()['access_token']}"}
    their_id = client.get("/api/v1/account/sessions", headers=theirs).json()[0]["id"]
    for sid in (their_id, "no-such-session"):
        answer = client.post(f"/api/v1/account/sessions/{sid}/end", headers=mine)
        assert answer.status_code == 404 and "no such" in answer.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=theirs).status_code == 200
    with Session(engine) as session:
        assert all(row.ended_at is None for row in session.exec(select(LoginSession)).all())


def test_log_out_everywhere_ends_every_session_and_is_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    one, two = _login(client, "one"), _login(client, "two")
    answer = client.post("/api/v1/account/logout-everywhere", headers=one)
    assert answer.status_code == 204, answer.text
    assert client.get("/api/v1/auth/me", headers=one).status_code == 401
    assert client.get("/api/v1/auth/me", headers=two).status_code == 401
    fresh = _login(client, "three")
    assert [
        r["user_agent"] for r in client.get("/api/v1/account/sessions", headers=fresh).json()
    ] == ["three"]
    with Session(engine) as session:
        actions = [row.action for row in session.exec(select(AuditEntry)).all()]
    assert "session.end_all" in actions


def test_a_login_clears_the_user_s_dead_sessions_and_keeps_the_live_ones(
    client: TestClient, world: World, engine: Engine
) -> None:
    live, ended = _login(client, "live"), _login(client, "ended")
    ended_id = next(
        r["id"]
        for r in client.get("/api/v1/account/sessions", headers=live).json()
        if r["user_agent"] == "ended"
    )
    assert client.post(f"/api/v1/account/sessions/{ended_id}/end", headers=live).status_code == 204
    with Session(engine) as session:
        old = session.exec(select(LoginSession).where(LoginSession.user_agent == "live")).one()
        session.add(
            LoginSession(
                id="stale",
                user_id=old.user_id,
                user_agent="yesterday",
                epoch=old.epoch,
                created_at=old.created_at - timedelta(hours=25),
            )
        )
        session.commit()
    _login(client, "newest")
    with Session(engine) as session:
        kept = {row.user_agent for row in session.exec(select(LoginSession)).all()}
    assert kept == {"live", "newest"}
    assert client.get("/api/v1/auth/me", headers=live).status_code == 200
    assert client.get("/api/v1/auth/me", headers=ended).status_code == 401
