"""What the staff-gate camera shows in each scenario, made once when the demo starts.

For each person with a camera photo: a synthesised live session of them (`live_session`,
on dlib's licence-clean 5-point landmarks, never the 68-point model); for the attack
scenario: a print of the "granted" person's photo held up in a hand (`print_attack`). A
photo in which no face is found gets no session: the camera shows the still, and the
liveness check refuses it, as it should.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from portgate.demo.live.motion import Image, Points
from portgate.demo.live.printed import print_attack
from portgate.demo.live.session import live_session

__all__ = ["ATTACK_ROLE", "SESSION_FRAMES", "StaffGateScenes", "make_scenes"]

_log = logging.getLogger(__name__)
# Frames of one loop of a session: one liveness window (`biometrics.WINDOW_FRAMES`), so any
# window the gate judges sees the whole loop: a full head turn and a blink.
SESSION_FRAMES = 8
# Whose printed photo the attack holds up (with their badge: a stolen badge and a print).
ATTACK_ROLE = "granted"
# Fixed seeds: the same sessions at every start (the scenarios' outcomes do not vary).
_LIVE_SEED = 20_261_206
_PRINT_SEED = 7


@dataclass(frozen=True)
class StaffGateScenes:
    """Frames per script role (a live session, BGR) and the print attack's frames."""

    live: dict[str, list[Image]] = field(default_factory=dict)
    printed: list[Image] = field(default_factory=list)


def _landmarks(image: Image) -> Points | None:
    """The 5 dlib landmarks of the main face of a BGR photo (None: no face found)."""
    # Imported here: dlib loads only when the demo has faces to show.
    from biometrics import FaceEncoder, HogDetector, bgr_to_rgb, select_primary_face  # noqa: PLC0415

    rgb = bgr_to_rgb(image)
    height, width = rgb.shape[:2]
    box = select_primary_face(HogDetector().detect(rgb), height=height, width=width)
    if box is None:
        return None
    # Explicitly the 5-point model: the 68-point one's licence excludes commercial use.
    return FaceEncoder(landmark_points=5).landmarks(rgb, box)


def _session(role: str, image: Image, number: int) -> tuple[str, list[Image] | None]:
    points = _landmarks(image)
    if points is None:
        _log.warning("no face found in the camera photo of %s: no live session", role)
        return role, None
    rng = np.random.default_rng(_LIVE_SEED + number)
    return role, live_session(image, points, rng=rng, frames=SESSION_FRAMES)


def make_scenes(photos: Mapping[str, Image]) -> StaffGateScenes:
    """The live session of each role's camera photo (BGR) and the print attack.

    The sessions are made on a few threads (OpenCV and numpy work outside the GIL): the
    demo's start waits for them.
    """
    scenes = StaffGateScenes()
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="demo-scenes") as pool:
        made = pool.map(_session, photos, photos.values(), range(len(photos)))
        for role, frames in made:
            if frames is not None:
                scenes.live[role] = frames
    if ATTACK_ROLE in photos:
        rng = np.random.default_rng(_PRINT_SEED)
        scenes.printed.extend(print_attack(photos[ATTACK_ROLE], rng=rng, frames=SESSION_FRAMES))
    return scenes
