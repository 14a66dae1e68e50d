"""bench_liveness's calibration check: `biometrics.pad.calibrate` on the simulated sessions.

The sequences bench_liveness judged (the new species and the live users) become judged
sessions, one per sequence, the source photo as subject; `calibrate` fits on part of the
sources and reports the held-out rest with the fitted and the default thresholds. It shows
what a calibration does when fit and held-out sessions come from the same simulation; a
gate's own recording is what matters (docs/liveness.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from biometrics import LivenessSettings, LivenessVerdict
from biometrics.pad import (
    CalibrationError,
    JudgedSession,
    PresentationLabel,
    RecordedSession,
    SessionInfo,
    calibrate,
)

__all__ = ["calibration_check"]


def _session(label: PresentationLabel, number: int, verdict: LivenessVerdict) -> JudgedSession:
    info = SessionInfo(
        label=label, gate="bench", recorded_at=datetime.now(UTC), subject=f"source{number}"
    )
    return JudgedSession(RecordedSession(Path(f"{label.value}-{number}"), info, ()), (verdict,))


def calibration_check(
    verdicts: dict[str, list[LivenessVerdict]], species: dict[str, PresentationLabel]
) -> None:
    """Print the held-out figures of a calibration on the simulated sessions."""
    judged = [
        _session(label, number, verdict)
        for kind, label in {**species, "live": PresentationLabel.BONA_FIDE}.items()
        for number, verdict in enumerate(verdicts[kind])
    ]
    try:
        result = calibrate(judged, base=LivenessSettings())
    except CalibrationError as exc:
        print(f"calibration check skipped: {exc}")
        return
    fitted = result.settings
    print(
        f"calibration check (portgate liveness calibrate's fit on simulated sessions): fitted "
        f"on {result.fit_sessions}, held out {result.held_out_sessions}; max_moire "
        f"{fitted.max_moire:.3f}, min_flow_residual {fitted.min_flow_residual:.3f}, "
        f"min_closure {fitted.min_closure:.3f} (5 points), min_nonrigid "
        f"{fitted.min_nonrigid:.4f}, min_blink {fitted.min_blink:.3f} (68 points)"
    )
    for name, report in (("fitted", result.held_out), ("default", result.default_held_out)):
        rates = ", ".join(f"{s.label.value} {s.errors}/{s.total}" for s in report.species)
        print(
            f"  held out, {name} thresholds: APCER {rates}; worst {report.apcer:.1%}; "
            f"BPCER {report.bpcer.errors}/{report.bpcer.total} = {report.bpcer.rate:.1%}"
        )
