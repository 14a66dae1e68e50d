"""Languages in real headless Chromium (issue 22.1) against a real API (uvicorn, SQLite).

An operator switches the dashboard to Dutch with the header's language menu: the server's
text and the text the page's scripts build (PG.t, from the page's catalog block) are Dutch,
the choice survives a reload and a new login in a fresh browser (it is stored on the
user); a browser asking for Swedish gets the login page in Swedish without choosing. A
screenshot of the styled login page is saved (path printed; PORTGATE_SCREENSHOT_DIR keeps
a copy).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.sites import create_site, create_zone
from central_api.db import make_engine
from central_api.models import Role, SiteCreate, User, ZoneCreate
from central_api.security.auth import hash_password
from gate_protocol.messages import new_id
from testkit.api.server import ThreadedApi
from testkit.browser import log_in
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
WAIT_MS = 30_000  # a loaded machine renders slowly: wait for states, generously


@pytest.fixture
def api(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        create_site(
            session=session,
            site_create=SiteCreate(id="rtm", name="Rotterdam", timezone="Europe/Amsterdam"),
            actor="t",
        )
        create_zone(
            session=session,
            zone_create=ZoneCreate(id="quay", site_id="rtm", name="Quay"),
            actor="t",
        )
        session.add(
            User(
                username="ria",
                password_hash=hash_password(PASSWORD),
                role=Role.OPERATOR,
                site_id="rtm",
            )
        )
        session.commit()
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
        PORTGATE_COOKIE_SECURE=False,
    )
    with ThreadedApi(create_app(settings, engine=engine)) as served:
        yield served.url, engine
    engine.dispose()


def _log_in(page: Any, base_url: str) -> None:
    log_in(page, base_url, "ria", PASSWORD, timeout_ms=WAIT_MS)


def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"login screenshot: {path}")  # noqa: T201 (the reviewer opens it)


def test_an_operator_switches_to_dutch_and_it_is_remembered(
    api: tuple[str, Any], browser: Any, tmp_path: Path
) -> None:
    base_url, engine = api
    page = browser.new_context(locale="en-US").new_page()
    _log_in(page, base_url)
    page.wait_for_selector("#conn-state[data-state='live']", timeout=WAIT_MS)
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#conn-state") == "live"

    page.select_option("#pg-lang", "nl")  # the menu posts the choice and reloads
    page.wait_for_selector("html[lang='nl']", timeout=WAIT_MS)
    assert page.text_content(".dash-stream h2") == "Live gebeurtenissen"
    assert page.text_content(".pg-logout button") == "Uitloggen"
    page.click("[data-tab='muster']")  # a text the script builds, through PG.t
    page.wait_for_selector("#muster-zones .empty", timeout=WAIT_MS)
    assert page.text_content("#muster-zones .empty") == "Er is niemand op het terrein."
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "ria")).one().locale == "nl"

    page.reload()
    page.wait_for_selector("html[lang='nl']", timeout=WAIT_MS)
    assert page.input_value("#pg-lang") == "nl"
    # Reason texts come from the API in English, with a detail (data) or without.
    reasons = page.evaluate(
        """() => [PG.reason("A required competency is missing or expired: ISPS."),
                  PG.reason("Person is on a watchlist: call the guard."),
                  PG.reason("Something new: x.")]"""
    )
    assert reasons == [
        "Een vereiste bevoegdheid ontbreekt of is verlopen: ISPS.",
        "Persoon staat op een signaleringslijst: roep de bewaking.",
        "Something new: x.",  # not in the catalog: the English stands
    ]

    fresh = browser.new_context(locale="en-US").new_page()  # no cookie: a new login
    _log_in(fresh, base_url)
    fresh.wait_for_selector("html[lang='nl']", timeout=WAIT_MS)
    assert fresh.text_content("[data-tab='live']") == "Live"
    assert fresh.text_content("[data-tab='muster']") == "Op het terrein"


def test_a_swedish_browser_gets_swedish_by_default(
    api: tuple[str, Any], browser: Any, tmp_path: Path
) -> None:
    base_url, _ = api
    page = browser.new_context(locale="sv-SE").new_page()
    page.goto(base_url + "/login")
    page.wait_for_selector("html[lang='sv']", timeout=WAIT_MS)
    assert page.text_content("label[for=login-user]").strip() == "Användarnamn"
    assert page.text_content("button[type=submit]") == "Logga in"
    # Styled: the shared stylesheet lays the form out as a card.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.pg-login')).borderRadius") == "8px"
    )
    _screenshot(page, tmp_path, "login-sv.png")
    page.click("a[hreflang=fr]")  # the public page's language links
    page.wait_for_selector("html[lang='fr']", timeout=WAIT_MS)
    assert page.text_content("button[type=submit]") == "Se connecter"
