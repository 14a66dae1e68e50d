"""The face track's observer: follows faces cheaply, encodes only the frames that count.

Encoding a face (dlib's ResNet on one chip) costs about 180 ms of CPU with dlib-bin; finding
it again around its last place costs a few. So a followed face keeps its encoding from
frame to frame and is encoded again only when:

* it is new (no face of the last frame overlaps it by 0.3 IoU);
* its first encoding is a plain chip: the next frame adds the mirrored chip, averaged (the
  enrollment alignment, as `biometrics.FaceStream` does for a followed face);
* it grew by a quarter since its last encoding (a nearer face: a better encoding);
* `reencode_every` frames passed since its last encoding (a bound on how long any change
  of person the look check below missed can go on under the old encoding);
* **it does not look like the face of the last frame** (the identity guard): the face's grey
  pixels, 12x12 after the box, are searched for in the new box (normalised
  cross-correlation, a little shift allowed); below `look_min` the face is taken as
  somebody else's and encoded as a new face. A box that jumps to a second person standing
  at the same place is encoded again, so the track sees two faces (tailgating) and
  never lends the first person's encoding to the second.

Where it is: the whole frame is searched (grey, HOG, at most 640 px wide) every
`full_scan_every` frames and whenever a followed face is lost; in between, each followed
face is searched for only around its last place (`biometrics.stream_frames.search_near`).
An empty scene that has not changed is not searched (at most `still_rescan` frames in a
row). Landmarks are found only for a chip to encode; the track's liveness check finds
its own (the boxes its thresholds were calibrated on). One observer per camera and thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from biometrics import FaceStream, StreamSettings
from biometrics.detection import FaceBox
from biometrics.models import own_hog_detector
from biometrics.stream_frames import as_bgr, iou, search_near
from pydantic import BaseModel, ConfigDict, Field

from gate_agent.face.track import SeenFace

__all__ = ["FollowSettings", "FollowingObserver", "look_alike"]

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
_THUMB = (80, 45)
_LOOK_PX = 12
# The new box's patch reaches this far beyond the box (face widths): a box found a HOG cell
# off still lines up with the old face.
_LOOK_SHIFT = 0.15
_SAME_FACE_IOU = 0.3


class FollowSettings(BaseModel):
    """How often the observer searches the whole frame and encodes a followed face again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_faces: int = Field(default=3, ge=1, description="Faces followed per frame, largest first.")
    full_scan_every: int = Field(default=5, ge=1, description="A whole-frame search every N.")
    growth: float = Field(default=1.25, gt=1.0, description="Wider by this: encoded again.")
    reencode_every: int = Field(default=10, ge=1, description="Encoded again after N frames.")
    look_min: float = Field(
        default=0.5, ge=-1.0, le=1.0, description="Look correlation below this: another face."
    )
    still_level: float = Field(default=3.0, ge=0.0, description="Thumbnail change: still.")
    still_rescan: int = Field(default=15, ge=1, description="A still empty scene: rescan after.")
    share_s: float = Field(
        default=1.0, ge=0.0, description="A window may take an encoding this recent (s)."
    )


@dataclass
class _Followed:
    box: FaceBox
    look: npt.NDArray[np.float32]
    encoding: Vector
    raw: Vector
    mirrored: bool
    averaged: bool
    encoded_width: int
    since_encoded: int = 0


def _patch(grey: Image, box: FaceBox, margin: float) -> npt.NDArray[np.float32]:
    import cv2  # noqa: PLC0415

    height, width = grey.shape[:2]
    pad = round(margin * box.width)
    top, left = max(box.top - pad, 0), max(box.left - pad, 0)
    bottom, right = min(box.bottom + pad, height), min(box.right + pad, width)
    size = round(_LOOK_PX * (1 + 2 * margin))
    crop = grey[top:bottom, left:right]
    if crop.size == 0:
        return np.zeros((size, size), np.float32)
    return np.asarray(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA), np.float32)


def look_alike(before: npt.NDArray[np.float32], grey: Image, box: FaceBox) -> float:
    """How much the face at `box` looks like `before` (a 12x12 patch): -1..1.

    The best normalised cross-correlation of `before` within the new box's patch, which
    reaches a little beyond the box (faces found a HOG cell apart still line up).
    """
    import cv2  # noqa: PLC0415

    after = _patch(grey, box, _LOOK_SHIFT)
    if float(before.std()) < 1e-3 or float(after.std()) < 1e-3:
        return 0.0  # a flat patch says nothing: treat as changed (encoded again)
    return float(cv2.matchTemplate(after, before, cv2.TM_CCOEFF_NORMED).max())


