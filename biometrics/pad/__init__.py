"""Presentation-attack detection measured and calibrated the ISO/IEC 30107-3 way.

This room owns what a site needs to measure the liveness check at its own gate camera with
real attacks (docs/liveness.md):

* ``recording``: the recording format, a folder of labelled presentation sessions (frames
  or a short video plus ``session.json``), read and written;
* ``metrics``: APCER per attack species, BPCER, the worst species and APCER at BPCER <= 5 %,
  with confidence intervals (pure);
* ``judging``: the liveness check run over each session, window by window, through
  :class:`biometrics.LivenessChecker` only (independent of the landmark model), and the
  sessions re-judged from their stored cues under other thresholds;
* ``calibration``: thresholds fitted on part of a recording and measured on the rest, and
  the gate's liveness config file the agent loads (validated on load).

No simulation lives here: the simulated attack species are test and bench support
(``testkit/pad_species.py``).
"""

from biometrics.pad.calibration import (
    CalibrationError,
    CalibrationResult,
    LivenessConfigError,
    LivenessConfigFile,
    calibrate,
    load_liveness_config,
    write_liveness_config,
)
from biometrics.pad.judging import JudgedSession, judge_session, session_score
from biometrics.pad.metrics import PadReport, SpeciesResult, pad_report, wilson_interval
from biometrics.pad.recording import (
    ATTACK_SPECIES,
    PresentationLabel,
    RecordedSession,
    RecordingError,
    SessionInfo,
    load_recording,
    read_session_frames,
    write_session,
)

__all__ = [
    "ATTACK_SPECIES",
    "CalibrationError",
    "CalibrationResult",
    "JudgedSession",
    "LivenessConfigError",
    "LivenessConfigFile",
    "PadReport",
    "PresentationLabel",
    "RecordedSession",
    "RecordingError",
    "SessionInfo",
    "SpeciesResult",
    "calibrate",
    "judge_session",
    "load_liveness_config",
    "load_recording",
    "pad_report",
    "read_session_frames",
    "session_score",
    "wilson_interval",
    "write_liveness_config",
    "write_session",
]
