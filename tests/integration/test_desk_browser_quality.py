"""The desk page in a real Chromium names "turned away" and "too bright" on real photos.

Uploads, in the page, a shipped frontal photo of a woman with her head turned past the
camera (a geometric yaw warp, testkit.face_variants), the same photo with its exposure
raised three stops (a real photo made over-exposed, see testkit.api.enrollment.over_exposed),
then the photo as shipped, which passes and is saved. Only shipped photos: it runs on a
fresh clone. Chromium is the system's (/usr/bin/chromium); no browser is ever downloaded.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.api.enrollment import face, over_exposed
from testkit.browser import CHROMIUM, chromium, open_desk
from testkit.face_variants import TURNED_AWAY, turned_photo

FRONTAL, TURNED = TURNED_AWAY[0]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with run_desk_server(tmp_path_factory.mktemp("desk-quality")) as running:
        yield running


def test_desk_page_says_turned_away_and_too_bright_then_saves_a_good_photo(
    server: DeskServer, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    turned = tmp_path / "turned.jpg"
    turned.write_bytes(turned_photo(FRONTAL, TURNED))
    bright = tmp_path / "over-exposed.jpg"
    bright.write_bytes(over_exposed(face(FRONTAL)))
    good = tmp_path / "frontal.jpg"
    good.write_bytes(face(FRONTAL))
    args = ["--disable-background-networking", "--no-first-run"]
    with chromium(*args) as browser:
        page = open_desk(
            browser,
            server.url,
            PASSWORD,
            viewport={"width": 1280, "height": 1200},
            via_redirect=True,
        )
        page.fill("#c-name", "Rose Leslie")
        page.click("#c-submit")
        page.wait_for_selector("#person-panel:not([hidden])")

        for photo, reason, words in (
            (turned, "turned_away", "look straight at the camera"),
            (bright, "too_bright", "too bright"),
        ):
            page.set_input_files("#upload", str(photo))
            page.wait_for_selector(f"#feedback[data-status=rejected][data-reasons={reason}]")
            assert words in page.inner_text("#feedback")
            assert page.is_disabled("#save-photo"), "a refused photo cannot be saved"

        page.set_input_files("#upload", str(good))
        page.wait_for_selector("#feedback[data-status=ok]")
        page.click("#save-photo")
        page.wait_for_selector("#feedback[data-status=accepted]")
        sync_api.expect(page.locator("#template-count")).to_have_text("1 of 5 templates")
