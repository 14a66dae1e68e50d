"""The operator's dashboard in headless Chromium: bulk acknowledgement in Dutch, keyboard only,
the alarm context screen, enrolled photos where the site keeps them, and the three layouts.

One API (uvicorn on a thread, SQLite in a temporary folder) and one Chromium serve the
module; each test raises its own alarms. Screenshots of the three layouts go to
PORTGATE_SCREENSHOT_DIR when it is set (the path of each is printed either way).
"""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.enroll.privacy import keep_photo
from central_api.enroll.settings import photo_key
from central_api.ingest.store import store_events
from central_api.migrate import upgrade_database
from central_api.models import Alarm, AuditEntry, Site, User
from gate_protocol.messages import AlarmKind, Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.dashboard import add_person, make_event
from testkit.api.server import ThreadedApi
from testkit.api.world import PASSWORD, World, seed_world
from testkit.browser import chromium, log_in
from testkit.faces import face_photo
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT_MS = 15000  # a loaded machine serves slowly: wait for states, generously


@dataclass
class Served:
    url: str
    engine: Engine
    world: World
    settings: Settings


def seed_traffic(engine: Engine, world: World) -> None:
    """A morning's passages at both gates, some denied: what the board shows at load."""
    names = ("Ria de Vries", "Jonas Berg", "Eva Lind", "Tom Peeters")
    firms = ("Quay Movers", "Nordic Lashing", "Harbour Logistics", None)
    people = [add_person(engine, world.site, n, f) for n, f in zip(names, firms, strict=True)]
    denied = (Decision.DENIED, ReasonCode.FACE_MISMATCH)
    granted = (Decision.GRANTED, ReasonCode.GRANTED)
    with Session(engine) as session:
        for gate in (world.gate, world.gate2):
            events = [
                make_event(
                    person_id=person,
                    decision=(denied if n % 3 == 2 else granted)[0],
                    reason=(denied if n % 3 == 2 else granted)[1],
                    minutes_ago=40 - 4 * n,
                )
                for n, person in enumerate(people)
            ]
            store_events(session=session, site_id=world.site, gate_id=gate, events=events)
        session.commit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("operator")
    url = f"sqlite:///{folder / 'portgate.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    world = seed_world(engine, settings)
    seed_traffic(engine, world)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield Served(api.url, engine, world, settings)
    engine.dispose()


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def raise_alarms(served: Served, count: int, *, gate: str | None = None) -> list[str]:
    with Session(served.engine, expire_on_commit=False) as session:
        alarms = [
            raise_alarm(
                session=session,
                site_id=served.world.site,
                gate_id=gate or served.world.gate,
                kind=AlarmKind.HELD,
                detail=f"lane {n} held open",
            )
            for n in range(count)
        ]
        session.commit()
    return [alarm.alarm_id for alarm in alarms]


def acknowledged(served: Served, ids: list[str]) -> dict[str, str | None]:
    with Session(served.engine) as session:
        rows = session.exec(select(Alarm).where(col(Alarm.alarm_id).in_(ids))).all()
        return {row.alarm_id: row.ack_comment for row in rows}


def ack_audits(served: Served) -> int:
    with Session(served.engine) as session:
        return len(session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all())


def open_dashboard(
    chrome: Any, served: Served, *, username: str = "operator-user", **context: Any
) -> Any:
    """A fresh browser context logged in (the operator by default), in English."""
    with Session(served.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.locale = None
        session.add(user)
        session.commit()
    page = chrome.new_context(locale="en-US", **context).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    log_in(page, served.url, username, PASSWORD, timeout_ms=WAIT_MS)
    page.wait_for_selector("#conn-state[data-state='live']", timeout=WAIT_MS)
    return page


def alarm_row(page: Any, alarm_id: str) -> Any:
    return page.locator(f"#alarm-list li[data-alarm-id='{alarm_id}']")


def screenshot(page: Any, tmp_path: Path, name: str, *, full_page: bool = False) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"screenshot: {path}")  # noqa: T201 (the reviewer opens it)
    return path


