"""A second desk user's signature (name + password at another's desk) is no password oracle.

An unknown pending face answers 404 whatever the password; at a real one a wrong password
is refused 403 and audited; the signature goes through the login throttle like any login.
"""

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.enroll.tables import PendingFace
from central_api.models import AuditEntry, Role
from central_api.security.login_throttle import LoginThrottle
from central_api.security.throttle_storage import SqlThrottleStorage
from testkit.api.dashboard import add_person
from testkit.api.world import PASSWORD, World


def _confirm(client: TestClient, world: World, pending: str, password: str) -> int:
    answer = client.post(
        f"/api/v1/enroll/pending-faces/{pending}/confirm",
        json={"username": "admin-user", "password": password},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code


def _pending(engine: Engine, world: World) -> str:
    # A fresh id each time: the enrollment tables outlive a test on PostgreSQL.
    pending_id = f"pf-{uuid.uuid4().hex[:12]}"
    person = add_person(engine, world.site, "Ria Visser", None)
    with Session(engine) as session:
        session.add(
            PendingFace(
                id=pending_id,
                person_id=person,
                nonce=b"\0" * 12,
                ciphertext=b"\0" * 16,
                requested_by="user:security_desk-user",
            )
        )
        session.commit()
    return pending_id


def test_an_unknown_pending_face_tells_nothing_about_the_password(
    client: TestClient, world: World
) -> None:
    assert _confirm(client, world, "no-such-face", "wrong-password!") == 404
    assert _confirm(client, world, "no-such-face", PASSWORD) == 404


def test_a_wrong_signature_is_refused_and_audited(
    client: TestClient, world: World, engine: Engine
) -> None:
    pending = _pending(engine, world)
    assert _confirm(client, world, pending, "wrong-password!") == 403
    with Session(engine) as session:
        refused = session.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "face.second_user_refused")
            .where(AuditEntry.after.contains(pending))  # type: ignore[union-attr]
        ).one()
        assert session.get(PendingFace, pending) is not None, "nothing decided"
    assert refused.actor == "user:security_desk-user" and refused.target == "user:admin-user"


def test_signatures_go_through_the_login_throttle(
    app: FastAPI, client: TestClient, world: World, engine: Engine
) -> None:
    app.state.login_throttle = LoginThrottle(SqlThrottleStorage(engine), account_failures=3)
    pending = _pending(engine, world)
    for _ in range(3):
        assert _confirm(client, world, pending, "wrong-password!") == 403
    assert _confirm(client, world, pending, PASSWORD) == 429
    token = client.post("/api/v1/auth/token", data={"username": "admin-user", "password": PASSWORD})
    assert token.status_code == 429, "one throttle for every way a password is checked"
