"""The operator's dashboard in headless Chromium: bulk acknowledgement in Dutch, the alarm
context screen, and enrollment photos only where the site shows them.

One API (`testkit.api.operator_board`) and one Chromium serve the module; each test raises
its own alarms.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.enroll.privacy import keep_photo
from central_api.enroll.settings import photo_key
from central_api.ingest.store import store_events
from central_api.models import Alarm, AuditEntry, Site
from gate_protocol.messages import AlarmKind
from testkit.api.dashboard import add_person, make_event
from testkit.api.operator_board import (
    WAIT_MS,
    Served,
    ack_audits,
    acknowledged,
    alarm_row,
    open_dashboard,
    raise_alarms,
    screenshot,
    serve_board,
)
from testkit.faces import face_photo
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_board(tmp_path_factory.mktemp("board")) as board:
        yield board


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
        photo = page.locator(f"#event-list li .ev-photo[src*='/enrolled-photos/{ana}?']").first
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


def keeps_stills(served: Served) -> bool:
    with Session(served.engine) as session:
        site = session.get(Site, served.world.site)
        return bool(site and site.keep_alarm_stills)


def test_an_admin_switches_the_still_rule_on_the_dashboard(served: Served, chrome: Any) -> None:
    page = open_dashboard(chrome, served, username="admin-user")
    page.click("[data-tab='control']")
    switch = page.locator(f"#threat-sites li[data-site-id='{served.world.site}']").get_by_label(
        "Keep camera stills of alarms for 7 days"
    )
    assert not switch.is_checked()  # off by default
    switch.check()  # the page posts the change: wait for the stored rule
    wait_until(lambda: keeps_stills(served), timeout=WAIT_MS / 1000)
    switch.uncheck()
    wait_until(lambda: not keeps_stills(served), timeout=WAIT_MS / 1000)
    with Session(served.engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.alarm_stills")
        ).all()
    assert [row.actor for row in audit] == ["user:admin-user", "user:admin-user"]
    assert page.problems == []
