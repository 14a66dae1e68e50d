"""From an alarm to a filed incident report in two clicks, in real headless Chromium.

An operator logs in, clicks "Report incident" on a forced-gate alarm of the dashboard (one),
finds the form filled (kind, when, where, the person's pseudonym, their company) and
clicks "File incident" (two). A wrong TLP label sent to the API is refused with the
allowed labels named, and stores nothing.
"""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import create_person
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine, utc_now
from central_api.incidents.tables import Incident
from central_api.models import (
    Alarm,
    Company,
    GateCreate,
    PersonCreate,
    Role,
    SiteCreate,
    User,
    ZoneCreate,
)
from central_api.security.auth import hash_password
from gate_protocol.message_base import AlarmKind
from gate_protocol.records import PersonKind
from testkit.api.server import ThreadedApi
from testkit.browser import log_in
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"


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
            gate_create=GateCreate(id="north-1", site_id="rtm", zone_id="quay", lanes=2),
            actor="t",
        )
        session.add(
            User(
                username="operator-user", password_hash=hash_password(PASSWORD), role=Role.OPERATOR
            )
        )
        company = Company(name="Blackwater Haulage")
        session.add(company)
        session.commit()
        driver = create_person(
            session=session,
            person_create=PersonCreate(
                display_name="Sam Kuiper",
                kind=PersonKind.DRIVER,
                company_id=company.id,
                site_id="rtm",
            ),
            actor="t",
        )
        session.add(
            Alarm(
                alarm_id="al-forced-7",
                site_id="rtm",
                gate_id="north-1",
                lane=1,
                kind=AlarmKind.FORCED,
                raised_at=utc_now() - timedelta(minutes=3),
                detail="turnstile forced open",
                person_id=driver.id,
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


def incidents(engine: Engine) -> list[Incident]:
    with Session(engine) as session:
        return list(session.exec(select(Incident)).all())


def test_from_an_alarm_to_a_filed_incident_in_two_clicks(
    served: tuple[str, Engine], browser: Any
) -> None:
    base_url, engine = served
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, base_url, "operator-user", PASSWORD, via_redirect=True)
    alarm = page.locator("#alarm-list li[data-alarm-id='al-forced-7']")
    alarm.wait_for(timeout=5000)

    alarm.locator("a.report-incident").click()  # click one
    page.wait_for_url("**/dashboard/incidents?alarm_id=al-forced-7", timeout=5000)
    page.locator("#report-card:not([hidden])").wait_for(timeout=5000)
    assert page.input_value("#i-kind") == "forced_gate"
    assert (page.input_value("#i-site"), page.input_value("#i-gate")) == ("rtm", "north-1")
    assert page.input_value("#i-when") != ""
    assert "turnstile forced open" in page.input_value("#i-narrative")
    assert "1 person(s) by pseudonym, 1 company(ies)" in page.inner_text("#i-involved")
    assert "Sam Kuiper" not in page.content()

    page.click("#i-file")  # click two
    page.locator("#incidents-body tr[data-status=filed]").wait_for(timeout=5000)
    assert "filed" in page.inner_text("#status")
    [stored] = incidents(engine)
    assert (stored.kind, stored.status, stored.gate_id, stored.source_alarm_id) == (
        "forced_gate",
        "filed",
        "north-1",
        "al-forced-7",
    )
    assert stored.companies[0]["name"] == "Blackwater Haulage"
    assert len(stored.person_pseudonyms) == 1 and stored.tlp == "TLP:AMBER"

    # A wrong TLP label through the API (the page's own session and CSRF token) is refused.
    message = page.evaluate(
        """async () => {
          try {
            await PG.api("POST", "/api/v1/incidents", {kind: "other", site_id: "rtm",
              occurred_at: new Date().toISOString(), narrative: "x", tlp: "TLP:WHITE"});
            return "stored";
          } catch (error) { return error.message; }
        }"""
    )
    assert "unknown TLP label 'TLP:WHITE': use one of TLP:CLEAR" in message
    assert len(incidents(engine)) == 1
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 1
    assert problems == []
