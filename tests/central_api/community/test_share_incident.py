"""An incident report shared under its TLP 2.0 label reaches whom the label allows, once.

Terminal A (the `engine` fixture's database, SQLite and PostgreSQL) files and shares; the
hub and terminal B receive the payload as the bus would carry it (the transport and the
hub broker's ACL are tested in tests/integration/test_community_sharing.py).
"""

import base64
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.community.incidents import share_incident
from central_api.community.receive import ReceiveStatus, receive_payload
from central_api.community.verify import Refusal
from central_api.config import Settings
from central_api.errors import InvalidError
from central_api.incidents.store import Reporter, create_incident
from central_api.incidents.tables import Incident, IncidentCreate, IncidentKind
from central_api.incidents.tlp import Tlp
from central_api.models import AuditEntry, Role, User
from central_api.models.community import SharedItemOut
from central_api.security.auth import create_token, hash_password
from portgate.cli import app as cli
from testkit.api.world import World
from testkit.community import SEAL_KEY, keys_of

REPORTER = Reporter(username="op-a", site_id=None, pseudonym_key=b"k" * 32, actor="test")


def filed(
    engine: Engine, world: World, tlp: Tlp, site: str | None = None, *, file: bool = True
) -> str:
    body = IncidentCreate(
        kind=IncidentKind.TAILGATING,
        occurred_at=datetime(2026, 11, 30, 6, 15, tzinfo=UTC),
        site_id=site or world.site,
        narrative="Two people through on one badge at the truck lane.",
        tlp=tlp,
    )
    with Session(engine) as session:
        return create_incident(session=session, body=body, reporter=REPORTER, file=file).id


def share(engine: Engine, incident_id: str) -> str:
    with Session(engine) as session:
        item = share_incident(session, keys_of(engine), incident_id=incident_id, actor="test")
        session.commit()
        return item.model_dump_json()


def receive(engine: Engine, payload: str) -> tuple[ReceiveStatus, Refusal | None]:
    with Session(engine) as session:
        got = receive_payload(session, payload, keys=keys_of(engine))
    return got.status, got.refusal


def stored(engine: Engine) -> list[Incident]:
    with Session(engine) as session:
        return list(session.exec(select(Incident)))


def test_an_amber_strict_report_reaches_the_hub_and_not_terminal_b(
    community: Engine, engine: Engine, world: World, term_b: Engine
) -> None:
    payload = share(engine, filed(engine, world, Tlp.AMBER_STRICT))
    assert '"recipients":["hub"]' in payload
    assert receive(community, payload) == (ReceiveStatus.APPLIED, None)
    [received] = stored(community)
    assert (received.issuer, received.tlp, received.site_id) == ("term-a", Tlp.AMBER_STRICT, None)
    assert receive(term_b, payload)[1] is Refusal.NOT_FOR_US
    assert stored(term_b) == []
    assert receive(community, payload)[0] is not ReceiveStatus.APPLIED
    assert len(stored(community)) == 1, "the same report is stored once"


def test_a_green_report_reaches_every_member(
    community: Engine, engine: Engine, world: World, term_b: Engine
) -> None:
    payload = share(engine, filed(engine, world, Tlp.GREEN))
    assert receive(term_b, payload) == (ReceiveStatus.APPLIED, None)
    assert [i.issuer for i in stored(term_b)] == ["term-a"]


def test_a_draft_or_a_received_report_is_not_shared_and_nothing_is_logged(
    community: Engine, engine: Engine, world: World
) -> None:
    draft = filed(engine, world, Tlp.GREEN, file=False)
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(Incident)).one()
        with pytest.raises(InvalidError, match="draft"):
            share_incident(session, keys_of(engine), incident_id=draft, actor="test")
    payload = share(engine, filed(engine, world, Tlp.GREEN))
    receive(community, payload)
    [received] = stored(community)
    with Session(community) as session, pytest.raises(InvalidError, match="term-a"):
        share_incident(session, keys_of(community), incident_id=received.id, actor="test")
    assert before == 1


def test_the_command_line_shares_a_filed_report_and_refuses_a_draft(
    community: Engine, engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", base64.b64encode(SEAL_KEY).decode())
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.delenv("MQTT_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    draft = filed(engine, world, Tlp.AMBER_STRICT, file=False)
    command = ["community", "share", "incident"]
    refused = CliRunner().invoke(cli, [*command, draft, "--site", world.site])
    assert refused.exit_code == 1 and "draft" in refused.output
    report = filed(engine, world, Tlp.AMBER_STRICT)
    before = logged(engine)
    elsewhere = CliRunner().invoke(cli, [*command, report, "--site", world.other_site])
    assert elsewhere.exit_code == 1 and "not found at site" in elsewhere.output
    assert logged(engine) == before, "another site's report: nothing shared, nothing audited"
    shared = CliRunner().invoke(cli, [*command, report, "--site", world.site])
    assert shared.exit_code == 0, shared.output
    assert "as TLP:AMBER+STRICT to hub" in shared.output


def logged(engine: Engine) -> tuple[int, int]:
    """Items in the outgoing log and audit rows."""
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(SharedItemOut)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def test_a_site_operator_shares_their_own_sites_report_only(
    community: Engine,
    engine: Engine,
    world: World,
    client: TestClient,
    settings: Settings,
) -> None:
    # The API unseals the community keys with its template key: the one they were sealed with.
    settings.template_key = SecretStr(base64.b64encode(SEAL_KEY).decode())
    operator = site_user(engine, settings, world.site)
    ours, theirs = (
        filed(engine, world, Tlp.GREEN),
        filed(engine, world, Tlp.GREEN, world.other_site),
    )
    before = logged(engine)
    refused = client.post(f"/api/v1/community/share/incident/{theirs}", json={}, headers=operator)
    assert refused.status_code == 404, refused.text
    assert "not found" in refused.json()["detail"]
    assert logged(engine) == before, "nothing shared, nothing audited"
    shared = client.post(f"/api/v1/community/share/incident/{ours}", json={}, headers=operator)
    assert shared.status_code == 201, shared.text
    assert logged(engine)[0] == before[0] + 1


def site_user(engine: Engine, settings: Settings, site: str) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=f"operator-{site}",
            password_hash=hash_password("correct-horse-battery"),
            role=Role.OPERATOR,
            site_id=site,
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}