def test_a_dutch_operator_acknowledges_several_alarms_with_one_comment(
    served: Served, chrome: Any
) -> None:
    ids = raise_alarms(served, 3)
    page = open_dashboard(chrome, served)
    page.select_option("#pg-lang", "nl")  # the operator switches the UI to Dutch first
    page.wait_for_selector("html[lang='nl']", timeout=WAIT_MS)
    alarm_row(page, ids[2]).wait_for(timeout=WAIT_MS)
    assert page.text_content("#bulk-ack-button") == "Geselecteerde bevestigen"
    assert page.text_content(".bulk-all").strip() == "Alles selecteren"
    assert (
        page.get_attribute("#bulk-comment", "placeholder")
        == "één opmerking voor alle geselecteerde"
    )
    assert page.get_by_label("Opmerking bij de geselecteerde alarmen").count() == 1
    assert (
        page.text_content(f"#alarm-list li[data-alarm-id='{ids[0]}'] .alarm-context") == "Context"
    )

    for alarm_id in ids[:2]:
        alarm_row(page, alarm_id).locator("input.alarm-select").check()
    page.locator("#bulk-count", has_text=re.compile(r"^2 van \d+ geselecteerd$")).wait_for(
        timeout=WAIT_MS
    )
    page.click("#bulk-ack-button")  # no comment yet: refused on the page, nothing sent
    page.locator("#bulk-result", has_text="Een opmerking is verplicht.").wait_for(timeout=WAIT_MS)
    assert acknowledged(served, ids) == dict.fromkeys(ids)

    page.fill("#bulk-comment", "brandoefening, deuren bewust open")
    page.click("#bulk-ack-button")
    page.locator("#bulk-result", has_text="2 alarm(en) bevestigd.").wait_for(timeout=WAIT_MS)
    for alarm_id in ids[:2]:
        alarm_row(page, alarm_id).wait_for(state="detached", timeout=WAIT_MS)
    comment = "brandoefening, deuren bewust open"
    assert acknowledged(served, ids) == {ids[0]: comment, ids[1]: comment, ids[2]: None}
    assert ack_audits(served) >= 2
    assert page.problems == []


def test_bulk_refusal_changes_nothing(served: Served, chrome: Any) -> None:
    ids = raise_alarms(served, 2)
    page = open_dashboard(chrome, served)
    alarm_row(page, ids[1]).wait_for(timeout=WAIT_MS)
    with Session(served.engine) as session:  # another operator, behind this page's back
        alarm = session.exec(select(Alarm).where(Alarm.alarm_id == ids[0])).one()
        alarm.acknowledged_by, alarm.ack_comment = "someone-else", "mine"
        alarm.acknowledged_at = alarm.raised_at
        session.add(alarm)
        session.commit()
    audits = ack_audits(served)
    for alarm_id in ids:
        alarm_row(page, alarm_id).locator("input.alarm-select").check()
    page.fill("#bulk-comment", "both checked")
    page.click("#bulk-ack-button")
    page.locator("#bulk-result", has_text="already acknowledged").wait_for(timeout=WAIT_MS)
    assert alarm_row(page, ids[1]).count() == 1  # still listed: nothing was acknowledged
    assert acknowledged(served, ids) == {ids[0]: "mine", ids[1]: None}
    assert ack_audits(served) == audits


def set_show_photos(served: Served, show: bool) -> None:
    with Session(served.engine) as session:
        site = session.get(Site, served.world.site)
        assert site is not None
        site.show_enrolled_photos = show
        session.add(site)
        session.commit()


