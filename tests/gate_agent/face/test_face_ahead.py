"""Encodings made ahead of a tap (gate_agent.face.ahead): which frames, and which are reused."""

from __future__ import annotations

import numpy as np

from biometrics.detection import FaceBox
from gate_agent.face.ahead import AheadEncodings, Encode


def frame() -> np.ndarray:
    return np.zeros((4, 4, 3), np.uint8)


def box(left: int, width: int = 100) -> FaceBox:
    return FaceBox(top=100, right=left + width, bottom=100 + width, left=left)


def walk(ahead: AheadEncodings, boxes: list[FaceBox | None], *, dt: float = 0.033) -> list:
    """File and search one frame per box, encoding as told; returns (frame, plan) pairs."""
    out = []
    for n, face in enumerate(boxes):
        image = frame()
        ahead.begin(image, at=n * dt)
        plan = ahead.searched(image, face)
        if plan is not None:
            ahead.encoded_as(
                image, np.full(128, n + (0.5 if plan is Encode.MIRRORED else 0), np.float32)
            )
        out.append((image, plan))
    return out


def test_a_followed_face_is_encoded_once_as_a_chip_and_the_next_frames_mirror() -> None:
    ahead = AheadEncodings()
    seen = walk(ahead, [box(100)] * 6)
    assert [plan for _, plan in seen] == [Encode.CHIP, Encode.MIRRORED, None, None, None, None]
    assert ahead.encoded == 2
    # Every later frame of the face takes the average of frame 0's chip and frame 1's mirror.
    for image, _ in seen:  # the first too: its face continues into the mirrored frame
        encoding = ahead.encoding_for(image)
        assert encoding is not None and np.allclose(encoding, (0 + 1.5) / 2)


def test_a_face_a_fifth_wider_is_encoded_again_and_preferred() -> None:
    ahead = AheadEncodings()
    seen = walk(ahead, [box(100, 100), box(100, 100), box(100, 110), box(100, 125), box(100, 125)])
    assert [plan for _, plan in seen] == [
        Encode.CHIP,
        Encode.MIRRORED,
        None,
        Encode.CHIP,
        Encode.MIRRORED,
    ]
    encoding = ahead.encoding_for(seen[-1][0])
    assert encoding is not None and np.allclose(encoding, (3 + 4.5) / 2)


def test_a_jump_a_gap_or_a_frame_without_a_face_starts_a_new_chain() -> None:
    ahead = AheadEncodings(min_interval_s=0)
    moved = walk(ahead, [box(100), box(100), box(400), box(400)])  # another place: another face
    assert [plan for _, plan in moved] == [
        Encode.CHIP,
        Encode.MIRRORED,
        Encode.CHIP,
        Encode.MIRRORED,
    ]
    assert np.allclose(ahead.encoding_for(moved[3][0]), (2 + 3.5) / 2)  # type: ignore[arg-type]

    lost = AheadEncodings(min_interval_s=0)
    seen = walk(lost, [box(100), box(100), None, box(100)])
    assert seen[3][1] is Encode.CHIP and lost.encoding_for(seen[3][0]) is None

    slow = AheadEncodings(min_interval_s=0)
    seen = walk(slow, [box(100), box(100), box(100)], dt=0.4)  # frames too far apart
    assert [plan for _, plan in seen] == [Encode.CHIP, Encode.CHIP, Encode.CHIP]
    assert all(slow.encoding_for(image) is None for image, _ in seen)


def test_a_frame_not_yet_searched_ends_the_chain_and_unfiled_frames_get_nothing() -> None:
    ahead = AheadEncodings(min_interval_s=0)
    first, second, third = frame(), frame(), frame()
    for n, image in enumerate((first, second, third)):
        ahead.begin(image, at=n * 0.033)
    assert ahead.searched(first, box(100)) is Encode.CHIP
    ahead.encoded_as(first, np.zeros(128, np.float32))
    # The third frame's search ends before the second's: it does not pair across it.
    assert ahead.searched(third, box(100)) is Encode.CHIP
    assert ahead.searched(second, box(100)) is Encode.MIRRORED
    assert ahead.searched(frame(), box(100)) is None  # never filed (a window's own search)
    assert ahead.encoding_for(second) is None  # the mirror's encoding is not made yet


def test_frames_filed_out_of_camera_order_are_chained_in_it() -> None:
    ahead = AheadEncodings()
    first, second = frame(), frame()
    ahead.begin(second, at=0.033)
    ahead.begin(first, at=0.0)
    assert ahead.searched(first, box(100)) is Encode.CHIP
    assert ahead.searched(second, box(100)) is Encode.MIRRORED


def test_a_failed_encoding_pairs_with_nothing() -> None:
    ahead = AheadEncodings()
    first, second = frame(), frame()
    ahead.begin(first, at=0.0)
    ahead.begin(second, at=0.033)
    assert ahead.searched(first, box(100)) is Encode.CHIP
    ahead.failed(first)
    assert ahead.searched(second, box(100)) is Encode.CHIP  # encoded afresh
    assert ahead.encoding_for(second) is None


def test_new_chains_start_encoding_at_most_once_a_second_a_grown_face_at_once() -> None:
    ahead = AheadEncodings()  # min_interval_s 1.0
    # A presearch behind the camera: its frames 0.3 s apart, each a chain of its own.
    seen = walk(ahead, [box(100)] * 8, dt=0.3)
    chips = [n for n, (_, plan) in enumerate(seen) if plan is Encode.CHIP]
    assert chips == [0, 4]  # at 0 s and 1.2 s, not at every break
    grown = AheadEncodings()
    plans = [plan for _, plan in walk(grown, [box(100, 100)] * 2 + [box(100, 125)] * 2)]
    assert plans == [Encode.CHIP, Encode.MIRRORED, Encode.CHIP, Encode.MIRRORED]
