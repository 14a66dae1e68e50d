"""The desk page in a real Chromium with a fake webcam fed a shipped test photo.

Capture -> quality feedback -> save -> duplicate confirmed by a second user -> badge ->
pass issued (in a lane language of its own) and printed; a bad photo uploaded gets its
reason. Chromium is the system's (/usr/bin/chromium); no browser is ever downloaded.
"""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import zxingcpp

from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassVerified, verify_pass
from testkit.api.desk_server import PASSWORD, PUBLIC_KEYS, DeskServer, run_desk_server
from testkit.browser import CHROMIUM, chromium, open_desk
from testkit.faces import FACES

pytestmark = pytest.mark.integration


def write_y4m(photo: Path, target: Path, *, width: int = 640, height: int = 480) -> Path:
    """A short YUV4MPEG2 (I420) clip of the photo, letterboxed, for Chromium's fake camera."""
    image = cv2.imread(str(photo))
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(
        image, (int(image.shape[1] * scale) // 2 * 2, int(image.shape[0] * scale) // 2 * 2)
    )
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    frame[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    i420 = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
    with target.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            out.write(b"FRAME\n" + i420)
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("desk-browser")) as running:
        yield running


def test_desk_page_capture_feedback_save_duplicate_and_print(
    server: DeskServer, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    camera = write_y4m(FACES / "obama.jpg", tmp_path / "obama.y4m")
    args = [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    with chromium(*args) as browser:
        # The page forbids eval (CSP); wait_for_function needs it, so the test bypasses CSP.
        # An anonymous browser is sent to log in.
        page = open_desk(
            browser,
            server.url,
            PASSWORD,
            viewport={"width": 1280, "height": 1500},
            bypass_csp=True,
            via_redirect=True,
        )

        page.fill("#c-name", "Barack Obama")
        page.select_option("#c-kind", "driver")
        page.fill("#c-company", "Maas Haulage")
        page.check("#c-groups input[type=checkbox]")
        page.fill("#c-competencies", "ISPS:2030-01-01")
        page.click("#c-submit")
        page.wait_for_selector("#person-panel:not([hidden])")
        assert "Maas Haulage" in page.inner_text("#p-facts")

        page.click("#camera-start")
        page.wait_for_function("document.getElementById('video').videoWidth > 0")
        page.click("#capture")
        page.wait_for_selector("#feedback[data-status=ok]")
        page.click("#save-photo")
        page.wait_for_selector("#feedback[data-status=accepted]")
        # The page refreshes the person after showing the feedback: wait for the count.
        sync_api.expect(page.locator("#template-count")).to_have_text("1 of 5 templates")

        page.set_input_files("#upload", str(FACES / "two_people.jpg"))
        page.wait_for_selector("#feedback[data-status=rejected]")
        assert page.get_attribute("#feedback", "data-reasons") == "several_faces"
        assert "one person at a time" in page.inner_text("#feedback")
        assert page.is_disabled("#save-photo")

        page.fill("#badge-number", "0042999")
        page.click("#badge-form button[type=submit]")
        page.wait_for_function("document.getElementById('p-facts').textContent.includes('0042999')")

        page.check(f"#pass-gates input[value={server.world.gate}]")
        page.fill("#pass-plate", "AB123C")
        page.select_option("#pass-language", "pl")  # the haulier's driver reads Polish
        page.click("#pass-issue")
        page.wait_for_selector("#pass-result:not([hidden])")
        _phone_link_shown_and_renewed(page, server)
        page.click("#print-png")
        page.wait_for_selector("#pass-image:not([hidden])")
        page.wait_for_function("document.getElementById('pass-image').naturalWidth > 0")
        card = bytes(
            page.evaluate(
                "async () => Array.from(new Uint8Array(await (await "
                "fetch(document.getElementById('pass-download').href)).arrayBuffer()))"
            )
        )
        # PORTGATE_TEST_ARTIFACTS keeps the screenshot for a person to look at.
        shots = Path(os.environ.get("PORTGATE_TEST_ARTIFACTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "desk.png"), full_page=True)
        pass_id = page.inner_text("#pass-id")

        # A second person with another photo of the same face: a duplicate hit.
        page.fill("#c-name", "Not Obama")
        page.click("#c-submit")
        page.wait_for_function("document.getElementById('p-name').textContent === 'Not Obama'")
        page.set_input_files("#upload", str(FACES / "obama2.jpg"))
        page.wait_for_selector("#feedback[data-status=ok]")
        page.click("#save-photo")
        page.wait_for_selector("#duplicate:not([hidden])")
        assert "Barack Obama" in page.inner_text("#dup-candidates")
        page.fill("#dup-user", "admin-user")
        page.fill("#dup-password", PASSWORD)
        page.click("#dup-confirm")
        page.wait_for_selector("#feedback[data-status=accepted]")
        # The page refreshes the person after showing the feedback: wait for the count.
        sync_api.expect(page.locator("#template-count")).to_have_text("1 of 5 templates")
        page.click("#templates button[data-template]")
        page.wait_for_selector("#status.bad")
        assert "at least one template" in page.inner_text("#status")

    pixels = cv2.imdecode(np.frombuffer(card, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    (code,) = zxingcpp.read_barcodes(pixels)
    verdict = verify_pass(
        code.text,
        keyring=PassKeyring.from_entries(PUBLIC_KEYS),
        gate_id=server.world.gate,
        now=datetime.now(UTC) + timedelta(minutes=5),
    )
    assert isinstance(verdict, PassVerified) and verdict.claims.pass_id == pass_id
    issued = httpx.get(
        f"{server.url}/api/v1/enroll/passes/{pass_id}", headers=server.world.user_desk()
    )
    assert issued.json()["language"] == "pl"  # the pass's own lane language (issue 26.2)


def _phone_link_shown_and_renewed(page: Any, server: DeskServer) -> None:
    """The pass's phone link with its QR code (issue 26.3); a new link kills the old one."""
    page.wait_for_selector("#pass-mobile:not([hidden])")
    first = page.input_value("#pass-mobile-url")
    assert first.startswith(f"{server.url}/m/pass/") and "#" in first
    shot = np.frombuffer(page.locator("#pass-mobile-qr").screenshot(), dtype=np.uint8)
    (code,) = zxingcpp.read_barcodes(cv2.imdecode(shot, cv2.IMREAD_GRAYSCALE))
    assert code.text == first
    page.click("#pass-mobile-new")
    page.wait_for_function(
        f"document.getElementById('pass-mobile-url').value !== {json.dumps(first)}"
    )
    second = page.input_value("#pass-mobile-url")
    for link, status in ((first, 404), (second, 200)):
        pass_id, secret = link.split("/m/pass/")[1].split("#")
        answer = httpx.post(
            f"{server.url}/api/v1/mobile-pass", json={"pass_id": pass_id, "secret": secret}
        )
        assert answer.status_code == status, answer.text
