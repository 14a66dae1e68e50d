"""The face photos that ship with the repository: the demo's people and the tests' set."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from portgate.demo.people import PHOTOS_DIR, ROLES, default_faces_dir, demo_people
from testkit.faces import FACES, face_photo


def test_the_demo_enrolls_five_shipped_people_with_two_photos_each() -> None:
    people, note = demo_people(default_faces_dir())
    assert note.startswith("people enrolled from the face photos"), note
    assert [p.role for p in people] == list(ROLES)
    for person in people:
        assert person.enroll_photo is not None and person.enroll_photo.is_file()
        assert person.camera_photo is not None and person.camera_photo.is_file()
        assert PHOTOS_DIR in person.enroll_photo.parents
    # Someone else's face is shown for the mismatch: two different people.
    assert len({p.enroll_photo.parent for p in people if p.enroll_photo}) == len(ROLES)


def test_the_shipped_set_fits_its_budget_and_names_its_source() -> None:
    files = [p for p in PHOTOS_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 2 * 1024 * 1024
    notice = (PHOTOS_DIR / "NOTICE").read_text()
    assert "ageitgey/face_recognition" in notice and "MIT" in notice
    for photo in files:
        if photo.name != "NOTICE":
            assert Image.open(photo).size[0] > 0, photo


def test_the_tests_read_the_same_folder() -> None:
    assert FACES == PHOTOS_DIR
    assert face_photo("obama.jpg") == PHOTOS_DIR / "obama.jpg"


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("obama-240p.jpg", (427, 240)),
        ("obama-480p.jpg", (853, 480)),
        ("obama-720p.jpg", (1280, 720)),
    ],
)
def test_a_resolution_variant_is_derived_from_the_1080p_photo(
    name: str, size: tuple[int, int]
) -> None:
    path = face_photo(name)
    assert PHOTOS_DIR not in path.parents, "variants are not shipped"
    assert Image.open(path).size == size
    assert face_photo(name) == path, "derived once per run"


def test_a_photo_that_is_not_shipped_is_an_error_not_a_skip() -> None:
    with pytest.raises(FileNotFoundError, match="no shipped face photo 'obama-4k.jpg'"):
        face_photo("obama-4k.jpg")
    assert not Path(FACES / "obama-4k.jpg").exists()


def test_the_demo_camera_shows_a_walker_live_enough_for_the_liveness_check() -> None:
    from gate_agent.face.biometrics import BiometricLiveness
    from portgate.demo.frames import ScriptedCamera
    from portgate.demo.live_face import live_frames

    people, _ = demo_people(default_faces_dir())
    photo = people[0].camera_photo
    assert photo is not None
    frames = live_frames(photo)
    assert frames is not None and len(frames) == 16
    camera = ScriptedCamera(fps=1000)
    camera.show(frames)
    shown = [camera.read() for _ in range(20)]
    camera.close()
    assert all(f is not None for f in shown)
    images = [f.image for f in shown if f is not None]
    assert images[16] is frames[0], "the sequence plays in a loop"
    assert not all(np.array_equal(images[0], image) for image in images[1:8])
    verdict = BiometricLiveness().check(images[:8])
    assert verdict.passed, verdict
    # The same camera showing the still photo fails it: what the live sequence is for.
    still = ScriptedCamera(fps=1000)
    still.show(images[0])
    stills = [still.read() for _ in range(8)]
    still.close()
    assert not BiometricLiveness().check([f.image for f in stills if f is not None]).passed
