"""A whole PortGate site on one machine: broker, API + dashboard, two gates, a script.

`DemoSite` owns every part and stops them in reverse order; mosquitto is the only child
process, and it is always stopped (see `stop`).
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import segno
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from gate_agent.face.step import FaceVerifier
from gate_agent.face.tracker import FaceObserver
from gate_protocol.passes.keys import encode_private_key, encode_public_key, generate_pass_key
from portgate.demo.api_server import ApiServer, CuttableLink
from portgate.demo.authority import DemoAuthority
from portgate.demo.broker import DemoBroker, free_port
from portgate.demo.expect import Expectations
from portgate.demo.frames import ScriptedCamera, read_image
from portgate.demo.gates import DemoGate
from portgate.demo.live.scenes import StaffGateScenes, make_scenes
from portgate.demo.people import DemoPerson, demo_people
from portgate.demo.script import STEP_S, DemoScript, Scene
from portgate.demo.seed import SITE, STAFF_GATE, TRUCK_GATE, DemoSeed, seed_demo
from portgate.demo.terminal import TERMINAL, TERMINAL_GATE

__all__ = ["DemoOptions", "DemoSite"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
# The roles whose faces the staff-gate camera shows (the mismatch shows "granted"'s face).
_STAFF_GATE_ROLES = ("granted", "expired_competency", "revoked")
CAMERA_NOTE = (
    "liveness is checked; the people in front of it are live sessions SYNTHESISED from "
    "the shipped still photos (a blink, a slight head turn), and one scenario holds up a "
    "printed photo. A real gate sees real people."
)


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo.

    Attributes:
        port: HTTP port of the API and dashboard.
        data_dir: Where the database, broker files and gate state go (must exist).
        faces_dir: Per-person photo folders (None or missing: synthetic people).
        script: Whether to play the scripted presentations.
        rounds: Play this many rounds of the script, then set `script.done` (None: until
            stopped).
        step_s: The script's pause between two steps (the default is for people watching).
    """

    port: int
    data_dir: Path
    faces_dir: Path | None
    script: bool = True
    rounds: int | None = None
    step_s: float = STEP_S


def _api_settings(*, options: DemoOptions, broker: DemoBroker) -> Settings:
    key_id, key = generate_pass_key()
    return Settings.model_validate(
        {
            "DATABASE_URL": f"sqlite:///{options.data_dir / 'demo.db'}",
            "MQTT_URL": broker.url("api"),
            "PORTGATE_SITE": SITE,
            "PORTGATE_DEV_MODE": True,
            "PORTGATE_COOKIE_SECURE": False,
            "PORTGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "PORTGATE_TEMPLATE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "PORTGATE_METRICS_TOKEN": secrets.token_urlsafe(24),
            "PORTGATE_PASS_SIGNING_KEY": f"{key_id}={encode_private_key(key)}",
            "PORTGATE_PASS_PUBLIC_KEYS": f"{key_id}={encode_public_key(key.public_key())}",
        }
    )


