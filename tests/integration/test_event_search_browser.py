"""An operator searches events by reason and gate, pages on and downloads the CSV (Chromium).

The page is the dashboard's Events page: labelled filters, a results table a page at a
time and an export link that carries the same filters. Driven by the keyboard where an
operator would type. A filter the API refuses (from after to) shows its message and the
table keeps what it had.
"""

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.event_rows import event_row, insert_rows
from testkit.api.server import ThreadedApi
from testkit.api.world import PASSWORD, World, seed_world
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
REASONS = (ReasonCode.GRANTED, ReasonCode.FACE_MISMATCH, ReasonCode.REVOKED)


def seed_events(engine: Engine, world: World) -> list[str]:
    """120 events over two gates and three reasons; the face mismatches at the first gate."""
    rows = []
    for n in range(120):
        reason = REASONS[n % 3]
        decision = Decision.GRANTED if reason is ReasonCode.GRANTED else Decision.DENIED
        gate = world.gate if n % 2 == 0 else world.gate2
        at = T0 + timedelta(minutes=n)
        rows.append(
            event_row(n, site=world.site, gate=gate, at=at, reason=reason, decision=decision)
        )
    insert_rows(engine, rows)
    keep = [
        r for r in rows if r["reason"] == ReasonCode.FACE_MISMATCH and r["gate_id"] == world.gate
    ]
    return [r["event_id"] for r in keep]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine, World]]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    world = seed_world(engine, settings)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield api.url, engine, world
    engine.dispose()


def shown(page: Any) -> list[str]:
    return [str(r.get_attribute("data-event-id")) for r in page.locator("#results tr").all()]


def test_search_by_reason_and_gate_page_on_and_download_the_csv(
    served: tuple[str, Engine, World], browser: Any, tmp_path: Path
) -> None:
    base_url, engine, world = served
    expected = list(reversed(seed_events(engine, world)))  # newest first: 20 events
    page = browser.new_page(accept_downloads=True)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + "/dashboard")
    page.fill("input[name=username]", "operator-user")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard", timeout=5000)
    page.click("nav >> text=Events")
    page.wait_for_url("**/dashboard/events", timeout=5000)
    page.locator("#results tr").first.wait_for(timeout=5000)  # the newest events, unfiltered

    page.get_by_label("Reason", exact=True).select_option("face_mismatch")
    page.get_by_label("Gate", exact=True).fill(world.gate)
    page.get_by_label("Rows per page", exact=True).select_option("10")
    page.get_by_label("Person", exact=True).focus()
    page.keyboard.press("Enter")  # the form submits from the keyboard
    # The page's CSP refuses eval, so waits are on what the page shows, not on scripts.
    page.locator("#page-info", has_text="Page 1: 10 event(s)").wait_for(timeout=5000)
    assert shown(page) == expected[:10]
    page.get_by_role("button", name="Next page").click()
    page.locator("#page-info", has_text="Page 2: 10 event(s)").wait_for(timeout=5000)
    assert shown(page) == expected[10:]
    assert page.get_by_role("button", name="Next page").is_disabled()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    with path.open(encoding="utf-8", newline="") as file:
        table = list(csv.DictReader(file))
    assert [row["event_id"] for row in table] == list(reversed(expected))  # oldest first
    assert {(row["reason"], row["gate_id"]) for row in table} == {("face_mismatch", world.gate)}

    page.get_by_label("From", exact=True).fill("2026-11-23T10:00:00")
    page.get_by_label("To", exact=True).fill("2026-11-22T10:00:00")
    page.get_by_role("button", name="Search").click()
    page.locator("#status", has_text="is after to").wait_for(timeout=5000)
    assert shown(page) == expected[10:]  # the refused search changed nothing on the page
    assert problems == []
