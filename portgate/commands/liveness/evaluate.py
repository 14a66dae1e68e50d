"""`portgate liveness evaluate DIR`: a recording reported in ISO/IEC 30107-3 terms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from biometrics.pad import pad_report
from biometrics.stream_settings import WINDOW_FRAMES
from portgate.commands.liveness.common import (
    fail,
    judge_all,
    read_recording,
    report_json,
    report_text,
    settings_from,
)
from portgate.language import _

__all__ = ["evaluate_command"]


def evaluate_command(
    recording: Annotated[Path, typer.Argument(help="Recording folder (one subfolder a session).")],
    liveness_config: Annotated[
        Path | None,
        typer.Option(help="A gate's liveness config (from calibrate); default: the defaults."),
    ] = None,
    window: Annotated[int, typer.Option(min=2, max=60, help="Frames per assessment.")] = (
        WINDOW_FRAMES
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """APCER per attack species, BPCER, the worst species and APCER at BPCER <= 5%."""
    sessions = read_recording("evaluate", recording)
    if all(s.is_attack for s in sessions):
        raise fail(
            "evaluate",
            _("{folder} has no bona fide sessions: BPCER cannot be measured", folder=recording),
        )
    settings, named = settings_from("evaluate", liveness_config)
    report = pad_report([j.scored() for j in judge_all("evaluate", sessions, settings, window)])
    gates = sorted({s.info.gate for s in sessions})
    if as_json:
        body = {
            "recording": str(recording),
            "sessions": len(sessions),
            "gates": gates,
            "window_frames": window,
            "thresholds": settings.model_dump(),
            **report_json(report),
        }
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(
        _(
            "PAD evaluation (ISO/IEC 30107-3) of {count} sessions in {folder}, gate(s) "
            "{gates}; {thresholds}; a session is accepted when any window of {window} "
            "frames passes",
            count=len(sessions),
            folder=recording,
            gates=", ".join(gates),
            thresholds=named,
            window=window,
        )
    )
    for line in report_text(report):
        typer.echo(line)
