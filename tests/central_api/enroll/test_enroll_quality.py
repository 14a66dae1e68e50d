"""Quality reasons on real photos: a head turned away, and a face too bright.

The turned-away photos are real: Labeled Faces in the Wild pictures in which the subject
looks past the camera (picked by `biometrics.pose.estimate_pose` over the shared photos
and checked by eye), next to a frontal picture of the same person that passes. The
too-bright photos are real photos with their exposure raised by three stops (8x the
light, in linear light, then clipped), which is what a face in direct sun or a flash too
close looks like; the same photos as taken pass. SQLite only: the faces are the slow part.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import FaceTemplate, Role
from testkit.api.enrollment import enroll_settings, face, lfw, over_exposed
from testkit.api.world import World

# (subject looking past the camera, a frontal photo of the same person, also mirrored?)
TURNED_AWAY = [
    # Head turned about 35 degrees to her left; the mirror image turns it to her right.
    (
        "Emmanuelle_Beart/Emmanuelle_Beart_0002.jpg",
        "Emmanuelle_Beart/Emmanuelle_Beart_0001.jpg",
        True,
    ),
    # Head bowed and turned; his frontal photo looks slightly up, still within limits.
    ("Bill_Frist/Bill_Frist_0005.jpg", "Bill_Frist/Bill_Frist_0004.jpg", False),
]


@pytest.fixture
def engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "portgate.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return enroll_settings(engine)


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


def mirrored(photo: bytes) -> bytes:
    """The photo flipped left-right: the head turned the other way."""
    pixels = cv2.imdecode(np.frombuffer(photo, dtype=np.uint8), cv2.IMREAD_COLOR)
    return _jpeg(cv2.flip(pixels, 1))


def _check(client: TestClient, world: World, photo: bytes) -> tuple[int, dict[str, object]]:
    answer = client.post(
        "/api/v1/enroll/photos/check",
        files={"photo": ("p.jpg", photo)},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code, answer.json()


@pytest.mark.parametrize(("turned", "frontal", "also_mirrored"), TURNED_AWAY)
def test_a_head_turned_away_is_refused_and_a_frontal_one_passes(
    client: TestClient, world: World, turned: str, frontal: str, also_mirrored: bool
) -> None:
    photos = [lfw(turned), mirrored(lfw(turned))] if also_mirrored else [lfw(turned)]
    for photo in photos:
        status, outcome = _check(client, world, photo)
        assert status == 422, outcome
        assert outcome["reasons"] == ["turned_away"]
        assert outcome["messages"] == ["The head is turned away: look straight at the camera."]
        assert outcome["face_box"], "the face was found: it is the pose that fails"
    status, outcome = _check(client, world, lfw(frontal))
    assert status == 200 and outcome["status"] == "ok", outcome


@pytest.mark.parametrize("source", ["faces/obama-480p.jpg", "lfw/Emmanuelle_Beart_0001.jpg"])
def test_an_over_exposed_face_is_too_bright_and_the_photo_as_taken_passes(
    client: TestClient, world: World, source: str
) -> None:
    folder, name = source.split("/")
    photo = face(name) if folder == "faces" else lfw(f"Emmanuelle_Beart/{name}")
    status, outcome = _check(client, world, over_exposed(photo))
    assert status == 422, outcome
    assert outcome["reasons"] == ["too_bright"]
    assert outcome["messages"] == ["The face is too bright: avoid strong light or glare."]
    status, outcome = _check(client, world, photo)
    assert status == 200 and outcome["status"] == "ok", outcome


def test_saving_refuses_the_bad_photos_and_keeps_the_good_one(
    client: TestClient, world: World, engine: Engine
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    created = client.post(
        "/api/v1/enroll/people",
        json={"site_id": "rtm", "display_name": "Emmanuelle Beart", "kind": "visitor"},
        headers=desk,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/enroll/people/{created.json()['id']}/photos"
    good = lfw("Emmanuelle_Beart/Emmanuelle_Beart_0001.jpg")
    for bad, reason in (
        (lfw("Emmanuelle_Beart/Emmanuelle_Beart_0002.jpg"), "turned_away"),
        (over_exposed(good), "too_bright"),
    ):
        answer = client.post(url, files={"photo": ("p.jpg", bad)}, headers=desk)
        assert answer.status_code == 422 and answer.json()["reasons"] == [reason]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FaceTemplate)).one() == 0
    answer = client.post(url, files={"photo": ("p.jpg", good)}, headers=desk)
    assert answer.status_code == 201 and answer.json()["templates"] == 1, answer.text
