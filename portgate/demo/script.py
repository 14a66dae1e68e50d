"""The demo's stream of presentations: grants, denials of several kinds, an outage, an alarm.

One round takes about 40 seconds and repeats until the demo stops. Each step says what it
does through `say`; what the gates decided shows on the dashboard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portgate.demo.api_server import CuttableLink
from portgate.demo.authority import LEGAL_REFERENCE, DemoAuthority
from portgate.demo.gates import DemoGate
from portgate.demo.people import DemoPerson
from portgate.demo.seed import SUSPENDED_DRIVER_BADGE

__all__ = ["DemoScript", "Scene"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
_STEP_S = 2.5
_WALK_UP_S = 1.0
_OUTAGE_S = 8.0
_UNKNOWN_BADGE = 65_000


@dataclass(frozen=True)
class Scene:
    """What the script works with: the gates, the API link, the people and their images."""

    staff: DemoGate
    truck: DemoGate
    link: CuttableLink
    people: dict[str, DemoPerson]
    faces: dict[str, Image]
    pass_image: Image
    # The second terminal's gate, which knows the "granted" person by the same identity.
    terminal: DemoGate | None = None
    authority: DemoAuthority | None = None


class DemoScript:
    """Runs rounds of scripted presentations until `stop` is set.

    Args:
        scene: The gates, link, people and images.
        stop: Ends the script (checked between steps).
        say: Where step descriptions go.
    """

    def __init__(self, scene: Scene, *, stop: threading.Event, say: Callable[[str], None]) -> None:
        self._scene = scene
        self._stop = stop
        self._say = say
        self.rounds = 0

    def run(self) -> None:
        """Play rounds until stopped; the API link is always restored on the way out."""
        try:
            while not self._stop.is_set():
                self.play_round()
                self.rounds += 1
        finally:
            self._scene.link.restore()

    def _wait(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)

    def _badge(self, role: str, *, face_of: str | None, note: str) -> None:
        scene = self._scene
        person = scene.people[role]
        face = scene.faces.get(face_of) if face_of else None
        if scene.staff.camera is not None:
            scene.staff.camera.show(face)
            # Walking up to the reader: the gate's face track sees the face before the tap.
            if face is not None and not self._wait(_WALK_UP_S):
                return
        self._say(f"staff turnstile: {person.name} badges in ({note})")
        scene.staff.present_badge(person.badge)
        scene.staff.pass_through_if_opened()
        if scene.staff.camera is not None:
            scene.staff.camera.show(None)

    def play_round(self) -> None:
        """One round of the demo (about 40 seconds)."""
        scene = self._scene
        steps: list[Callable[[], None]] = [
            lambda: self._badge("granted", face_of="granted", note="expect: granted"),
            self._second_terminal,
            self._unknown_badge,
            self._suspended_company,
            self._outage,
            self._forced_door,
            lambda: self._badge(
                "expired_competency",
                face_of="expired_competency",
                note="expect: competency expired",
            ),
            lambda: self._badge(
                "face_mismatch", face_of="granted", note="someone else's face: expect face mismatch"
            ),
            self._truck,
            lambda: self._badge("revoked", face_of="revoked", note="expect: revoked"),
            self._port_ban,
        ]
        for step in steps:
            if self._stop.is_set():
                return
            try:
                step()
            except Exception:  # one failed step must not end the demo
                _log.exception("demo step failed")
            if not self._wait(_STEP_S):
                return
        if scene.link.up is False:
            scene.link.restore()

    def _second_terminal(self) -> None:
        gate = self._scene.terminal
        if gate is None:
            return
        person = self._scene.people["granted"]
        self._say(
            f"terminal 2: {person.name} badges in with the same badge "
            "(one identity, activated at both terminals: expect granted)"
        )
        gate.present_badge(person.badge)
        gate.pass_through_if_opened()

    def _unknown_badge(self) -> None:
        self._say("staff turnstile: an unknown badge is presented (expect: unknown credential)")
        self._scene.staff.present_badge(_UNKNOWN_BADGE)

    def _suspended_company(self) -> None:
        self._say(
            "truck lane: a driver of Blackwater Haulage, which the port authority suspended, "
            "badges in (expect: company suspended)"
        )
        self._scene.truck.present_badge(SUSPENDED_DRIVER_BADGE)

    def _truck(self) -> None:
        scene = self._scene
        driver = scene.people["driver"]
        self._say(
            f"truck lane: {driver.name} shows the QR pass "
            "(one-time: granted the first time, then already used)"
        )
        if scene.truck.camera is not None:
            scene.truck.camera.show(scene.pass_image)
        scene.truck.pass_through_if_opened(wait_s=5.0)
        if scene.truck.camera is not None:
            scene.truck.camera.show(None)

    def _outage(self) -> None:
        scene = self._scene
        self._say(f"network: the gates lose the API for {_OUTAGE_S:.0f} s (replica decides)")
        scene.link.cut()
        try:
            if not self._wait(0.5):
                return
            self._badge("granted", face_of="granted", note="offline: expect granted by replica")
            if not self._wait(1.5):
                return
            self._unknown_badge()
            self._wait(max(_OUTAGE_S - 2.5, 0.5))
        finally:
            scene.link.restore()
            self._say("network: the API is reachable again")

    def _port_ban(self) -> None:
        authority = self._scene.authority
        if authority is None:
            return
        name = self._scene.people["granted"].name
        self._say(
            f"port authority: {name} is banned from every gate of the port ({LEGAL_REFERENCE})"
        )
        ban_id = authority.ban("granted")
        try:
            if self._wait(1.0):
                self._badge("granted", face_of="granted", note="banned: expect port ban")
        finally:
            authority.lift(ban_id)
            self._say(f"port authority: the ban on {name} is lifted")

    def _forced_door(self) -> None:
        self._say("staff turnstile: the door is forced open (expect: forced alarm)")
        self._scene.staff.force_door()
