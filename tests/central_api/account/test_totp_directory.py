"""Directory (LDAP) users whose group makes them admins must use TOTP too (real slapd)."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.config import Settings
from testkit.api.world import World
from testkit.directory_ldif import DirectoryPerson, base_ldif, person_dn
from testkit.slapd import BASE_DN, SlapdProcess, slapd_available, start_slapd
from testkit.totp import code_at

pytestmark = pytest.mark.skipif(not slapd_available(), reason="slapd not installed")

ALICE = DirectoryPerson("alice", "alice-directory-pw", "Alice Smith", "Acme", "E1", "a@acme.test")
BOB = DirectoryPerson("bob", "bob-directory-pw", "Bob Jones", "Acme", "E2", "b@acme.test")


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdProcess]:
    groups = {"pg-admins": ["alice"], "pg-ops": ["bob"]}
    server = start_slapd(tmp_path_factory.mktemp("slapd"), base_ldif([ALICE, BOB], groups))
    yield server
    server.stop()


@pytest.fixture
def settings(engine: Engine, slapd: SlapdProcess, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PORTGATE_LDAP_URL", slapd.url)
    monkeypatch.setenv("PORTGATE_LDAP_USER_DN", person_dn("{username}"))
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_BASE", f"ou=groups,{BASE_DN}")
    monkeypatch.setenv("PORTGATE_LDAP_GROUP_ROLES", "admin=pg-admins;operator@rtm=pg-ops")
    return Settings(  # type: ignore[call-arg]
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        PORTGATE_COOKIE_SECURE=False,
        PORTGATE_TOTP_REQUIRED=True,
    )


def _token_answer(client: TestClient, username: str, password: str, code: str = "") -> int:
    data = {"username": username, "password": password, "totp_code": code}
    answer = client.post("/api/v1/auth/token", data=data)
    return int(answer.status_code)


def test_a_directory_admin_sets_totp_up_at_first_login_and_then_needs_the_code(
    client: TestClient, world: World
) -> None:
    refused = client.post(
        "/api/v1/auth/token", data={"username": "alice", "password": ALICE.password}
    )
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("second factor required")
    assert _token_answer(client, "bob", BOB.password) == 200  # an operator: no TOTP needed
    form = client.post(
        "/login",
        data={"username": "alice", "password": ALICE.password, "next": "/"},
        follow_redirects=False,
    )
    assert form.headers["location"] == "/login/enroll"
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', client.get("/login/enroll").text)
    assert match is not None
    done = client.post("/login/enroll", data={"code": code_at(match.group(1))})
    assert done.status_code == 200
    assert _token_answer(client, "alice", ALICE.password) == 401
    assert _token_answer(client, "alice", ALICE.password, "000000x") == 401
    assert _token_answer(client, "alice", ALICE.password, code_at(match.group(1), 1)) == 200
