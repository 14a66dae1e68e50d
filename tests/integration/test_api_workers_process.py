"""`portgate api --workers 2`: one port, two processes that behave as one API.

A token issued by one worker must verify on the other (dev mode hands the parent's random
secrets to both), and SIGTERM stops the whole tree.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from testkit.migrated_db import migrate_database
from testkit.mosquitto import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PORTGATE = str(Path(sys.executable).parent / "portgate")


def test_two_workers_share_the_port_and_the_secrets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORTGATE_DEV_MODE": "1",
        "PORTGATE_PASSWORD": "a-long-enough-password-for-tests",
    }
    env.pop("PORTGATE_SECRET_KEY", None)
    env.pop("PORTGATE_TEMPLATE_KEY", None)
    subprocess.run(  # noqa: S603 (our own CLI)
        [PORTGATE, "users", "add", "ada", "--role", "admin"], env=env, check=True
    )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own CLI)
        [PORTGATE, "api", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(2)  # let the second worker finish starting too
        for _ in range(12):  # fresh connections land on either worker
            token = httpx.post(
                f"{base}/api/v1/auth/token",
                data={"username": "ada", "password": env["PORTGATE_PASSWORD"]},
            ).json()["access_token"]
            me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            assert me.json()["username"] == "ada"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert server.returncode == 0, output
    assert output.count("Started server process") == 2, output
