"""`portgate community export|import --stix` (SQLite and PostgreSQL): audited both ways.

An export holds the filed local reports within the dates and the label asked for; an
import stores a bundle's reports once; bad input is one error line, exit 1, and nothing
changes (no report, no audit row).
"""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.incidents.tables import Incident
from central_api.models import AuditEntry, Role
from portgate.cli import app as cli
from testkit.api.world import World


@pytest.fixture
def cli_db(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MQTT_URL", raising=False)
    return engine


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["community", *args])
    return result.exit_code, result.stdout, result.stderr


def report(client: TestClient, world: World, tlp: str, when: str, *, file: bool = True) -> str:
    answer = client.post(
        f"/api/v1/incidents?file={'true' if file else 'false'}",
        json={
            "kind": "pass_fraud",
            "occurred_at": when,
            "site_id": world.site,
            "gate_id": world.gate,
            "narrative": f"A {tlp} report.",
            "attachments": ["ef" * 32],
            "tlp": tlp,
        },
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 201, answer.text
    incident_id: str = answer.json()["id"]
    return incident_id


def state(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        incidents = session.exec(select(func.count()).select_from(Incident)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return incidents, audits


def audit_rows(engine: Engine, action: str) -> list[Any]:
    with Session(engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [json.loads(e.after or "null") for e in rows]


def incident_names(text: str) -> list[str]:
    return sorted(o["description"] for o in json.loads(text)["objects"] if o["type"] == "incident")


def test_export_picks_filed_local_reports_by_date_and_label_and_is_audited(
    client: TestClient, world: World, cli_db: Engine, tmp_path: Path
) -> None:
    green = report(client, world, "TLP:GREEN", "2026-12-01T10:00:00+00:00")
    report(client, world, "TLP:RED", "2026-12-01T11:00:00+00:00")
    report(client, world, "TLP:AMBER", "2026-11-20T10:00:00+00:00")
    report(client, world, "TLP:CLEAR", "2026-12-01T12:00:00+00:00", file=False)  # a draft
    out = tmp_path / "bundle.json"
    code, _, err = run(
        "export",
        "--stix",
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-02",
        "--output",
        str(out),
        "--for",
        "customs-cert",
        "--organisation",
        "Port of Rotterdam",
    )
    assert code == 0, err
    # TLP:RED stays home unless asked for; the draft and the older report are not in range.
    assert incident_names(out.read_text()) == ["A TLP:GREEN report."]
    [row] = audit_rows(cli_db, "incident.export_stix")
    assert (row["to"], row["max_tlp"], row["tlps"], row["incidents"]) == (
        "customs-cert",
        "TLP:AMBER",
        ["TLP:GREEN"],
        [green],
    )
    code, text, err = run("export", "--stix", "--tlp", "TLP:RED", "--from", "2026-11-30")
    assert code == 0, err
    assert incident_names(text) == ["A TLP:GREEN report.", "A TLP:RED report."]
    assert audit_rows(cli_db, "incident.export_stix")[1]["to"] == "stdout"


def test_import_stores_a_bundle_once_and_is_audited(
    client: TestClient, world: World, cli_db: Engine, tmp_path: Path
) -> None:
    report(client, world, "TLP:AMBER+STRICT", "2026-12-01T10:00:00+00:00")
    bundle = tmp_path / "from-terminal-2.json"
    code, text, err = run("export", "--stix", "--tlp", "TLP:RED", "--organisation", "Terminal 2")
    assert code == 0, err
    # Imported here as another installation's report: forget the local original first.
    with Session(cli_db) as session:
        for row in session.exec(select(Incident)).all():
            session.delete(row)
        session.commit()
    bundle.write_text(text)
    code, out, err = run("import", "--stix", str(bundle))
    assert code == 0, err
    assert "1 incident(s) stored, 0 already here" in out
    with Session(cli_db) as session:
        [stored] = session.exec(select(Incident)).all()
    assert (stored.issuer, stored.tlp, stored.status, stored.site_id) == (
        "Terminal 2",
        "TLP:AMBER+STRICT",
        "filed",
        None,
    )
    assert stored.attachments == ["ef" * 32]
    [summary] = audit_rows(cli_db, "incident.import_stix")
    assert (summary["from"], summary["stored"], summary["tlps"]) == (
        "file:from-terminal-2.json",
        [stored.id],
        ["TLP:AMBER+STRICT"],
    )
    # The same bundle again stores nothing new.
    code, out, _ = run("import", "--stix", str(bundle))
    assert code == 0 and "0 incident(s) stored, 1 already here" in out
    # The authority sees it; the site's operator does not (no site of ours).
    listed = client.get("/api/v1/incidents", headers=world.user(Role.AUTHORITY)).json()
    assert [i["issuer"] for i in listed] == ["Terminal 2"]


BAD_ARGUMENTS: list[tuple[list[str], str]] = [
    (["export", "--tlp", "TLP:AMBER"], "say the format: --stix"),
    (["export", "--stix", "--tlp", "TLP:WHITE"], "unknown TLP label 'TLP:WHITE': use one of"),
    (["export", "--stix", "--tlp", "amber"], "use one of TLP:CLEAR"),
    (["export", "--stix", "--from", "2026-12-02", "--to", "2026-12-01"], "--to must be after"),
    (["export", "--stix", "--output", "/nonexistent-dir/b.json"], "no such folder"),
    (["import", "--stix", "/nonexistent-file.json"], "no such file"),
]


def test_bad_arguments_are_one_error_line_and_change_nothing(
    client: TestClient, world: World, cli_db: Engine
) -> None:
    before = state(cli_db)
    for args, message in BAD_ARGUMENTS:
        code, _, err = run(*args)
        assert code == 1, args
        assert message in err, args
        assert state(cli_db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"type": "bundle", "id": "bundle--x", "objects": []}', "malformed STIX 2.1 bundle"),
        ("tlp1", "unknown marking marking-definition--f88d31f6"),
    ],
)
def test_a_bad_bundle_stores_nothing(
    client: TestClient, world: World, cli_db: Engine, tmp_path: Path, content: str, message: str
) -> None:
    if content == "tlp1":
        report(client, world, "TLP:AMBER", "2026-12-01T10:00:00+00:00")
        code, text, _ = run("export", "--stix")
        data = json.loads(text)
        for obj in data["objects"]:
            if obj["type"] == "incident":
                # stix2's TLP 1.0 amber: another standard, not understood here.
                obj["object_marking_refs"] = [
                    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
                ]
        content = json.dumps(data)
    bundle = tmp_path / "bad.json"
    bundle.write_text(content)
    before = state(cli_db)
    code, _, err = run("import", "--stix", str(bundle))
    assert code == 1
    assert err.startswith("community import: ") and message in err
    assert state(cli_db) == before
