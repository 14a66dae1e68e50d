"""The face photos that ship with the repository: the demo's people and the tests' set."""

from pathlib import Path

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
