"""Accessibility of every page a user reaches, checked by axe-core in headless Chromium.

One real API (uvicorn, SQLite) with data on its pages: a person of a company, events (one
granted, one denied), alarms, a staff report from a gate sign, a port ban, an incident and
a person of interest. Each page is opened by a user of the role it is for (one login per
role, language and width) and waits until its lists are filled. In English axe-core runs
its WCAG 2.1 A and AA rules and the page-structure rules (testkit/axe.py), and every field
and button must stand out 3:1 (WCAG 1.4.11, which axe leaves out); any violation fails the
test with a list of rule id, impact and target selector. In Dutch (long words) no text may
be cut off or run out of the page. The pages meant for phones (desk, desk actions,
dashboard, staff-report form) get all of it at 390x844 in Dutch. No axe rule is disabled.

The browser contexts are made with ``bypass_csp=True`` so that axe can be injected as an
inline script: the pages run a strict hash CSP that would refuse it. Only this test does
that. Screenshots go to PORTGATE_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session

from central_api.alarms.raise_alarm import raise_alarm
from central_api.models import Role
from gate_protocol.message_base import AlarmKind
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from testkit.agent.stills import keep_still
from testkit.api.dashboard import add_person, make_event, store
from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.api.enrollment import face
from testkit.api.staff_reports import sign_for
from testkit.axe import axe_violations, clipped_texts, describe, weak_field_edges
from testkit.browser import log_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT_MS = 60_000  # a loaded machine renders slowly: wait for states, generously
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Seeded:
    """The served API and what the pages show: ids a page's URL or search needs."""

    server: DeskServer
    sign: str
    person: str
    alarm: str
    phone_pass: str  # the phone page's path and #secret


