"""The login throttle counts across API processes: two `portgate api` on one database.

Each process had its own counters in memory, so N workers allowed N times 30 failures;
they are now rows of the shared database (SQLite and PostgreSQL).
"""

import json

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.models import AuditEntry
from central_api.security.login_throttle import ACCOUNT_FAILURES
from testkit.api.process import ApiProcess
from testkit.api.world import PASSWORD, seed_world

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TOKEN = "/api/v1/auth/token"


def _login(base: str, username: str, password: str) -> httpx.Response:
    return httpx.post(base + TOKEN, data={"username": username, "password": password})


def test_failures_spread_over_two_processes_lock_the_account_on_both(
    engine: Engine, settings: Settings
) -> None:
    seed_world(engine, settings)
    url = engine.url.render_as_string(hide_password=False)
    with ApiProcess(url) as first, ApiProcess(url) as second:
        for attempt in range(ACCOUNT_FAILURES):
            base = (first, second)[attempt % 2].url
            assert _login(base, "operator-user", "wrong-password!").status_code == 401
        for api in (first, second):
            refused = _login(api.url, "operator-user", PASSWORD)
            assert refused.status_code == 429, (refused.text, api.output)
            assert int(refused.headers["Retry-After"]) > 0
            form = httpx.post(
                api.url + "/login", data={"username": "operator-user", "password": PASSWORD}
            )
            assert form.status_code == 429
            assert _login(api.url, "admin-user", PASSWORD).status_code == 200, "others log in"
    with Session(engine) as session:
        locked = session.exec(
            select(AuditEntry).where(AuditEntry.action == "login.account_locked")
        ).all()
    assert len(locked) == 1, "one audit row for the lock, whichever process counted last"
    assert json.loads(locked[0].after or "{}")["failures"] == ACCOUNT_FAILURES
