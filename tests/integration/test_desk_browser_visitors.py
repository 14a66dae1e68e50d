"""The desk's visitor form in a real Chromium: a host selected, a visitor registered.

A reversed window is refused with the API's message and registers nothing. Chromium is the
system's (/usr/bin/chromium); no browser is ever downloaded.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.browser import CHROMIUM, chromium, open_desk

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("desk-visitors")) as running:
        yield running


def _visits(server: DeskServer) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{server.url}/api/v1/visitors",
        headers={"Authorization": f"Bearer {server.token()}"},
    )
    answer.raise_for_status()
    return list(answer.json())


def test_the_desk_registers_a_visitor_for_the_selected_host(server: DeskServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        page = open_desk(browser, server.url, PASSWORD, viewport={"width": 1280, "height": 1500})

        page.fill("#c-name", "Hannah Host")
        page.select_option("#c-kind", "staff")
        page.click("#c-submit")
        page.wait_for_selector("#person-panel:not([hidden])")
        page.click("#v-host-selected")
        host = page.input_value("#v-host")
        assert host

        page.fill("#v-name", "Vera Visitor")
        page.fill("#v-company", "Agency BV")
        page.select_option("#v-document", "id_card")
        page.fill("#v-from", "2030-01-02T10:00")
        page.fill("#v-until", "2030-01-02T09:00")
        page.click("#v-submit")
        sync_api.expect(page.locator("#status")).to_contain_text(
            "Visitor not registered: valid_until must be after valid_from"
        )
        assert _visits(server) == []

        page.fill("#v-until", "2030-01-02T16:00")
        page.check("#v-groups input[type=checkbox]")
        page.fill("#v-badge", "0DD1CE")
        page.click("#v-submit")
        page.wait_for_selector("#v-result:not([hidden])")
        assert "Vera Visitor" in page.inner_text("#v-person")
    [visit] = _visits(server)
    assert (visit["host_person_id"], visit["name"], visit["id_document_kind"]) == (
        host,
        "Vera Visitor",
        "id_card",
    )
    assert visit["escort_required"] is True
