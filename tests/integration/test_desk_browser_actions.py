"""The desk's actions in a real Chromium at phone width (390 x 844), decided on by the gates' route.

A clerk finds a person by the badge the desk's OSDP reader read (the page polls for it),
a keyboard-wedge reader types the new badge's number and Enter
(which must not submit the form), a number already in use is refused with the API's
message and changes nothing, and the lost badge is replaced: the old badge is refused at a
decision afterwards, the new one granted. Then a suspension with a reason, and an erasure
that is refused without the typed id and answered with the receipt when it is typed.
Every input and select of the desk page has a visible label. Chromium is the system's
(/usr/bin/chromium); no browser is ever downloaded.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.api.decisions import query
from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.browser import CHROMIUM, chromium, open_desk

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("desk-actions")) as running:
        yield running


def _desk(server: DeskServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token()}"}


def _enroll(server: DeskServer, name: str, badge: str) -> str:
    body = {
        "site_id": server.world.site,
        "display_name": name,
        "kind": "staff",
        "company": "Quay Services BV",
        "access_groups": ["quay-staff"],
        "badge": {"number": badge},
    }
    answer = httpx.post(f"{server.url}/api/v1/enroll/people", json=body, headers=_desk(server))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _decide(server: DeskServer, badge: str) -> tuple[str, str]:
    answer = httpx.post(
        f"{server.url}/api/v1/decisions", json=query(badge), headers=server.world.gate_key()
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["decision"], answer.json()["reason"]


def _standing(server: DeskServer, person: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{server.url}/api/v1/enroll/people/{person}/standing", headers=_desk(server)
    )
    answer.raise_for_status()
    return dict(answer.json())


def _unlabelled(page: Any) -> list[str]:
    """Inputs and selects without a visible label (placeholder-only fields included)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select')]
                .filter((el) => el.type !== 'hidden')
                .filter((el) => ![...el.labels].some((l) => l.textContent.trim()
                    .replace(el.textContent || '', '').trim().length > 0))
                .map((el) => el.id || el.name)"""
        )
    )


def test_a_clerk_on_a_phone_replaces_a_lost_badge_suspends_and_erases(
    server: DeskServer, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    person = _enroll(server, "Lena Lost", "0AB001")
    _enroll(server, "Otto Other", "0AB999")
    assert _decide(server, "0AB001") == ("granted", "granted")
    with chromium() as browser:
        page = open_desk(browser, server.url, PASSWORD, viewport={"width": 390, "height": 844})
        assert _unlabelled(page) == []

        # The desk's OSDP reader (portgate desk-reader posts as this user) fills the box.
        page.focus("#find-q")
        read = httpx.post(
            f"{server.url}/api/v1/enroll/desk-reader/reads",
            json={"number": "0AB001"},
            headers=_desk(server),
        )
        assert read.status_code == 204, read.text
        expect(page.locator("#find-q")).to_have_value("0AB001")
        # A wedge reader's Enter in the find box searches at once.
        page.press("#find-q", "Enter")
        page.click("#find-results button")
        expect(page.locator("#actions-panel")).to_be_visible()
        expect(page.locator("#a-summary")).to_contain_text("Status: active")
        expect(page.locator("#a-lost-badge option")).to_have_text(["0AB001"])

        # A wedge reader in the new-badge field: Enter ends the number, submits nothing.
        page.fill("#a-new-badge", "0AB999")
        page.press("#a-new-badge", "Enter")
        expect(page.locator("#status")).to_contain_text("Badge number 0AB999 read")
        assert page.evaluate("document.activeElement.id") == "a-new-format"
        assert _decide(server, "0AB001") == ("granted", "granted"), "nothing was submitted"
        page.click("#a-lost-submit")
        expect(page.locator("#status")).to_contain_text("already in use")
        assert [c["revoked_at"] for c in _standing(server, person)["credentials"]] == [None]

        page.fill("#a-new-badge", "0AB002")
        page.click("#a-lost-submit")
        expect(page.locator("#status")).to_contain_text("badge 0AB002 bound")
        expect(page.locator("#a-credentials")).to_contain_text("revoked")
        expect(page.locator("#p-facts")).to_contain_text("badges: 0AB002")
        page.screenshot(path=str(tmp_path / "phone-lost-badge.png"), full_page=True)
        assert _decide(server, "0AB001") == ("denied", "revoked")
        assert _decide(server, "0AB002") == ("granted", "granted")

        page.select_option("#a-standing-action", "suspend")
        page.click("#a-standing-submit")  # no reason: the browser's required field stops it
        assert _standing(server, person)["person"]["status"] == "active"
        page.fill("#a-reason", "investigation 42")
        page.click("#a-standing-submit")
        expect(page.locator("#a-summary")).to_contain_text("reason: investigation 42")
        assert _decide(server, "0AB002") == ("denied", "person_suspended")

        with page.expect_download() as download:
            page.click("#a-export")
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert download.value.suggested_filename == f"subject-access-{person}.json"
        assert exported["person"]["id"] == person and len(exported["credentials"]) == 2

        page.fill("#a-erase-confirm", "not the id")
        page.click("#a-erase-submit")
        expect(page.locator("#status")).to_contain_text("Not erased: type the person id")
        assert _standing(server, person)["person"]["id"] == person
        page.fill("#a-erase-confirm", person)
        page.click("#a-erase-submit")
        expect(page.locator("#receipt-panel")).to_be_visible()
        expect(page.locator("#a-receipt")).to_contain_text('"audit_hash"')
        expect(page.locator("#actions-panel")).to_be_hidden()
    gone = httpx.get(f"{server.url}/api/v1/enroll/people/{person}", headers=_desk(server))
    assert gone.status_code == 404
    assert _decide(server, "0AB002") == ("denied", "unknown_credential")
