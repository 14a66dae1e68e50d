"""The pass on a phone in a real Chromium at phone width (390x844) and tablet width (768x1024).

A pass issued at the desk opens on the phone: the QR code on screen decodes (zxing-cpp,
the reader `portgate scan` uses) to exactly the issued token, which the gate's verifier
accepts; the window is in the site's zone; the status turns to "used" after the gate
accepts the pass and to "cancelled" after the desk cancels it, by the page's own polling
(shortened to a second here); a wrong link shows only "this link is not valid"; a pass
issued in a language of its own opens in it when the pages speak it, else in the holder's.
Screenshots go to PORTGATE_TEST_ARTIFACTS when set (for a person to look at).
"""

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import zxingcpp
from PIL import Image

import central_api.enroll.mobile.view as mobile_view
import central_api.routes.mobile_pass.page as mobile_page
from central_api.models import Role
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassVerified, verify_pass
from testkit.api.decisions import query
from testkit.api.desk_server import PUBLIC_KEYS, DeskServer, run_desk_server
from testkit.browser import CHROMIUM, chromium

pytestmark = pytest.mark.integration
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
ZONE = "Europe/Amsterdam"
WAIT_MS = 60_000  # a loaded machine: wait for states, generously


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("mobile-pass")) as running:
        answer = httpx.put(
            f"{running.url}/api/v1/sites/rtm/timezone",
            json={"timezone": ZONE},
            headers=running.world.user(Role.ADMIN),
        )
        assert answer.status_code == 200, answer.text
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module's tests (each opens its own pages)."""
    with chromium() as launched:
        yield launched


