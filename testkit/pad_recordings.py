"""Recording folders of simulated presentation sessions, for the tests of `portgate liveness`.

Each session is written the way ``portgate liveness record`` writes one (PNG frames and a
``session.json``, :func:`biometrics.pad.write_session`) from a shipped face photo: a
bona fide session is the simulated live user (``testkit/liveness_sim.py``), an attack one
of the simulated species (``testkit/pad_species.py``). The subject pseudonym is the
photo's name, so a calibration split keeps a photo's sessions of one label together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import FaceEncoder, HogDetector, load_image, select_primary_face
from biometrics.pad import PresentationLabel, SessionInfo, write_session
from testkit.faces import FACES
from testkit.liveness_sim import live_sequence
from testkit.pad_species import print_attack, screen_replay, video_replay

__all__ = ["PHOTOS", "simulated_frames", "simulated_recording"]

PHOTOS = ("obama.jpg", "biden.jpg", "obama2.jpg", "lin-manuel-miranda.png")
Image = npt.NDArray[np.uint8]


@cache
def _subject(name: str, width: int) -> tuple[Image, npt.NDArray[np.float64]]:
    """A shipped photo scaled to `width` pixels and its 68 landmarks (decoded once)."""
    image = load_image(FACES / name)
    height = round(image.shape[0] * width / image.shape[1])
    image = np.ascontiguousarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    box = select_primary_face(HogDetector().detect(image), height=height, width=width)
    if box is None:
        raise ValueError(f"no face found in {name} at {width} px")
    return image, FaceEncoder(landmark_points=68).landmarks(image, box)


def simulated_frames(
    label: PresentationLabel, photo: str, *, rng: np.random.Generator, frames: int, width: int
) -> list[Image]:
    """RGB frames of one simulated presentation of `label` made from a shipped photo.

    Raises:
        ValueError: a species nothing simulates (``mask``).
    """
    image, landmarks = _subject(photo, width)
    if label is PresentationLabel.BONA_FIDE:
        return live_sequence(image, landmarks, rng=rng, frames=frames)
    if label is PresentationLabel.PRINT:
        return print_attack(image, rng=rng, frames=frames)
    if label is PresentationLabel.SCREEN:
        return screen_replay(image, rng=rng, frames=frames)
    if label is PresentationLabel.VIDEO:
        return video_replay(image, landmarks, rng=rng, frames=frames)
    raise ValueError(f"no simulation of {label.value}")


def simulated_recording(
    folder: Path,
    plan: Mapping[PresentationLabel, int],
    *,
    gate: str = "gate-1",
    frames: int = 8,
    width: int = 360,
    seed: int = 3,
) -> list[Path]:
    """Write a recording with `plan[label]` sessions of each label (photos taken in turn).

    Returns:
        The session folders written.
    """
    rng = np.random.default_rng(seed)
    written = []
    for label, count in plan.items():
        for number in range(count):
            photo = PHOTOS[number % len(PHOTOS)]
            rgb = simulated_frames(label, photo, rng=rng, frames=frames, width=width)
            info = SessionInfo(
                label=label,
                gate=gate,
                camera="simulated",
                recorded_at=datetime.now(UTC),
                subject=Path(photo).stem.replace("-", "_"),
                notes="simulated from a shipped photo",
            )
            bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in rgb]
            written.append(write_session(folder / f"{label.value}-{number:02d}", info, bgr))
    return written
