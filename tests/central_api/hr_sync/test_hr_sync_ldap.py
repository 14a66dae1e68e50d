"""`portgate enroll sync --ldap` against a real OpenLDAP (Debian's slapd, started here).

The directory changes between runs as a company's would: people join, change company and
leave, one entry has no e-mail; each run is synced twice and the second changes nothing.
A directory that is down, or refuses the service account, is one error line and changes
nothing.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from central_api.models import AuditEntry
from portgate.cli import app as cli
from testkit.api.world import World
from testkit.directory_ldif import DirectoryAdmin, DirectoryPerson, base_ldif
from testkit.hr_people import synced_people
from testkit.ports import free_port
from testkit.slapd import BASE_DN, SlapdProcess, slapd_available, start_slapd

pytestmark = pytest.mark.skipif(not slapd_available(), reason="slapd not installed")

PEOPLE = [
    DirectoryPerson("ann", "pw-ann-0123", "Ann Lee", "Acme", "E1", "ann@acme.test"),
    DirectoryPerson("ben", "pw-ben-0123", "Ben Ode", "Acme", "E2", "ben@acme.test"),
    DirectoryPerson("cat", "pw-cat-0123", "Cat Poe", "Acme", "E3", "cat@acme.test"),
    # No e-mail: reported and skipped at every run.
    DirectoryPerson("eve", "pw-eve-0123", "Eve Sun", "Acme", "E5", None),
]


@pytest.fixture
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdProcess]:
    server = start_slapd(tmp_path_factory.mktemp("slapd"), base_ldif(PEOPLE, {}))
    yield server
    server.stop()


@pytest.fixture
def db_env(
    engine: Engine, world: World, slapd: SlapdProcess, monkeypatch: pytest.MonkeyPatch
) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MQTT_URL", raising=False)
    monkeypatch.setenv("PORTGATE_LDAP_URL", slapd.url)
    monkeypatch.setenv("PORTGATE_LDAP_BIND_DN", slapd.admin_dn)
    monkeypatch.setenv("PORTGATE_LDAP_BIND_PASSWORD", slapd.admin_password)
    monkeypatch.setenv("PORTGATE_LDAP_PEOPLE_BASE", f"ou=people,{BASE_DN}")
    return engine


def sync(site: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["enroll", "sync", "--ldap", "--site", site, *args])


def _audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).where(col(AuditEntry.action).startswith("person."))
        ).one()


def test_people_join_change_company_and_leave_synced_twice(
    db_env: Engine, world: World, slapd: SlapdProcess
) -> None:
    first = sync(world.site, "--apply")
    assert first.exit_code == 0, first.output
    assert "3 joining, 0 changed, 0 leaving, 1 skipped" in first.output
    assert f"! uid=eve,ou=people,{BASE_DN}: no email, skipped" in first.output
    assert set(synced_people(db_env)) == {"E1", "E2", "E3"}
    assert "0 joining, 0 changed, 0 leaving" in sync(world.site, "--apply").output

    directory = DirectoryAdmin(slapd.url, slapd.admin_dn, slapd.admin_password)
    try:
        directory.add_person(
            DirectoryPerson("dan", "pw-dan-0123", "Dan Ray", "Globex", "E4", "dan@globex.test")
        )
        directory.set_attribute("ben", "o", "Globex")
        directory.remove_person("cat")
    finally:
        directory.close()
    dry = sync(world.site)
    assert dry.exit_code == 0, dry.output
    assert "+ E4 Dan Ray <dan@globex.test> (Globex)" in dry.output
    assert "~ E2 Ben Ode: company Acme -> Globex" in dry.output
    assert "- E3 Cat Poe: left, revoked today" in dry.output
    assert synced_people(db_env)["E3"][2] == "active"  # the dry run changed nothing

    applied = sync(world.site, "--apply")
    assert "1 joining, 1 changed, 1 leaving, 1 skipped" in applied.output
    people = synced_people(db_env)
    assert people["E4"][:3] == ("Dan Ray", "Globex", "active")
    assert people["E2"][1:3] == ("Globex", "active")
    until = people["E3"][3]
    assert people["E3"][2] == "revoked"
    assert until is not None and until.astimezone(UTC).date() == datetime.now(UTC).date()

    audited = _audit_rows(db_env)
    again = sync(world.site, "--apply")
    assert again.exit_code == 0, again.output
    assert "0 joining, 0 changed, 0 leaving, 1 skipped" in again.output
    assert _audit_rows(db_env) == audited


def test_a_directory_that_is_down_or_refuses_changes_nothing(
    db_env: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(world.site, "--apply").exit_code == 0
    before = synced_people(db_env)
    monkeypatch.setenv("PORTGATE_LDAP_BIND_PASSWORD", "not-the-password")
    refused = sync(world.site, "--apply")
    assert refused.exit_code == 2
    assert "refused the service account" in refused.output
    monkeypatch.setenv("PORTGATE_LDAP_URL", f"ldap://127.0.0.1:{free_port()}")
    down = sync(world.site, "--apply")
    assert down.exit_code == 1
    assert "directory cannot be reached" in down.output
    # Above all, nobody became a leaver because the directory answered nothing.
    assert synced_people(db_env) == before
    assert all(status == "active" for _, _, status, _ in before.values())
