"""The dashboard's companies view: status, reason and figures, for operators and the authority."""

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.companies import set_company_status
from central_api.models import Role
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import CompanyStatus
from testkit.api.companies import company_of
from testkit.api.decisions import enroll
from testkit.api.world import World, make_event

ROW = re.compile(r'<tr data-status="(\w+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td>(.*?)</td>", re.S)


def rows(page: str) -> list[list[str]]:
    return [[status, *CELL.findall(body)] for status, body in ROW.findall(page)]


def test_the_view_shows_each_company_s_status_and_figures(
    client: TestClient, world: World, engine: Engine
) -> None:
    driver = enroll(engine, world, badge="D1")
    suspended = company_of(engine, "Smith & Sons <Haulage>", driver)
    company_of(engine, "Quiet Contractors")
    with Session(engine) as session:
        set_company_status(
            session=session,
            company_id=suspended,
            status=CompanyStatus.SUSPENDED,
            reason="dues",
            actor="test",
        )
    recent = datetime.now(UTC) - timedelta(hours=1)
    events = [
        make_event(1, person_id=driver, occurred_at=recent, passed=True),
        make_event(
            2,
            person_id=driver,
            occurred_at=recent,
            decision=Decision.DENIED,
            reason=ReasonCode.COMPANY_SUSPENDED,
        ),
    ]
    client.post(
        "/api/v1/events",
        json={"events": [e.model_dump(mode="json") for e in events]},
        headers=world.gate_key(),
    )
    page = client.get("/dashboard/companies", headers=world.user(Role.OPERATOR))
    assert page.status_code == 200
    assert "<Haulage>" not in page.text  # escaped, never markup
    assert rows(page.text) == [
        ["active", "Quiet Contractors", "active", "", "0", "0", "0", "0", "0", "0"],
        [
            "suspended",
            "Smith &amp; Sons &lt;Haulage&gt;",
            "suspended",
            "dues",
            "1",
            "1",
            "1",
            "0",
            "0",
            "0",
        ],
    ]
    assert (
        'href="/dashboard/companies"'
        in client.get("/dashboard", headers=world.user(Role.OPERATOR)).text
    )


def test_the_view_is_for_operators_the_authority_and_admins(
    client: TestClient, world: World
) -> None:
    anonymous = client.get("/dashboard/companies", follow_redirects=False)
    assert anonymous.status_code == 401
    assert anonymous.headers["refresh"] == "0; url=/login?next=/dashboard/companies"
    for role, expected in (
        (Role.SECURITY_DESK, 403),
        (Role.OPERATOR, 200),
        (Role.AUTHORITY, 200),
        (Role.ADMIN, 200),
    ):
        page = client.get("/dashboard/companies", headers=world.user(role))
        assert page.status_code == expected
    assert "no companies" in page.text
