"""`portgate liveness calibrate DIR`: thresholds fitted to a gate's camera, its liveness config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from biometrics.liveness import LivenessSettings
from biometrics.pad import (
    CalibrationError,
    CalibrationResult,
    LivenessConfigFile,
    RecordedSession,
    calibrate,
    write_liveness_config,
)
from biometrics.pad.calibration import check_calibration_set
from biometrics.stream_settings import WINDOW_FRAMES
from portgate.commands.liveness.common import (
    fail,
    judge_all,
    read_recording,
    report_json,
    report_text,
)
from portgate.language import _

__all__ = ["calibrate_command"]

_FITTED = ("max_moire", "min_flow_residual", "min_closure", "min_nonrigid", "min_blink")


def _print_text(result: CalibrationResult, out: Path) -> None:
    typer.echo(
        _(
            "fitted on {fitted} sessions; measured on {held_out} "
            "held-out sessions not used for fitting",
            fitted=result.fit_sessions,
            held_out=result.held_out_sessions,
        )
    )
    default = LivenessSettings()
    for name in _FITTED:
        fitted = getattr(result.settings, name)
        typer.echo(f"  {name:17s} {getattr(default, name):.4f} -> {fitted:.4f}")
    typer.echo(_("held out, fitted thresholds:"))
    for line in report_text(result.held_out):
        typer.echo(f"  {line}")
    typer.echo(_("held out, default thresholds (baseline):"))
    for line in report_text(result.default_held_out):
        typer.echo(f"  {line}")
    typer.echo(_("wrote {file}", file=out))


def _gate_sessions(recording: Path, gate: str | None) -> tuple[str, list[RecordedSession]]:
    """The gate to calibrate and its sessions: the named one, or the recording's only one."""
    sessions = read_recording("calibrate", recording)
    gates = sorted({s.info.gate for s in sessions})
    if gate is None and len(gates) > 1:
        several = _("sessions of several gates ({gates}): name one, --gate", gates=", ".join(gates))
        raise fail("calibrate", several)
    chosen = gate or gates[0]
    sessions = [s for s in sessions if s.info.gate == chosen]
    if not sessions:
        none = _("no sessions of gate {gate} in {folder}", gate=repr(chosen), folder=recording)
        raise fail("calibrate", none)
    return chosen, sessions


def calibrate_command(
    recording: Annotated[Path, typer.Argument(help="Recording folder with attacks and bona fide.")],
    out: Annotated[Path, typer.Option(help="The gate's liveness config file to write (JSON).")],
    gate: Annotated[
        str | None, typer.Option(help="Use only this gate's sessions (needed if several).")
    ] = None,
    held_out: Annotated[
        float, typer.Option(min=0.1, max=0.9, help="Share of each label held out of the fit.")
    ] = 1 / 3,
    window: Annotated[int, typer.Option(min=2, max=60, help="Frames per assessment.")] = (
        WINDOW_FRAMES
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Fit the liveness thresholds to a gate's camera and write its liveness config."""
    chosen, sessions = _gate_sessions(recording, gate)
    try:
        check_calibration_set(sessions)
        base = LivenessSettings()
        judged = judge_all("calibrate", sessions, base, window)
        result = calibrate(judged, base=base, held_out_fraction=held_out)
    except CalibrationError as exc:
        raise fail("calibrate", str(exc)) from None
    config = LivenessConfigFile(
        gate=chosen,
        calibrated_at=datetime.now(UTC),
        recording=str(recording),
        fitted_sessions=result.fit_sessions,
        held_out=result.figures(),
        settings=result.settings,
    )
    try:
        write_liveness_config(out, config)
    except OSError as exc:
        message = _("cannot write {file}: {error}", file=out, error=exc.strerror)
        raise fail("calibrate", message) from None
    if as_json:
        body = {
            "config": str(out),
            "gate": chosen,
            "fitted_sessions": result.fit_sessions,
            "held_out_sessions": result.held_out_sessions,
            "settings": result.settings.model_dump(),
            "held_out": report_json(result.held_out),
            "held_out_default": report_json(result.default_held_out),
        }
        typer.echo(json.dumps(body, indent=2))
        return
    _print_text(result, out)
