"""`portgate enroll login` for a desk user with TOTP, against a running API (issue 22.5).

The desk user opts into TOTP; the login then asks for the code from their app when the API
wants one and sends it as ``totp_code``. A wrong code, or none, is refused with the API's
message and a non-zero exit, and no token is saved.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from portgate.cli import app
from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.totp import code_at

pytestmark = pytest.mark.integration

USER = "security_desk-user"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    with run_desk_server(tmp_path_factory.mktemp("desk-totp")) as running:
        yield running


def opt_into_totp(server: DeskServer) -> str:
    """The desk user turns TOTP on through the API; returns the secret."""
    with httpx.Client(base_url=server.url, timeout=60) as api:
        token = api.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        started = api.post("/api/v1/account/totp/start", headers=headers)
        assert started.status_code == 200, started.text
        secret = str(started.json()["secret"])
        confirmed = api.post(
            "/api/v1/account/totp/confirm", json={"code": code_at(secret)}, headers=headers
        )
        assert confirmed.status_code == 200, confirmed.text
    return secret


def enroll(env: dict[str, str], *args: str, typed: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["enroll", *args], env=env, input=typed)
    return result.exit_code, result.output


def test_a_desk_user_with_totp_logs_in_with_the_code_the_client_asks_for(
    server: DeskServer, tmp_path: Path
) -> None:
    secret = opt_into_totp(server)
    token_file = tmp_path / "token"
    env = {
        "PORTGATE_API_URL": server.url,
        "PORTGATE_TOKEN_FILE": str(token_file),
        "PORTGATE_TOKEN": "",
        "PORTGATE_PASSWORD": PASSWORD,
    }
    code, output = enroll(env, "login", "--user", USER, typed="")  # nothing typed
    assert code != 0 and "Code from your authenticator app" in output
    assert not token_file.exists()
    code, output = enroll(env, "login", "--user", USER, typed="123\n")
    assert code == 1 and "401" in output and "wrong code" in output
    assert not token_file.exists()

    code, output = enroll(env, "login", "--user", USER, typed=code_at(secret, 1) + "\n")
    assert code == 0, output
    assert "Code from your authenticator app" in output and f"logged in as {USER}" in output
    assert token_file.stat().st_mode & 0o777 == 0o600
    code, output = enroll(env, "person", "find", "nobody")  # the token is a working session
    assert code == 0, output
