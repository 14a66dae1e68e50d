"""The lane display in Chromium, fed by a real agent (issue 26.1, 26.2, 26.4).

One agent with a real mosquitto, the API stub, a simulated bridge, a one-photo camera and the
real face verifier; the lane pages it serves are opened in headless Chromium at tablet
(1280×800) and 1080p sizes. Through the agent: a grant (first name only); with the API
stopped, the face step's "look at the camera" and a face not recognised (in the person's
Romanian), a missing training, the watchlist and a port ban (one neutral text), an
appointment that opens later (Polish, the site's time; tapped to English); passes issued
in Turkish and Polish speak their own language to a holder who reads English (a grant and
a denial); with the broker stopped too, a spent pass (Turkish). A face-quality hint is put
on the agent's own display feed, and the camera's light goes off during a face step: the
agent's own hint ("move into the light"), then the outcome once it is lit again. A wrong
token and an unknown lane show nothing. Screenshots are saved (path printed;
PORTGATE_SCREENSHOT_DIR keeps them somewhere else too).
"""

import base64
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from gate_agent.app import AgentApp
from gate_agent.camera.frame_pump import CodeSeen
from gate_agent.camera.frames import read_bgr_image
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_agent.display.guidance import FaceHint
from gate_protocol.messages import BadgeFormat, CredentialPresented, encode_message
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, agent_config
from testkit.agent.lane_camera import LaneCamera
from testkit.agent.lane_world import LANE_BADGES, LaneWorld, lane_world
from testkit.browser import chromium
from testkit.faces import FACES
from testkit.mosquitto import MosquittoProcess, mosquitto_available, start_mosquitto
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKENS = {0: "lane0-tQ7xVb2LmN9cR4sK8wYe1ZuH6jD3fG5a", 1: "lane1-Pi0oXvBnW4eR7tY2uI9oP3aS6dF1gH8j"}
TABLET, HD = {"width": 1280, "height": 800}, {"width": 1920, "height": 1080}
ZONE = "Europe/Amsterdam"


# Each tone the page starts, by frequency (the sound cue; headless Chromium plays to nothing).
RECORD_TONES = """
window.tones = [];
const Real = window.AudioContext;
window.AudioContext = class extends Real {
  createOscillator() {
    const tone = super.createOscillator();
    const start = tone.start.bind(tone);
    tone.start = (...args) => { window.tones.push(tone.frequency.value); return start(...args); };
    return tone;
  }
};
"""


@dataclass
class Lane:
    app: AgentApp
    api: ApiStub
    bridge: BridgeSim
    broker: MosquittoProcess
    world: LaneWorld
    browser: Any
    shots: Path
    camera: LaneCamera

    def url(self, lane: int, token: str | None = None) -> str:
        port = self.app.display.server.port
        return f"http://127.0.0.1:{port}/lane/{lane}?token={token or TOKENS[lane]}"

    def badge(self, what: str) -> None:
        read = CredentialPresented(
            badge_number=LANE_BADGES[what],
            format=BadgeFormat.WIEGAND26,
            reader_id="r1",
            lane=0,
            read_at=datetime.now(UTC),
        )
        self.bridge.publish(GateChannel.CREDENTIAL, encode_message(read))

    def qr(self, token: str) -> None:
        # What the frame pump hands the loop when the camera reads a code.
        self.app.inbox.put_nowait(CodeSeen(text=token, at=time.monotonic()))

    def page(self, lane: int = 0, size: dict[str, int] = TABLET) -> Any:
        page = self.browser.new_page(viewport=size)
        page.add_init_script(RECORD_TONES)
        page.goto(self.url(lane))
        page.wait_for_selector("body[data-seq]", state="attached", timeout=20_000)
        return page

    def shot(self, page: Any, name: str) -> None:
        path = self.shots / name
        page.screenshot(path=str(path))
        keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / name)
        print(f"lane display screenshot: {path}")  # noqa: T201 (the reviewer opens it)


def shows(page: Any, state: str, message: str, timeout_ms: float = 20_000) -> None:
    """Wait until the page is in `state` and its message is `message` ("": any)."""
    page.wait_for_function(
        """([state, message]) => document.body.className === state &&
            (!message || document.getElementById('message').textContent === message)""",
        arg=[state, message],
        timeout=timeout_ms,
        polling="raf",
    )


def texts(page: Any) -> dict[str, str]:
    return {
        key: page.inner_text(selector)
        for key, selector in {"h1": "#headline", "message": "#message", "action": "#action"}.items()
    }


