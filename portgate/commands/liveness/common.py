"""What the liveness commands share: one-line errors, judging a recording, the report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from biometrics.liveness import LivenessChecker, LivenessSettings
from biometrics.pad import (
    JudgedSession,
    LivenessConfigError,
    PadReport,
    RecordedSession,
    RecordingError,
    SpeciesResult,
    judge_session,
    load_liveness_config,
    load_recording,
)
from portgate.language import _

__all__ = ["fail", "judge_all", "read_recording", "report_json", "report_text", "settings_from"]


def fail(command: str, message: str) -> typer.Exit:
    """Print one error line for `portgate liveness COMMAND` and return the exit to raise."""
    typer.echo(_("liveness {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=1)


def read_recording(command: str, folder: Path) -> list[RecordedSession]:
    """The sessions of a recording folder, or one error line and exit 1."""
    try:
        return load_recording(folder)
    except RecordingError as exc:
        raise fail(command, str(exc)) from None


def settings_from(command: str, config: Path | None) -> tuple[LivenessSettings, str]:
    """The thresholds to judge with (a gate's liveness config, or the defaults) and their name."""
    if config is None:
        return LivenessSettings(), _("default thresholds")
    try:
        return load_liveness_config(config).settings, _("thresholds of {file}", file=config)
    except LivenessConfigError as exc:
        raise fail(command, str(exc)) from None


def judge_all(
    command: str, sessions: Sequence[RecordedSession], settings: LivenessSettings, window: int
) -> list[JudgedSession]:
    """Every session judged by the liveness check, a progress line per session on stderr."""
    checker = LivenessChecker(settings=settings)
    judged = []
    for number, session in enumerate(sessions, start=1):
        try:
            judged.append(judge_session(checker, session, window=window))
        except RecordingError as exc:
            raise fail(command, str(exc)) from None
        judged_line = _(
            "judged {number}/{count}: {name}",
            number=number,
            count=len(sessions),
            name=session.path.name,
        )
        typer.echo(f"  {judged_line}", err=True)
    return judged


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _row(result: SpeciesResult, errors: str) -> str:
    interval = f"[{_percent(result.low)}, {_percent(result.high)}]"
    at = "" if result.at_bpcer5 is None else _percent(result.at_bpcer5)
    return (
        f"{result.label.value:10s} {result.total:6d} {errors:>9s} {_percent(result.rate):>7s}"
        f"  {interval:17s} {at}"
    )


def report_text(report: PadReport) -> list[str]:
    """The report as text lines (ISO/IEC 30107-3 terms)."""
    species, errors, rate, at = _("species"), _("errors"), _("rate"), _("at BPCER<=5%")
    lines = [f"{species:10s} {'n':>6s} {errors:>9s} {rate:>7s}  {'95% CI':17s} {at}"]
    for result in report.species:
        accepted = _("{count} acc.", count=result.errors)
        lines.append(_row(result, accepted) + "  (APCER)")
    rejected = _("{count} rej.", count=report.bpcer.errors)
    lines.append(_row(report.bpcer, rejected) + "  (BPCER)")
    if report.worst is None:
        lines.append(_("no attack sessions: APCER not measured"))
    else:
        lines.append(
            _(
                "worst species: {species}, APCER {apcer} (the attack's APCER is its worst "
                "species')",
                species=report.worst.label.value,
                apcer=_percent(report.apcer),
            )
        )
    lines.append(
        _(
            "BPCER {bpcer}; APCER at BPCER <= 5%: {apcer} (worst species; score threshold "
            "{threshold}, BPCER there {bpcer_there})",
            bpcer=_percent(report.bpcer.rate),
            apcer=_percent(report.apcer_at_bpcer5),
            threshold=f"{report.threshold_bpcer5:.4f}",
            bpcer_there=_percent(report.bpcer_at_threshold),
        )
    )
    return lines


def _species_json(result: SpeciesResult) -> dict[str, Any]:
    return {
        "label": result.label.value,
        "presentations": result.total,
        "errors": result.errors,
        "rate": round(result.rate, 6),
        "ci95": [round(result.low, 6), round(result.high, 6)],
        **({} if result.at_bpcer5 is None else {"apcer_at_bpcer5": round(result.at_bpcer5, 6)}),
    }


def report_json(report: PadReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (rates as fractions)."""
    return {
        "standard": "ISO/IEC 30107-3",
        "apcer_per_species": [_species_json(s) for s in report.species],
        "bpcer": _species_json(report.bpcer),
        "worst_species": None if report.worst is None else report.worst.label.value,
        "apcer": round(report.apcer, 6),
        "apcer_at_bpcer5": round(report.apcer_at_bpcer5, 6),
        "threshold_bpcer5": round(report.threshold_bpcer5, 6),
        "bpcer_at_threshold": round(report.bpcer_at_threshold, 6),
    }
