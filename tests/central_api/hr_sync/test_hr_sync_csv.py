"""`portgate enroll sync FILE --site SITE [--apply]` on the database (SQLite and PostgreSQL).

HR's export changes between runs: people join, change company and leave; the dry run
changes nothing, the applied run does what it printed, the second run finds nothing.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from central_api.models import AuditEntry, HrMember, HrSyncReport, Person
from gate_protocol.records import PersonKind
from portgate.cli import app as cli
from testkit.api.world import World
from testkit.hr_people import synced_people

HEADER = "employee_number,name,email,company\n"
FIRST = HEADER + (
    "E1,Ann Lee,ann@acme.test,Acme\nE2,Ben Ode,ben@acme.test,Acme\nE3,Cat Poe,cat@acme.test,Acme\n"
)
# E2 moves to Globex, E3 leaves, E4 joins, E5 has no e-mail (reported and skipped).
SECOND = HEADER + (
    "E1,Ann Lee,ann@acme.test,Acme\nE2,Ben Ode,ben@globex.test,Globex\n"
    "E4,Dan Ray,dan@acme.test,Acme\nE5,Eve Sun,,Acme\n"
)


@pytest.fixture
def db_env(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MQTT_URL", raising=False)
    return engine


def sync(*args: str) -> Result:
    return CliRunner().invoke(cli, ["enroll", "sync", *args])


def _csv(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Person)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
            session.exec(select(func.count()).select_from(HrMember)).one(),
        )


def test_dry_run_apply_change_leave_and_a_second_run_that_changes_nothing(
    db_env: Engine, world: World, tmp_path: Path
) -> None:
    first = _csv(tmp_path, "first.csv", FIRST)
    before = _counts(db_env)
    dry = sync(first, "--site", world.site)
    assert dry.exit_code == 0, dry.output
    assert "+ E1 Ann Lee <ann@acme.test> (Acme)" in dry.output
    assert "3 joining, 0 changed, 0 leaving, 0 skipped" in dry.output
    assert "dry run: nothing changed" in dry.output
    assert _counts(db_env) == before

    applied = sync(first, "--site", world.site, "--apply")
    assert applied.exit_code == 0, applied.output
    assert set(synced_people(db_env)) == {"E1", "E2", "E3"}
    assert all(p[1:3] == ("Acme", "active") for p in synced_people(db_env).values())

    second = _csv(tmp_path, "second.csv", SECOND)
    diff = sync(second, "--site", world.site, "--apply")
    assert diff.exit_code == 0, diff.output
    assert (
        "~ E2 Ben Ode: email ben@acme.test -> ben@globex.test, company Acme -> Globex"
        in diff.output
    )
    assert "- E3 Cat Poe: left, revoked today" in diff.output
    assert "! line 5: no email, skipped" in diff.output
    assert "1 joining, 1 changed, 1 leaving, 1 skipped" in diff.output
    people = synced_people(db_env)
    assert people["E2"][1:3] == ("Globex", "active")
    name, _, status, until = people["E3"]
    assert status == "revoked"
    assert until is not None and until.astimezone(UTC).date() == datetime.now(UTC).date()
    assert "E4" in people and "E5" not in people

    settled = _counts(db_env)
    again = sync(second, "--site", world.site, "--apply")
    assert again.exit_code == 0, again.output
    assert "0 joining, 0 changed, 0 leaving, 1 skipped" in again.output
    # Only the run's own report and its audit row are new: no person was touched.
    assert _counts(db_env)[0] == settled[0] and _counts(db_env)[2] == settled[2]
    assert _counts(db_env)[1] == settled[1] + 1

    reports = CliRunner().invoke(cli, ["enroll", "sync-reports", "--site", world.site])
    assert reports.exit_code == 0
    assert len(reports.output.strip().splitlines()) == 3
    assert "+0 ~1 -1 !1" not in reports.output  # the counts as applied, newest first
    assert reports.output.splitlines()[1].split("\t")[4] == "+1 ~1 -1 !1"
    with Session(db_env) as session:
        report_id = session.exec(select(func.max(HrSyncReport.id))).one()
        assert report_id is not None
    shown = CliRunner().invoke(cli, ["enroll", "sync-reports", "--show", str(report_id - 1)])
    assert shown.exit_code == 0
    assert "- E3 Cat Poe: left, revoked today" in shown.output


def test_people_the_desk_enrolled_are_never_leavers(
    db_env: Engine, world: World, tmp_path: Path
) -> None:
    first = _csv(tmp_path, "first.csv", FIRST)
    assert sync(first, "--site", world.site, "--apply").exit_code == 0
    with Session(db_env) as session:
        person = Person(
            id="DESK1", display_name="Desk Person", kind=PersonKind.VISITOR, site_id=world.site
        )
        session.add(person)
        session.commit()
    only = HEADER + "E9,Zoe Kim,zoe@acme.test,Acme\n"
    moved = sync(_csv(tmp_path, "only.csv", only), "--site", world.site, "--apply")
    assert moved.exit_code == 0
    assert "1 joining, 0 changed, 3 leaving" in moved.output
    with Session(db_env) as session:
        assert session.get(Person, "DESK1").status == "active"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("employee_number,name,company\nE1,Ann,Acme\n", ["--site", "rtm"], "no column email"),
        (FIRST, ["--site", "nowhere"], "no site 'nowhere'"),
        (FIRST, [], "--site is required"),
        (FIRST, ["--site", "rtm", "--ldap"], "not both or neither"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    db_env: Engine, world: World, tmp_path: Path, text: str, args: list[str], message: str
) -> None:
    before = _counts(db_env)
    result = sync(_csv(tmp_path, "hr.csv", text), *args, "--apply")
    assert result.exit_code == 2
    assert message in result.output
    assert _counts(db_env) == before


def test_a_source_that_lists_nobody_revokes_nobody(
    db_env: Engine, world: World, tmp_path: Path
) -> None:
    assert sync(_csv(tmp_path, "first.csv", FIRST), "--site", world.site, "--apply").exit_code == 0
    before = _counts(db_env)
    empty = sync(_csv(tmp_path, "empty.csv", HEADER), "--site", world.site, "--apply")
    assert empty.exit_code == 2
    assert "lists nobody: refusing to revoke all 3 people" in empty.output
    assert _counts(db_env) == before
    assert all(p[2] == "active" for p in synced_people(db_env).values())


def test_a_missing_file_is_a_clear_error(db_env: Engine, world: World, tmp_path: Path) -> None:
    result = sync(str(tmp_path / "nope.csv"), "--site", world.site)
    assert result.exit_code == 2
    assert "cannot read it" in result.output


def test_erasing_a_synced_person_erases_what_hr_said_about_them(
    db_env: Engine, world: World, tmp_path: Path
) -> None:
    from central_api.enroll.privacy import erase_person, export_person

    assert sync(_csv(tmp_path, "first.csv", FIRST), "--site", world.site, "--apply").exit_code == 0
    with Session(db_env) as session:
        member = session.exec(select(HrMember).where(HrMember.employee == "E1")).one()
        exported = export_person(session=session, person_id=member.person_id, actor="test")
        assert [row["email"] for row in exported["hr_members"]] == ["ann@acme.test"]
        counts = erase_person(session=session, person_id=member.person_id, actor="test")
        session.commit()
        assert counts["hr_members"] == 1
        assert session.exec(select(HrMember).where(HrMember.employee == "E1")).first() is None
