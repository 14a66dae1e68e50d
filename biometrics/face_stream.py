"""Faces in a camera stream, frame after frame, reusing work across frames.

A gate camera delivers 10-30 frames a second of nearly the same scene. :class:`FaceStream`
keeps what it learnt from the previous frames of one camera:

* an empty scene that has not changed (a grey 80x45 thumbnail differs from the last
  scanned one by less than ``still_level``) is not searched again (at most
  ``still_rescan`` frames in a row);
* a face seen in the previous frame is searched for only around its last place, on a
  crop scaled so that the face is about ``roi_face_px`` wide; the whole frame is searched
  again every ``full_scan_every`` frames (faces entering), or when a face is lost;
* the whole frame is searched in grey (HOG without upsampling, at most 640 px wide) and
  converted from BGR only where a face is (landmarks and the encoding's chip);
* with ``scan_face_px`` set, full scans after the first face run at the one scale that
  makes it about that wide (the first frame searched again at it): cheaper than
  ``max_width`` for a near face, and every frame's boxes are found on one pixel grid;
* a followed face whose landmarks moved less than ``reuse_motion`` eye distances (mean)
  since its last encoding keeps that encoding (at most ``reuse_max`` frames in a row): a
  person standing still at the reader costs landmarks, not an encoding, per frame;
* each face is aligned with the configured landmarks (dlib's 5-point model unless an
  operator opted in to 68, :func:`biometrics.models.alignment_points`), as at enrollment.
  Enrollment encodes
  the chip and its mirror image and averages them; here a followed face's chip is
  mirrored every other frame and averaged with the previous frame's encoding, which costs
  one encoding per frame instead of two (docs/biometrics.md has the accuracy figures).

Each face also comes with its landmarks and grey face pixels, so the liveness check
runs over the stream's faces without finding them again
(:meth:`biometrics.LivenessChecker.assess`). A stream belongs to one camera and one
thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biometrics.detection import FaceBox
from biometrics.encoding import CHIP_PADDING, CHIP_SIZE
from biometrics.liveness_cues import eye_distance, eye_patches
from biometrics.models import (
    alignment_points,
    face_recognizer,
    hog_detector,
    load_dlib,
    shape_predictor,
)
from biometrics.stream_frames import as_bgr, iou, scaled_box, search_near
from biometrics.stream_settings import (
    BURST_STREAM,
    StreamCounters,
    StreamFace,
    StreamSettings,
)

__all__ = ["BURST_STREAM", "FaceStream", "StreamCounters", "StreamFace", "StreamSettings"]

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
_THUMB = (80, 45)
# Two boxes overlapping at least this much (intersection over union) are one face.
_SAME_FACE_IOU = 0.3


class FaceStream:
    """Finds, aligns and encodes the faces of one camera's frames (BGR, as OpenCV reads)."""

    def __init__(self, settings: StreamSettings | None = None, *, detector: Any = None) -> None:
        """Start an empty stream.

        Args:
            settings: What may be skipped; defaults from :class:`StreamSettings`.
            detector: The dlib HOG detector to search with; None: the shared one
                (:func:`biometrics.models.own_hog_detector` for a thread of its own).
        """
        self.settings = settings or StreamSettings()
        self._detector = detector
        self.counters = StreamCounters()
        self._faces: list[StreamFace] = []
        self._thumb: npt.NDArray[np.float32] | None = None
        self._shape: tuple[int, ...] = ()
        self._since_full = 0
        self._still = 0
        self._scan_scale: float | None = None
        self._points = self.settings.landmark_points or alignment_points()

    def reset(self) -> None:
        """Forget the previous frames (a new camera, or a jump in time)."""
        self._faces, self._thumb, self._since_full, self._still = [], None, 0, 0
        self._scan_scale = None

    def faces(
        self,
        frame: Image,
        *,
        near: FaceBox | None = None,
        found: Sequence[FaceBox] | None = None,
        known: Vector | None = None,
    ) -> list[StreamFace]:
        """The faces of the next frame, largest first.

        Args:
            frame: BGR ``uint8`` pixels (height, width, 3), the next frame of the camera
                (grey and BGRA frames are converted).
            near: Where the face the caller follows is in this frame (found by another
                search): the faces overlapping it by at least 0.3 (intersection over union),
                most overlapping first, instead of the largest faces; none if none does.
            found: This frame's whole-frame search, done earlier by :meth:`search` of a
                stream with the same settings: used where this stream would search the
                whole frame (the result is the same, the search is not repeated).
            known: The averaged encoding of the first face, made ahead from earlier frames
                of the same face (:meth:`encode_at`, the same chips): it is taken as this
                frame's encoding (landmarks only, no encoding), then kept as a followed
                face's encoding is.

        Returns:
            Up to ``max_faces`` faces.

        Raises:
            ValueError: If the frame is not a uint8 BGR, BGRA or grey image.
        """
        import cv2  # noqa: PLC0415 - keep `import biometrics` cheap

        frame = as_bgr(frame)
        if frame.shape != self._shape:
            self.reset()
            self._shape = frame.shape
        self.counters.frames += 1
        grey: Image = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        if not self._faces and self._is_still(thumb):
            self.counters.still_skips += 1
            return []
        boxes = self._follow(grey) if self._faces else None
        if boxes is None:
            boxes = list(found) if found is not None else self._full_scan(frame, grey)
            self._thumb, self._still, self._since_full = thumb, 0, 0
        else:
            self._since_full += 1
        boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)
        if near is not None:
            overlaps = [b for b in boxes if iou(b, near) >= _SAME_FACE_IOU]
            boxes = sorted(overlaps, key=lambda b: iou(b, near), reverse=True)
        faces = [
            self._encode(frame, grey, box, known=known if n == 0 else None)
            for n, box in enumerate(boxes[: self.settings.max_faces])
        ]
        self._faces = faces
        return faces

    def search(self, frame: Image) -> list[FaceBox]:
        """The whole-frame search this stream's settings run, on its own (no state kept).

        For a caller that finds the boxes of a frame ahead of time (another thread, before
        the frame is needed) and hands them to :meth:`faces` as ``found``.

        Raises:
            ValueError: If the frame is not a uint8 BGR, BGRA or grey image, or the settings
                keep a scan scale across frames (``scan_face_px``).
        """
        import cv2  # noqa: PLC0415

        if self.settings.scan_face_px is not None:
            raise ValueError("search() needs settings without scan_face_px (a per-stream scale)")
        frame = as_bgr(frame)
        grey: Image = np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
        return self._full_scan(frame, grey, kept=False)

    def _is_still(self, thumb: npt.NDArray[np.float32]) -> bool:
        if self._thumb is None or self._still >= self.settings.still_rescan:
            return False
        if float(np.abs(thumb - self._thumb).mean()) >= self.settings.still_level:
            return False
        self._still += 1
        return True

    def _full_scan(self, frame: Image, grey: Image, *, kept: bool = True) -> list[FaceBox]:
        import cv2  # noqa: PLC0415

        self.counters.full_scans += 1
        height, width = grey.shape
        scale = min(1.0, self.settings.max_width / width)
        if kept and self._scan_scale is not None:
            scale = self._scan_scale
        small = grey if self.settings.grey_search else frame
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            small = np.ascontiguousarray(cv2.resize(small, size, interpolation=cv2.INTER_AREA))
        if not self.settings.grey_search:
            small = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        rects, scores, _ = (self._detector or hog_detector()).run(small, 0, 0.0)
        if not rects and kept and self._scan_scale is not None:
            # The face moved off or shrank below the detector's 80 px at the kept scale.
            self._scan_scale = None
            return self._full_scan(frame, grey, kept=False)
        boxes = [
            scaled_box(r, 1 / scale, 0, 0, float(s)).clipped(height, width)
            for r, s in zip(rects, scores, strict=True)
        ]
        if boxes and kept and self._scan_scale is None and self.settings.scan_face_px is not None:
            # One scale for the rest of the stream, the first frame searched again at it:
            # every frame's boxes (and the landmarks found from them) are then found alike.
            face_width = max(box.width for box in boxes)
            kept_scale = min(1.0, self.settings.scan_face_px / max(face_width, 1))
            if kept_scale < scale:
                self._scan_scale = kept_scale
                return self._full_scan(frame, grey)
            self._scan_scale = scale
        return boxes

    def _follow(self, grey: Image) -> list[FaceBox] | None:
        """Search around each followed face; None when a full scan is due or one is lost."""
        if self._since_full + 1 >= self.settings.full_scan_every:
            return None
        self.counters.followed_scans += 1
        boxes: list[FaceBox] = []
        for face in self._faces:
            found = search_near(
                grey,
                face.box,
                self._detector or hog_detector(),
                face_px=self.settings.roi_face_px,
                margin=self.settings.roi_margin,
            )
            if found is None:
                return None
            boxes.append(found)
        return boxes

    def encode_at(self, frame: Image, box: FaceBox, *, mirrored: bool) -> Vector:
        """The encoding of the face at ``box`` in one BGR frame, keeping no state.

        The chip :meth:`faces` would encode there (``mirrored``: its mirror image), for a
        caller that encodes chosen frames ahead (a chip and the next frame's mirrored chip,
        averaged, are what :meth:`faces` gives a followed face) and hands the average to
        :meth:`faces` as ``known``.
        """
        frame = as_bgr(frame)
        rgb, shape, _ = self._landmarked(frame, box)
        chip = load_dlib().get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        if mirrored:
            chip = np.ascontiguousarray(chip[:, ::-1])
        return np.asarray(face_recognizer().compute_face_descriptor(chip, 1), np.float32)

    def _landmarked(self, frame: Image, box: FaceBox) -> tuple[Image, Any, npt.NDArray[np.float64]]:
        """The RGB crop around a face, its landmark shape (crop pixels) and points (frame)."""
        import cv2  # noqa: PLC0415

        dlib = load_dlib()
        height, width = frame.shape[:2]
        # The chip (padding 0.25 around the aligned face) lies well inside 0.6 face widths.
        pad = round(0.6 * max(box.width, box.height))
        top, left = max(box.top - pad, 0), max(box.left - pad, 0)
        bottom, right = min(box.bottom + pad, height), min(box.right + pad, width)
        rgb: Image = np.ascontiguousarray(
            cv2.cvtColor(frame[top:bottom, left:right], cv2.COLOR_BGR2RGB), np.uint8
        )
        rect = dlib.rectangle(
            box.left - left, box.top - top, box.right - 1 - left, box.bottom - 1 - top
        )
        shape = shape_predictor(self._points)(rgb, rect)
        points = np.array([(p.x + left, p.y + top) for p in shape.parts()], dtype=np.float64)
        return rgb, shape, points

    def _encode(
        self, frame: Image, grey: Image, box: FaceBox, *, known: Vector | None = None
    ) -> StreamFace:
        dlib = load_dlib()
        height, width = grey.shape
        rgb, shape, points = self._landmarked(frame, box)
        clipped = box.clipped(height, width)
        grey_face = np.ascontiguousarray(
            grey[clipped.top : clipped.bottom, clipped.left : clipped.right]
        )
        eyes = eye_patches(grey, points) if self._points == 5 else None
        if known is not None:
            # Encoded ahead from this face's earlier frames: landmarks only here.
            return StreamFace(
                box=box,
                landmarks=points,
                encoding=known,
                grey_face=grey_face,
                followed=True,
                raw=known,
                mirrored=True,
                anchor=points,
                averaged=True,
                eyes=eyes,
            )
        previous = self._previous(box)
        if previous is not None and self._still_face(previous, points):
            self.counters.reused += 1
            return StreamFace(
                box=box,
                landmarks=points,
                encoding=previous.encoding,
                grey_face=grey_face,
                followed=True,
                raw=previous.raw,
                mirrored=previous.mirrored,
                reused=previous.reused + 1,
                anchor=previous.anchor,
                averaged=previous.averaged,
                eyes=eyes,
            )
        chip = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        mirrored = self.settings.mirror_average and previous is not None and not previous.mirrored
        if mirrored:
            chip = np.ascontiguousarray(chip[:, ::-1])
        raw = np.asarray(face_recognizer().compute_face_descriptor(chip, 1), np.float32)
        self.counters.encodings += 1
        encoding = raw
        if self.settings.mirror_average and previous is not None:
            encoding = ((raw.astype(np.float64) + previous.raw) / 2).astype(np.float32)
        return StreamFace(
            box=box,
            landmarks=points,
            encoding=encoding,
            grey_face=grey_face,
            followed=previous is not None,
            raw=raw,
            mirrored=mirrored,
            anchor=points,
            averaged=self.settings.mirror_average and previous is not None,
            eyes=eyes,
        )

    def _still_face(self, previous: StreamFace, points: npt.NDArray[np.float64]) -> bool:
        # A first frame's plain encoding is not kept: the next frame adds its mirror image.
        if previous.reused >= self.settings.reuse_max:
            return False
        if self.settings.mirror_average and not previous.averaged:
            return False
        # The landmarks of the frame whose encoding is kept, not of the last reuse: a slow
        # drift adds up and is encoded again.
        anchor = previous.landmarks if previous.anchor is None else previous.anchor
        eyes = eye_distance(points)
        # The mean: single jaw points jitter by a pixel or two from sensor noise alone.
        moved = float(np.abs(points - anchor).mean()) / max(eyes, 1e-6)
        return moved < self.settings.reuse_motion

    def _previous(self, box: FaceBox) -> StreamFace | None:
        best = max(self._faces, key=lambda f: iou(f.box, box), default=None)
        return best if best is not None and iou(best.box, box) >= _SAME_FACE_IOU else None
