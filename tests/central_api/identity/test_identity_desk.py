"""The desk's duplicate-face check spans the port: it names the identity to activate."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import Person, Role
from testkit.api.dashboard_sites import add_user, headers_of
from testkit.api.enrollment import enroll_settings, face
from testkit.api.world import World


@pytest.fixture
def engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    # Face encoding is slow: SQLite only, as the desk's other photo tests.
    path = tmp_path / "portgate.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return enroll_settings(engine)


def _desk(engine: Engine, settings: Settings, site: str) -> dict[str, str]:
    return headers_of(settings, add_user(engine, f"desk-{site}", Role.SECURITY_DESK, site))


def _enroll(client: TestClient, headers: dict[str, str], site: str, name: str) -> str:
    answer = client.post(
        "/api/v1/enroll/people",
        json={"site_id": site, "display_name": name, "kind": "driver"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _photo(client: TestClient, url: str, headers: dict[str, str], name: str):  # type: ignore[no-untyped-def]
    return client.post(url, files={"photo": ("p.jpg", face(name))}, headers=headers)


def _people(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def test_another_terminal_s_desk_finds_the_identity_and_activates_it(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    rtm, ams = _desk(engine, settings, world.site), _desk(engine, settings, world.other_site)
    first = _enroll(client, rtm, world.site, "Barack Obama")
    added = _photo(client, f"/api/v1/enroll/people/{first}/photos", rtm, "obama.jpg")
    assert added.status_code == 201, added.text
    people = _people(engine)

    found = _photo(client, "/api/v1/enroll/photos/identify", ams, "obama2.jpg")
    nobody = _photo(client, "/api/v1/enroll/photos/identify", ams, "biden.jpg")

    assert found.status_code == 200, found.text
    [candidate] = found.json()["candidates"]
    assert candidate["person_id"] == first
    assert candidate["sites"] == [world.site]
    assert candidate["activate"] == f"/api/v1/people/{first}/activations"
    assert "activate that identity" in " ".join(found.json()["messages"])
    assert nobody.status_code == 200 and nobody.json()["candidates"] == []
    assert _people(engine) == people  # identifying stores nothing
    activated = client.post(candidate["activate"], json={"site_id": world.other_site}, headers=ams)
    assert activated.status_code == 201, activated.text
    assert client.get(f"/api/v1/enroll/people/{first}", headers=ams).status_code == 200


def test_a_second_record_at_another_terminal_is_held_naming_the_identity(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    rtm, ams = _desk(engine, settings, world.site), _desk(engine, settings, world.other_site)
    first = _enroll(client, rtm, world.site, "Barack Obama")
    _photo(client, f"/api/v1/enroll/people/{first}/photos", rtm, "obama.jpg")
    second = _enroll(client, ams, world.other_site, "B. Obama")

    answer = _photo(client, f"/api/v1/enroll/people/{second}/photos", ams, "obama2.jpg")

    # Amsterdam's desk cannot see Rotterdam's person, but the port-wide check finds them.
    assert answer.status_code == 409, answer.text
    assert answer.json()["status"] == "duplicate"
    assert [(c["person_id"], c["sites"]) for c in answer.json()["candidates"]] == [
        (first, [world.site])
    ]
    assert answer.json()["candidates"][0]["activate"] == f"/api/v1/people/{first}/activations"
