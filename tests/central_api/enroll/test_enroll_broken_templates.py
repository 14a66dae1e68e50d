"""Broken face templates: refused at every way in, and one already stored harms nobody.

An all-NaN template used to be stored; afterwards every desk enrollment at the site
answered 500 (the 1:N gallery could not read it), the desk could not delete it and the
gates denied that person.
"""

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import FaceTemplate, Role
from central_api.replica.builder import build_replica
from central_api.security.vault import encrypt_template
from testkit.api.enrollment import add_group, enroll_settings, face, random_template
from testkit.api.world import World

BROKEN = {
    "all NaN": np.full(128, np.nan, "<f4").tobytes(),
    "infinite": np.full(128, np.inf, "<f4").tobytes(),
    "all zero": bytes(512),
    "blown up": np.full(128, 1000.0, "<f4").tobytes(),
}


@pytest.fixture
def engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "portgate.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return enroll_settings(engine)


def _person(client: TestClient, world: World, name: str) -> str:
    answer = client.post(
        "/api/v1/enroll/people",
        json={"site_id": "rtm", "display_name": name, "kind": "driver"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 201
    return str(answer.json()["id"])


def _store_unchecked(engine: Engine, settings: Settings, person_id: str, raw: bytes) -> int:
    """Store a template as an older version let in, past every check of today."""
    key = settings.template_key_bytes()
    nonce, ciphertext = encrypt_template(key=key, person_id=person_id, template=raw)
    with Session(engine) as session:
        row = FaceTemplate(person_id=person_id, nonce=nonce, ciphertext=ciphertext, quality=None)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


@pytest.mark.parametrize("kind", list(BROKEN))
def test_the_template_route_refuses_a_broken_template(
    client: TestClient, world: World, kind: str
) -> None:
    person = _person(client, world, "Ann Broken")
    answer = client.post(
        f"/api/v1/people/{person}/face-templates",
        json={"template_b64": base64.b64encode(BROKEN[kind]).decode()},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 422, answer.text
    assert "face template" in answer.json()["detail"]
    listed = client.get(
        f"/api/v1/people/{person}/face-templates", headers=world.user(Role.SECURITY_DESK)
    )
    assert listed.json() == []
    good = client.post(
        f"/api/v1/people/{person}/face-templates",
        json={"template_b64": base64.b64encode(random_template(3)).decode()},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert good.status_code == 201


def test_a_stored_broken_template_harms_neither_the_desk_nor_the_replica(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    victim = _person(client, world, "Vic Broken")
    group = add_group(engine, site=world.site, zone=world.zone)
    joined = client.put(
        f"/api/v1/people/{victim}/groups/{group}", headers=world.user(Role.SECURITY_DESK)
    )
    assert joined.status_code == 204
    good_id = _store_unchecked(engine, settings, victim, random_template(5))
    broken_id = _store_unchecked(engine, settings, victim, BROKEN["all NaN"])
    newcomer = _person(client, world, "Nina New")
    added = client.post(
        f"/api/v1/enroll/people/{newcomer}/photos",
        files={"photo": ("p.jpg", face("obama-480p.jpg"))},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert added.status_code == 201, added.text  # the 1:N search skips the broken row
    with Session(engine) as session:
        snapshot = build_replica(
            session=session,
            gate_id=world.gate,
            since=None,
            template_key=settings.template_key_bytes(),
            pass_keys={},
        )
    sent = {t.template_id for t in snapshot.templates}  # type: ignore[union-attr]
    assert str(good_id) in sent and str(broken_id) not in sent  # the gate keeps the good one
    removed = client.delete(
        f"/api/v1/enroll/people/{victim}/templates/{broken_id}",
        headers=world.user(Role.SECURITY_DESK),
    )
    assert removed.status_code == 204, removed.text
    last_good = client.delete(
        f"/api/v1/enroll/people/{victim}/templates/{good_id}",
        headers=world.user(Role.SECURITY_DESK),
    )
    assert last_good.status_code == 409  # the broken one never counted as a usable one


def test_the_only_template_may_be_deleted_when_it_is_broken(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    victim = _person(client, world, "Vic Only")
    broken_id = _store_unchecked(engine, settings, victim, BROKEN["all zero"])
    removed = client.delete(
        f"/api/v1/enroll/people/{victim}/templates/{broken_id}",
        headers=world.user(Role.SECURITY_DESK),
    )
    assert removed.status_code == 204, removed.text
