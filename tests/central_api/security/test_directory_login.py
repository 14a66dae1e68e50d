"""Login against a real OpenLDAP (Debian's slapd, started here): roles from groups.

Local accounts keep working beside the directory, also while it is down; a directory
that cannot be reached answers 503 with a message, not a wrong-password 401.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.models import AuditEntry, User
from central_api.security.directory import DIRECTORY_PASSWORD_MARK
from portgate.cli import app as cli
from testkit.api.world import PASSWORD, World
from testkit.directory_ldif import DirectoryAdmin, DirectoryPerson, base_ldif, person_dn
from testkit.ports import free_port
from testkit.slapd import BASE_DN, SlapdProcess, slapd_available, start_slapd
from testkit.tls_ca import TestCa

pytestmark = pytest.mark.skipif(not slapd_available(), reason="slapd not installed")

PEOPLE = [
    DirectoryPerson("alice", "alice-directory-pw", "Alice Smith", "Acme", "E1", "a@acme.test"),
    DirectoryPerson("bob", "bob-directory-pw", "Bob Jones", "Acme", "E2", "b@acme.test"),
    DirectoryPerson("carol", "carol-directory-pw", "Carol Dee", "Acme", "E3", "c@acme.test"),
    # The same name as the seeded local admin, with another password.
    DirectoryPerson("admin-user", "directory-admin-pw", "Impostor", "Acme", "E4", "i@acme.test"),
]
GROUPS = {"pg-admins": ["alice", "admin-user"], "pg-ops": ["bob"], "staff": ["carol"]}


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdProcess]:
    server = start_slapd(tmp_path_factory.mktemp("slapd"), base_ldif(PEOPLE, GROUPS))
    yield server
    server.stop()


@pytest.fixture
def directory(slapd: SlapdProcess, monkeypatch: pytest.MonkeyPatch) -> SlapdProcess:
    monkeypatch.setenv("PORTGATE_LDAP_URL", slapd.url)
    monkeypatch.setenv("PORTGATE_LDAP_USER_DN", person_dn("{username}"))
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_BASE", f"ou=groups,{BASE_DN}")
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_ROLES", "admin=pg-admins;operator@rtm=pg-ops")
    return slapd


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, str]]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    if answer.status_code != 200:
        return answer.status_code, answer.json()
    token = answer.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    return 200, me.json()


def test_directory_users_log_in_with_the_role_of_their_group(
    client: TestClient, world: World, engine: Engine, directory: SlapdProcess
) -> None:
    assert _login(client, "alice", "alice-directory-pw") == (
        200,
        {"username": "alice", "role": "admin", "site_id": None, "active": True},
    )
    assert _login(client, "bob", "bob-directory-pw")[1]["role"] == "operator"
    with Session(engine) as session:
        alice = session.exec(select(User).where(User.username == "alice")).one()
        assert alice.password_hash == DIRECTORY_PASSWORD_MARK
        bob = session.exec(select(User).where(User.username == "bob")).one()
        assert (bob.role, bob.site_id) == ("operator", "rtm")  # the mapping's site
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.action == "user.directory_sync")
        ).all()
    assert sorted(row.target for row in audited) == ["user:alice", "user:bob"]
    # A second login changes nothing, so it audits nothing more.
    assert _login(client, "alice", "alice-directory-pw")[0] == 200
    with Session(engine) as session:
        again = session.exec(
            select(AuditEntry).where(AuditEntry.action == "user.directory_sync")
        ).all()
    assert len(again) == 2


def test_wrong_password_no_group_and_local_names_are_refused(
    client: TestClient, world: World, engine: Engine, directory: SlapdProcess
) -> None:
    assert _login(client, "alice", "not-her-password")[0] == 401
    assert _login(client, "alice", "")[0] in {401, 422}  # never an unauthenticated bind
    assert _login(client, "carol", "carol-directory-pw")[0] == 401  # in no mapped group
    # The directory cannot take over a local account of the same name...
    assert _login(client, "admin-user", "directory-admin-pw")[0] == 401
    # ...which still logs in with its own password.
    assert _login(client, "admin-user", PASSWORD)[0] == 200
    with Session(engine) as session:
        names = set(session.exec(select(User.username)).all())
    assert "carol" not in names


def test_a_name_in_other_case_is_the_same_account_not_a_second_one(
    client: TestClient, world: World, engine: Engine, directory: SlapdProcess
) -> None:
    # The directory binds "Admin-User" as "admin-user": it must not open an admin account
    # beside the local one of that name.
    assert _login(client, "Admin-User", "directory-admin-pw")[0] == 401
    assert _login(client, "Alice", "alice-directory-pw")[1]["username"] == "alice"
    assert _login(client, "ALICE", "alice-directory-pw")[1]["username"] == "alice"
    with Session(engine) as session:
        names = sorted(session.exec(select(User.username)).all())
        alice = session.exec(select(User).where(User.username == "alice")).one()
        alice.active = False  # an admin disables her here
        session.add(alice)
        session.commit()
    assert [n for n in names if n.lower() in {"alice", "admin-user"}] == ["admin-user", "alice"]
    # ...and another spelling does not bring a disabled account back.
    assert _login(client, "Alice", "alice-directory-pw")[0] == 401


def test_a_group_change_in_the_directory_changes_the_role_at_next_login(
    client: TestClient, world: World, engine: Engine, directory: SlapdProcess
) -> None:
    assert _login(client, "bob", "bob-directory-pw")[1]["role"] == "operator"
    admin = DirectoryAdmin(directory.url, directory.admin_dn, directory.admin_password)
    try:
        admin.set_members("pg-admins", ["alice", "bob"])
        admin.set_members("pg-ops", ["alice"])
        assert _login(client, "bob", "bob-directory-pw")[1]["role"] == "admin"
        with Session(engine) as session:
            bob = session.exec(select(User).where(User.username == "bob")).one()
            assert (bob.role, bob.site_id) == ("admin", None)
    finally:
        admin.set_members("pg-admins", GROUPS["pg-admins"])
        admin.set_members("pg-ops", GROUPS["pg-ops"])
        admin.close()


def test_a_directory_that_is_down_answers_503_and_local_admins_still_log_in(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_LDAP_URL", f"ldap://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PORTGATE_LDAP_USER_DN", person_dn("{username}"))
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_ROLES", "admin=pg-admins")
    monkeypatch.setenv("PORTGATE_LDAP_TIMEOUT_S", "5")
    status, body = _login(client, "alice", "alice-directory-pw")
    assert status == 503
    assert "directory cannot be reached" in body["detail"]
    form = client.post(
        "/login", data={"username": "alice", "password": "alice-directory-pw", "next": "/"}
    )
    assert form.status_code == 503
    assert "directory cannot be reached" in form.text
    assert _login(client, "admin-user", PASSWORD)[0] == 200
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "alice")).first() is None


def test_a_malformed_role_mapping_is_a_clear_503(
    client: TestClient, world: World, directory: SlapdProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_ROLES", "superuser=pg-admins")
    status, body = _login(client, "alice", "alice-directory-pw")
    assert status == 503
    assert "PORTGATE_LDAP_GROUP_ROLES" in body["detail"]
    assert _login(client, "admin-user", PASSWORD)[0] == 200


def test_login_over_ldaps_checks_the_directorys_certificate(
    client: TestClient,
    world: World,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pki = tmp_path_factory.mktemp("pki")
    ca = TestCa.create(pki / "ca")
    cert = ca.issue_server("slapd", hosts=["127.0.0.1", "localhost"])
    other_ca = TestCa.create(pki / "other")
    server = start_slapd(
        tmp_path_factory.mktemp("slapd-tls"),
        base_ldif(PEOPLE, GROUPS),
        tls=(cert.cert_file, cert.key_file),
    )
    try:
        monkeypatch.setenv("PORTGATE_LDAP_URL", server.url)
        monkeypatch.setenv("PORTGATE_LDAP_USER_DN", person_dn("{username}"))
        monkeypatch.setenv("PORTGATE_LDAP_GROUP_BASE", f"ou=groups,{BASE_DN}")
        monkeypatch.setenv("PORTGATE_LDAP_GROUP_ROLES", "admin=pg-admins")
        monkeypatch.setenv("PORTGATE_LDAP_CA_FILE", str(ca.cert_file))
        assert server.url.startswith("ldaps://")
        assert _login(client, "alice", "alice-directory-pw")[1]["role"] == "admin"
        # A certificate from a CA we do not trust: no password goes over that connection.
        monkeypatch.setenv("PORTGATE_LDAP_CA_FILE", str(other_ca.cert_file))
        status, body = _login(client, "alice", "alice-directory-pw")
        assert status == 503 and "directory cannot be reached" in body["detail"]
    finally:
        server.stop()


def test_malformed_directory_settings_are_a_503_naming_the_setting(
    client: TestClient, world: World, directory: SlapdProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_LDAP_TIMEOUT_S", "soon")
    status, body = _login(client, "alice", "alice-directory-pw")
    assert status == 503 and "PORTGATE_LDAP_TIMEOUT_S" in body["detail"]
    assert _login(client, "admin-user", PASSWORD)[0] == 200


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORTGATE_LDAP_GROUP_ROLES", "root=pg-admins", "PORTGATE_LDAP_GROUP_ROLES"),
        ("PORTGATE_LDAP_GROUP_ROLES", "operator=pg-ops", "operator needs a site"),
        ("PORTGATE_LDAP_GROUP_ROLES", "authority@rtm=pa", "authority has no site"),
        ("PORTGATE_LDAP_URL", "http://directory", "must start with ldap://"),
        ("PORTGATE_LDAP_TIMEOUT_S", "0", "PORTGATE_LDAP_TIMEOUT_S"),
    ],
)
def test_the_api_refuses_to_start_with_malformed_directory_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    monkeypatch.setenv("PORTGATE_LDAP_URL", "ldap://127.0.0.1:1")
    monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["api"])
    assert result.exit_code == 2
    assert result.output.startswith("portgate api: ") and message in result.output
    assert not (tmp_path / "never.db").exists()
