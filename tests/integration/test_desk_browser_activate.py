"""The desk page in Chromium: a face enrolled at another terminal is activated, not doubled.

Chromium is the system's (/usr/bin/chromium); no browser is ever downloaded.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.browser import CHROMIUM, chromium, open_desk
from testkit.faces import FACES  # the shipped photos: a fresh clone has them

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("desk-activate-browser")) as running:
        yield running


def _enrolled_at_rotterdam(server: DeskServer, headers: dict[str, str]) -> str:
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        person = client.post(
            "/api/v1/enroll/people",
            json={"site_id": server.world.site, "display_name": "Barack Obama", "kind": "driver"},
        )
        assert person.status_code == 201, person.text
        person_id = str(person.json()["id"])
        photo = (FACES / "obama.jpg").read_bytes()
        added = client.post(
            f"/api/v1/enroll/people/{person_id}/photos", files={"photo": ("p.jpg", photo)}
        )
        assert added.status_code == 201, added.text
        return person_id


def test_the_duplicate_answer_activates_the_existing_identity(server: DeskServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    headers = {"Authorization": f"Bearer {server.token()}"}
    first = _enrolled_at_rotterdam(server, headers)
    other = server.world.other_site
    with chromium() as browser:
        page = open_desk(browser, server.url, PASSWORD, viewport={"width": 1280, "height": 1500})
        page.fill("#c-name", "B. Obama")
        page.select_option("#c-kind", "driver")
        page.select_option("#c-site", other)
        page.click("#c-submit")
        page.wait_for_selector("#person-panel:not([hidden])")
        page.set_input_files("#upload", str(FACES / "obama2.jpg"))
        page.wait_for_selector("#feedback[data-status=ok]")
        page.click("#save-photo")
        page.wait_for_selector("#duplicate:not([hidden])")
        page.click(f"#dup-candidates button:has-text('activate at {other}')")
        sync_api.expect(page.locator("#status")).to_contain_text(f"now active at {other}")
    answer = httpx.get(f"{server.url}/api/v1/people/{first}/activations", headers=headers)
    assert answer.status_code == 200, answer.text
    assert [a["site_id"] for a in answer.json()] == sorted([server.world.site, other])