def _issue(server: DeskServer, name: str, **languages: str) -> dict[str, str]:
    """A pass for a new driver; `languages`: ``preferred_language`` and the pass's ``language``."""
    desk = server.world.user(Role.SECURITY_DESK)
    person_body = {"site_id": "rtm", "display_name": name, "kind": "driver"}
    if "preferred_language" in languages:
        person_body["preferred_language"] = languages["preferred_language"]
    person = httpx.post(f"{server.url}/api/v1/enroll/people", json=person_body, headers=desk)
    assert person.status_code == 201, person.text
    start = datetime.now(UTC) - timedelta(minutes=5)
    window = {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=6)).isoformat(),
    }
    answer = httpx.post(
        f"{server.url}/api/v1/enroll/people/{person.json()['id']}/passes",
        json={"gates": [server.world.gate], **window, **_pass_language(languages)},
        headers=desk,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _pass_language(languages: dict[str, str]) -> dict[str, str]:
    return {"language": languages["language"]} if "language" in languages else {}


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("PORTGATE_TEST_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"mobile-pass-{name}.png"), full_page=True)


def _qr_on_screen(page: Any) -> list[str]:
    png = page.locator("#mp-qr").screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return [code.text for code in zxingcpp.read_barcodes(pixels)]


def test_phone_pass_shows_the_gate_s_code_then_used_then_cancelled(
    server: DeskServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mobile_page, "POLL_SECONDS", 1)
    used, cancelled = _issue(server, "Piet Jansen"), _issue(server, "Anna de Boer")
    page = browser.new_page(viewport=PHONE, locale="en-GB")
    page.set_default_timeout(WAIT_MS)
    page.goto(used["mobile_url"])
    page.wait_for_selector('#mp-status[data-status="valid"]')
    page.wait_for_selector("#mp-qr[src^='data:image/png']")
    assert page.locator("#mp-holder").inner_text() == "Piet"
    assert "Jansen" not in page.content()
    (decoded,) = _qr_on_screen(page)
    assert decoded == used["token"]
    keyring = PassKeyring.from_entries(PUBLIC_KEYS)
    verdict = verify_pass(
        decoded, keyring=keyring, gate_id=server.world.gate, now=datetime.now(UTC)
    )
    assert isinstance(verdict, PassVerified)
    assert page.locator("#mp-from").inner_text().endswith(("CET", "CEST"))
    assert ZONE in page.locator("#mp-zone").inner_text()
    assert page.locator("#mp-gates").inner_text() == server.world.gate.upper()
    _shot(page, "phone-valid-390x844")
    page.click("#mp-enlarge")
    page.wait_for_selector("#mp-full:not([hidden])")
    _shot(page, "phone-full-screen-390x844")
    page.click("#mp-close")
    page.wait_for_selector("#mp-full", state="hidden")

    body = query(credential_kind="qr_pass", pass_token=used["token"])
    decided = httpx.post(
        f"{server.url}/api/v1/decisions", json=body, headers=server.world.gate_key()
    ).json()
    assert decided["decision"] == "granted", decided
    page.wait_for_selector('#mp-status[data-status="used"]')
    assert page.locator("#mp-code").is_hidden()
    _shot(page, "phone-used-390x844")

    tablet = browser.new_page(viewport=TABLET, locale="en-GB")
    tablet.set_default_timeout(WAIT_MS)
    tablet.goto(cancelled["mobile_url"])
    tablet.wait_for_selector('#mp-status[data-status="valid"]')
    _shot(tablet, "tablet-valid-768x1024")
    gone = httpx.delete(
        f"{server.url}/api/v1/enroll/passes/{cancelled['pass_id']}",
        headers=server.world.user(Role.SECURITY_DESK),
    )
    assert gone.status_code == 204, gone.text
    tablet.wait_for_selector('#mp-status[data-status="cancelled"]')
    assert tablet.locator("#mp-code").is_hidden()
    assert tablet.locator("#mp-qr").get_attribute("src") is None
    _shot(tablet, "tablet-cancelled-768x1024")


def test_a_wrong_link_shows_only_that_it_is_not_valid_in_the_reader_s_language(
    server: DeskServer, browser: Any
) -> None:
    issued = _issue(server, "Jan Visser")
    page = browser.new_page(viewport=PHONE, locale="nl-NL")
    page.set_default_timeout(WAIT_MS)
    page.goto(issued["mobile_url"][:-3] + "xyz")
    page.wait_for_selector("#mp-invalid:not([hidden])")
    assert page.locator("#mp-invalid").inner_text().startswith("Deze link is niet geldig.")
    assert page.locator("#mp-pass").is_hidden()
    assert "Jan" not in page.inner_text("body") and issued["pass_id"] not in page.content()
    _shot(page, "phone-not-valid-390x844")
    page.goto(issued["mobile_url"].replace("#", "?lang=de#"))
    page.wait_for_selector('#mp-status[data-status="valid"]')
    assert page.locator("#mp-status").inner_text().startswith("Gültig")
    _shot(page, "phone-valid-de-390x844")


def test_the_holder_s_preferred_language_wins_over_the_browser_s(
    server: DeskServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Persons carry no language yet (issue 26's lane work adds one): the hook stands in.
    monkeypatch.setattr(mobile_view, "holder_language", lambda person: "sv")
    issued = _issue(server, "Lars Berg")
    page = browser.new_page(viewport=PHONE, locale="en-GB")
    page.set_default_timeout(WAIT_MS)
    page.goto(issued["mobile_url"])
    page.wait_for_url("**?lang=sv#*")
    page.wait_for_selector('#mp-status[data-status="valid"]')
    assert page.locator("#mp-status").inner_text().startswith("Giltigt")
    page.click("a[data-lang=fr]")  # the reader's own choice stands
    page.wait_for_selector('html[lang="fr"] #mp-status[data-status="valid"]')
    assert page.locator("#mp-status").inner_text().startswith("Valable")


def test_the_pass_s_own_language_wins_when_the_pages_speak_it_else_the_holder_s(
    server: DeskServer, browser: Any
) -> None:
    # Issue 26.2: a pass issued in German for a holder who prefers Swedish opens in German;
    # one issued in Turkish (the lanes speak it, the pages do not) opens in the holder's Dutch.
    german = _issue(server, "Lars Berg", preferred_language="sv", language="de")
    turkish = _issue(server, "Joost Smit", preferred_language="nl", language="tr")
    page = browser.new_page(viewport=PHONE, locale="en-GB")
    page.set_default_timeout(WAIT_MS)
    page.goto(german["mobile_url"])
    page.wait_for_url("**?lang=de#*")
    page.wait_for_selector('html[lang="de"] #mp-status[data-status="valid"]')
    assert page.locator("#mp-status").inner_text().startswith("G\u00fcltig")
    _shot(page, "phone-pass-language-de-390x844")
    page.goto(turkish["mobile_url"])
    page.wait_for_url("**?lang=nl#*")
    page.wait_for_selector('html[lang="nl"] #mp-status[data-status="valid"]')
    assert page.locator("#mp-status").inner_text().startswith("Geldig")
    _shot(page, "phone-pass-language-tr-falls-back-nl-390x844")
    page.close()
