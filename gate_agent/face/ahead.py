"""Encodings made ahead of a tap, on the best frames of a face followed frame to frame.

An encoding (dlib's ResNet, about 180 ms a chip on one core with the dlib-bin wheel) is
most of a face window's cost after a tap. The presearch (`gate_agent.face.presearch`)
follows every frame while a face is in view; this bookkeeping tells it which of those
frames to encode, and the window which encoding its frames may take instead of encoding
their own:

* frames are filed in camera order as their searches begin (`begin`), and once searched
  with their largest face (`searched`);
* a face continues from one filed frame to the next when their boxes overlap by at least
  0.3 (intersection over union, as `biometrics.FaceStream` follows a face) and the frames
  are at most `max_gap_s` apart; a frame not yet searched, a frame without a face or a jump
  ends the chain (nothing is assumed across it);
* a chain's frame is encoded when no encoding of the chain is as good: its face is the
  chain's first, or at least `better` times as wide as the widest encoded one (the face
  grows as the person walks up: quality-ranked by resolution); the next frame of the chain
  is then encoded from its mirrored chip, and the two are averaged, as the window's own
  stream averages a chip and the next frame's mirrored chip (the enrollment alignment the
  1:1 threshold was chosen for). A person standing at the reader costs no encoding;
* `encoding_for` a frame: the widest such pair on the frame's chain (the frames its face
  continues from and into), or None.

Pure bookkeeping (no dlib); thread-safe (the presearch's searcher threads and the window).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt
from biometrics.detection import FaceBox
from biometrics.stream_frames import iou

__all__ = ["AheadEncodings", "Encode"]

Image = npt.NDArray[np.uint8]
Vector = npt.NDArray[np.float32]
# Boxes overlapping this much in two filed frames are one face (as FaceStream follows one).
_SAME_FACE_IOU = 0.3


class Encode(Enum):
    """What to encode of a searched frame's face."""

    CHIP = "chip"
    MIRRORED = "mirrored"


@dataclass(eq=False)
class _Filed:
    image: Image
    at: float
    searched: bool = False
    box: FaceBox | None = None
    plan: Encode | None = None
    raw: Vector | None = None


class AheadEncodings:
    """Which followed frames to encode ahead, and the encodings made (module docstring).

    Args:
        keep: Frames filed, at most (about two seconds of a 30 fps camera).
        max_gap_s: Filed frames further apart than this do not continue a chain.
        better: A chain's face this many times as wide as its widest encoded one is
            encoded again.
        min_interval_s: A new chain's first chip is encoded at most once in this time
            (frames' times): a presearch that falls behind under load breaks its chains
            often, and each new chain would cost two more encodings; the window encodes
            itself meanwhile. A face grown on its chain is encoded again at once.
    """

    def __init__(
        self,
        *,
        keep: int = 64,
        max_gap_s: float = 0.25,
        better: float = 1.2,
        min_interval_s: float = 1.0,
    ) -> None:
        self._filed: deque[_Filed] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._max_gap_s = max_gap_s
        self._better = better
        self._min_interval_s = min_interval_s
        self._started_at: float | None = None
        self.encoded = 0

    def begin(self, image: Image, *, at: float) -> None:
        """File a frame about to be searched, taken at `at` (monotonic, as frame times)."""
        with self._lock:
            if self._find(image) is None:
                self._filed.append(_Filed(image=image, at=at))
                if len(self._filed) > 1 and self._filed[-2].at > at:
                    # Filed out of camera order: chains are walked in it.
                    ordered = sorted(self._filed, key=lambda filed: filed.at)
                    self._filed.clear()
                    self._filed.extend(ordered)

    def searched(self, image: Image, box: FaceBox | None) -> Encode | None:
        """Note a filed frame's largest face (None: none); returns what to encode of it."""
        with self._lock:
            filed = self._find(image)
            if filed is None or filed.searched:
                return None
            filed.searched, filed.box = True, box
            if box is None:
                return None
            chain = self._chain(filed)
            before = chain[-2] if len(chain) > 1 else None
            if before is not None and before.plan is Encode.CHIP:
                filed.plan = Encode.MIRRORED
            else:
                widest = self._widest_pair(chain)
                if box.width >= self._better * widest and (widest or self._may_start(filed)):
                    filed.plan = Encode.CHIP
                    self._started_at = filed.at if not widest else self._started_at
            return filed.plan

    def _may_start(self, filed: _Filed) -> bool:
        started = self._started_at
        return started is None or abs(filed.at - started) >= self._min_interval_s

    def encoded_as(self, image: Image, raw: Vector) -> None:
        """Keep the encoding made of a frame as `searched` said (its chip or mirrored chip)."""
        with self._lock:
            filed = self._find(image)
            if filed is not None and filed.plan is not None:
                filed.raw = raw
                self.encoded += 1

    def failed(self, image: Image) -> None:
        """The frame's encoding failed: it pairs with nothing."""
        with self._lock:
            filed = self._find(image)
            if filed is not None:
                filed.plan = None
                self._started_at = None  # nothing was encoded: the next frame may start

    def encoding_for(self, image: Image) -> Vector | None:
        """The averaged encoding of the widest encoded pair on this frame's chain, if any."""
        with self._lock:
            filed = self._find(image)
            if filed is None or not filed.searched or filed.box is None:
                return None
            best: tuple[int, Vector] | None = None
            chain = self._chain(filed) + self._chain_after(filed)
            for chip, mirrored in zip(chain, chain[1:], strict=False):
                if chip.plan is not Encode.CHIP or mirrored.plan is not Encode.MIRRORED:
                    continue
                if chip.raw is None or mirrored.raw is None or chip.box is None:
                    continue
                if best is None or chip.box.width > best[0]:
                    # As FaceStream averages: this frame's mirrored chip and the one before.
                    both = mirrored.raw.astype(np.float64) + chip.raw
                    best = (chip.box.width, (both / 2).astype(np.float32))
            return None if best is None else best[1]

    def _find(self, image: Image) -> _Filed | None:
        for filed in reversed(self._filed):
            if filed.image is image:
                return filed
        return None

    def _chain(self, last: _Filed) -> list[_Filed]:
        """The frames of `last`'s face up to `last`, oldest first (lock held)."""
        frames = list(self._filed)
        index = next(n for n, filed in enumerate(frames) if filed is last)
        chain = [last]
        for earlier in reversed(frames[:index]):
            if not self._continues(earlier, chain[-1]):
                break
            chain.append(earlier)
        chain.reverse()
        return chain

    def _chain_after(self, first: _Filed) -> list[_Filed]:
        """The frames that continue `first`'s face after it, oldest first (lock held)."""
        frames = list(self._filed)
        index = next(n for n, filed in enumerate(frames) if filed is first)
        chain = [first]
        for later in frames[index + 1 :]:
            if not self._continues(chain[-1], later):
                break
            chain.append(later)
        return chain[1:]

    def _continues(self, earlier: _Filed, later: _Filed) -> bool:
        """Whether `later` shows the face of `earlier` (both searched, near in time and place)."""
        if not earlier.searched or not later.searched:
            return False
        if earlier.box is None or later.box is None or later.at - earlier.at > self._max_gap_s:
            return False
        return iou(earlier.box, later.box) >= _SAME_FACE_IOU

    def _widest_pair(self, chain: list[_Filed]) -> float:
        widest = 0.0
        for chip, mirrored in zip(chain, chain[1:], strict=False):
            if chip.plan is Encode.CHIP and mirrored.plan is Encode.MIRRORED and chip.box:
                widest = max(widest, float(chip.box.width))
        return widest
