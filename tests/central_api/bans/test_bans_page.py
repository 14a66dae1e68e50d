"""The port authority's bans page: who may open it, its CSRF rule, no inline script."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import PortBan, Role
from testkit.api.decisions import enroll
from testkit.api.world import PASSWORD, World

# A script element runs code unless it has a src; the JSON data block (the page's
# catalog, type="application/json") is data the browser never runs.
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)


def bans(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PortBan)).one()


def test_only_the_authority_opens_the_page(client: TestClient, world: World) -> None:
    anonymous = client.get("/dashboard/bans", follow_redirects=False)
    assert anonymous.status_code == 401
    assert anonymous.headers["refresh"] == "0; url=/login?next=/dashboard/bans"
    for role in Role:
        expected = 200 if role is Role.AUTHORITY else 403
        assert client.get("/dashboard/bans", headers=world.user(role)).status_code == expected


def test_the_page_issues_bans_with_the_cookie_and_its_csrf_token_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="DB0001")
    logged_in = client.post(
        "/login",
        data={"username": "authority-user", "password": PASSWORD, "next": "/dashboard/bans"},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303
    page = client.get("/dashboard/bans")
    assert page.status_code == 200
    assert '<script src="/static/bans.js" defer></script>' in page.text
    assert not SCRIPT_WITHOUT_SRC.search(page.text)
    assert not re.search(r"\son[a-z]+\s*=", page.text)
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    source = client.get("/static/bans.js").text
    assert "/api/v1/bans" in source
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
    assert match is not None
    body = {"person_id": person, "reason": "forged papers", "legal_reference": "PA-7"}
    forged = client.post("/api/v1/bans", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    assert bans(engine) == 0
    ours = {"X-CSRF-Token": match.group(1), "Origin": "http://testserver"}
    issued = client.post("/api/v1/bans", json=body, headers=ours)
    assert issued.status_code == 201, issued.text
    assert client.get("/api/v1/bans").json()[0]["legal_reference"] == "PA-7"
    assert bans(engine) == 1