def _someone_else() -> bytes:
    from biometrics import template_to_bytes

    vector = np.random.default_rng(9).normal(size=128)
    return template_to_bytes(vector / np.linalg.norm(vector))


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lane]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    from gate_agent.face.biometrics import BiometricFaceVerifier

    tmp = tmp_path_factory.mktemp("lane")
    # Someone else's face: the camera's photo does not match it.
    world = lane_world(base64.b64encode(_someone_else()).decode())
    ReplicaStore(tmp / "replica.json").save(
        StoredReplica(snapshot=world.snapshot, last_sync_at=datetime.now(UTC))
    )
    broker = start_mosquitto(tmp)
    api, bridge = ApiStub(world.snapshot), BridgeSim(broker.port)
    config = agent_config(
        tmp,
        mqtt_port=broker.port,
        api_url=api.url,
        camera={"type": "file", "path": str(FACES / "obama.jpg"), "fps": 10},
        # A face step waits up to 10 s: long enough to see the dark camera's hint.
        face={"burst_frames": 5, "burst_timeout_ms": 10_000, "track_window_s": 0},
        display={"port": 0, "time_zone": ZONE, "sound": True, "show_s": 120},
    )
    camera = LaneCamera(read_bgr_image(FACES / "obama.jpg"), fps=10)
    with (
        pytest.MonkeyPatch.context() as env,
        chromium("--autoplay-policy=no-user-gesture-required") as browser,
    ):
        for number, token in TOKENS.items():
            env.setenv(f"PORTGATE_LANE_TOKEN_{number}", token)
        app = AgentApp(
            config,
            gate_key=GATE_KEY,
            verifier=BiometricFaceVerifier(max_frames=1, presearch=False),
            scanner=lambda image: [],
            frame_source=camera,
        )
        app.start()
        try:
            assert wait_until(lambda: app.agent.subscribed, 15), "agent did not connect"
            yield Lane(app, api, bridge, broker, world, browser, tmp, camera)
        finally:
            app.stop()
            bridge.close()
            api.stop()
            broker.stop(timeout_s=5)


def test_a_grant_welcomes_by_first_name_on_its_lane_only(lane: Lane) -> None:
    tablet, hd, other = lane.page(0), lane.page(0, HD), lane.page(1)
    assert texts(tablet)["h1"] == "Present your badge or pass"
    lane.shot(tablet, "tablet-idle.png")
    lane.badge("granted")
    for page in (tablet, hd):
        shows(page, "granted", "Please go ahead.")
        assert texts(page)["h1"] == "Welcome, Anna"
    assert "P1" not in tablet.content()
    assert tablet.evaluate("window.tones") == [880]  # the sound cue: a short high tone
    # Readable from 2 m: the headline is at least 48 px at 1080p; icon and text beside colour.
    size = hd.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert size >= 48
    assert hd.is_visible("svg.i-granted") and not hd.is_visible("svg.i-denied")
    lane.shot(tablet, "tablet-granted.png")
    lane.shot(hd, "1080p-granted.png")
    # The other lane's screen shows nothing of it.
    assert other.evaluate("document.body.className") == "idle"
    assert "Anna" not in other.content()
    for page in (tablet, hd, other):
        page.close()


def test_the_face_step_asks_to_look_up_then_a_mismatch_says_what_to_do(lane: Lane) -> None:
    lane.api.stop()  # from here on the agent decides from its replica alone
    page = lane.page()
    lane.badge("face")  # a flagged company's person: the gate checks the face
    # One check of the whole "look" screen: the face step may end a moment later.
    page.wait_for_function(
        """(headline) => document.body.className === 'look' &&
            document.getElementById('headline').textContent === headline &&
            document.querySelector('svg.i-look')?.getClientRects().length > 0""",
        arg="Privi\u021bi spre camer\u0103",  # in their Romanian
        timeout=20_000,
        polling="raf",
    )
    shows(page, "denied", "Fa\u021ba nu a fost recunoscut\u0103.")
    assert page.evaluate("window.tones") == [330]  # a denial's tone is low
    assert (
        texts(page)["action"]
        == "Mai \u00eencerca\u021bi o dat\u0103, apoi folosi\u021bi interfonul."
    )
    assert page.evaluate("document.documentElement.lang") == "ro"
    assert "Ion" not in page.content()  # a denial names nobody
    page.close()


def test_a_dark_camera_shows_the_agents_hint_then_the_outcome(lane: Lane) -> None:
    tablet, hd = lane.page(), lane.page(0, HD)
    lane.camera.dark()  # the face is too dark for the detector: the face step waits
    assert wait_until(lambda: lane.camera.dark_frames >= 1, 15)  # no lit frame in the pre-roll
    lane.badge("face")
    for page in (tablet, hd):  # in the holder's Romanian, computed by the agent from frames
        page.wait_for_function(
            """([headline, hint]) => document.body.className === 'look' &&
                document.getElementById('headline').textContent === headline &&
                document.getElementById('action').textContent === hint""",
            arg=["Privi\u021bi spre camer\u0103", "Muta\u021bi-v\u0103 \u00een lumin\u0103."],
            timeout=20_000,
            polling="raf",
        )
    assert "Ion" not in tablet.content()  # a hint names nobody
    lane.shot(tablet, "tablet-look-dark-camera.png")
    lane.shot(hd, "1080p-look-dark-camera.png")
    lane.camera.lit()  # the face is found now: it is not the holder's
    for page in (tablet, hd):
        shows(page, "denied", "Fa\u021ba nu a fost recunoscut\u0103.")
    for page in (tablet, hd):
        page.close()


