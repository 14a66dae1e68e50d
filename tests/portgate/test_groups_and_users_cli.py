"""`portgate groups`, `portgate gates list|show` and `portgate users passwd` on migrated SQLite."""

import os

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.crud.people import create_person
from central_api.db import make_engine
from central_api.models import AuditEntry, Company, PersonCreate, User
from central_api.models.rules import PersonAccessGroup
from central_api.security.auth import verify_password
from gate_protocol.records import PersonKind
from portgate.cli import app as cli
from testkit.migrated_db import migrate_database

PASSWORD = "correct-horse-battery-staple"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def people(tmp_path, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MQTT_URL", raising=False)
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    assert _run("gates", "add", "north-1", "--site", "rtm", "--zone", "quay")[0] == 0
    assert _run("gates", "add", "east-1", "--site", "rtm", "--zone", "office", "--no-face")[0] == 0
    with Session(make_engine(url), expire_on_commit=False) as session:
        haulier = Company(name="Van Dijk Transport")
        session.add(haulier)
        session.commit()
        made = [
            create_person(
                session=session,
                person_create=PersonCreate(
                    display_name=name, kind=PersonKind.STAFF, site_id="rtm", company_id=company
                ),
                actor="test",
            ).id
            for name, company in (("Ada", haulier.id), ("Bram", haulier.id), ("Cor", None))
        ]
    return made


def _holders(group_id: int) -> set[str]:
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        rows = session.exec(select(PersonAccessGroup).where(PersonAccessGroup.group_id == group_id))
        return {row.person_id for row in rows}


def test_a_group_is_made_granted_by_company_and_person_and_revoked(people: list[str]) -> None:
    ada, bram, cor = people
    code, out = _run("groups", "add", "quay staff", "--site", "rtm", "--zone", "quay")
    assert code == 0 and out.startswith("access group 1 'quay staff' at rtm: quay"), out
    code, out = _run("groups", "grant", "quay staff", "--company", "Van Dijk Transport")
    assert code == 0 and "for 2 of 2 people" in out, out
    assert _holders(1) == {ada, bram}
    assert _run("groups", "grant", "1", "--person", cor)[0] == 0
    code, out = _run("groups", "list")
    assert code == 0 and out.strip() == "1\trtm\tquay staff\tany time\tquay\t3 people"
    assert _run("groups", "revoke", "quay staff", "--person", ada)[0] == 0
    assert _holders(1) == {bram, cor}
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("person.group_add") == 3 and "person.group_remove" in actions


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["groups", "add", "x", "--site", "rtm", "--zone", "nowhere"], 1, "zone 'nowhere'"),
        (["groups", "add", "x", "--site", "nosite", "--zone", "quay"], 1, "nosite"),
        (["groups", "grant", "missing", "--person", "p"], 1, "no access group named 'missing'"),
        (["groups", "grant", "9", "--person", "p"], 1, "no access group 9"),
        (["groups", "grant", "quay staff"], 2, "name at least one --person or a --company"),
        (["groups", "grant", "quay staff", "--company", "Nobody BV"], 1, "no company named"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    people: list[str], args: list[str], code: int, message: str
) -> None:
    assert _run("groups", "add", "quay staff", "--site", "rtm", "--zone", "quay")[0] == 0
    got, out = _run(*args)
    assert got == code and message in out, out
    assert _holders(1) == set()
    assert _run("groups", "list")[1].count("\n") == 1


def test_an_unknown_person_is_named_and_the_others_still_get_the_group(
    people: list[str],
) -> None:
    assert _run("groups", "add", "quay staff", "--site", "rtm", "--zone", "quay")[0] == 0
    code, out = _run("groups", "grant", "quay staff", "--person", people[0], "--person", "ghost")
    assert code == 1 and "for 1 of 2 people" in out and "ghost" in out, out
    assert _holders(1) == {people[0]}


def test_gates_list_and_show(people: list[str]) -> None:
    code, out = _run("gates", "list", "--site", "rtm")
    assert code == 0
    assert out.splitlines() == [
        "east-1\trtm\toffice\t1 lanes\tboth\tno face\toffline: replica",
        "north-1\trtm\tquay\t1 lanes\tboth\tface+liveness\toffline: replica",
    ]
    code, out = _run("gates", "show", "north-1")
    assert code == 0 and "zone_id: quay" in out and "replica_max_age_s: 86400" in out
    assert _run("gates", "show", "nowhere") == (1, "gates show: no gate 'nowhere'\n")


def test_users_passwd_changes_the_password_and_refuses_a_short_one(
    people: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_PASSWORD", PASSWORD)
    assert _run("users", "add", "ria", "--role", "operator", "--site", "rtm")[0] == 0
    monkeypatch.setenv("PORTGATE_PASSWORD", "short")
    code, out = _run("users", "passwd", "ria")
    assert code == 1 and "at least 12 characters" in out
    monkeypatch.setenv("PORTGATE_PASSWORD", PASSWORD + "-new")
    code, out = _run("users", "passwd", "ria")
    assert code == 0 and "sessions and tokens have ended" in out
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        user = session.exec(select(User).where(User.username == "ria")).one()
    assert verify_password(PASSWORD + "-new", user.password_hash)
    assert user.session_epoch == 1
    assert _run("users", "passwd", "nobody")[0] == 1
