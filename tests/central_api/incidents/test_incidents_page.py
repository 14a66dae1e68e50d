"""The incidents page: who may open it, no inline script, and the dashboard links to it."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.config import Settings
from central_api.models import Role
from testkit.api.world import World

# A script element runs code unless it has a src; the JSON data block (the page's
# catalog, type="application/json") is data the browser never runs.
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)


def test_operators_admins_and_the_authority_open_the_page(client: TestClient, world: World) -> None:
    anonymous = client.get("/dashboard/incidents", follow_redirects=False)
    assert anonymous.status_code == 401
    assert anonymous.headers["refresh"] == "0; url=/login?next=/dashboard/incidents"
    allowed = {Role.OPERATOR, Role.ADMIN, Role.AUTHORITY}
    for role in Role:
        answer = client.get("/dashboard/incidents", headers=world.user(role))
        assert answer.status_code == (200 if role in allowed else 403), role
    page = client.get("/dashboard/incidents", headers=world.user(Role.OPERATOR))
    assert '<script src="/static/incidents.js" defer></script>' in page.text
    assert not SCRIPT_WITHOUT_SRC.search(page.text)
    assert not re.search(r"\son[a-z]+\s*=", page.text)


def test_the_scripts_build_text_only_and_rows_link_to_the_report_form(client: TestClient) -> None:
    source = client.get("/static/incidents.js").text
    assert "/api/v1/incidents/prefill?" in source
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    dashboard = client.get("/static/dashboard.js").text
    assert 'PG.incidentLink("alarm_id", a.alarm_id)' in dashboard
    assert 'PG.incidentLink("event_id", ev.event_id)' in dashboard
    assert "/dashboard/incidents?${param}=" in client.get("/static/pg-dom.js").text


def test_a_short_pseudonym_key_stops_the_api_at_start(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_PSEUDONYM_KEY", "too-short")
    with pytest.raises(ValueError, match="PORTGATE_PSEUDONYM_KEY must be at least 32 characters"):
        create_app(settings, engine=engine)
    monkeypatch.setenv("PORTGATE_PSEUDONYM_KEY", "p" * 40)
    create_app(settings, engine=engine)
