"""The persons of interest page: who may open it, its CSRF rule, no inline script."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import PersonOfInterest, Role
from testkit.api.enrollment import face
from testkit.api.world import PASSWORD, World

# A script element runs code unless it has a src; the JSON data block (the page's
# catalog, type="application/json") is data the browser never runs.
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
ROUTE = "/api/v1/watchlist/persons-of-interest"


def pois(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PersonOfInterest)).one()


def test_only_the_authority_opens_the_page(client: TestClient, world: World) -> None:
    anonymous = client.get("/dashboard/watchlist", follow_redirects=False)
    assert anonymous.status_code == 401
    assert anonymous.headers["refresh"] == "0; url=/login?next=/dashboard/watchlist"
    for role in Role:
        expected = 200 if role is Role.AUTHORITY else 403
        assert client.get("/dashboard/watchlist", headers=world.user(role)).status_code == expected


def test_the_page_adds_and_ends_with_the_cookie_and_its_csrf_token_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    logged_in = client.post(
        "/login",
        data={"username": "authority-user", "password": PASSWORD, "next": "/dashboard/watchlist"},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303
    page = client.get("/dashboard/watchlist")
    assert page.status_code == 200
    assert '<script src="/static/watchlist.js" defer></script>' in page.text
    assert 'href="/dashboard/bans"' in page.text  # the authority's two pages link each other
    assert not SCRIPT_WITHOUT_SRC.search(page.text)
    assert not re.search(r"\son[a-z]+\s*=", page.text)
    source = client.get("/static/watchlist.js").text
    assert ROUTE in source
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
    assert match is not None
    form = {"label": "Trespasser 12", "reason": "climbed the fence"}
    photo = {"photo": ("p.jpg", face("biden.jpg"), "image/jpeg")}
    forged = client.post(ROUTE, data=form, files=photo, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    assert pois(engine) == 0
    ours = {"X-CSRF-Token": match.group(1), "Origin": "http://testserver"}
    added = client.post(ROUTE, data=form, files=photo, headers=ours)
    assert added.status_code == 201, added.text
    assert [p["label"] for p in client.get(ROUTE).json()] == ["Trespasser 12"]
    ended = client.delete(f"{ROUTE}/{added.json()['id']}", headers=ours)
    assert ended.status_code == 204
    assert pois(engine) == 0