@dataclass
class DemoSite:
    """Every part of the demo site (see the module docstring)."""

    options: DemoOptions
    say: Callable[[str], None]
    broker: DemoBroker | None = None
    # The second terminal's broker (MQTT is per site); None until it starts.
    terminal_broker: DemoBroker | None = None
    terminal_gate: DemoGate | None = None
    settings: Settings | None = field(default=None, repr=False)
    seed: DemoSeed | None = None
    people_note: str = ""
    # What the staff-gate camera shows (empty: no faces, no liveness).
    camera_note: str = ""
    engine: Engine | None = field(default=None, repr=False)
    api: ApiServer | None = None
    link: CuttableLink | None = None
    gates: list[DemoGate] = field(default_factory=list)
    script: DemoScript | None = None
    expect: Expectations | None = None
    _scenes: Future[StaffGateScenes] | None = None
    _script_stop: threading.Event = field(default_factory=threading.Event)
    _script_thread: threading.Thread | None = None

    def start(self) -> None:
        """Seed, start the broker, the API, the link, both gates and the script.

        Raises:
            BrokerMissingError: mosquitto is not installed.
            RuntimeError: a part did not start.
        """
        data = self.options.data_dir
        self.broker = DemoBroker(site=SITE, gates=[STAFF_GATE, TRUCK_GATE], workdir=data / "broker")
        self.broker.prepare()
        self.settings = _api_settings(options=self.options, broker=self.broker)
        people, self.people_note = demo_people(self.options.faces_dir)
        # Made while the site starts (they take seconds); the script waits for them.
        self._scenes = _start_scenes(people) if self.options.script else None
        self.say(f"seeding the demo database ({self.people_note})")
        upgrade_database(self.settings.database_url)
        self.engine = make_engine(self.settings.database_url)
        self.seed = seed_demo(engine=self.engine, settings=self.settings, people=people)
        self.broker.start()
        self.api = ApiServer(
            create_app(self.settings, engine=self.engine), host="127.0.0.1", port=self.options.port
        )
        self.api.start()
        self.link = CuttableLink(target=self.options.port, port=free_port())
        self.link.start()
        self._start_gates(people)
        self._start_terminal()
        if self.options.script:
            self._start_script(people)

    def _start_gates(self, people: list[DemoPerson]) -> None:
        assert self.broker is not None and self.seed is not None and self.link is not None  # noqa: S101
        verifier: FaceVerifier | None = None
        observer: FaceObserver | None = None
        if self.seed.faces:
            from gate_agent.face.biometrics import BiometricFaceObserver, BiometricFaceVerifier

            verifier = BiometricFaceVerifier()
            # The staff gate's face track: the walker's face is verified before the tap.
            observer = BiometricFaceObserver()
            self.camera_note = CAMERA_NOTE
        api_url = f"http://127.0.0.1:{self.link.port}"
        for gate, face, tracker in ((STAFF_GATE, verifier, observer), (TRUCK_GATE, None, None)):
            demo_gate = DemoGate(
                site=SITE,
                gate=gate,
                broker=self.broker,
                api_url=api_url,
                gate_key=self.seed.gate_keys[gate],
                command_keys=self.seed.command_keys[gate],
                workdir=self.options.data_dir / "gates" / gate,
                camera=ScriptedCamera(),
                verifier=face,
                observer=tracker,
                liveness=face is not None,
            )
            self.gates.append(demo_gate)
            demo_gate.start()
        deadline = time.monotonic() + 60
        while not all(g.ready() for g in self.gates):
            if time.monotonic() > deadline:
                raise RuntimeError("the gate agents did not connect and sync within 60 s")
            time.sleep(0.1)

    def _start_terminal(self) -> None:
        """The second terminal's broker and gate, when the seed made the terminal."""
        assert self.seed is not None and self.link is not None  # noqa: S101
        if self.seed.terminal is None:
            return
        data = self.options.data_dir
        self.terminal_broker = DemoBroker(
            site=TERMINAL, gates=[TERMINAL_GATE], workdir=data / "broker-terminal-2"
        )
        self.terminal_broker.prepare()
        self.terminal_broker.start()
        self.terminal_gate = DemoGate(
            site=TERMINAL,
            gate=TERMINAL_GATE,
            broker=self.terminal_broker,
            api_url=f"http://127.0.0.1:{self.link.port}",
            gate_key=self.seed.terminal.gate_key,
            command_keys=self.seed.terminal.command_keys,
            workdir=data / "gates" / TERMINAL_GATE,
            confirm_s=1.0,  # no API on its broker: its events reach the API over HTTP
        )
        self.terminal_gate.start()
        deadline = time.monotonic() + 60
        while not self.terminal_gate.ready():
            if time.monotonic() > deadline:
                raise RuntimeError("the second terminal's gate did not connect and sync in 60 s")
            time.sleep(0.1)
        self.say(f"second terminal {TERMINAL}: gate {TERMINAL_GATE}, one identity shared")

    def _start_script(self, people: list[DemoPerson]) -> None:
        assert self.seed is not None and self.link is not None and self.engine is not None  # noqa: S101
        self.expect = Expectations(engine=self.engine, say=self.say)
        scenes = self._scenes.result() if self._scenes is not None else StaffGateScenes()
        # A role without a live session (no face found in its photo) shows its still.
        faces: dict[str, Sequence[Image]] = {
            p.role: scenes.live.get(p.role) or [read_image(p.camera_photo)]
            for p in people
            if p.camera_photo is not None
        }
        pass_path = self.options.data_dir / "truck-pass.png"
        segno.make(self.seed.pass_token, error="m").save(str(pass_path), scale=6, border=4)
        scene = Scene(
            staff=self.gates[0],
            truck=self.gates[1],
            link=self.link,
            people={p.role: p for p in people},
            faces=faces,
            pass_image=read_image(pass_path),
            printed=scenes.printed,
            terminal=self.terminal_gate,
            authority=DemoAuthority(engine=self.engine, person_ids=self.seed.person_ids)
            if self.engine is not None
            else None,
            expect=self.expect,
        )
        self.script = DemoScript(
            scene,
            stop=self._script_stop,
            say=self.say,
            rounds=self.options.rounds,
            step_s=self.options.step_s,
        )
        self._script_thread = threading.Thread(
            target=self.script.run, name="demo-script", daemon=True
        )
        self._script_thread.start()

    def stop(self) -> None:
        """Stop everything in reverse order; safe to call on a half-started site."""
        if self._scenes is not None:
            self._scenes.cancel()
        self._script_stop.set()
        if self._script_thread is not None:
            self._script_thread.join(timeout=15)
        if self.terminal_gate is not None:
            try:
                self.terminal_gate.stop()
            except Exception:
                _log.exception("stopping gate %s failed", self.terminal_gate.gate)
        if self.terminal_broker is not None:
            self.terminal_broker.stop()
        for gate in reversed(self.gates):
            try:
                gate.stop()
            except Exception:
                _log.exception("stopping gate %s failed", gate.gate)
        if self.link is not None:
            self.link.stop()
        if self.api is not None:
            self.api.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.engine is not None:
            self.engine.dispose()


def _start_scenes(people: list[DemoPerson]) -> Future[StaffGateScenes] | None:
    """Make the staff-gate camera's scenes on a thread of their own (None: no faces)."""
    photos = {
        p.role: read_image(p.camera_photo)
        for p in people
        if p.camera_photo is not None and p.role in _STAFF_GATE_ROLES
    }
    if not photos:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-scenes")
    try:
        return pool.submit(make_scenes, photos)
    finally:
        pool.shutdown(wait=False)
