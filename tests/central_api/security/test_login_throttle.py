"""Login throttling: per account and per client address, time-bounded, audited in bulk.

A flood of wrong passwords locks the account (right password or wrong, token route and
login form alike) with 429 and Retry-After, writes one audit row for the lock instead of
one per failure, and leaves other accounts and other addresses alone.
"""

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry
from central_api.security.login_throttle import ACCOUNT_FAILURES, LoginThrottle
from central_api.security.throttle_storage import SqlThrottleStorage
from testkit.api.world import PASSWORD, World

TOKEN = "/api/v1/auth/token"


def _token(client: TestClient, username: str, password: str) -> int:
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [row.action for row in session.exec(select(AuditEntry)).all()]


def test_thirty_failures_lock_the_account_on_every_way_in(
    client: TestClient, world: World, engine: Engine
) -> None:
    assert ACCOUNT_FAILURES <= 30
    before = len(_actions(engine))
    for _ in range(ACCOUNT_FAILURES):
        assert _token(client, "operator-user", "wrong-password!") == 401
    right = client.post(TOKEN, data={"username": "operator-user", "password": PASSWORD})
    assert right.status_code == 429
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60, "locked for a while, not for good"
    form = client.post(
        "/login", data={"username": "operator-user", "password": PASSWORD}, follow_redirects=False
    )
    assert form.status_code == 429 and "Retry-After" in form.headers
    assert _token(client, "security_desk-user", PASSWORD) == 200, "other accounts still log in"
    added = _actions(engine)[before:]
    assert "login.failed" not in added, "no audit row per failure"
    assert added.count("login.account_locked") == 1
    with Session(engine) as session:
        locked = session.exec(
            select(AuditEntry).where(AuditEntry.action == "login.account_locked")
        ).one()
    assert locked.target == "user:operator-user"
    assert json.loads(locked.after or "{}")["failures"] == ACCOUNT_FAILURES


def test_a_success_ends_the_run_of_failures(
    app: FastAPI, client: TestClient, world: World, engine: Engine
) -> None:
    app.state.login_throttle = LoginThrottle(SqlThrottleStorage(engine), account_failures=3)
    for _ in range(2):
        for _ in range(2):
            assert _token(client, "admin-user", "wrong-password!") == 401
        assert _token(client, "admin-user", PASSWORD) == 200
    for _ in range(3):
        assert _token(client, "admin-user", "wrong-password!") == 401
    assert _token(client, "admin-user", PASSWORD) == 429


def test_one_address_is_limited_without_blocking_the_others(
    app: FastAPI, world: World, engine: Engine
) -> None:
    app.state.login_throttle = LoginThrottle(SqlThrottleStorage(engine), address_failures=5)
    with (
        TestClient(app, client=("203.0.113.7", 40000)) as attacker,
        TestClient(app, client=("198.51.100.2", 40000)) as guard,
    ):
        for name in ("a-1", "a-2", "a-3", "a-4", "a-5"):
            assert _token(attacker, name, "guess-guess-guess") == 401
        refused = attacker.post(TOKEN, data={"username": "operator-user", "password": PASSWORD})
        assert refused.status_code == 429 and "address" in refused.json()["detail"]
        assert _token(guard, "operator-user", PASSWORD) == 200
    assert _actions(engine).count("login.address_locked") == 1
