"""The demo's stream of presentations: grants, denials of several kinds, an outage, an alarm.

One round takes about 40 seconds and repeats until the demo stops. Each step says what it
does through `say`; what the gates decided shows on the dashboard.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gate_protocol.messages import AlarmKind, DecidedBy
from gate_protocol.reasons import ReasonCode
from portgate.demo.api_server import CuttableLink
from portgate.demo.authority import LEGAL_REFERENCE, DemoAuthority
from portgate.demo.expect import Expectations
from portgate.demo.gates import DemoGate
from portgate.demo.people import DemoPerson
from portgate.demo.seed import SUSPENDED_DRIVER_BADGE

__all__ = ["STEP_S", "DemoScript", "Scene"]

_log = logging.getLogger(__name__)
Image = npt.NDArray[np.uint8]
# The pause between two steps, for people watching (the tests pass a shorter one: each step
# waits for its own outcome, not for the pause).
STEP_S = 2.5
# Walking up to the reader: long enough for the gate's face track to see 8 frames of the
# face and judge its liveness before the tap (the face window after the tap is the fallback).
_WALK_UP_S = 2.5
_OUTAGE_S = 8.0
# The demo gates' face track keeps a face 3 s after it was last seen (face.track_window_s).
# A face back after more than 1 s is judged afresh (gate_agent.face.track), but the
# script waits the whole window out, so that each presentation of a person (the live face,
# then the printed photo) is a track of its own, whatever the machine's load.
_SAME_FACE_GAP_S = 3.5
_UNKNOWN_BADGE = 65_000


@dataclass(frozen=True)
class Scene:
    """What the script works with: the gates, the API link, the people and their images."""

    staff: DemoGate
    truck: DemoGate
    link: CuttableLink
    people: dict[str, DemoPerson]
    # What the staff-gate camera shows of each role: a loop of frames (a live session).
    faces: dict[str, Sequence[Image]]
    pass_image: Image
    # The second terminal's gate, which knows the "granted" person by the same identity.
    terminal: DemoGate | None = None
    authority: DemoAuthority | None = None
    # Checks each announced outcome against the recorded event (None: no checks).
    expect: Expectations | None = None
    # A printed photo of the "granted" person held up (empty: no faces, no such scenario).
    printed: Sequence[Image] = ()


class DemoScript:
    """Runs rounds of scripted presentations until `stop` is set.

    Args:
        scene: The gates, link, people and images.
        stop: Ends the script (checked between steps).
        say: Where step descriptions go.
        rounds: Stop after this many rounds (None: until `stop`); `done` is set then.
        step_s: The pause between two steps.
    """

    def __init__(
        self,
        scene: Scene,
        *,
        stop: threading.Event,
        say: Callable[[str], None],
        rounds: int | None = None,
        step_s: float = STEP_S,
    ) -> None:
        self._scene = scene
        self._step_s = step_s
        # When each person's face last left the staff-gate camera (monotonic).
        self._faces_gone: dict[str, float] = {}
        self._stop = stop
        self._say = say
        self._limit = rounds
        self.rounds = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Play rounds until stopped; the API link is always restored on the way out."""
        try:
            while not self._stop.is_set() and (self._limit is None or self.rounds < self._limit):
                self.play_round()
                self.rounds += 1
        finally:
            self._scene.link.restore()
            self.done.set()

    def _mark(self) -> int:
        expect = self._scene.expect
        return expect.mark() if expect is not None else 0

    def _check(
        self,
        step: str,
        gate: DemoGate,
        ref: str | None,
        since: int,
        *,
        expected: ReasonCode,
        decided_by: DecidedBy | None = None,
    ) -> None:
        """Compare the gate's event after `since` with the outcome the step announced."""
        expect = self._scene.expect
        if expect is not None and not self._stop.is_set():
            expect.check(
                step=step,
                gate=gate.gate,
                ref=ref,
                since=since,
                expected=expected,
                decided_by=decided_by,
            )

    def _wait(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)

    def _same_face_wait(self, owner: str) -> float:
        """How long until `owner`'s face, gone from the camera, no longer continues its track."""
        gone = self._faces_gone.get(owner)
        if gone is None:
            return 0.0
        return max(0.0, _SAME_FACE_GAP_S - (time.monotonic() - gone))

    def _badge(
        self,
        role: str,
        *,
        face_of: str | None,
        note: str,
        expect: ReasonCode | None = None,
        shown: Sequence[Image] | None = None,
    ) -> None:
        scene = self._scene
        person = scene.people[role]
        since = self._mark()
        face = shown if shown is not None else scene.faces.get(face_of) if face_of else None
        owner = face_of or role  # whose face the camera shows (the printed photo: role's)
        if scene.staff.camera is not None:
            if face is not None and not self._wait(self._same_face_wait(owner)):
                return
            scene.staff.camera.show(face)
            # Walking up to the reader: the gate's face track sees the face before the tap.
            if face is not None and not self._wait(_WALK_UP_S):
                return
        self._say(f"staff turnstile: {person.name} badges in ({note})")
        scene.staff.present_badge(person.badge)
        scene.staff.pass_through_if_opened()
        if scene.staff.camera is not None:
            scene.staff.camera.show(None)
            if face is not None:
                self._faces_gone[owner] = time.monotonic()
        if expect is not None:
            step = f"{person.name} at the staff turnstile, {note}"
            self._check(step, scene.staff, str(person.badge), since, expected=expect)

    def play_round(self) -> None:
        """One round of the demo (about 40 seconds)."""
        scene = self._scene
        steps: list[Callable[[], None]] = [
            lambda: self._badge(
                "granted", face_of="granted", note="expect: granted", expect=ReasonCode.GRANTED
            ),
            self._second_terminal,
            self._unknown_badge,
            self._suspended_company,
            self._outage,
            self._forced_door,
            lambda: self._badge(
                "expired_competency",
                face_of="expired_competency",
                note="expect: competency expired",
                expect=ReasonCode.COMPETENCY_EXPIRED,
            ),
            lambda: self._badge(
                "face_mismatch",
                face_of="granted",
                note="someone else's face: expect face mismatch",
                expect=ReasonCode.FACE_MISMATCH,
            ),
            self._truck,
            self._print_attack,
            lambda: self._badge(
                "revoked", face_of="revoked", note="expect: revoked", expect=ReasonCode.REVOKED
            ),
            self._port_ban,
        ]
        for step in steps:
            if self._stop.is_set():
                return
            try:
                step()
            except Exception:  # one failed step must not end the demo
                _log.exception("demo step failed")
            if not self._wait(self._step_s):
                return
        if scene.link.up is False:
            scene.link.restore()

    def _second_terminal(self, *, expected: ReasonCode = ReasonCode.GRANTED) -> None:
        gate = self._scene.terminal
        if gate is None:
            return
        person = self._scene.people["granted"]
        since = self._mark()
        note = (
            "one identity, activated at both terminals: expect granted"
            if expected is ReasonCode.GRANTED
            else "banned port-wide: expect port ban"
        )
        self._say(f"terminal 2: {person.name} badges in with the same badge ({note})")
        gate.present_badge(person.badge)
        gate.pass_through_if_opened()
        step = f"{person.name} at terminal 2, {note}"
        self._check(step, gate, str(person.badge), since, expected=expected)

    def _print_attack(self) -> None:
        scene = self._scene
        if not scene.printed:
            return
        name = scene.people["granted"].name
        self._badge(
            "granted",
            face_of=None,
            shown=scene.printed,
            note=f"a printed photo of {name} held up to the camera: expect liveness refusal",
            expect=ReasonCode.LIVENESS_FAILED,
        )

    def _unknown_badge(self, *, check: bool = True) -> None:
        since = self._mark()
        self._say("staff turnstile: an unknown badge is presented (expect: unknown credential)")
        self._scene.staff.present_badge(_UNKNOWN_BADGE)
        if check:
            step, gate = "unknown badge", self._scene.staff
            self._check(
                step, gate, str(_UNKNOWN_BADGE), since, expected=ReasonCode.UNKNOWN_CREDENTIAL
            )

    def _suspended_company(self) -> None:
        since = self._mark()
        note = "a driver of Blackwater Haulage, which the port authority suspended"
        self._say(f"truck lane: {note}, badges in (expect: company suspended)")
        self._scene.truck.present_badge(SUSPENDED_DRIVER_BADGE)
        self._check(
            f"truck lane, {note}",
            self._scene.truck,
            str(SUSPENDED_DRIVER_BADGE),
            since,
            expected=ReasonCode.COMPANY_SUSPENDED,
        )

    def _truck(self) -> None:
        scene = self._scene
        driver = scene.people["driver"]
        since = self._mark()
        self._say(
            f"truck lane: {driver.name} shows the QR pass "
            "(one-time: granted the first time, then already used)"
        )
        if scene.truck.camera is not None:
            scene.truck.mark_presentation()
            scene.truck.camera.show(scene.pass_image)
        scene.truck.pass_through_if_opened(wait_s=5.0)
        if scene.truck.camera is not None:
            scene.truck.camera.show(None)
        first = self.rounds == 0
        expected = ReasonCode.GRANTED if first else ReasonCode.PASS_ALREADY_USED
        self._check("truck pass", scene.truck, None, since, expected=expected)

    def _outage(self) -> None:
        scene = self._scene
        self._say(f"network: the gates lose the API for {_OUTAGE_S:.0f} s (replica decides)")
        since = self._mark()
        scene.link.cut()
        try:
            if not self._wait(0.5):
                return
            self._badge("granted", face_of="granted", note="offline: expect granted by replica")
            if not self._wait(1.5):
                return
            self._unknown_badge(check=False)
            self._wait(max(_OUTAGE_S - 2.5, 0.5))
        finally:
            scene.link.restore()
            self._say("network: the API is reachable again")
        # What the replica decided reaches the API once the link is back.
        replica = DecidedBy.REPLICA
        granted = str(scene.people["granted"].badge)
        self._check(
            "offline: granted",
            scene.staff,
            granted,
            since,
            expected=ReasonCode.GRANTED,
            decided_by=replica,
        )
        unknown = str(_UNKNOWN_BADGE)
        reason = ReasonCode.UNKNOWN_CREDENTIAL
        self._check(
            "offline: unknown badge",
            scene.staff,
            unknown,
            since,
            expected=reason,
            decided_by=replica,
        )

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
                self._badge(
                    "granted",
                    face_of="granted",
                    note="banned: expect port ban",
                    expect=ReasonCode.PORT_BAN,
                )
                # The same identity at the other terminal: one ban, every gate of the port.
                self._second_terminal(expected=ReasonCode.PORT_BAN)
        finally:
            authority.lift(ban_id)
            self._say(f"port authority: the ban on {name} is lifted")

    def _forced_door(self) -> None:
        expect = self._scene.expect
        since = expect.mark_alarms() if expect is not None else 0
        self._say("staff turnstile: the door is forced open (expect: forced alarm)")
        self._scene.staff.force_door()
        if expect is not None and not self._stop.is_set():
            step = "staff turnstile, the door forced open"
            gate = self._scene.staff.gate
            expect.check_alarm(step=step, gate=gate, since=since, expected=AlarmKind.FORCED)
