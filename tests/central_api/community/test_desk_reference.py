"""The desk's document check gives a person their identity reference; the number is not kept.

Both databases (the `engine` fixture); the installation is a member of a community whose
hub is a SQLite file.
"""

import base64
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import AuditEntry, DocumentCheck
from central_api.models.community import IdentityRef
from testkit.api.decisions import enroll
from testkit.api.world import World
from testkit.community import SEAL_KEY, form_community

NUMBER = "NL-ZX9876543"


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_COOKIE_SECURE=False,
        PORTGATE_TEMPLATE_KEY=base64.b64encode(SEAL_KEY).decode(),
    )


def join(engine: Engine, tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "hub.db")
    hub = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    form_community(hub, {"term-a": engine})
    hub.dispose()


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(table)).one()
            for table in (DocumentCheck, IdentityRef, AuditEntry)
        )


def check(client: TestClient, world: World, person: str, **body: object) -> tuple[int, str]:
    answer = client.post(
        f"/api/v1/people/{person}/document-checks",
        json={"kind": "passport", **body},
        headers=world.user_desk(),
    )
    return answer.status_code, answer.text


def test_a_checked_document_becomes_a_reference_and_its_number_is_kept_nowhere(
    engine: Engine, world: World, client: TestClient, tmp_path: Path, sqlite_template: Path
) -> None:
    join(engine, tmp_path, sqlite_template)
    person = enroll(engine, world, badge="DD0001")
    code, out = check(client, world, person, document_number=NUMBER)
    assert code == 201, out
    assert NUMBER not in out
    with Session(engine) as session:
        assert session.exec(select(IdentityRef.person_id)).all() == [person]
        audit = " ".join(f"{a.before} {a.after}" for a in session.exec(select(AuditEntry)))
    for stored in (audit, _dump(engine)):
        assert "ZX9876543" not in stored and "zx9876543" not in stored.lower()


def _dump(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM documentcheck")).all()
        rows += conn.execute(text("SELECT * FROM community_identity_ref")).all()
    return repr(rows)


def test_bad_numbers_and_no_community_are_refused_and_change_nothing(
    engine: Engine, world: World, client: TestClient, tmp_path: Path, sqlite_template: Path
) -> None:
    person = enroll(engine, world, badge="DD0002")
    before = counts(engine)
    code, out = check(client, world, person, document_number=NUMBER)
    assert code == 422 and "in no community" in out
    join(engine, tmp_path, sqlite_template)
    before = counts(engine)
    for bad in ("ab", "NL<12345>", "x" * 65):
        code, out = check(client, world, person, document_number=bad)
        assert code == 422, out
    assert counts(engine) == before
    assert check(client, world, person)[0] == 201, "without a number: as before"
