"""Audit rows about people hold ids, changed field names and keyed hashes: never clear data.

After an erasure no audit row holds the person's name, national id, badge number, licence
plate or the watchlist's words about them, and the chain still verifies.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from central_api.audit.privacy import AUDIT_KEY_ENV, WITHHELD, keyed_hash, person_changes
from central_api.enroll.people import create_enrolled_person
from central_api.enroll.privacy import erase_person
from central_api.enroll.schemas import BadgeIn, EnrollPersonIn
from central_api.models import AuditEntry, Role
from gate_protocol.records import PersonKind
from portgate.cli import app as cli
from testkit.api.world import World

AUDIT_KEY = "audit-key-for-tests-0123456789-abcdefghij"
NAME, NEW_NAME = "Jan de Vries", "Johanna Bakker-de Vries"
NATIONAL_ID, DESK_BADGE, API_BADGE, PLATE = "NL-BSN-123456782", "0099123", "0042777", "BX-482-K"
SECRET_WORDS = "seen photographing the reefer stack"


def _rows(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all())


def _enroll_everything(client: TestClient, world: World, engine: Engine) -> tuple[str, str]:
    desk = world.user(Role.SECURITY_DESK)
    made = client.post(
        "/api/v1/people",
        headers=desk,
        json={"display_name": NAME, "kind": "driver", "site_id": world.site},
    )
    assert made.status_code == 201, made.text
    person = made.json()["id"]
    steps = [
        ("PATCH", f"/api/v1/people/{person}", {"display_name": NEW_NAME, "status": "suspended"}),
        ("POST", f"/api/v1/people/{person}/credentials", {"kind": "badge", "ref": API_BADGE}),
        ("POST", "/api/v1/watchlist", {"person_id": person, "reason": SECRET_WORDS}),
        (
            "POST",
            "/api/v1/appointments",
            {
                "person_id": person,
                "plate": PLATE,
                "gates": [world.gate],
                "window_start": datetime.now(UTC).isoformat(),
                "window_end": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            },
        ),
    ]
    for method, path, body in steps:
        answer = client.request(method, path, headers=desk, json=body)
        assert answer.status_code in (200, 201), f"{path}: {answer.text}"
    credential = client.get(f"/api/v1/people/{person}/credentials", headers=desk).json()[0]
    revoked = client.post(f"/api/v1/credentials/{credential['id']}/revoke", headers=desk)
    assert revoked.status_code == 200
    with Session(engine, expire_on_commit=False) as session:
        desk_person = create_enrolled_person(
            session=session,
            person_in=EnrollPersonIn(
                site_id=world.site,
                display_name=NAME,
                kind=PersonKind.STAFF,
                external_id=NATIONAL_ID,
                badge=BadgeIn(number=DESK_BADGE),
            ),
            actor="test",
            template_key=b"k" * 32,
        )
    return person, desk_person.id


def test_after_erasure_no_audit_row_holds_personal_data_and_the_chain_verifies(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    people = _enroll_everything(client, world, engine)
    with Session(engine) as session:
        for person in people:
            erase_person(session=session, person_id=person, actor="test")
    rows = _rows(engine)
    text = "\n".join(f"{r.target} {r.before} {r.after}" for r in rows)
    for secret in (NAME, NEW_NAME, "Vries", NATIONAL_ID, DESK_BADGE, API_BADGE, PLATE):
        assert secret not in text
    assert "photographing" not in text
    actions = [r.action for r in rows if r.target == f"person:{people[0]}"]
    assert actions[:4] == ["person.create", "person.suspend", "credential.bind", "watchlist.add"]
    update = next(r for r in rows if r.action == "person.suspend")
    assert '"changed":["display_name","status"]' in (update.before or "")
    assert '"status":"suspended"' in (update.after or "")  # what an auditor needs is there
    assert '"ref":"withheld"' in text  # no key: the badge number is left out
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    verdict = CliRunner().invoke(cli, ["audit", "verify"])
    assert verdict.exit_code == 0, verdict.output
    assert "intact" in verdict.output


def test_with_an_audit_key_an_auditor_can_confirm_a_badge_but_not_read_it(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, AUDIT_KEY)
    _enroll_everything(client, world, engine)
    text = "\n".join(f"{r.before} {r.after}" for r in _rows(engine))
    expected = hmac.new(AUDIT_KEY.encode(), API_BADGE.encode(), hashlib.sha256).hexdigest()
    assert f"hmac-sha256:{expected}" in text
    assert str(keyed_hash(PLATE)) in text and PLATE not in text
    assert str(keyed_hash(DESK_BADGE)) in text and DESK_BADGE not in text
    assert NAME not in text and NATIONAL_ID not in text


def test_keyed_hash_needs_a_long_key_and_person_changes_name_fields_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, "short")
    assert keyed_hash("0042") == WITHHELD
    assert keyed_hash(None) is None
    old, new = person_changes(
        {"display_name": "A", "status": "active", "updated_at": "x"},
        {"display_name": "B", "status": "revoked", "updated_at": "y"},
    )
    assert old == {"changed": ["display_name", "status"], "status": "active"}
    assert new == {"status": "revoked"}