def _seed(server: DeskServer) -> Seeded:
    engine, world = server.app.state.engine, server.world
    person = add_person(engine, world.site, "Jan de Vries", "Maersk Crew Services BV")
    store(
        engine,
        world,
        make_event(person_id=person),
        make_event(
            person_id=person,
            decision=Decision.DENIED,
            reason=ReasonCode.OUTSIDE_SCHEDULE,
            passed=False,
        ),
    )
    with Session(engine) as session:
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail="Door forced open at lane 0",
        )
        session.commit()
        alarm_id = alarm.alarm_id
    # The context screen shows a kept camera still: its alt text and contrast are checked.
    keep_still(engine, server.settings, site=world.site, gate=world.gate, alarm_id=alarm_id)
    sign = sign_for(engine, world.gate)
    api = httpx.Client(base_url=server.url, timeout=60)  # a loaded machine answers slowly
    posted = [
        api.post(
            "/api/v1/staff-reports",
            data={
                "site": world.site,
                "sign": sign,
                "what": "A van parked at the fence.",
                "when": datetime.now(UTC).isoformat(),
            },
        ),
        api.post(
            "/api/v1/bans",
            json={"person_id": person, "reason": "Theft of cargo", "legal_reference": "PA-1"},
            headers=world.user(Role.AUTHORITY),
        ),
        api.post(
            "/api/v1/incidents",
            json={
                "kind": "forced_gate",
                "occurred_at": datetime.now(UTC).isoformat(),
                "site_id": world.site,
                "narrative": "The north gate was forced at night.",
            },
            headers=world.user(Role.OPERATOR),
        ),
        api.post(
            "/api/v1/watchlist/persons-of-interest",
            data={"label": "Trespasser 12", "reason": "Climbed the fence twice"},
            files={"photo": ("p.jpg", face("biden.jpg"), "image/jpeg")},
            headers=world.user(Role.AUTHORITY),
        ),
    ]
    start = datetime.now(UTC) - timedelta(minutes=5)
    issued = api.post(
        f"/api/v1/enroll/people/{person}/passes",
        json={
            "gates": [world.gate],
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=4)).isoformat(),
        },
        headers=world.user(Role.SECURITY_DESK),
    )
    api.close()
    for answer in [*posted, issued]:
        assert answer.status_code in (200, 201), answer.text
    link = urlsplit(issued.json()["mobile_url"])
    return Seeded(
        server=server,
        sign=sign,
        person=person,
        alarm=alarm_id,
        phone_pass=f"{link.path}#{link.fragment}",
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with run_desk_server(tmp_path_factory.mktemp("a11y")) as server:
        yield _seed(server)


@dataclass(frozen=True)
class PageCase:
    """A page: its path, who opens it, what shows that it is filled, whether phones use it."""

    name: str
    path: str
    role: Role | None
    ready: str
    phone: bool = False
    then: Callable[[Any, Seeded], None] | None = None


def _open_person(page: Any, seeded: Seeded) -> None:
    page.fill("#find-q", "Jan")
    page.press("#find-q", "Enter")
    page.click("#find-results button")
    page.locator("#actions-panel").wait_for(state="visible", timeout=WAIT_MS)
    page.locator("#a-sites li").first.wait_for(timeout=WAIT_MS)


def _alarms_shown(page: Any, seeded: Seeded) -> None:
    page.locator("#alarm-list li").first.wait_for(timeout=WAIT_MS)


def _open_report(page: Any, seeded: Seeded) -> None:
    page.click("#sr-body tr")
    page.locator("#sr-detail").wait_for(state="visible", timeout=WAIT_MS)
    page.locator("#d-what:not(:empty)").wait_for(timeout=WAIT_MS)


PAGES = [
    PageCase("login", "/login", None, "#login-user"),
    PageCase("home", "/", None, "main a"),
    PageCase("reset", "/reset", None, "#r-password"),
    PageCase("staff-report form", "/report/rtm/{sign}", None, "#r-what", phone=True),
    PageCase("staff-report unknown site", "/report/nowhere", None, "main h1"),
    PageCase(
        "dashboard",
        "/dashboard",
        Role.OPERATOR,
        "#event-list li",
        phone=True,
        then=_alarms_shown,
    ),
    PageCase("alarm context", "/dashboard/alarms/{alarm}", Role.OPERATOR, "#ctx-state", phone=True),
    PageCase("events search", "/dashboard/events", Role.OPERATOR, "#results tr", phone=True),
    PageCase("incidents", "/dashboard/incidents", Role.OPERATOR, "#incidents-body tr"),
    PageCase("companies", "/dashboard/companies", Role.OPERATOR, "#company-table tbody tr"),
    PageCase("reports", "/dashboard/reports", Role.OPERATOR, "#report-form"),
    PageCase("account", "/account", Role.OPERATOR, "#sessions-body tr"),
    PageCase("desk", "/desk", Role.SECURITY_DESK, "#v-site option", phone=True),
    PageCase("desk actions", "/desk", Role.SECURITY_DESK, "#find-q", phone=True, then=_open_person),
    PageCase("staff-reports list", "/dashboard/staff-reports", Role.SECURITY_DESK, "#sr-body tr"),
    PageCase(
        "staff-report triage",
        "/dashboard/staff-reports",
        Role.SECURITY_DESK,
        "#sr-body tr",
        then=_open_report,
    ),
    PageCase("bans", "/dashboard/bans", Role.AUTHORITY, "#bans-body tr"),
    PageCase("watchlist", "/dashboard/watchlist", Role.AUTHORITY, "#pois-body tr"),
    PageCase("baseline", "/dashboard/baseline", Role.AUTHORITY, "#baseline-table tbody tr"),
    PageCase("sharing", "/dashboard/sharing", Role.ADMIN, "main h1"),
    PageCase("phone pass", "{phone_pass}", None, "#mp-qr[src]", phone=True),
    PageCase(
        "phone pass, wrong link",
        "/m/pass/nothing#wrong",
        None,
        "#mp-invalid:not([hidden])",
        phone=True,
    ),
]


class Visits:
    """One browser context per role, language and width, logged in once and reused."""

    def __init__(self, chrome: Any, seeded: Seeded) -> None:
        self.chrome = chrome
        self.seeded = seeded
        self.contexts: dict[tuple[Role | None, str, bool], Any] = {}

    def open(self, case: PageCase, *, locale: str, phone: bool = False) -> Any:
        """A page of `case` in `locale` (the browser's language), filled and ready."""
        key = (case.role, locale, phone)
        if key not in self.contexts:
            self.contexts[key] = self._context(case.role, locale, phone)
        page = self.contexts[key].new_page()
        path = case.path.format(
            sign=self.seeded.sign, alarm=self.seeded.alarm, phone_pass=self.seeded.phone_pass
        )
        page.goto(self.seeded.server.url + path)
        page.locator(case.ready).first.wait_for(state="attached")
        if case.then is not None:
            case.then(page, self.seeded)
        return page

    def _context(self, role: Role | None, locale: str, phone: bool) -> Any:
        context = self.chrome.new_context(
            viewport=PHONE if phone else DESKTOP, bypass_csp=True, locale=locale
        )
        context.set_default_timeout(WAIT_MS)
        if role is not None:
            page = context.new_page()
            log_in(
                page,
                self.seeded.server.url,
                f"{role.value}-user",
                PASSWORD,
                next_path="/account",
                timeout_ms=None,
            )
            page.close()
        return context


@pytest.fixture(scope="module")
def visits(chrome: Any, seeded: Seeded) -> Iterator[Visits]:
    made = Visits(chrome, seeded)
    yield made
    for context in made.contexts.values():
        context.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"a11y-{name}.png"), full_page=True)


