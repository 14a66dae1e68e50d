"""Calibration from stored cues and the liveness config file (biometrics.pad.calibration).

The sessions here are judged verdicts built from chosen cues (pure logic: no frames), so
the fit's answer is known in advance.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from biometrics.liveness import LivenessSettings, LivenessVerdict, judge_cues
from biometrics.pad import (
    CalibrationError,
    JudgedSession,
    LivenessConfigError,
    LivenessConfigFile,
    RecordedSession,
    SessionInfo,
    calibrate,
    load_liveness_config,
    write_liveness_config,
)
from biometrics.pad import PresentationLabel as L
from biometrics.pad.calibration import HeldOutFigures, split_sessions
from biometrics.pad.judging import rejudge


def judged(label: L, subject: str, *, moire: float, nonrigid: float = 0.05) -> JudgedSession:
    info = SessionInfo(label=label, gate="g1", recorded_at=datetime.now(UTC), subject=subject)
    session = RecordedSession(Path(f"/rec/{label.value}-{subject}"), info, (Path("f.png"),))
    cues = {"frames": 8.0, "nonrigid": nonrigid, "motion": 0.1, "blink": 0.0, "moire": moire}
    return JudgedSession(session, (judge_cues(cues, LivenessSettings()),))


def camera_set() -> list[JudgedSession]:
    """A camera whose live faces show moire 4.2-4.6 (above the default 4.0), screens 6-7."""
    bona = [judged(L.BONA_FIDE, f"p{i}", moire=4.2 + i * 0.05) for i in range(9)]
    screens = [judged(L.SCREEN, f"s{i}", moire=6.0 + i * 0.1) for i in range(6)]
    prints = [judged(L.PRINT, f"r{i}", moire=3.0, nonrigid=0.01) for i in range(6)]
    return bona + screens + prints


def test_rejudge_uses_the_stored_cues_under_other_thresholds() -> None:
    session = judged(L.BONA_FIDE, "p", moire=4.5)
    assert not session.accepted  # moire above the default 4.0
    assert rejudge(session, LivenessSettings(max_moire=5.0)).accepted
    blind = JudgedSession(session.session, (LivenessVerdict(False, 0.0, None, {"frames": 2}),))
    assert rejudge(blind, LivenessSettings(max_moire=50.0)).accepted is False


def test_calibration_fits_moire_to_the_camera_and_reports_held_out_sessions() -> None:
    result = calibrate(camera_set(), base=LivenessSettings())
    assert 4.6 <= result.settings.max_moire < 6.0
    assert result.settings.min_nonrigid > 0.01  # prints stay refused
    assert result.held_out_sessions == 3 + 2 + 2 and result.fit_sessions == 6 + 4 + 4
    assert result.held_out.bpcer.rate == 0.0 and result.held_out.apcer == 0.0
    # The baseline on the same held-out sessions: the default refuses every live face.
    assert result.default_held_out.bpcer.rate == 1.0
    figures = result.figures()
    assert figures.bpcer == 0.0 and figures.default_bpcer == 1.0


def test_split_keeps_a_subjects_sessions_of_a_label_together_and_is_stable() -> None:
    sessions = camera_set() + [judged(L.BONA_FIDE, "p0", moire=4.3)]
    fit, held = split_sessions(sessions, 1 / 3)
    sides = {(j.session.info.label, j.session.info.subject) for j in held}
    assert all((j.session.info.label, j.session.info.subject) not in sides for j in fit), (
        "a subject's sessions of one label on both sides"
    )
    again = split_sessions(list(reversed(sessions)), 1 / 3)[1]
    assert sorted(j.session.path for j in again) == sorted(j.session.path for j in held)


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ({L.SCREEN, L.PRINT}, "no attack sessions"),
        ({L.BONA_FIDE}, "no bona fide sessions"),
    ],
)
def test_a_set_without_attacks_or_bona_fide_is_refused(drop: set[L], message: str) -> None:
    sessions = [j for j in camera_set() if j.session.info.label not in drop]
    with pytest.raises(CalibrationError, match=message):
        calibrate(sessions, base=LivenessSettings())


def test_a_set_too_small_to_hold_one_out_is_refused() -> None:
    sessions = [judged(L.BONA_FIDE, "a", moire=2), judged(L.BONA_FIDE, "b", moire=2)]
    sessions += [judged(L.PRINT, "c", moire=2), judged(L.SCREEN, "d", moire=9)]
    with pytest.raises(CalibrationError, match="2 sessions of one attack species"):
        calibrate(sessions, base=LivenessSettings())


def config_file(gate: str = "g1") -> LivenessConfigFile:
    figures = HeldOutFigures(
        sessions=3, apcer_worst=0.0, bpcer=0.0, default_apcer_worst=0.0, default_bpcer=1.0
    )
    return LivenessConfigFile(
        gate=gate,
        calibrated_at=datetime.now(UTC),
        fitted_sessions=6,
        held_out=figures,
        settings=LivenessSettings(max_moire=5.1),
    )


def test_the_config_file_round_trips_and_bad_files_say_why(tmp_path: Path) -> None:
    path = tmp_path / "liveness.json"
    write_liveness_config(path, config_file())
    assert load_liveness_config(path).settings.max_moire == 5.1
    raw = json.loads(path.read_text())
    raw["settings"]["max_moire"] = -1
    path.write_text(json.dumps(raw))
    with pytest.raises(LivenessConfigError, match=r"settings\.max_moire"):
        load_liveness_config(path)
    path.write_text("{not json")
    with pytest.raises(LivenessConfigError, match="not JSON"):
        load_liveness_config(path)
    with pytest.raises(LivenessConfigError, match="cannot read"):
        load_liveness_config(tmp_path / "missing.json")


class WindowChecker:
    """Stands in for LivenessChecker: a face in every frame, the 2nd window passes."""

    def __init__(self) -> None:
        self.windows: list[int] = []

    def track(self, frames: list[object]) -> list[object]:
        return [object() for _ in frames]

    def assess(self, tracks: list[object]) -> LivenessVerdict:
        self.windows.append(len(tracks))
        passed = len(self.windows) == 2
        return LivenessVerdict(passed, 0.8 if passed else 0.3, None, {})


def test_a_session_is_judged_window_by_window_and_accepted_if_any_passes(tmp_path: Path) -> None:
    import numpy as np

    from biometrics.pad import judge_session, load_recording, write_session

    still = [np.zeros((8, 8, 3), np.uint8)] * 20
    info = SessionInfo(label=L.SCREEN, gate="g1", recorded_at=datetime.now(UTC))
    write_session(tmp_path / "rec" / "s", info, still)
    checker = WindowChecker()
    [session] = load_recording(tmp_path / "rec")
    result = judge_session(checker, session, window=8)  # type: ignore[arg-type]
    assert checker.windows == [8, 8]  # 20 frames: two whole windows of 8
    assert result.accepted and result.score == 0.8
    assert result.scored().label is L.SCREEN and result.scored().accepted
