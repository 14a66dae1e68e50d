"""Face image quality checks shared by enrollment and the gate.

:func:`check_quality` is a pure function of an image, its detected faces and (for the
pose check) the landmarks of the face: it detects nothing itself. Each failure is a
:class:`QualityReason` with a message a person at a desk or a gate understands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from biometrics.detection import FaceBox, select_primary_face
from biometrics.pose import HeadPose, estimate_pose

__all__ = ["QualityReason", "QualityReport", "QualitySettings", "check_quality"]


class QualityReason(StrEnum):
    """Why a face image is not good enough."""

    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    TOO_SMALL = "too_small"
    BLURRED = "blurred"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    TURNED_AWAY = "turned_away"

    @property
    def message(self) -> str:
        """A message for the person in front of the camera or the desk officer."""
        return _MESSAGES[self]


_MESSAGES = {
    QualityReason.NO_FACE: "No face found: look at the camera.",
    QualityReason.SEVERAL_FACES: "More than one face in the picture: one person at a time.",
    QualityReason.TOO_SMALL: "The face is too small: step closer to the camera.",
    QualityReason.BLURRED: "The picture is blurred: hold still.",
    QualityReason.TOO_DARK: "The face is too dark: more light is needed.",
    QualityReason.TOO_BRIGHT: "The face is too bright: avoid strong light or glare.",
    QualityReason.TURNED_AWAY: "The head is turned away: look straight at the camera.",
}


class QualitySettings(BaseModel):
    """Limits of the quality checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_face_px: int = Field(default=80, ge=1, description="Minimum face box width in pixels.")
    min_sharpness: float = Field(
        default=40.0,
        ge=0.0,
        description="Minimum variance of the Laplacian of the face, resized to 128 px wide.",
    )
    min_brightness: float = Field(default=50.0, description="Minimum mean grey level of the face.")
    max_brightness: float = Field(default=215.0, description="Maximum mean grey level of the face.")
    max_yaw_deg: float = Field(default=30.0, gt=0.0, description="Maximum head turn (degrees).")
    max_pitch_deg: float = Field(default=30.0, gt=0.0, description="Maximum head nod (degrees).")
    several_faces_ratio: float = Field(
        default=0.5,
        gt=0.0,
        description="A second face at least this fraction of the main face's width counts.",
    )


@dataclass(frozen=True)
class QualityReport:
    """The outcome of the quality checks.

    Attributes:
        reasons: Every failed check (empty when the image is good).
        face: The face that was measured, if any.
        face_px: Its width in pixels.
        sharpness: Variance of the Laplacian of the face at 128 px wide.
        brightness: Mean grey level of the face (0-255).
        pose: The estimated head pose, when landmarks were given.
    """

    reasons: list[QualityReason] = field(default_factory=list)
    face: FaceBox | None = None
    face_px: int = 0
    sharpness: float = 0.0
    brightness: float = 0.0
    pose: HeadPose | None = None

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.reasons

    @property
    def messages(self) -> list[str]:
        """The human messages of the failed checks."""
        return [reason.message for reason in self.reasons]

    def summary(self) -> str:
        """Return ``"ok"`` or the first failure's reason code (the JSON form of ``scan``)."""
        return "ok" if self.ok else self.reasons[0].value


def _grey_face(image: npt.NDArray[np.uint8], face: FaceBox) -> npt.NDArray[np.uint8]:
    import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

    height, width = image.shape[:2]
    box = face.clipped(height, width)
    crop = image[box.top : box.bottom, box.left : box.right]
    if crop.ndim == 3:
        crop = np.asarray(cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY))
    return np.asarray(crop, dtype=np.uint8)


def _sharpness(grey: npt.NDArray[np.uint8]) -> float:
    import cv2  # noqa: PLC0415

    if grey.size == 0:
        return 0.0
    # A fixed size makes the measure independent of the camera's resolution.
    height = max(1, round(grey.shape[0] * 128 / max(grey.shape[1], 1)))
    resized = cv2.resize(grey, (128, height), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(resized, cv2.CV_64F).var())


def check_quality(
    image: npt.NDArray[np.uint8],
    faces: list[FaceBox],
    *,
    landmarks: npt.NDArray[np.float64] | None = None,
    settings: QualitySettings | None = None,
    face: FaceBox | None = None,
) -> QualityReport:
    """Check that an image holds exactly one usable face.

    Args:
        image: RGB (or grey) ``uint8`` pixels.
        faces: The faces a detector found in it.
        landmarks: The landmarks of the main face (5 or 68 points); the pose check is
            skipped without them.
        settings: The limits; defaults from :class:`QualitySettings`.
        face: Which of ``faces`` to measure; default the subject's (most central of
            the large faces).

    Returns:
        The report; ``ok`` when every check passed.
    """
    limits = settings or QualitySettings()
    height, width = image.shape[:2]
    face = face or select_primary_face(faces, height=height, width=width)
    if face is None:
        return QualityReport(reasons=[QualityReason.NO_FACE])
    reasons: list[QualityReason] = []
    others = [b for b in faces if b != face and b.width >= limits.several_faces_ratio * face.width]
    if others:
        reasons.append(QualityReason.SEVERAL_FACES)
    if face.width < limits.min_face_px:
        reasons.append(QualityReason.TOO_SMALL)
    grey = _grey_face(image, face)
    brightness = float(grey.mean()) if grey.size else 0.0
    sharpness = _sharpness(grey)
    if brightness < limits.min_brightness:
        reasons.append(QualityReason.TOO_DARK)
    elif brightness > limits.max_brightness:
        reasons.append(QualityReason.TOO_BRIGHT)
    # A dark face has little contrast: judge its sharpness only when it is lit.
    elif sharpness < limits.min_sharpness:
        reasons.append(QualityReason.BLURRED)
    pose = estimate_pose(landmarks) if landmarks is not None else None
    if pose is not None and (
        abs(pose.yaw) > limits.max_yaw_deg or abs(pose.pitch) > limits.max_pitch_deg
    ):
        reasons.append(QualityReason.TURNED_AWAY)
    return QualityReport(
        reasons=reasons,
        face=face,
        face_px=face.width,
        sharpness=sharpness,
        brightness=brightness,
        pose=pose,
    )
