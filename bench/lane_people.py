"""The people of bench_lanes' busy lane: a live face each, an enrolled template, a badge.

A busy turnstile sees a different person every few seconds. Replaying one person every 3 s
measured something else: the face track decides one presentation per face at most
(`gate_agent.face.track`), and a face back in view within `_CONTINUOUS_S` is the same
presentation, so every tap after the first went to the window after the tap (kept as
`--same-person`, the worst case). Each person here is a simulated live user
(testkit.liveness_sim, as bench_agent's obama.jpg) made from one photo and enrolled from
another photo of the same person (the photos the demo ships, portgate/demo/photos/people,
MIT via face_recognition), framed like bench_agent's frames: 480 px wide, the face about
140 px wide at the reader.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

__all__ = ["LanePerson", "lane_people", "people_snapshot"]

PEOPLE = Path(__file__).resolve().parents[1] / "portgate" / "demo" / "photos" / "people"
# (who, photo the camera sees, photo enrolled from): a face of at least 120 px in each.
CAST = (
    ("obama", "obama/obama.jpg", "obama/obama2.jpg"),
    ("biden", "biden/biden.jpg", "biden/biden2.jpg"),
    ("rose_leslie", "rose_leslie/img2.jpg", "rose_leslie/img1.jpg"),
    ("kit_harington", "kit_harington/john2.jpg", "kit_harington/john1.jpg"),
)
FRAME_SIZE = (480, 600)  # width, height: bench_agent's obama.jpg frames
FACE_PX = 141  # that frame's face width
FACE_TOP = 73  # and where its box starts


@dataclass(frozen=True)
class LanePerson:
    """One person of the lane: BGR frames of the live face, the template, the badge."""

    name: str
    person_id: str
    badge: str
    frames: list[Any]
    template_b64: str


def _framed(image: Any) -> tuple[Any, Any]:
    """The RGB photo scaled and placed so its face sits as obama.jpg's does; and the box."""
    from biometrics import HogDetector, select_primary_face

    height, width = image.shape[:2]
    box = select_primary_face(HogDetector().detect(image), height=height, width=width)
    if box is None:
        raise SystemExit("a lane person's photo shows no face")
    scale = FACE_PX / box.width
    scaled = cv2.resize(image, (round(width * scale), round(height * scale)))
    out = np.full((FRAME_SIZE[1], FRAME_SIZE[0], 3), 96, np.uint8)
    shift_x = FRAME_SIZE[0] // 2 - round((box.left + box.width / 2) * scale)
    shift_y = FACE_TOP - round(box.top * scale)
    matrix = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
    out = cv2.warpAffine(scaled, matrix, FRAME_SIZE, dst=out, borderMode=cv2.BORDER_TRANSPARENT)
    return np.ascontiguousarray(out), select_primary_face(
        HogDetector().detect(out), height=FRAME_SIZE[1], width=FRAME_SIZE[0]
    )


def live_person_frames(photo: Path, count: int, seed: int) -> list[Any]:
    """BGR frames of a simulated live user made from `photo` (68-point warp, bench only)."""
    from biometrics import FaceEncoder, load_image
    from testkit.liveness_sim import live_sequence

    image, box = _framed(load_image(photo))
    if box is None:
        raise SystemExit(f"{photo.name}: no face once framed for the lane")
    landmarks = FaceEncoder(landmark_points=68).landmarks(image, box)
    frames = live_sequence(image, landmarks, rng=np.random.default_rng(seed), frames=count)
    return [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_RGB2BGR)) for f in frames]


def lane_people(count: int, frames: int = 24) -> list[LanePerson]:
    """The first `count` people of the cast (badges 5001…, persons L1…)."""
    from biometrics import ENROLLMENT_PIPELINE, template_to_bytes

    people = []
    for n, (name, seen, enrolled) in enumerate(CAST[:count]):
        encoding = ENROLLMENT_PIPELINE.encode_file(PEOPLE / enrolled)
        if encoding is None:
            raise SystemExit(f"{enrolled}: no face to enroll")
        template = base64.b64encode(template_to_bytes(encoding.encoding)).decode()
        live = live_person_frames(PEOPLE / seen, frames, seed=3 + n)
        people.append(LanePerson(name, f"L{n + 1}", str(5001 + n), live, template))
    return people


def people_snapshot(people: list[LanePerson]) -> Any:
    """The test replica (face and liveness required) with each person, badge and template."""
    from gate_protocol.messages import CredentialKind
    from gate_protocol.records import AccessGrant, CredentialRecord, PersonKind, PersonRecord
    from gate_protocol.replica import FaceTemplateRecord
    from testkit.agent.doubles import ZONE, make_snapshot

    base = make_snapshot(face_required=True)
    persons = tuple(
        PersonRecord(
            person_id=p.person_id, kind=PersonKind.STAFF, grants=(AccessGrant(zone_id=ZONE),)
        )
        for p in people
    )
    badges = tuple(
        CredentialRecord(kind=CredentialKind.BADGE, ref=p.badge, person_id=p.person_id)
        for p in people
    )
    templates = tuple(
        FaceTemplateRecord(template_id=f"T-{p.person_id}", person_id=p.person_id,
                           encoding_b64=p.template_b64)
        for p in people
    )  # fmt: skip
    return base.model_copy(
        update={
            "persons": (*base.persons, *persons),
            "credentials": (*base.credentials, *badges),
            "templates": templates,
        }
    )