def _problems(page: Any, where: str, *, axe: bool) -> list[str]:
    problems = []
    found = axe_violations(page) if axe else []
    if found:
        problems.append(describe(found, where))
    clipped = clipped_texts(page)
    if clipped:
        problems.append(f"text cut off on {where}: " + "; ".join(clipped))
    weak = weak_field_edges(page) if axe else []
    if weak:
        problems.append(f"fields under 3:1 on {where} (WCAG 1.4.11): " + "; ".join(weak))
    _shot(page, where.replace(" ", "-").replace("(", "").replace(")", ""))
    page.close()
    return problems


@pytest.mark.parametrize("case", PAGES, ids=[case.name for case in PAGES])
def test_every_page_passes_axe_and_keeps_dutch_text_whole(visits: Visits, case: PageCase) -> None:
    english = visits.open(case, locale="en")
    assert english.get_attribute("html", "lang") == "en"
    problems = _problems(english, f"{case.name} (en)", axe=True)
    dutch = visits.open(case, locale="nl")
    assert dutch.get_attribute("html", "lang") == "nl"
    problems += _problems(dutch, f"{case.name} (nl)", axe=False)
    assert not problems, "\n".join(problems)


PHONE_PAGES = [case for case in PAGES if case.phone]


@pytest.mark.parametrize("case", PHONE_PAGES, ids=[case.name for case in PHONE_PAGES])
def test_phone_pages_pass_axe_at_phone_width_in_dutch(visits: Visits, case: PageCase) -> None:
    problems = _problems(
        visits.open(case, locale="nl", phone=True), f"{case.name} (phone)", axe=True
    )
    assert not problems, "\n".join(problems)


def test_the_keyboard_focus_is_drawn_in_the_accent_colour(visits: Visits) -> None:
    page = visits.open(PAGES[0], locale="en")
    page.locator("#login-user").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [document.activeElement.id, s.outlineStyle, s.outlineColor]; }"""
    )
    page.close()
    # The browser's own ring is "auto" in a system colour; ours is solid, in --accent.
    assert focused == ["login-password", "solid", "rgb(79, 195, 247)"]


BROKEN_PAGE = """<!doctype html><html><head><title>broken</title></head>
<body style="background:#172029;color:#e6edf3;width:390px">
<input id="unnamed" style="background:#1e2a35;border:1px solid #2c3a47">
<p style="color:#2c3a47">grey on grey</p><img src="/nothing.png">
<div style="width:60px;white-space:nowrap;overflow:hidden">Toegangsbewijs</div>
</body></html>"""


def test_the_checks_name_what_is_wrong_on_a_broken_page(chrome: Any) -> None:
    page = chrome.new_page(bypass_csp=True)
    page.set_content(BROKEN_PAGE)
    found = axe_violations(page)
    rules = {violation.rule: violation for violation in found}
    assert {"label", "image-alt", "color-contrast", "html-has-lang", "landmark-one-main"} <= set(
        rules
    )
    assert rules["label"].targets == ("#unnamed",)
    assert rules["label"].impact == "critical"
    report = describe(found, "the broken page")
    assert "label [critical] Form elements must have labels: #unnamed" in report
    assert clipped_texts(page) == ["div cut off sideways: Toegangsbewijs"]
    assert weak_field_edges(page) == ["input#unnamed edge 1.41:1"]
    page.close()