class FollowingObserver:
    """Finds the faces of a camera's frames and encodes them only where it counts.

    Args:
        lock: Held around each encoding (dlib's landmark and encoding models are shared
            with other threads).
        settings: How often to search whole frames and encode again.
        detector: The dlib HOG detector, used by this observer only; None: one of its own.
    """

    def __init__(
        self,
        *,
        lock: threading.Lock,
        settings: FollowSettings | None = None,
        detector: object | None = None,
    ) -> None:
        self.settings = settings or FollowSettings()
        self._lock = lock
        # A detector of its own: the searches need no lock (only the shared landmark and
        # encoding models do), so they never wait for another thread's encoding.
        self._detector = detector if detector is not None else own_hog_detector()
        self._stream = FaceStream(
            StreamSettings(max_faces=self.settings.max_faces), detector=self._detector
        )
        self._followed: list[_Followed] = []
        self._seen_at = 0.0
        self._since_full = 0
        self._thumb: npt.NDArray[np.float32] | None = None
        self._still = 0
        self.encodings = 0
        self.full_scans = 0

    def faces(self, image: Image) -> list[SeenFace]:
        """The faces of the next BGR frame with their encodings, largest first."""
        import cv2  # noqa: PLC0415

        frame = as_bgr(image)
        grey: Image = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
        boxes = self._locate(frame, grey)
        boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
        followed = self._carry(frame, grey, boxes[: self.settings.max_faces])
        self._followed = followed
        self._seen_at = time.monotonic()
        return [SeenFace(encoding=f.encoding, box=f.box) for f in followed]

    def is_following(self) -> bool:
        """Whether the track looked at a frame within `share_s` (its encodings are shared)."""
        return time.monotonic() - self._seen_at <= self.settings.share_s

    def encoding_near(self, image: Image, box: FaceBox) -> Vector | None:
        """The averaged encoding of the face followed at `box`, seen in another frame.

        For a face window after a tap (`gate_agent.face.biometrics`), whose frames are this
        camera's: the followed face whose last box overlaps `box` (as a followed face
        continues) and whose look still matches the face at `box` in `image` (the guard
        that encodes a new face when someone else steps into the box), if the track saw it
        within `share_s`; None otherwise (the window encodes its own frames).
        """
        import cv2  # noqa: PLC0415

        if not self.is_following():
            return None
        grey: Image = np.ascontiguousarray(cv2.cvtColor(as_bgr(image), cv2.COLOR_BGR2GRAY))
        for face in list(self._followed):  # replaced whole by the tracker thread
            if not face.averaged or iou(face.box, box) < _SAME_FACE_IOU:
                continue
            if look_alike(face.look, grey, box) >= self.settings.look_min:
                return face.encoding
        return None

    def _locate(self, frame: Image, grey: Image) -> list[FaceBox]:
        if self._followed and self._since_full + 1 < self.settings.full_scan_every:
            near = [self._near(grey, face.box) for face in self._followed]
            if all(box is not None for box in near):
                self._since_full += 1
                return [box for box in near if box is not None]
        if not self._followed and self._is_still(grey):
            return []
        self._since_full = 0
        self.full_scans += 1
        return self._stream.search(frame)

    def _near(self, grey: Image, box: FaceBox) -> FaceBox | None:
        return search_near(grey, box, self._detector, face_px=100, margin=0.6)

    def _is_still(self, grey: Image) -> bool:
        import cv2  # noqa: PLC0415

        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        before, self._thumb = self._thumb, thumb
        if before is None or self._still >= self.settings.still_rescan:
            self._still = 0
            return False
        if float(np.abs(thumb - before).mean()) >= self.settings.still_level:
            self._still = 0
            return False
        # Compared with the last frame searched, so a slow change adds up to a search.
        self._thumb = before
        self._still += 1
        return True

    def _carry(self, frame: Image, grey: Image, boxes: list[FaceBox]) -> list[_Followed]:
        out: list[_Followed] = []
        taken: list[int] = []
        for box in boxes:
            previous = self._previous(box, taken)
            out.append(self._file(frame, grey, box, previous))
        return out

    def _previous(self, box: FaceBox, taken: list[int]) -> _Followed | None:
        best: tuple[float, int] | None = None
        for n, face in enumerate(self._followed):
            overlap = iou(face.box, box)
            if n not in taken and overlap >= _SAME_FACE_IOU and (best is None or overlap > best[0]):
                best = (overlap, n)
        if best is None:
            return None
        taken.append(best[1])
        return self._followed[best[1]]

    def _file(
        self, frame: Image, grey: Image, box: FaceBox, previous: _Followed | None
    ) -> _Followed:
        look = _patch(grey, box, 0.0)
        if previous is not None and look_alike(previous.look, grey, box) < self.settings.look_min:
            previous = None  # somebody else at the same place: a new face
        if previous is None:
            raw = self._encode(frame, box, mirrored=False)
            return _Followed(box, look, raw, raw, False, False, box.width)
        due = (
            not previous.averaged
            or box.width >= previous.encoded_width * self.settings.growth
            or previous.since_encoded + 1 >= self.settings.reencode_every
        )
        if not due:
            previous.box, previous.look = box, look
            previous.since_encoded += 1
            return previous
        # The other side of the last chip, averaged with it: one encoding per new chip.
        mirrored = not previous.mirrored
        raw = self._encode(frame, box, mirrored=mirrored)
        encoding = ((raw.astype(np.float64) + previous.raw) / 2).astype(np.float32)
        return _Followed(box, look, encoding, raw, mirrored, True, box.width)

    def _encode(self, frame: Image, box: FaceBox, *, mirrored: bool) -> Vector:
        self.encodings += 1
        with self._lock:
            return self._stream.encode_at(frame, box, mirrored=mirrored)