def seed_face_decisions(served: Served) -> tuple[str, str]:
    """Ana (a kept photo) and Bob (none) passed the second gate by face; an alarm names Ana."""
    world = served.world
    ana = add_person(served.engine, world.site, "Ana Costa", None)
    bob = add_person(served.engine, world.site, "Bob Smit", None)
    with Session(served.engine, expire_on_commit=False) as session:
        keep_photo(
            session=session,
            person_id=ana,
            template_id=None,
            photo=face_photo("obama_small.jpg").read_bytes(),
            key=photo_key(served.settings),
            days=30,
        )
        events = [make_event(person_id=p, minutes_ago=m) for p, m in ((ana, 3), (bob, 2))]
        store_events(session=session, site_id=world.site, gate_id=world.gate2, events=events)
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate2,
            kind=AlarmKind.TAILGATING,
            detail="two people passed on one face",
            person_id=ana,
        )
        session.commit()
    return ana, alarm.alarm_id


def shows_photos(served: Served) -> bool:
    with Session(served.engine) as session:
        site = session.get(Site, served.world.site)
        return bool(site and site.show_enrolled_photos)


def test_an_admin_switches_the_photo_rule_on_the_dashboard(served: Served, chrome: Any) -> None:
    page = open_dashboard(chrome, served, username="admin-user")
    page.click("[data-tab='control']")
    switch = page.locator(f"#threat-sites li[data-site-id='{served.world.site}']").get_by_label(
        "Operators see enrollment photos"
    )
    assert not switch.is_checked()  # off by default
    try:
        switch.check()  # the page posts the change: wait for the stored rule
        wait_until(lambda: shows_photos(served), timeout=WAIT_MS / 1000)
        switch.uncheck()
        wait_until(lambda: not shows_photos(served), timeout=WAIT_MS / 1000)
    finally:
        set_show_photos(served, False)
    with Session(served.engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.enrolled_photos")
        ).all()
    assert [row.actor for row in audit][-2:] == ["user:admin-user", "user:admin-user"]


def loaded(img: Any) -> bool:
    return bool(img.evaluate("(node) => node.complete && node.naturalWidth > 0"))


def test_the_alarm_context_and_photos_only_where_the_site_shows_them(
    served: Served, chrome: Any, tmp_path: Path
) -> None:
    ana, alarm_id = seed_face_decisions(served)
    set_show_photos(served, True)
    try:
        page = open_dashboard(chrome, served)
        photo = page.locator(f"#event-list li .ev-photo[src$='/enrolled-photos/{ana}']").first
        photo.wait_for(timeout=WAIT_MS)
        assert loaded(photo)
        assert photo.get_attribute("alt") == "Enrolled photo of Ana Costa"
        alarm_row(page, alarm_id).get_by_role("link", name="Context").click()
        page.wait_for_url(f"**/dashboard/alarms/{alarm_id}", timeout=WAIT_MS)
        page.locator("#ctx-detail", has_text="two people passed on one face").wait_for()
        assert page.text_content("#alarm-h") == "Tailgating"
        assert loaded(page.locator("#ctx-photo"))
        assert page.text_content("#ctx-still") == "No camera still is kept for this alarm."
        assert page.locator("#ctx-events tbody tr").count() >= 2
        assert page.locator("#ctx-events .ev-photo").count() >= 1
        screenshot(page, tmp_path, "alarm-context.png")
        assert page.problems == []

        set_show_photos(served, False)  # the default: no photo anywhere
        page.reload()
        page.locator("#ctx-photo-off").wait_for(timeout=WAIT_MS)
        assert page.locator("img").count() == 0
        page.goto(served.url + "/dashboard")
        page.wait_for_selector("#conn-state[data-state='live']", timeout=WAIT_MS)
        page.locator("#event-list li").first.wait_for(timeout=WAIT_MS)
        assert page.locator("#event-list .ev-photo").count() == 0
    finally:
        set_show_photos(served, False)


def focused_class(page: Any) -> str:
    return str(
        page.evaluate("() => (document.activeElement && document.activeElement.className) || ''")
    )