def test_with_the_api_away_each_denial_gives_its_guidance_from_the_replica(lane: Lane) -> None:
    lane.api.stop()  # away already when the tests run in order; this one also runs alone
    tablet, hd = lane.page(), lane.page(0, HD)
    lane.badge("training")
    shows(tablet, "denied", "Your ISPS training is missing or has expired.")
    assert texts(tablet)["action"] == "Go to the security desk."
    assert texts(tablet)["h1"] == "Not admitted" and "Lukas" not in tablet.content()
    lane.shot(tablet, "tablet-denied-training.png")
    for who in ("watchlist", "banned"):
        lane.badge(who)
        shows(tablet, "denied", "Please see the security desk.")
        body = tablet.inner_text("body").lower()
        assert "watch" not in body and "ban" not in body and "PA 7/2026".lower() not in body
        lane.badge("training")  # between the two, so each neutral text is a new screen
        shows(tablet, "denied", "Your ISPS training is missing or has expired.")
    # A truck driver early for their slot: Polish, the opening time in the site's zone.
    local = lane.world.opens_at.astimezone(ZoneInfo(ZONE))
    lane.qr(lane.world.later_pass)
    polish = f"Twoje awizo zaczyna si\u0119 o {local:%H:%M}."
    for page in (tablet, hd):
        shows(page, "denied", polish)
        assert texts(page)["action"] == "Poczekaj na pasie buforowym."
    lane.shot(tablet, "tablet-denied-appointment-pl.png")
    lane.shot(hd, "1080p-denied-appointment-pl.png")
    assert tablet.get_attribute("#languages", "aria-label") == "J\u0119zyk"
    tablet.click("button[data-lang=en]")  # one tap: English, for this person's screen
    shows(tablet, "denied", f"Your appointment opens at {local:%H:%M}.")
    assert texts(tablet)["action"] == "Wait in the buffer lane."
    assert tablet.get_attribute("button[data-lang=en]", "aria-pressed") == "true"
    assert texts(hd)["message"] == polish  # another screen keeps the person's language
    lane.shot(tablet, "tablet-denied-appointment-en.png")
    for page in (tablet, hd):
        page.close()


def test_a_pass_s_own_language_wins_over_the_holder_s_at_grant_and_denial(lane: Lane) -> None:
    # Sam reads English; a haulier issued his passes in Turkish (now) and Polish (later).
    page = lane.page()
    lane.qr(lane.world.turkish_pass)
    shows(page, "granted", "L\u00fctfen ge\u00e7in.")
    assert texts(page)["h1"] == "Ho\u015f geldiniz, Sam"
    assert page.evaluate("document.documentElement.lang") == "tr"
    lane.shot(page, "tablet-granted-pass-tr.png")
    lane.qr(lane.world.polish_pass)
    local = lane.world.opens_at.astimezone(ZoneInfo(ZONE))
    shows(page, "denied", f"Twoje awizo zaczyna si\u0119 o {local:%H:%M}.")
    assert page.evaluate("document.documentElement.lang") == "pl"
    lane.shot(page, "tablet-denied-pass-pl.png")
    page.click("button[data-lang=en]")  # one tap still wins for this person
    shows(page, "denied", f"Your appointment opens at {local:%H:%M}.")
    page.close()


def test_with_the_broker_away_too_the_display_still_follows_the_agent(lane: Lane) -> None:
    lane.api.stop()
    page = lane.page()
    lane.broker.stop(timeout_s=5)
    assert wait_until(lambda: not lane.app.agent.connected, 15)
    lane.qr(lane.world.used_pass)  # the camera still reads passes; the replica decides
    shows(page, "denied", "Bu ge\u00e7i\u015f belgesi zaten kullan\u0131ld\u0131.")
    assert texts(page)["action"] == "Diyafonla masay\u0131 aray\u0131n."
    page.close()


def test_a_face_quality_hint_is_shown_while_the_face_step_waits(lane: Lane) -> None:
    tablet, hd = lane.page(), lane.page(0, HD)
    lane.app.display.looking(0, hint=FaceHint.TOO_DARK)
    for page in (tablet, hd):
        shows(page, "look", "")
        assert texts(page)["h1"] == "Look at the camera"
        assert texts(page)["action"] == "Move into the light."
    lane.shot(tablet, "tablet-look-hint.png")
    lane.shot(hd, "1080p-look-hint.png")
    for page in (tablet, hd):
        page.close()


@pytest.mark.parametrize(
    ("lane_number", "token", "status"),
    [(0, "wrong", 403), (0, TOKENS[1], 403), (9, TOKENS[0], 404)],
)
def test_a_wrong_token_or_unknown_lane_shows_nothing(
    lane: Lane, lane_number: int, token: str, status: int
) -> None:
    lane.app.display.looking(0, hint=FaceHint.TOO_SMALL)
    page = lane.browser.new_page(viewport=TABLET)
    answer = page.goto(lane.url(lane_number, token))
    assert answer is not None and answer.status == status
    assert page.inner_text("h1") == "This display is not available."
    content = page.content()
    assert (
        "lane-texts" not in content
        and "Come closer" not in content
        and "EventSource" not in content
    )
    if status == 403:
        lane.shot(page, "tablet-refused.png")
    page.close()
