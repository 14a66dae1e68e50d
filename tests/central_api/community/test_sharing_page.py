"""The admin's sharing card shows refusals by issuer and reason and the members' cursors."""

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.community.receive import receive_payload
from central_api.db import make_engine
from central_api.models import Role
from testkit.api.world import World
from testkit.community import form_community, keys_of


def test_the_card_shows_refusals_and_members_to_admins_only(
    engine: Engine, world: World, client: TestClient, tmp_path: Path, sqlite_template: Path
) -> None:
    assert (
        "in no community" in client.get("/dashboard/sharing", headers=world.user(Role.ADMIN)).text
    )
    shutil.copy(sqlite_template, tmp_path / "hub.db")
    hub = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    form_community(hub, {"term-a": engine})
    hub.dispose()
    with Session(engine) as session:
        receive_payload(session, b'{"issuer": "<script>"}', keys=keys_of(engine))
    page = client.get("/dashboard/sharing", headers=world.user(Role.ADMIN))
    assert page.status_code == 200
    assert "malformed" in page.text and "1 refused" in page.text
    assert "<script>" not in page.text, "every value is escaped"
    assert "term-a" in page.text and "hub" in page.text
    for role in (Role.OPERATOR, Role.SECURITY_DESK, Role.AUTHORITY):
        assert client.get("/dashboard/sharing", headers=world.user(role)).status_code == 403
