"""The persons of interest page in real headless Chromium, served by uvicorn on SQLite.

An authority user logs in, adds a person of interest with a photo, sees the entry listed,
is told why a photo with two faces is refused (nothing added), and ends the entry.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.sites import create_site
from central_api.db import make_engine
from central_api.models import PersonOfInterest, Role, SiteCreate, User
from central_api.security.auth import hash_password
from testkit.api.server import ThreadedApi
from testkit.browser import log_in
from testkit.faces import face_photo
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        create_site(session=session, site_create=SiteCreate(id="rtm", name="Rtm"), actor="t")
        session.add(
            User(username="pa-officer", password_hash=hash_password(PASSWORD), role=Role.AUTHORITY)
        )
        session.commit()
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield api.url, engine
    engine.dispose()


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PersonOfInterest)).one()


def test_the_authority_adds_lists_and_ends_a_person_of_interest(
    served: tuple[str, Engine], browser: Any
) -> None:
    base_url, engine = served
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(
        page, base_url, "pa-officer", PASSWORD, next_path="/dashboard/watchlist", via_redirect=True
    )

    page.fill("#p-label", "Trespasser 12")
    page.fill("#p-reason", "climbed the fence at quay 4")
    page.set_input_files("#p-photo", str(face_photo("biden.jpg")))
    page.click("#p-submit")
    row = page.locator("#pois-body tr")
    row.first.wait_for(timeout=30000)
    cells = row.first.locator("td").all_inner_texts()
    assert cells[1:3] == ["Trespasser 12", "climbed the fence at quay 4"]
    assert cells[0].startswith("poi:") and cells[5] == "user:pa-officer"
    assert "is screened at every gate" in page.inner_text("#status")

    page.fill("#p-label", "Two at once")
    page.fill("#p-reason", "a group photo")
    page.set_input_files("#p-photo", str(face_photo("two_people.jpg")))
    page.click("#p-submit")
    page.wait_for_selector("#status.bad", timeout=30000)
    assert "face" in page.inner_text("#status")
    assert row.count() == 1 and stored(engine) == 1

    row.first.locator("button", has_text="End").click()
    page.locator("#pois-body tr[data-poi]").first.wait_for(state="detached", timeout=5000)
    assert "is off the watchlist" in page.inner_text("#status")
    assert stored(engine) == 0
    assert problems == []
