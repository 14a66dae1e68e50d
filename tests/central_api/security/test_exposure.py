"""What a caller sees besides its data: security headers, metrics, other sites' credentials.

Every HTML answer (the login form, the home page, the API docs, the pages) carries a
Content-Security-Policy and the other security headers, from one middleware; a site-bound
admin may not read the process-wide /metrics; a desk user of another site cannot read or
revoke credentials by walking their ids.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.models import Credential, Role
from testkit.api.dashboard import add_person
from testkit.api.dashboard_sites import add_user, headers_of
from testkit.api.world import World


@pytest.mark.parametrize("path", ["/login", "/", "/docs"])
def test_every_html_answer_has_the_security_headers(
    client: TestClient, world: World, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_the_api_docs_name_no_other_origin_and_serve_their_own_files(
    client: TestClient, world: World
) -> None:
    answer = client.get("/docs")
    csp = answer.headers["Content-Security-Policy"]
    assert "http" not in csp and "unsafe-inline" not in csp and "'sha256-" in csp
    assert "http" not in answer.text.replace("http-equiv", ""), "no CDN, no outside link"
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200


def test_redoc_is_off_because_it_would_load_its_script_from_a_cdn(
    client: TestClient, world: World
) -> None:
    # FastAPI's ReDoc page fetches redoc.standalone.js from jsdelivr, which an air-gapped
    # port network cannot reach: the API serves Swagger UI from its own files and no ReDoc.
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs").status_code == 200


def test_the_login_form_runs_no_script_and_json_answers_say_nosniff(
    client: TestClient, world: World
) -> None:
    assert "script-src" not in client.get("/login").headers["Content-Security-Policy"]
    me = client.get("/api/v1/auth/me", headers=world.user(Role.OPERATOR))
    assert me.headers["X-Content-Type-Options"] == "nosniff"


def test_a_site_admin_may_not_read_every_site_s_metrics(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    site_admin = add_user(engine, "rtm-admin", Role.ADMIN, world.site)
    assert client.get("/metrics", headers=headers_of(settings, site_admin)).status_code == 403
    assert client.get("/metrics", headers=world.user(Role.ADMIN)).status_code == 200


def test_another_site_s_desk_cannot_walk_credential_ids(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    person = add_person(engine, world.site, "Ria Visser", None)
    ids = []
    for ref in ("04A1B2C3", "04A1B2C4"):
        made = client.post(
            f"/api/v1/people/{person}/credentials",
            json={"kind": "badge", "ref": ref},
            headers=world.user_desk(),
        )
        assert made.status_code == 201, made.text
        ids.append(int(made.json()["id"]))
    revoked = client.post(f"/api/v1/credentials/{ids[0]}/revoke", headers=world.user_desk())
    assert revoked.status_code == 200
    stranger = headers_of(settings, add_user(engine, "ams-desk", Role.SECURITY_DESK, "ams"))
    for credential_id in ids:
        answer = client.post(f"/api/v1/credentials/{credential_id}/revoke", headers=stranger)
        assert answer.status_code == 404, answer.text
        assert "04A1" not in answer.text
    with Session(engine) as session:
        untouched = session.get(Credential, ids[1])
        assert untouched is not None and untouched.revoked_at is None
