"""Quality reasons on real faces: a head turned away, and a face too bright.

Only the photos shipped with the repository are used, so the tests run on a fresh clone.
The turned-away faces are shipped frontal photos with the head turned by a geometric yaw
warp (`testkit.face_variants`, which checks that the desk still finds the face and
measures it past the yaw limit), next to the same photo as shipped, which passes. The
too-bright photos are real photos with their exposure raised by three stops (8x the
light, in linear light, then clipped), which is what a face in direct sun or a flash too
close looks like; the same photos as taken pass. SQLite only: the faces are the slow part.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import FaceTemplate, Role
from testkit.api.enrollment import enroll_settings, face, over_exposed
from testkit.api.world import World
from testkit.face_variants import TURNED_AWAY, turned_photo

# A woman's frontal photo, and the angle her head is turned by that the desk refuses.
WOMAN, WOMAN_TURNED = TURNED_AWAY[0]


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


def _check(client: TestClient, world: World, photo: bytes) -> tuple[int, dict[str, object]]:
    answer = client.post(
        "/api/v1/enroll/photos/check",
        files={"photo": ("p.jpg", photo)},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code, answer.json()


# Each shipped photo with its head turned (both ways for the woman), and as shipped.
@pytest.mark.parametrize(("frontal", "degrees"), TURNED_AWAY)
def test_a_head_turned_away_is_refused_and_a_frontal_one_passes(
    client: TestClient, world: World, frontal: str, degrees: float
) -> None:
    status, outcome = _check(client, world, turned_photo(frontal, degrees))
    assert status == 422, outcome
    assert outcome["reasons"] == ["turned_away"]
    assert outcome["messages"] == ["The head is turned away: look straight at the camera."]
    assert outcome["face_box"], "the face was found: it is the pose that fails"
    status, outcome = _check(client, world, face(frontal))
    assert status == 200 and outcome["status"] == "ok", outcome


@pytest.mark.parametrize("source", ["obama-480p.jpg", WOMAN])
def test_an_over_exposed_face_is_too_bright_and_the_photo_as_taken_passes(
    client: TestClient, world: World, source: str
) -> None:
    photo = face(source)
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
        json={"site_id": "rtm", "display_name": "Rose Leslie", "kind": "visitor"},
        headers=desk,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/enroll/people/{created.json()['id']}/photos"
    good = face(WOMAN)
    for bad, reason in (
        (turned_photo(WOMAN, WOMAN_TURNED), "turned_away"),
        (over_exposed(good), "too_bright"),
    ):
        answer = client.post(url, files={"photo": ("p.jpg", bad)}, headers=desk)
        assert answer.status_code == 422 and answer.json()["reasons"] == [reason]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FaceTemplate)).one() == 0
    answer = client.post(url, files={"photo": ("p.jpg", good)}, headers=desk)
    assert answer.status_code == 201 and answer.json()["templates"] == 1, answer.text
