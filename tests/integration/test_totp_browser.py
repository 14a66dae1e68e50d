"""The TOTP second factor in real Chromium: an admin is made to set it up, then logs in with it.

A real API on a real port (SQLite, the migrations run, PORTGATE_TOTP_REQUIRED on). The test
plays the phone: it reads the key from the page's manual-entry text and computes the codes
with pyotp. Screenshots of the setup and code steps at 1366×768 and 390×844 are saved
(paths printed; PORTGATE_SCREENSHOT_DIR keeps copies).
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import Role, User
from central_api.security.auth import hash_password
from testkit.api.server import ThreadedApi
from testkit.migrated_db import migrate_database
from testkit.totp import code_at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
WAIT_MS = 30_000  # a loaded machine: wait for states, generously
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass
class Api:
    base_url: str
    shots: Path


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("totp-browser")
    url = f"sqlite:///{folder / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for name, role in (
            ("admin", Role.ADMIN),
            ("ada", Role.ADMIN),
            ("olga", Role.AUTHORITY),
            ("omar", Role.OPERATOR),
        ):
            session.add(User(username=name, password_hash=hash_password(PASSWORD), role=role))
        session.commit()
    settings = Settings(  # type: ignore[call-arg]
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        PORTGATE_COOKIE_SECURE=False,
        PORTGATE_TOTP_REQUIRED=True,
    )
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield Api(base_url=served.url, shots=folder)
    engine.dispose()


def _shot(page: Any, api: Api, name: str) -> None:
    path = api.shots / name
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"TOTP screenshot: {path}")  # noqa: T201 (the reviewer opens it)


def _password_step(browser: Any, api: Api, username: str, viewport: dict[str, int]) -> Any:
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(api.base_url + "/login?next=/account")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_an_admin_is_made_to_set_totp_up_and_then_logs_in_with_a_code(
    api: Api, browser: Any
) -> None:
    page = _password_step(browser, api, "admin", DESKTOP)
    page.wait_for_url("**/login/enroll", timeout=WAIT_MS)
    page.wait_for_selector(".pg-totp-qr svg", timeout=WAIT_MS)
    _shot(page, api, "totp-enroll-1366.png")
    # Nothing else is reachable before the setup is done.
    assert page.context.request.get(api.base_url + "/api/v1/auth/me").status == 401
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#enroll-code", "12345")
    page.click("button[type=submit]")
    page.wait_for_selector("#totp-error", timeout=WAIT_MS)
    assert "Wrong code" in page.inner_text("#totp-error")
    assert page.inner_text("#totp-secret").strip() == secret, "the same key to try again"
    page.fill("#enroll-code", code_at(secret))
    page.click("button[type=submit]")
    page.wait_for_selector("#recovery-codes li", timeout=WAIT_MS)
    assert page.locator("#recovery-codes li").count() == 10
    _shot(page, api, "totp-recovery-1366.png")
    page.click("#totp-continue")
    page.wait_for_selector("body[data-totp='on']", timeout=WAIT_MS)
    page.click(".pg-logout button")
    page.wait_for_url("**/login", timeout=WAIT_MS)

    page = _password_step(browser, api, "admin", DESKTOP)
    page.wait_for_url("**/login/code", timeout=WAIT_MS)
    _shot(page, api, "totp-code-1366.png")
    page.fill("#login-code", "000000x")
    page.click("button[type=submit]")
    page.wait_for_selector("#totp-error", timeout=WAIT_MS)
    assert "Wrong code" in page.inner_text("#totp-error")
    _shot(page, api, "totp-code-wrong-1366.png")
    assert page.context.request.get(api.base_url + "/api/v1/auth/me").status == 401
    page.fill("#login-code", code_at(secret, 1))
    page.click("button[type=submit]")
    page.wait_for_url("**/account", timeout=WAIT_MS)
    page.wait_for_selector("body[data-totp='on']", timeout=WAIT_MS)
    assert page.context.request.get(api.base_url + "/api/v1/auth/me").status == 200
    _shot(page, api, "totp-account-admin-1366.png")

    phone = _password_step(browser, api, "admin", PHONE)
    phone.wait_for_url("**/login/code", timeout=WAIT_MS)
    _shot(phone, api, "totp-code-390.png")


def test_the_setup_step_on_a_phone_screen(api: Api, browser: Any) -> None:
    page = _password_step(browser, api, "olga", PHONE)
    page.wait_for_url("**/login/enroll", timeout=WAIT_MS)
    page.wait_for_selector(".pg-totp-qr svg", timeout=WAIT_MS)
    _shot(page, api, "totp-enroll-390.png")
    box = page.locator(".pg-totp-qr svg").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_an_operator_turns_totp_on_from_the_account_page(api: Api, browser: Any) -> None:
    page = _password_step(browser, api, "omar", DESKTOP)
    page.wait_for_url("**/account", timeout=WAIT_MS)  # not required: no second step yet
    page.wait_for_selector("body[data-totp='off']", timeout=WAIT_MS)
    page.click("#totp-start")
    page.wait_for_selector("#totp-setup:not([hidden])", timeout=WAIT_MS)
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#totp-code", "123")
    page.click("#totp-confirm")
    page.wait_for_selector("#status.bad", timeout=WAIT_MS)
    page.fill("#totp-code", code_at(secret))
    page.click("#totp-confirm")
    page.wait_for_selector("body[data-totp='on']", timeout=WAIT_MS)
    assert page.locator("#totp-codes li").count() == 10
    assert page.inner_text("#totp-secret") == "", "the key is gone once it is on"
    _shot(page, api, "totp-account-optin-1366.png")
    again = _password_step(browser, api, "omar", DESKTOP)
    again.wait_for_url("**/login/code", timeout=WAIT_MS)

    # Omar lost his phone: an admin resets his TOTP from her account page.
    admin = _password_step(browser, api, "ada", DESKTOP)
    admin.wait_for_url("**/login/enroll", timeout=WAIT_MS)
    admin.fill("#enroll-code", code_at(admin.inner_text("#totp-secret").strip()))
    admin.click("button[type=submit]")
    admin.click("#totp-continue")
    admin.wait_for_selector("#totp-reset-card:not([hidden])", timeout=WAIT_MS)
    admin.fill("#tr-user", "nobody")
    admin.click("#tr-submit")
    admin.wait_for_selector("#status.bad:has-text('not found')", timeout=WAIT_MS)
    admin.fill("#tr-user", "omar")
    admin.click("#tr-submit")
    admin.wait_for_selector("#status.ok:has-text('omar')", timeout=WAIT_MS)
    assert page.context.request.get(api.base_url + "/api/v1/auth/me").status == 401
    back = _password_step(browser, api, "omar", DESKTOP)
    back.wait_for_url("**/account", timeout=WAIT_MS)  # an operator: the password alone again
    back.wait_for_selector("body[data-totp='off']", timeout=WAIT_MS)
