"""A staff report end to end in real headless Chromium, the phone page at phone width (390x844).

A port worker opens the gate sign's URL (what scanning its QR code does), writes what they
saw, adds a photo and sends it: the page shows the follow-up code once. The security desk
logs in, opens the report on the triage page, takes it and replies. Later the worker
types the code and reads the reply. A 50 MB file chosen as the photo is refused on the
page with a clear message and stores nothing. Screenshots go to the test's tmp folder.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine
from central_api.models import GateCreate, Role, SiteCreate, User, ZoneCreate
from central_api.security.auth import hash_password
from central_api.staff_reports.tables import StaffReport
from testkit.api.server import ThreadedApi
from testkit.api.staff_reports import phone_photo, sign_for
from testkit.browser import log_in
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def seed(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id="rtm", name="Rtm"), actor="t")
        create_zone(
            session=session,
            zone_create=ZoneCreate(id="quay", site_id="rtm", name="Quay"),
            actor="t",
        )
        create_gate(
            session=session,
            gate_create=GateCreate(id="north-1", site_id="rtm", zone_id="quay", name="North gate"),
            actor="t",
        )
        session.add(
            User(
                username="desk-rtm",
                password_hash=hash_password(PASSWORD),
                role=Role.SECURITY_DESK,
                site_id="rtm",
            )
        )
        session.commit()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    seed(engine)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield api.url, engine
    engine.dispose()


def reports(engine: Engine) -> list[StaffReport]:
    with Session(engine) as session:
        return list(session.exec(select(StaffReport)).all())


def send_from_phone(phone: Any, photo: Path) -> str:
    phone.fill("#r-what", "Two people cutting the fence behind the reefer stack.")
    phone.fill("#r-where", "behind reefer stack B")
    phone.set_input_files("#r-photo", str(photo))
    phone.click("#r-send")
    phone.locator("#receipt:not([hidden])").wait_for(timeout=20000)
    return str(phone.inner_text("#r-code"))


def reply_from_the_desk(desk: Any, base_url: str, shot: Path) -> None:
    log_in(
        desk,
        base_url,
        "desk-rtm",
        PASSWORD,
        next_path="/dashboard/staff-reports",
        timeout_ms=15000,
        via_redirect=True,
    )
    row = desk.locator("#sr-body tr[data-status=new]")
    row.wait_for(timeout=15000)
    row.click()
    desk.locator("#sr-detail:not([hidden])").wait_for(timeout=15000)
    assert "anonymous" in desk.inner_text("#d-reporter")
    desk.locator("#d-photo:not([hidden])").wait_for(timeout=15000)
    desk.click("#d-take")
    desk.locator("#d-status", has_text="in progress").wait_for(timeout=15000)
    desk.fill("#d-reply", "Thank you. A patrol is on its way to stack B.")
    desk.click("#d-reply-form button[type=submit]")
    desk.locator("#d-thread li[data-author=triage]").wait_for(timeout=15000)
    desk.screenshot(path=str(shot), full_page=True)


def test_a_staff_report_from_the_gate_sign_to_the_triage_reply(
    served: tuple[str, Engine], browser: Any, tmp_path: Path
) -> None:
    base_url, engine = served
    token = sign_for(engine, "north-1")
    photo = tmp_path / "fence.jpg"
    photo.write_bytes(phone_photo(800, 600))
    problems: list[str] = []
    phone_context = browser.new_context(**PHONE)
    phone = phone_context.new_page()
    phone.on("pageerror", lambda e: problems.append(str(e)))
    phone.goto(f"{base_url}/report/rtm/{token}")
    assert phone.inner_text("#r-place") == "North gate"
    assert "do not store your network address" in phone.inner_text("#privacy")
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    code = send_from_phone(phone, photo)
    phone.screenshot(path=str(tmp_path / "phone-receipt.png"), full_page=True)
    assert len(code.replace("-", "")) == 16
    assert phone_context.cookies() == []
    [report] = reports(engine)
    assert report.gate_id == "north-1" and report.photo_sha256 is not None
    assert report.reporter_name is None

    desk = browser.new_page()
    desk.on("pageerror", lambda e: problems.append(str(e)))
    reply_from_the_desk(desk, base_url, tmp_path / "triage.png")

    phone.reload()
    phone.fill("#f-code", code.lower())
    phone.click("#f-read")
    reply = phone.locator("#f-messages li[data-author=triage]")
    reply.wait_for(timeout=15000)
    assert "A patrol is on its way to stack B." in reply.inner_text()
    assert phone.inner_text("#f-status") == "in progress"
    phone.screenshot(path=str(tmp_path / "phone-follow-up.png"), full_page=True)

    phone.fill("#f-code", "AAAA-BBBB-CCCC-DDDD")
    phone.click("#f-read")
    phone.locator("#f-error:not(:empty)").wait_for(timeout=15000)
    assert phone.inner_text("#f-error") == "no report for this code"
    assert problems == []


def test_a_50_mb_photo_is_refused_on_the_page_and_nothing_is_stored(
    served: tuple[str, Engine], browser: Any, tmp_path: Path
) -> None:
    base_url, engine = served
    token = sign_for(engine, "north-1")
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as out:
        out.truncate(50 * 1024 * 1024)
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(f"{base_url}/report/rtm/{token}")
    phone.fill("#r-what", "Someone photographing badges at the turnstile.")
    phone.set_input_files("#r-photo", str(huge))
    phone.click("#r-send")
    phone.locator("#r-error:not(:empty)").wait_for(timeout=20000)
    assert "over 3 MiB" in phone.inner_text("#r-error")
    assert phone.locator("#receipt").is_hidden()
    assert reports(engine) == []
