"""The recording format: sessions read and written, and bad sessions named (biometrics.pad)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from biometrics.pad import (
    PresentationLabel,
    RecordingError,
    SessionInfo,
    load_recording,
    read_session_frames,
    write_session,
)


def frames(count: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(count)]


def info(label: PresentationLabel = PresentationLabel.PRINT) -> SessionInfo:
    return SessionInfo(label=label, gate="g1", camera="file x.png", recorded_at=datetime.now(UTC))


def test_a_written_session_reads_back_with_its_label_and_frames(tmp_path: Path) -> None:
    shown = frames()
    write_session(tmp_path / "rec" / "s1", info(), shown)
    [session] = load_recording(tmp_path / "rec")
    assert session.info.label is PresentationLabel.PRINT and session.is_attack
    assert session.info.frames == 3 and len(session.media) == 3
    decoded = read_session_frames(session)
    # Written from BGR camera frames, read back as RGB.
    assert np.array_equal(decoded[0], shown[0][:, :, ::-1])
    with pytest.raises(RecordingError, match="exists already"):
        write_session(tmp_path / "rec" / "s1", info(), shown)


def test_a_session_may_be_one_video_file(tmp_path: Path) -> None:
    folder = tmp_path / "rec" / "v1"
    folder.mkdir(parents=True)
    writer = cv2.VideoWriter(
        str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48)
    )
    for frame in frames(5):
        writer.write(frame)
    writer.release()
    (folder / "session.json").write_text(info(PresentationLabel.VIDEO).model_dump_json())
    [session] = load_recording(tmp_path / "rec")
    assert len(read_session_frames(session)) == 5


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda s: (s / "session.json").unlink(), "unlabeled session"),
        (
            lambda s: (s / "session.json").write_text(
                json.dumps({**json.loads((s / "session.json").read_text()), "label": "mannequin"})
            ),
            "unknown species 'mannequin'; known: bona_fide, print, screen, video, mask",
        ),
        (lambda s: [p.unlink() for p in s.glob("*.png")], "holds no frames"),
        (lambda s: (s / "session.json").write_text("{"), "not readable JSON"),
        (
            lambda s: (s / "session.json").write_text(
                json.dumps(
                    {
                        **json.loads((s / "session.json").read_text()),
                        "recorded_at": "2026-01-01T00:00:00",
                    }
                )
            ),
            "recorded_at",
        ),
    ],
)
def test_a_bad_session_is_named_in_one_error(tmp_path: Path, spoil: object, message: str) -> None:
    write_session(tmp_path / "rec" / "good", info(PresentationLabel.BONA_FIDE), frames())
    bad = write_session(tmp_path / "rec" / "bad", info(), frames())
    spoil(bad)  # type: ignore[operator]
    with pytest.raises(RecordingError, match=message) as caught:
        load_recording(tmp_path / "rec")
    assert "\n" not in str(caught.value)


def test_a_missing_or_empty_recording_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="does not exist"):
        load_recording(tmp_path / "none")
    with pytest.raises(RecordingError, match="holds no sessions"):
        load_recording(tmp_path)
