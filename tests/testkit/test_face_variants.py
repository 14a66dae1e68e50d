"""The turned-away faces made from the shipped photos: past the yaw limit, still faces.

Measured the desk's way (its detectors, the enrollment encoder's landmarks and
`biometrics.pose.estimate_pose`): the shipped photo faces the camera within the limit, the
warped one is found as a face and turned past the limit to the side asked for, with its
pitch still within limits, so a desk refuses it as "turned_away" and for nothing else.
"""

import cv2
import numpy as np
import pytest

from biometrics import QualitySettings
from testkit.face_variants import TURNED_AWAY, measure, turned_away, turned_photo
from testkit.faces import face_photo

LIMITS = QualitySettings()


@pytest.mark.parametrize(("name", "degrees"), TURNED_AWAY)
def test_the_turned_face_is_a_face_past_the_yaw_limit_and_the_photo_is_within_it(
    name: str, degrees: float
) -> None:
    shipped = measure(face_photo(name).read_bytes())
    assert shipped.face is not None and shipped.pose is not None
    assert abs(shipped.pose.yaw) < LIMITS.max_yaw_deg, shipped.pose

    turned = measure(turned_photo(name, degrees))
    assert turned.face is not None, "the warp must leave a face the detector finds"
    assert turned.pose is not None
    assert abs(turned.pose.yaw) > LIMITS.max_yaw_deg, turned.pose
    assert (turned.pose.yaw > 0) == (degrees > 0), "turned to the side asked for"
    assert abs(turned.pose.pitch) < LIMITS.max_pitch_deg, turned.pose


def test_the_warp_is_deterministic_and_keeps_the_size() -> None:
    name, degrees = TURNED_AWAY[0]
    photo = face_photo(name).read_bytes()
    once = turned_away(photo, degrees=degrees)
    assert once == turned_photo(name, degrees)
    assert once != turned_away(photo, degrees=-degrees)
    turned, shipped = (
        cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR) for b in (once, photo)
    )
    assert turned is not None and shipped is not None
    assert turned.shape == shipped.shape


def test_a_photo_without_a_face_cannot_be_turned() -> None:
    ok, blank = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))
    assert ok
    with pytest.raises(ValueError, match="no face in the photo"):
        turned_away(blank.tobytes())
