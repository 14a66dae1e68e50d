"""`portgate community init|token|join|add|members|remove|ref|share|refusals` (both databases).

The hub runs on the `engine` fixture's database (SQLite and PostgreSQL), the member on a
SQLite file of its own; each command runs as the operator would, with DATABASE_URL.
"""

import base64
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AuditEntry
from central_api.models.community import (
    CommunityMember,
    IdentityRef,
    SharedItemOut,
)
from portgate.cli import app as cli
from testkit.api.decisions import enroll
from testkit.api.world import World
from testkit.community import SEAL_KEY


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", base64.b64encode(SEAL_KEY).decode())
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.delenv("MQTT_URL", raising=False)


def run(monkeypatch: pytest.MonkeyPatch, engine: Engine, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["community", *args])
    return result.exit_code, result.output


def state(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(table)).one()
            for table in (CommunityMember, SharedItemOut, IdentityRef, AuditEntry)
        )


@pytest.fixture
def member_db(tmp_path: Path, sqlite_template: Path) -> Engine:
    path = tmp_path / "member.db"
    shutil.copy(sqlite_template, path)
    return make_engine(f"sqlite:///{path}")


def test_a_community_is_formed_and_managed_from_the_command_line(
    engine: Engine, member_db: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run(monkeypatch, engine, "init", "nsp", "--name", "North Sea Port")
    assert code == 0, out
    code, token = run(monkeypatch, engine, "token")
    assert code == 0
    code, out = run(
        monkeypatch, member_db, "join", token.strip(), "--member", "term-a", "--name", "Terminal A"
    )
    assert code == 0, out
    public = re.search(r"--public-key (\S+)", out)
    assert public is not None
    code, out = run(
        monkeypatch,
        engine,
        "add",
        "term-a",
        "--name",
        "Terminal A",
        "--public-key",
        public.group(1),
    )
    assert code == 0, out
    code, out = run(monkeypatch, engine, "members")
    assert "hub" in out and "term-a" in out and "active" in out
    with Session(engine) as session:
        assert [row.kind for row in session.exec(select(SharedItemOut))] == ["member_added"]
    person = enroll(engine, world, badge="CC0001")
    code, out = run(monkeypatch, engine, "ref", person, "--document-number", "X1234567")
    assert code == 0 and "identity reference set" in out, out
    with Session(engine) as session:
        ref = session.exec(select(IdentityRef)).one()
        assert "X1234567" not in ref.ref
        audits = " ".join(str(a.after) for a in session.exec(select(AuditEntry)))
        assert "X1234567" not in audits, "the document number is never stored"
    code, out = run(monkeypatch, engine, "remove", "term-a")
    assert code == 0, out
    with Session(engine) as session:
        kinds = [row.kind for row in session.exec(select(SharedItemOut))]
        assert kinds == ["member_added", "member_removed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("remove", "nobody"), "community member 'nobody' not found"),
        (("remove", "hub"), "the hub cannot be removed"),
        (("add", "bad/id", "--name", "x", "--public-key", "AAAA"), "is not an id"),
        (("add", "term-x", "--name", "x", "--public-key", "not-a-key"), "public key"),
        (("init", "nsp2", "--name", "again"), "already in a community"),
        (("ref", "nobody", "--document-number", "X1234567"), "person 'nobody' not found"),
        (("share", "ban", "ban-nope"), "port ban 'ban-nope' not found"),
        (("share", "ban", "ban-nope", "--with-faces"), "port ban 'ban-nope' not found"),
        (("share", "company", "nope", "--tlp", "TLP:RED"), "company 'nope' not found"),
    ],
)
def test_bad_input_is_one_error_line_and_changes_nothing(
    engine: Engine,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    assert run(monkeypatch, engine, "init", "nsp", "--name", "North Sea Port")[0] == 0
    before = state(engine)
    code, out = run(monkeypatch, engine, *args)
    assert code != 0
    assert message in out
    assert state(engine) == before


def test_a_wrong_tlp_label_and_a_bad_token_are_refused(
    engine: Engine, member_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(monkeypatch, engine, "init", "nsp", "--name", "North Sea Port")[0] == 0
    before = state(engine)
    code, out = run(monkeypatch, engine, "share", "company", "x", "--tlp", "TLP:YELLOW")
    assert code == 2 and "TLP:YELLOW" in out
    code, out = run(monkeypatch, engine, "share", "company", "x", "--tlp", "TLP:RED")
    assert code == 1
    assert state(engine) == before
    code, out = run(monkeypatch, member_db, "join", "garbage", "--member", "a", "--name", "A")
    assert code == 1 and "join token" in out
    with Session(member_db) as session:
        assert session.exec(select(func.count()).select_from(CommunityMember)).one() == 0
