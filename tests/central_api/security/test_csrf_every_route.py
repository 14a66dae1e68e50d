"""The one CSRF rule covers every state change of the app, walked route by route.

The rule lives in `RoleRequirement` only (the desk and dashboard routes had a second,
explicit guard); this walks every non-GET route and proves that a request authenticated by
the session cookie without the page's token is refused, and that a bearer token is exempt.
"""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from central_api.models import Role
from testkit.api.dashboard import login
from testkit.api.routes import concrete, state_changing_endpoints
from testkit.api.world import World

# No session to protect: they take a password (and are throttled), not a cookie; the staff
# report channel is anonymous by design and acts for nobody (rate-limited, docs/staff-reports.md).
ANONYMOUS = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/login"),
    ("POST", "/reset"),  # a one-time reset link: its token is the credential (issue 22.5)
    # A login's second step: the password step's short cookie (SameSite=Strict, path /login)
    # is the credential, as the password is for /login (issue 22.5 TOTP).
    ("POST", "/login/code"),
    ("POST", "/login/enroll"),
    ("POST", "/api/v1/staff-reports"),
    ("POST", "/api/v1/staff-reports/follow-up"),
    ("POST", "/api/v1/staff-reports/follow-up/messages"),
    ("POST", "/api/v1/mobile-pass"),  # a pass's phone link: its secret is the credential
}
OURS = "http://testserver"


def _row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
        }


def test_every_cookie_state_change_without_the_token_is_refused(
    app: FastAPI, client: TestClient, world: World, engine: Engine
) -> None:
    endpoints = [e for e in state_changing_endpoints(app) if e not in ANONYMOUS]
    assert len(endpoints) > 40, "the walk reaches the included routers"
    token = login(client, Role.ADMIN)  # the session cookie is now in the client
    assert client.get("/api/v1/auth/me").status_code == 200, "the cookie authenticates"
    before = _row_counts(engine)
    for method, path in endpoints:
        for headers in ({"Origin": OURS}, {"X-CSRF-Token": token, "Origin": "http://evil"}):
            answer = client.request(method, concrete(path), headers=headers, json={})
            if answer.status_code == 401 and "gate" in answer.text.lower():
                continue  # a gate's route: the cookie authenticates nobody there
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
            assert "CSRF" in answer.text or "cross-origin" in answer.text, (method, path)
    assert _row_counts(engine) == before, "nothing changed"


def test_a_bearer_token_is_exempt_on_every_route(
    app: FastAPI, client: TestClient, world: World
) -> None:
    login(client, Role.ADMIN)  # the cookie is sent too: the bearer token decides
    for method, path in state_changing_endpoints(app):
        if (method, path) in ANONYMOUS or path == "/logout":
            continue  # logout would end the admin's bearer session for the rest of the walk
        answer = client.request(
            method,
            concrete(path),
            headers={**world.user(Role.ADMIN), "Origin": "http://evil"},
            json={},
        )
        assert "CSRF" not in answer.text and "cross-origin" not in answer.text, (method, path)
