"""The dashboard's Events page shows event times in the site's zone, not the browser's (Chromium).

The browser runs in New York; the port's sites are in Europe/Amsterdam. Two events at
00:10 and 01:10 UTC on Sunday 25 October 2026 are both 02:10 on the site's clock: the
first in summer time (CEST), the second in the repeated hour (CET).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.sites import set_site_timezone
from central_api.db import make_engine
from testkit.api.event_rows import event_row, insert_rows
from testkit.api.server import ThreadedApi
from testkit.api.world import PASSWORD, World, seed_world
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZONE = "Europe/Amsterdam"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine, World]]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    world = seed_world(engine, settings)
    with Session(engine) as session:
        for site in (world.site, world.other_site):
            set_site_timezone(session=session, site_id=site, timezone=ZONE, actor="test")
    rows = [
        event_row(n, site=world.site, gate=world.gate, at=at)
        for n, at in enumerate(
            (datetime(2026, 10, 25, 0, 10, tzinfo=UTC), datetime(2026, 10, 25, 1, 10, tzinfo=UTC))
        )
    ]
    insert_rows(engine, rows)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield api.url, engine, world
    engine.dispose()


def test_event_times_are_the_site_s_clock(served: tuple[str, Engine, World], browser: Any) -> None:
    base_url, _, _ = served
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + "/dashboard")
    page.fill("input[name=username]", "operator-user")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard", timeout=30000)
    assert page.locator("body").get_attribute("data-zone") == ZONE
    page.goto(base_url + "/dashboard/events")
    page.locator("#results tr").nth(1).wait_for(timeout=30000)
    cells = page.locator("#results tr td:first-child").all()
    # New York would say Oct 24 20:10:00 and 21:10:00; the site's clock says 02:10 twice.
    texts = [c.inner_text() for c in cells]
    assert len(texts) == 2, texts
    assert all("Oct 25" in text and "02:10:00" in text for text in texts), texts
    assert problems == []
    context.close()