def tab_to(page: Any, css_class: str, *, presses: int = 80) -> None:
    """Press Tab until the focused element has `css_class` (as a keyboard-only user would)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if css_class in focused_class(page).split():
            return
    raise AssertionError(f"Tab never reached .{css_class}")


def test_keyboard_only_through_events_and_alarms(served: Served, chrome: Any) -> None:
    ids = raise_alarms(served, 2, gate=served.world.gate2)  # the newest two: top of the list
    page = open_dashboard(chrome, served)
    alarm_row(page, ids[1]).wait_for(timeout=WAIT_MS)
    page.locator("#event-list li").nth(1).wait_for(timeout=WAIT_MS)

    tab_to(page, "ev")  # the live events: one Tab stop, arrows within
    first_event = page.locator("#event-list li").nth(0).get_attribute("data-event-id")
    assert page.evaluate("() => document.activeElement.dataset.eventId") == first_event
    page.keyboard.press("ArrowDown")
    second_event = page.locator("#event-list li").nth(1).get_attribute("data-event-id")
    assert page.evaluate("() => document.activeElement.dataset.eventId") == second_event

    tab_to(page, "alarm", presses=12)  # out of the events in a few presses, into the alarms
    assert page.evaluate("() => document.activeElement.dataset.alarmId") == ids[1]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.dataset.alarmId") == ids[0]
    page.keyboard.press("Space")
    assert alarm_row(page, ids[0]).locator("input.alarm-select").is_checked()
    assert alarm_row(page, ids[1]).locator("input.alarm-select").is_checked()
    page.keyboard.press("Shift+Tab")  # back to the bulk form: its button, then the comment
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "bulk-comment"
    page.keyboard.type("checked from the keyboard")
    page.keyboard.press("Enter")
    for alarm_id in ids:
        alarm_row(page, alarm_id).wait_for(state="detached", timeout=WAIT_MS)
    comment = "checked from the keyboard"
    assert acknowledged(served, ids) == dict.fromkeys(ids, comment)
    assert page.problems == []


LAYOUTS = {"laptop": (1366, 768), "control-room": (1920, 1080), "phone": (390, 844)}


def test_the_three_layouts(served: Served, chrome: Any, tmp_path: Path) -> None:
    raise_alarms(served, 1)
    page = open_dashboard(chrome, served, viewport={"width": 1366, "height": 768})
    page.locator("#alarm-list li").first.wait_for(timeout=WAIT_MS)
    page.locator("#event-list li").first.wait_for(timeout=WAIT_MS)
    for layout, (width, height) in LAYOUTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => window.scrollTo(0, 0)")
        screenshot(page, tmp_path, f"dashboard-{layout}-{width}x{height}.png")
        if layout != "phone":
            for panel in (".dash-gates", ".dash-stream", ".dash-alarms"):
                box = page.locator(panel).bounding_box()  # the whole board, no page scroll
                assert box is not None, panel
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (layout, panel)
                assert box["y"] >= 0 and box["y"] + box["height"] <= height, (layout, panel)
    # The guard on patrol scrolls one column: the events panel is on the screen once
    # scrolled to, never beside it.
    screenshot(page, tmp_path, "dashboard-phone-full.png", full_page=True)
    page.locator(".dash-stream").scroll_into_view_if_needed()
    box = page.locator(".dash-stream").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert 0 <= box["y"] < 844
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_keyboard_through_the_event_search_results(served: Served, chrome: Any) -> None:
    page = open_dashboard(chrome, served)
    page.goto(served.url + "/dashboard/events")
    page.locator("#results tr").nth(1).wait_for(timeout=WAIT_MS)
    rows = page.locator("#results tr")
    for _ in range(40):  # Tab from the top of the page to the results: one stop for them all
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "TR":
            break
    focused = "() => document.activeElement.dataset.eventId"
    assert page.evaluate(focused) == rows.nth(0).get_attribute("data-event-id")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == rows.nth(1).get_attribute("data-event-id")
    page.keyboard.press("End")
    assert page.evaluate(focused) == rows.last.get_attribute("data-event-id")
    page.keyboard.press("Tab")  # and out of the table in one press
    assert page.evaluate("() => document.activeElement.tagName") != "TR"
