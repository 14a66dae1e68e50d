"""The dashboard's companies view in real headless Chromium, served by uvicorn on SQLite.

An operator logs in, follows the dashboard's "Companies" link and reads a suspended
company's status, reason and figures; a company name holding markup stays text.
"""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.companies import set_company_status
from central_api.crud.people import create_person
from central_api.crud.sites import create_site
from central_api.db import make_engine, utc_now
from central_api.ingest.store import store_events
from central_api.models import Company, PersonCreate, Role, SiteCreate, User
from central_api.security.auth import hash_password
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import CompanyStatus, PersonKind
from testkit.api.server import ThreadedApi
from testkit.api.world import make_event
from testkit.browser import log_in
from testkit.migrated_db import migrate_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
XSS_NAME = '<img src=x id=pwned onerror="document.body.dataset.pwned=1">'


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id="rtm", name="Rtm"), actor="t")
        session.add(
            User(
                username="operator-user", password_hash=hash_password(PASSWORD), role=Role.OPERATOR
            )
        )
        suspended, marked = Company(name="Blackwater Haulage"), Company(name=XSS_NAME)
        session.add_all([suspended, marked])
        session.commit()
        driver = create_person(
            session=session,
            person_create=PersonCreate(
                display_name="Sam Kuiper",
                kind=PersonKind.DRIVER,
                company_id=suspended.id,
                site_id="rtm",
            ),
            actor="t",
        )
        assert suspended.id is not None
        set_company_status(
            session=session,
            company_id=suspended.id,
            status=CompanyStatus.SUSPENDED,
            reason="licence withdrawn",
            actor="t",
        )
        store_events(
            session=session,
            site_id="rtm",
            gate_id="north-1",
            events=[
                make_event(
                    1,
                    person_id=driver.id,
                    occurred_at=utc_now() - timedelta(minutes=5),
                    decision=Decision.DENIED,
                    reason=ReasonCode.COMPANY_SUSPENDED,
                )
            ],
        )
        session.commit()
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    with ThreadedApi(create_app(settings, engine=engine)) as api:
        yield api.url
    engine.dispose()


def test_an_operator_reads_the_companies_view(base_url: str, browser: Any) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(
        page,
        base_url,
        "operator-user",
        PASSWORD,
        next_path="/dashboard/companies",
        via_redirect=True,
    )
    page.goto(base_url + "/dashboard")
    page.click("a[href='/dashboard/companies']")
    page.wait_for_url("**/dashboard/companies", timeout=5000)
    row = page.locator("#company-table tr[data-status=suspended]")
    cells = row.locator("td").all_inner_texts()
    assert cells[:6] == ["Blackwater Haulage", "suspended", "licence withdrawn", "1", "0", "1"]
    assert XSS_NAME in page.inner_text("#company-table")  # shown as text
    assert page.query_selector("#pwned") is None
    assert page.evaluate("document.body.dataset.pwned") is None
    assert problems == []
