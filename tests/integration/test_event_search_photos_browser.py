"""The enrolled photo beside face decisions on the event search page, in headless Chromium.

An operator sees Ana's kept photo beside her face decisions only while her site shows
photos, at a laptop's, a control-room screen's and a phone's width, with the results
still one keyboard list and axe finding nothing; each photo served is audited (one row for
the operator, Ana and the search page, however often the page asks). The port authority,
searching the same events, gets no photo and no photo URL in the page or its JSON.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from central_api.enroll.privacy import keep_photo
from central_api.enroll.settings import photo_key
from central_api.ingest.store import store_events
from central_api.models import AuditEntry, Site
from testkit.api.dashboard import add_person, make_event
from testkit.api.operator_board import WAIT_MS, Served, screenshot, serve_board
from testkit.api.world import PASSWORD
from testkit.axe import axe_violations, clipped_texts, describe, weak_field_edges
from testkit.browser import log_in
from testkit.faces import face_photo
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LAPTOP = {"width": 1366, "height": 768}
CONTROL_ROOM = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
RESULTS = "/api/v1/events/search"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_board(tmp_path_factory.mktemp("search-photos")) as board:
        yield board


@pytest.fixture(scope="module")
def ana(served: Served) -> str:
    """Ana (a kept photo) passed the second gate by face twice, the newest events."""
    world = served.world
    person = add_person(served.engine, world.site, "Ana Costa", "Harbour Pilots")
    with Session(served.engine) as session:
        keep_photo(
            session=session,
            person_id=person,
            template_id=None,
            photo=face_photo("obama_small.jpg").read_bytes(),
            key=photo_key(served.settings),
            days=30,
        )
        events = [make_event(person_id=person, minutes_ago=m) for m in (2.0, 1.0)]
        store_events(session=session, site_id=world.site, gate_id=world.gate2, events=events)
        session.commit()
    return person


@pytest.fixture
def photos_on(served: Served) -> Iterator[None]:
    show_photos(served, True)
    try:
        yield
    finally:
        show_photos(served, False)


def show_photos(served: Served, show: bool) -> None:
    with Session(served.engine) as session:
        site = session.get(Site, served.world.site)
        assert site is not None
        site.show_enrolled_photos = show
        session.add(site)
        session.commit()


def open_events(chrome: Any, served: Served, username: str, **context: Any) -> Any:
    """The events page of `username` in a fresh context, its first results shown."""
    page = chrome.new_context(locale="en-US", **context).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    log_in(page, served.url, username, PASSWORD, next_path="/dashboard/events", timeout_ms=WAIT_MS)
    page.locator("#results tr").first.wait_for(timeout=WAIT_MS)
    return page


def ana_photos(page: Any, person: str) -> Any:
    return page.locator(f"#results tr .ev-photo[src*='/enrolled-photos/{person}?page=search']")


def loaded(img: Any) -> bool:
    return bool(img.evaluate("(node) => node.complete && node.naturalWidth > 0"))


def photo_views(served: Served) -> list[tuple[str, str, str]]:
    with Session(served.engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == "person.photo_viewed")
        ).all()
        return [(r.actor, r.target, json.loads(r.after or "{}")["page"]) for r in rows]


def test_an_operator_sees_photos_beside_face_decisions_while_the_site_shows_them(
    served: Served, chrome: Any, ana: str, photos_on: None, tmp_path: Path
) -> None:
    sizes = {"1366x768": LAPTOP, "1920x1080": CONTROL_ROOM, "phone": PHONE}
    for name, viewport in sizes.items():
        page = open_events(chrome, served, "operator-user", viewport=viewport)
        photos = ana_photos(page, ana)
        photos.first.wait_for(timeout=WAIT_MS)
        assert photos.count() == 2  # both face decisions; nobody else has a kept photo
        assert page.locator("#results .ev-photo").count() == 2
        photos.first.scroll_into_view_if_needed()
        wait_until(lambda: loaded(photos.first), timeout=WAIT_MS / 1000)  # noqa: B023
        assert photos.first.get_attribute("alt") == "Enrolled photo of Ana Costa"
        assert photos.first.get_attribute("loading") == "lazy"
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, tmp_path, f"search22-events-photos-{name}.png", full_page=name == "phone")
        assert page.problems == []
        if name != "phone":
            page.context.close()

    # The results stay one keyboard list: arrows move between rows, photo or not.
    rows = page.locator("#results tr")
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.eventId")
    assert focused == rows.nth(1).get_attribute("data-event-id")

    # One audit row for the operator, Ana and this page, however often it was shown.
    wanted = ("user:operator-user", f"person:{ana}", "search")
    wait_until(lambda: wanted in photo_views(served), timeout=WAIT_MS / 1000)
    assert photo_views(served).count(wanted) == 1

    show_photos(served, False)  # the default: the same search shows no photo at all
    with page.expect_response(lambda r: RESULTS in r.url) as answer:
        page.get_by_role("button", name="Search").click()
    assert "photo_url" not in answer.value.text()
    page.locator("#results tr").first.wait_for(timeout=WAIT_MS)
    assert page.locator("#results img").count() == 0
    page.context.close()


def test_the_authority_sees_no_photo_and_no_photo_url(
    served: Served, chrome: Any, ana: str, photos_on: None
) -> None:
    page = chrome.new_context(locale="en-US").new_page()
    with page.expect_response(lambda r: RESULTS in r.url, timeout=WAIT_MS) as answer:
        log_in(page, served.url, "authority-user", PASSWORD, next_path="/dashboard/events")
    items = answer.value.json()["items"]
    assert any(item["person_id"] == ana and item["face_score"] for item in items)
    assert all("photo_url" not in item for item in items)
    assert "enrolled-photos" not in answer.value.text()
    page.locator("#results tr").first.wait_for(timeout=WAIT_MS)
    assert page.locator("#results img").count() == 0
    assert "enrolled-photos" not in page.content()
    page.context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_search_page_with_photos_passes_axe(
    served: Served, chrome: Any, ana: str, photos_on: None, viewport: dict[str, int]
) -> None:
    page = open_events(chrome, served, "operator-user", viewport=viewport, bypass_csp=True)
    ana_photos(page, ana).first.wait_for(timeout=WAIT_MS)
    where = f"event search with photos ({viewport['width']} px)"
    problems = []
    found = axe_violations(page)
    if found:
        problems.append(describe(found, where))
    problems += clipped_texts(page) + weak_field_edges(page)
    assert problems == []
    page.context.close()
