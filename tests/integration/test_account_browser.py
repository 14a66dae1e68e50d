"""The account page in real Chromium: your own password, reset links, sessions.

A real API on a real port (SQLite, the migrations run); two browser contexts stand for two
devices of the same user.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import Role, User
from central_api.security.auth import hash_password
from gate_protocol.messages import new_id
from testkit.api.server import ThreadedApi
from testkit.browser import log_in as log_in_page
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
NEW = "tidal-crane-orange-42"
WAIT_MS = 30_000  # a loaded machine: wait for states, generously


@dataclass
class Api:
    base_url: str
    engine: Engine


@pytest.fixture
def api(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for name, role in (("admin", Role.ADMIN), ("olga", Role.AUTHORITY)):
            session.add(User(username=name, password_hash=hash_password(PASSWORD), role=role))
        session.commit()
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
        PORTGATE_COOKIE_SECURE=False,
    )
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield Api(base_url=served.url, engine=engine)
    engine.dispose()


def log_in(browser: Any, api: Api, username: str, password: str) -> Any:
    """A new context (a device) logged in on the account page."""
    page = browser.new_context().new_page()
    log_in_page(page, api.base_url, username, password, next_path="/account", timeout_ms=WAIT_MS)
    return page


def me_status(page: Any) -> int:
    """What the API answers this context's session cookie (the context's own cookie jar)."""
    origin = "/".join(page.url.split("/")[:3])
    status: int = page.context.request.get(origin + "/api/v1/auth/me").status
    return status


def test_changing_your_password_ends_the_other_device_and_the_new_one_works(
    api: Api, browser: Any
) -> None:
    phone = log_in(browser, api, "olga", PASSWORD)
    page = log_in(browser, api, "olga", PASSWORD)
    page.fill("#p-current", "not-the-password-at-all")
    page.fill("#p-new", NEW)
    page.click("#p-submit")
    page.wait_for_selector("#status.bad", timeout=WAIT_MS)
    assert "current password is wrong" in page.inner_text("#status")
    assert me_status(phone) == 200, "a wrong current password changes nothing"

    page.fill("#p-current", PASSWORD)
    page.fill("#p-new", "password1234")
    page.click("#p-submit")
    page.wait_for_selector("#status.bad:has-text('too common')", timeout=WAIT_MS)
    assert me_status(phone) == 200, "a weak new password changes nothing"

    page.fill("#p-current", PASSWORD)
    page.fill("#p-new", NEW)
    page.click("#p-submit")
    page.wait_for_selector("body[data-password-changed='1']", timeout=WAIT_MS)
    assert me_status(phone) == 401, "the other device's session ended"
    assert me_status(page) == 401, "this one too"
    again = log_in(browser, api, "olga", NEW)
    assert me_status(again) == 200


def test_an_admin_issues_a_reset_link_that_works_once(api: Api, browser: Any) -> None:
    phone = log_in(browser, api, "olga", PASSWORD)
    admin = log_in(browser, api, "admin", PASSWORD)
    admin.fill("#r-user", "nobody")
    admin.click("#r-issue")
    admin.wait_for_selector("#status.bad:has-text('not found')", timeout=WAIT_MS)
    admin.fill("#r-user", "olga")
    admin.click("#r-issue")
    admin.wait_for_selector("#r-link:has-text('/reset#')", timeout=WAIT_MS)
    link = admin.inner_text("#r-link")

    user = browser.new_context().new_page()
    user.goto(link)
    user.fill("#r-password", "password1234")
    user.click("#r-submit")
    user.wait_for_selector("#r-message", timeout=WAIT_MS)
    assert "too common" in user.inner_text("#r-message"), user.content()
    assert me_status(phone) == 200, "a weak password changed nothing"
    user.fill("#r-password", NEW)  # the token stayed in the form
    user.click("#r-submit")
    user.wait_for_selector("#r-message[role=status]:has-text('Password set')", timeout=WAIT_MS)
    assert me_status(phone) == 401, "the reset ended the user's sessions"

    again = browser.new_context().new_page()
    again.goto(link)
    again.fill("#r-password", "another-fine-phrase-9")
    again.click("#r-submit")
    again.wait_for_selector("#r-message[role=alert]:has-text('used already')", timeout=WAIT_MS)
    assert me_status(log_in(browser, api, "olga", NEW)) == 200


def test_sessions_list_and_log_out_everywhere_end_the_other_device(api: Api, browser: Any) -> None:
    phone = log_in(browser, api, "olga", PASSWORD)
    page = log_in(browser, api, "olga", PASSWORD)
    page.wait_for_selector("body[data-sessions='2']", timeout=WAIT_MS)
    assert page.locator("tr[data-current='1']").count() == 1
    page.click("#s-everywhere")
    page.wait_for_url("**/login", timeout=WAIT_MS)
    assert me_status(phone) == 401, "the other context's session stopped working"
    assert me_status(page) == 401
    again = log_in(browser, api, "olga", PASSWORD)
    again.wait_for_selector("body[data-sessions='1']", timeout=WAIT_MS)


def test_ending_one_session_from_the_list_ends_only_that_device(api: Api, browser: Any) -> None:
    phone = log_in(browser, api, "olga", PASSWORD)
    page = log_in(browser, api, "olga", PASSWORD)
    page.wait_for_selector("body[data-sessions='2']", timeout=WAIT_MS)
    page.click("tr[data-current='0'] button")
    page.wait_for_selector("body[data-sessions='1']", timeout=WAIT_MS)
    assert me_status(phone) == 401
    assert me_status(page) == 200
